"""Single sign-on in a real browser (issue 20): the login page's "Sign in with <name>"
button, the loopback provider of tests/fixtures/oidc_provider.py, the page that links an
existing account by its password, and Settings → Sign-in methods; 360 px and 1280 px
screenshots. The suite's shared server has no provider configured, so this module runs
a server of its own (SQLite, in a temporary folder)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import DESKTOP, PASSWORD, check_page
from tests.e2e.shots import shots
from tests.fixtures.live import LiveServer, free_port, habitus_env, live_server
from tests.fixtures.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    Person,
    Provider,
    running_provider,
)

PROVIDER_NAME = "Example ID"


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


@pytest.fixture(scope="module")
def sso_server(
    provider: Provider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    workdir: Path = tmp_path_factory.mktemp("e2e-oidc")
    port = free_port()
    env = habitus_env(
        f"sqlite+aiosqlite:///{workdir / 'oidc.db'}",
        workdir,
        HABITUS_RATE_LIMIT_ENABLED="false",
        HABITUS_BASE_URL=f"http://127.0.0.1:{port}",
        HABITUS_OIDC_ISSUER=provider.issuer,
        HABITUS_OIDC_CLIENT_ID=CLIENT_ID,
        HABITUS_OIDC_CLIENT_SECRET=CLIENT_SECRET,
        HABITUS_OIDC_NAME=PROVIDER_NAME,
    )
    with live_server(env, workdir, port=port) as server:
        yield server


@pytest.fixture
def sso_page(browser: Browser, sso_server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(base_url=sso_server.base_url, viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("pageerror", lambda error: pytest.fail(f"uncaught page error: {error}"))
    yield page
    context.close()


def test_an_existing_account_links_its_provider_sign_in(
    sso_page: Page, sso_server: LiveServer, provider: Provider
) -> None:
    """Issue 20 OIDC: "Sign in with Example ID" -> the provider -> the link page asks the
    account's password -> signed in; Settings lists the linked sign-in."""
    page = sso_page
    email = f"robin-{uuid.uuid4().hex[:8]}@example.org"
    made = httpx.post(
        f"{sso_server.base_url}/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": "Robin"},
    )
    assert made.status_code == 201, made.text
    provider.reset(Person(subject="sub-robin", email=email, name="Robin"))

    page.goto("/login")
    button = page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}")
    expect(button).to_be_visible()
    check_page(page)
    shots(page, "login-oidc")
    button.click()
    page.wait_for_url(re.compile(r"/auth/oidc/link$"))
    expect(page.get_by_role("heading", name=f"Link your {PROVIDER_NAME} sign-in")).to_be_visible()
    expect(page.locator("main")).to_contain_text(email)
    check_page(page)
    shots(page, "oidc-link")

    page.get_by_label("Your Habitus password").fill("not the password")
    page.get_by_role("button", name="Link and sign in").click()
    expect(page.locator("#password-error")).to_be_visible()
    shots(page, "oidc-link-wrong-password")
    page.get_by_label("Your Habitus password").fill(PASSWORD)
    page.get_by_role("button", name="Link and sign in").click()
    page.wait_for_url(re.compile(r"/(onboarding|today)$"))

    page.goto("/settings")
    section = page.locator("#sign-ins")
    expect(section).to_be_visible()
    shots(page, "settings-sign-ins", "#sign-ins")
    section.get_by_role("link", name="Sign-in methods").click()
    page.wait_for_url(re.compile(r"/settings/sign-ins$"))
    expect(page.locator(".token-row")).to_contain_text(PROVIDER_NAME)
    check_page(page)
    shots(page, "sign-ins")
