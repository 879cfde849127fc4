"""Browser tests: Playwright driving Debian's Chromium against a live `habitus serve`.

One server per test session (per xdist worker) on a database of its own (SQLite, or
PostgreSQL when HABITUS_TEST_DATABASE=postgresql); every test signs up a user of its own,
so tests never see each other's habits.

Every test's browser context records each request: one that leaves the app's origin
fails the test (issue 4: "no request from any page leaves the app's origin"), and so
does a console error or a CSP violation.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.fixtures.database import (
    backend,
    create_postgres_database,
    drop_postgres_database,
    in_ci,
    unique_name,
)
from tests.fixtures.live import LiveServer, habitus_env, live_server, run_cli

CHROMIUM = os.environ.get("HABITUS_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "correct horse battery staple"
ADMIN_EMAIL = "admin@example.org"
T = TypeVar("T")
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 860}

pytestmark = pytest.mark.e2e
# The environment and folder each live server runs with (for `run_cli` in tests).
SERVER_ENV: dict[str, tuple[dict[str, str], Path]] = {}
AXE_SOURCE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """Overrides the suite's async table wipe: these tests use a server of their own,
    and Playwright's sync API keeps an event loop running in this thread."""


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Runs a coroutine to the end from a sync fixture: pytest-asyncio's session loop
    may be running in this thread, so it gets a thread of its own."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session")
def e2e_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("e2e")
    name = None
    if backend() == "postgresql":
        name = unique_name("habitus_e2e")
        url = _run(create_postgres_database(name))
    else:
        url = f"sqlite+aiosqlite:///{workdir / 'e2e.db'}"
    env = habitus_env(
        url,
        workdir,
        # Tests sign in many times from one address.
        HABITUS_RATE_LIMIT_ENABLED="false",
        # Webhook receivers in tests listen on loopback.
        HABITUS_ALLOW_PRIVATE_TARGETS="true",
    )
    created = run_cli("create-admin", ADMIN_EMAIL, "--password", PASSWORD, env=env, cwd=workdir)
    assert created.returncode == 0, created.stdout + created.stderr
    try:
        with live_server(env, workdir) as server:
            SERVER_ENV[server.base_url] = (env, workdir)
            yield server
    finally:
        if name is not None:
            _run(drop_postgres_database(name))


@dataclass
class _Running:
    """The browser of the browser tests running one after another in this worker."""

    playwright: Playwright | None = None
    browser: Browser | None = None

    def start(self, chromium_path: str) -> Browser:
        if self.browser is not None and self.browser.is_connected():
            return self.browser
        self.stop()
        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=["--no-sandbox"]
        )
        return self.browser

    def stop(self) -> None:
        browser, playwright = self.browser, self.playwright
        self.browser = self.playwright = None
        try:
            if browser is not None and browser.is_connected():
                browser.close()
        finally:
            if playwright is not None:
                playwright.stop()


_RUNNING = _Running()
_NEXT_IS_E2E: dict[str, bool] = {}


