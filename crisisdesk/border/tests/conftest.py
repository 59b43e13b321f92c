"""Fixtures for the border desk's tests: the shared browser fixtures (importing them here
registers them). The API clients per persona (`api`) come from the root conftest."""

from crisisdesk.common.testing.browser import (  # noqa: F401 - imported fixtures are registered by name
    allow_async_unsafe,
    browser_problems,
    chromium,
    new_browser_context,
    page,
)
