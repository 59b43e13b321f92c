"""Browser-test fixtures: Debian's Chromium, headless, driven by Playwright's sync API.

A browser test is marked `@pytest.mark.browser` and takes pytest-django's `live_server`
(which brings `transactional_db`: the server thread must see the test's rows). An app's
`tests/conftest.py` imports the fixtures below to make them available.

Every context made by `new_browser_context` records console errors, uncaught page errors
and Content-Security-Policy violations into `browser_problems`, across navigations, so a
test can assert at the end that the whole flow ran clean.
"""

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connections
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from crisisdesk.common.testing.personas import PERSONA_PASSWORD

CHROMIUM_PATH = Path("/usr/bin/chromium")
# The test machine has no network. Beyond headless defaults, these keep Chromium from
# opening its own connections (component updates, sync, QUIC probes, first-run pings).
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# Outside the repository: screenshots are for looking at, not for committing.
SCREENSHOT_DIR = Path("/tmp/crisisdesk-screens")  # noqa: S108 - test-only, nothing secret is written
LANGUAGE_COOKIE = "crisisdesk_language"

# Runs in every document before the page's own scripts. `securitypolicyviolation` events
# bubble to the document; they are kept on the page (window.__cspViolations) and also
# reported to the test, because a navigation throws the page's copy away.
_CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const violation = {
    directive: event.effectiveDirective || event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
    page: document.location.href,
  };
  window.__cspViolations.push(violation);
  if (typeof window.__crisisdeskReportCsp === "function") {
    window.__crisisdeskReportCsp(violation);
  }
}, true);
"""


@dataclass
class BrowserProblems:
    """What went wrong in the browser during a test, as text a failure message can show."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[dict] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.console_errors or self.page_errors or self.csp_violations)

    def report(self) -> str:
        lines = [f"console error: {text}" for text in self.console_errors]
        lines += [f"page error: {text}" for text in self.page_errors]
        lines += [f"CSP violation: {violation}" for violation in self.csp_violations]
        return "\n".join(lines)


@pytest.fixture
def allow_async_unsafe(monkeypatch):
    """Playwright's sync API keeps an asyncio loop in the test thread, and Django refuses
    ORM calls from a thread with a running loop. The test's own ORM calls are ordinary
    synchronous code, so the check is switched off for the test's duration only."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def chromium(allow_async_unsafe):
    """A headless Chromium for one test (launching takes about half a second).

    Function-scoped on purpose: a longer-lived Playwright would leave its event loop in
    the test thread for unrelated tests, and they would need the async check off too.
    """
    if not os.access(CHROMIUM_PATH, os.X_OK):
        message = f"browser tests need Chromium at {CHROMIUM_PATH} (Debian package `chromium`)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM_PATH), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # Django keeps connections in an asgiref Local, which follows the context; inside
        # sync_playwright the test gets its own connection, not pytest-django's. Close it
        # here, in that context, or PostgreSQL cannot drop the test database at the end.
        connections.close_all()


@pytest.fixture
def browser_problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def new_browser_context(chromium, live_server, browser_problems) -> Iterator[Callable]:
    """`new_browser_context(locale="he-IL")` opens a fresh browser profile on the live server.

    `locale` sets navigator.language and the Accept-Language header; `language` also sets
    the language cookie, which wins over the header (LocaleMiddleware's order).
    """
    contexts = []

    def make(*, locale: str = "en-GB", language: str | None = None):
        context = chromium.new_context(
            base_url=live_server.url,
            locale=locale,
            extra_http_headers={"Accept-Language": locale.split("-", maxsplit=1)[0]},
            viewport={"width": 1280, "height": 900},
        )
        contexts.append(context)
        if language:
            context.add_cookies([{"name": LANGUAGE_COOKIE, "value": language, "url": live_server.url}])
        context.expose_function("__crisisdeskReportCsp", record_csp_violation)
        context.add_init_script(_CSP_LISTENER)
        context.on("console", record_console)
        context.on("weberror", lambda web_error: browser_problems.page_errors.append(str(web_error.error)))
        return context

    def record_csp_violation(violation: dict) -> None:
        browser_problems.csp_violations.append(violation)

    def record_console(message) -> None:
        if message.type == "error":
            browser_problems.console_errors.append(f"{message.text} at {message.location}")

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_browser_context):
    """A page in a fresh English-speaking browser profile, for tests that need just one."""
    return new_browser_context().new_page()


def login_through_form(page, *, user, password: str = PERSONA_PASSWORD) -> None:
    """Log `user` in through the real staff login form, with a current TOTP code from
    their confirmed device (see personas.persona_create)."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    code = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift).token()
    page.goto("/staff/login/")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", password)
    page.fill("#id_otp_token", f"{code:0{device.digits}d}")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    if "/staff/login/" in page.url:
        raise AssertionError(f"login as {user.get_username()} failed: {page.locator('main').inner_text()}")


def screenshot(page, name: str) -> Path:
    """A full-page screenshot in SCREENSHOT_DIR, for a person to look at."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
