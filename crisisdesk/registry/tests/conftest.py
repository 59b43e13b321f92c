"""Fixtures for the registry's tests. The browser fixtures live in common.testing so that
every app's browser tests share one Chromium setup; importing them here registers them."""

from crisisdesk.common.testing.browser import (  # noqa: F401 - imported fixtures are registered by name
    allow_async_unsafe,
    browser_problems,
    chromium,
    new_browser_context,
    page,
)
