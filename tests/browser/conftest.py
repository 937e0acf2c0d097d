"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

`playwright install` cannot download browsers here, so we launch the system Chromium (the
`chromium_path` fixture: skip without it, fail under REQUIRE_SERVICES=1). One browser per test
module, a fresh context (cookies, storage) per test.

Every page a test opens is watched: an uncaught JavaScript error, a 5xx response or anything the
Content-Security-Policy blocked fails the test at teardown, even if the assertions about the page
happened to pass.
"""

import os

import pytest
from django.conf import settings
from django.test import Client as DjangoClient

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Short enough that a missing element fails fast, long enough for an evaluation on commit.
TIMEOUT_MS = 5_000
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(config, items):
    """Screenshots write into docs/: only when asked (`make screenshots`, SCREENSHOTS=1)."""
    if os.environ.get("SCREENSHOTS") == "1":
        return
    skip = pytest.mark.skip(reason="regenerates docs/screenshots: run `make screenshots`")
    for item in items:
        if "screenshots" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def playwright_instance():
    """Playwright's sync API keeps an asyncio loop running in this thread while it is started,
    and Django refuses ORM calls from a thread with a running loop unless told it is safe (it is:
    the loop is idle while a test queries). So: the permission only while Playwright runs, and
    Playwright only for a module of browser tests, never under the rest of the suite."""
    from playwright.sync_api import sync_playwright

    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            yield p
    finally:
        if saved is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


@pytest.fixture(scope="module")
def browser(chromium_path, playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


# Reported to the console by every page the tests open (before any script of the page runs).
REPORT_CSP_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (e) =>
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
                + ` at ${e.sourceFile}:${e.lineNumber}`));"""


class PageProblems:
    """What went wrong in the browser while a test ran: JS errors, 5xx responses, anything the
    Content-Security-Policy blocked."""

    def __init__(self):
        self.errors: list[str] = []

    def watch(self, page):
        page.add_init_script(REPORT_CSP_VIOLATIONS)
        page.on("pageerror", lambda exc: self.errors.append(f"JavaScript error: {exc}"))
        page.on(
            "response",
            lambda r: r.status >= 500 and self.errors.append(f"{r.status} from {r.url}"),
        )
        page.on("console", self.console)

    def console(self, message):
        text = message.text
        if "CSP violation" in text or "Content Security Policy" in text:
            self.errors.append(f"{text} (on {message.location.get('url')})")


@pytest.fixture
def new_page(browser, live_server):
    """Open pages in a fresh browser context: `new_page()`, `new_page(viewport=PHONE)`."""
    contexts, problems = [], PageProblems()

    def open_page(viewport=DESKTOP, cookies=(), **options):
        """`options` for the browser context: timezone_id="America/St_Johns",
        java_script_enabled=False…"""
        context = browser.new_context(
            viewport=viewport,
            base_url=live_server.url,
            **{"locale": "en-GB", "timezone_id": "UTC", **options},
        )
        context.set_default_timeout(TIMEOUT_MS)
        if cookies:
            context.add_cookies(list(cookies))
        contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not problems.errors, "the browser saw problems:\n" + "\n".join(problems.errors)


def session_cookie(user, live_server) -> dict:
    """A session cookie for `user`, made the way Django's test client logs in."""
    client = DjangoClient()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


@pytest.fixture
def anonymous_page(new_page):
    return new_page()


@pytest.fixture
def page(new_page, user, profile, live_server):
    """Alice (Berlin, Mon–Fri 09–17) signed in, at desktop width. Logging in through the form
    is tested once, in test_login.py; here the session cookie is set directly (faster)."""
    return new_page(cookies=[session_cookie(user, live_server)])


@pytest.fixture
def login(live_server):
    """Log a page in through the real login form."""

    def log_in(page, username, password):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")

    return log_in
