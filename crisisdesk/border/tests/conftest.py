"""Fixtures for the border desk's tests: API clients per persona, and the shared browser
fixtures (importing them here registers them)."""

import pytest
from django.test import Client

from crisisdesk.accounts.services import token_issue
from crisisdesk.common.origin import SYSTEM
from crisisdesk.common.testing.browser import (  # noqa: F401 - imported fixtures are registered by name
    allow_async_unsafe,
    browser_problems,
    chromium,
    new_browser_context,
    page,
)


@pytest.fixture
def tokens(users):
    """A raw API token per persona."""
    return {name: token_issue(actor=None, origin=SYSTEM, user=user, label="test")[1] for name, user in users.items()}


@pytest.fixture
def api(tokens):
    """`api("border_officer")` is a test client that sends that persona's bearer token."""

    def client_for(persona: str) -> Client:
        if persona == "anonymous":
            return Client()
        return Client(headers={"Authorization": f"Bearer {tokens[persona]}"})

    return client_for