def _is_e2e(item: pytest.Item | None) -> bool:
    return item is not None and "tests/e2e/" in str(item.path).replace(os.sep, "/")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Before this test's fixtures are torn down: is the worker's next test a browser
    test too (then `browser` keeps Chromium running for it)?"""
    _NEXT_IS_E2E[item.nodeid] = _is_e2e(nextitem)


@pytest.fixture
def browser(chromium_path: str, request: pytest.FixtureRequest) -> Iterator[Browser]:
    """Chromium, shared by the browser tests that run one after another in a worker
    (launching it took ~2 s a test); each test has browser contexts of its own, so no
    cookie, storage or service worker passes from one test to the next. Playwright's
    sync API leaves its event loop marked as running in this thread until it stops, and
    the suite's async tests that run next in the same worker need that thread free: so
    it stops after the last browser test of a run, before any other test starts."""
    yield _RUNNING.start(chromium_path)
    if not _NEXT_IS_E2E.pop(request.node.nodeid, False):
        _RUNNING.stop()


@dataclass
class Watch:
    """What a browser context did that a test must not allow."""

    origin: str
    foreign_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def on_request(self, url: str) -> None:
        if url.startswith(("data:", "blob:", "about:")):
            return
        if not url.startswith(self.origin + "/") and url != self.origin:
            self.foreign_requests.append(url)

    def on_console(self, kind: str, text: str) -> None:
        # The browser logs failed requests while the test has the network switched off,
        # and every 4xx answer (a 422 form, a 404 page), which are the app's to give.
        if kind != "error" or "net::ERR_INTERNET_DISCONNECTED" in text:
            return
        if re.search(r"responded with a status of 4\d\d", text):
            return
        # ReDoc's bundle always draws its logo from cdn.redoc.ly; the page's CSP blocks
        # it (nothing leaves the origin: `foreign_requests` stays empty) and Chromium
        # reports the block, sooner or later after the spec has rendered.
        if "cdn.redoc.ly" in text and "Content Security Policy" in text:
            return
        self.console_errors.append(text)


@pytest.fixture
def watch(e2e_server: LiveServer) -> Watch:
    return Watch(origin=e2e_server.base_url)


@pytest.fixture
def context(browser: Browser, e2e_server: LiveServer, watch: Watch) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=e2e_server.base_url,
        viewport=DESKTOP,
        locale="en-GB",
        timezone_id="Europe/London",
        service_workers="allow",
    )
    context.set_default_timeout(10_000)
    context.on("request", lambda request: watch.on_request(request.url))
    context.on("console", lambda message: watch.on_console(message.type, message.text))
    yield context
    context.close()
    assert watch.foreign_requests == [], "requests left the app's origin"
    assert watch.console_errors == [], "the browser console reported errors"


@pytest.fixture
def page(context: BrowserContext) -> Page:
    page = context.new_page()
    page.on("pageerror", lambda error: pytest.fail(f"uncaught page error: {error}"))
    return page


@dataclass
class Account:
    email: str
    password: str
    display_name: str


@pytest.fixture
def new_account(e2e_server: LiveServer) -> Callable[..., Account]:
    """Registers an account through the API (fast); the test signs in through the page."""

    def make(display_name: str = "Robin", timezone: str = "Europe/London") -> Account:
        email = f"{display_name.lower()}-{uuid.uuid4().hex[:8]}@example.org"
        answer = httpx.post(
            f"{e2e_server.base_url}/api/v1/auth/register",
            json={
                "email": email,
                "password": PASSWORD,
                "display_name": display_name,
                "timezone": timezone,
            },
        )
        assert answer.status_code == 201, answer.text
        return Account(email=email, password=PASSWORD, display_name=display_name)

    return make


def sign_in(page: Page, account: Account, *, finish_onboarding: bool = True) -> None:
    """Signs in through the form; skips onboarding unless the test is about it."""
    page.goto("/login")
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_load_state()
    if finish_onboarding and re.search(r"/onboarding", page.url):
        page.locator("#onboarding-skip").click()
        page.wait_for_url(re.compile(r"/today"))


@pytest.fixture
def signed_in(page: Page, new_account: Callable[..., Account]) -> Account:
    """A fresh account, signed in, past onboarding, on any page."""
    account = new_account()
    sign_in(page, account)
    return account


def screenshot(page: Page, name: str) -> None:
    """Saves the current page at phone and desktop size (CI artifacts, git-ignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    original = page.viewport_size or DESKTOP
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(original)


def api_token(server: LiveServer, account: Account) -> str:
    answer = httpx.post(
        f"{server.base_url}/api/v1/auth/login",
        json={"email": account.email, "password": account.password},
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def api(server: LiveServer, account: Account) -> httpx.Client:
    """An API client for the same account, to set up data or check the server's view."""
    return httpx.Client(
        base_url=f"{server.base_url}/api/v1",
        headers={"Authorization": f"Bearer {api_token(server, account)}"},
    )


def cli(server: LiveServer, *args: str) -> None:
    """Runs `habitus <args>` against the live server's database."""
    env, workdir = SERVER_ENV[server.base_url]
    done = run_cli(*args, env=env, cwd=workdir)
    assert done.returncode == 0, done.stdout + done.stderr


def _axe_source() -> str:
    if not AXE_SOURCE.exists():
        pytest.fail(f"{AXE_SOURCE} is missing: run `npm ci` (package.json devDependencies)")
    return AXE_SOURCE.read_text(encoding="utf-8")


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of these impacts on the page as it is now, one line each.
    axe comes from node_modules (never a CDN) and runs through the DevTools protocol, so
    the page's CSP (script-src 'self') stays as it is."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    found: list[dict[str, Any]] = page.evaluate(
        """async (impacts) => {
            const result = await axe.run(document, { resultTypes: ["violations"] });
            return result.violations
                .filter((v) => impacts.includes(v.impact))
                .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                               targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
        }""",
        list(impacts),
    )
    return [f"{v['impact']} {v['id']} ({v['help']}): {', '.join(v['targets'])}" for v in found]


# The widest culprits: elements past the right edge whose parent is not.
OVERFLOW_SCRIPT = r"""() => {
    const root = document.documentElement;
    if (root.scrollWidth <= root.clientWidth) return null;
    const limit = root.clientWidth + 1;
    const past = (el) => el && el.getBoundingClientRect().right > limit;
    const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
        (typeof el.className === "string" && el.className.trim()
            ? "." + el.className.trim().split(/\s+/).join(".") : "");
    const wide = [...document.querySelectorAll("body *")]
        .filter((el) => past(el) && !past(el.parentElement)).slice(0, 3).map(name);
    return { scroll: root.scrollWidth, client: root.clientWidth, wide };
}"""


def horizontal_overflow(page: Page) -> str | None:
    """None, or how far the page is wider than the window and what sticks out."""
    result: dict[str, Any] = page.evaluate(OVERFLOW_SCRIPT)
    if result is None:
        return None
    return f"{result['scroll']} px wide in {result['client']} px: {', '.join(result['wide'])}"


def page_problems(page: Page, *, axe: bool = True) -> list[str]:
    """What check_page refuses on the page as it is now (empty when it passes)."""
    problems = []
    if (overflow := horizontal_overflow(page)) is not None:
        problems.append("horizontal overflow: " + overflow)
    if axe:
        problems.extend(axe_violations(page))
    return problems


def check_page(page: Page, *, axe: bool = True) -> None:
    """Issue 13, on every page: nothing wider than the window
    (`scrollWidth <= clientWidth`) and no serious or critical axe-core violation.
    `axe=False` for third-party pages (Swagger UI, ReDoc) that are not ours to fix."""
    problems = page_problems(page, axe=axe)
    assert problems == [], f"{page.url}: " + "; ".join(problems)


def go_to_place(page: Page, name: str) -> None:
    """Follow one of the header's places (Coach, Insights, Analytics, Health ...), as a
    person does: on a phone they sit under "More", which opens first."""
    toggle = page.locator(".places-toggle")
    if toggle.is_visible():
        toggle.click()
    page.get_by_role("link", name=name, exact=True).click()
