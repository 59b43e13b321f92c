"""Fixtures shared by the whole suite.

Imports of Django code stay inside the fixtures, so that the framework-free tests under
tests/namebridge also run with `-p no:django`.
"""

import pytest


@pytest.fixture
def users(db):
    """One user per role, each with a confirmed TOTP device."""
    from crisisdesk.common.testing.personas import PERSONA_ROLES, persona_create

    return {name: persona_create(name) for name in PERSONA_ROLES}


@pytest.fixture
def as_persona(users):
    """`as_persona("consul")` is a test client logged in as that persona, 2FA verified."""
    from crisisdesk.common.testing.personas import client_for

    return lambda persona: client_for(persona, users)


@pytest.fixture
def tokens(users):
    """A raw API token per persona."""
    from crisisdesk.accounts.services import token_issue
    from crisisdesk.common.origin import SYSTEM

    return {name: token_issue(actor=None, origin=SYSTEM, user=user, label="test")[1] for name, user in users.items()}


@pytest.fixture
def api(tokens):
    """`api("consul")` is a test client that sends the consul's bearer token."""
    from django.test import Client

    def client_for(persona: str) -> Client:
        if persona == "anonymous":
            return Client()
        return Client(headers={"Authorization": f"Bearer {tokens[persona]}"})

    return client_for


@pytest.fixture(autouse=True)
def _fresh_process_state():
    """The rate limiter counts in the cache, and the name index mirrors the database: each
    test starts with neither carrying anything over."""
    from django.conf import settings

    if not settings.configured:  # framework-free tests run without Django
        yield
        return
    from django.core.cache import cache

    from crisisdesk.registry.search import search_index_reset

    cache.clear()
    search_index_reset()  # each test's database starts afresh; so must the name index
    yield
    cache.clear()
    search_index_reset()
