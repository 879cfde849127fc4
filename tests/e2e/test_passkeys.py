"""Passkeys end to end (issue 20) in Chromium with the DevTools virtual authenticator
(`WebAuthn.addVirtualAuthenticator`: CTAP2, internal, resident keys, user verified):
add a passkey in Settings, sign out, sign in with it from the login page, no password.

WebAuthn wants a domain for the RP ID; an IP address is refused by the browser. The
suite's live server is at 127.0.0.1, so this module runs a server of its own at
http://localhost:<port> with HABITUS_BASE_URL saying so."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import DESKTOP, PASSWORD, Account, Watch, check_page, sign_in
from tests.e2e.shots import shots
from tests.fixtures.database import (
    backend,
    create_postgres_database,
    drop_postgres_database,
    unique_name,
)
from tests.fixtures.live import LiveServer, free_port, habitus_env, live_server


def _run(coroutine: Any) -> Any:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="module")
def localhost_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server whose HABITUS_BASE_URL is http://localhost:<its port>."""
    workdir = tmp_path_factory.mktemp("e2e-passkeys")
    name = None
    if backend() == "postgresql":
        name = unique_name("habitus_e2e_passkeys")
        url = _run(create_postgres_database(name))
    else:
        url = f"sqlite+aiosqlite:///{workdir / 'passkeys.db'}"
    port = free_port()
    env = habitus_env(
        url,
        workdir,
        HABITUS_RATE_LIMIT_ENABLED="false",
        HABITUS_BASE_URL=f"http://localhost:{port}",
    )
    try:
        with live_server(env, workdir, port=port) as server:
            server.base_url = f"http://localhost:{port}"
            yield server
    finally:
        if name is not None:
            _run(drop_postgres_database(name))


@pytest.fixture
def local_watch(localhost_server: LiveServer) -> Watch:
    return Watch(origin=localhost_server.base_url)


@pytest.fixture
def local_context(
    browser: Browser, localhost_server: LiveServer, local_watch: Watch
) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=localhost_server.base_url,
        viewport=DESKTOP,
        locale="en-GB",
        timezone_id="Europe/London",
    )
    context.set_default_timeout(15_000)
    context.on("request", lambda request: local_watch.on_request(request.url))
    context.on("console", lambda message: local_watch.on_console(message.type, message.text))
    yield context
    context.close()
    assert local_watch.foreign_requests == [], "requests left the app's origin"
    assert local_watch.console_errors == [], "the browser console reported errors"


def new_account(server: LiveServer) -> Account:
    email = f"kim-{uuid.uuid4().hex[:8]}@example.org"
    answer = httpx.post(
        f"{server.base_url}/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": "Kim"},
    )
    assert answer.status_code == 201, answer.text
    return Account(email=email, password=PASSWORD, display_name="Kim")


def virtual_authenticator(context: BrowserContext, page: Page) -> tuple[Any, str]:
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def test_add_a_passkey_sign_out_and_sign_in_with_it(
    local_context: BrowserContext, localhost_server: LiveServer
) -> None:
    """Issue 20 Passkeys: register from Settings (named), sign out, sign in with the
    passkey from the login page with no password; the server's list shows it used."""
    page = local_context.new_page()
    page.on("pageerror", lambda error: pytest.fail(f"uncaught page error: {error}"))
    cdp, authenticator = virtual_authenticator(local_context, page)
    account = new_account(localhost_server)
    sign_in(page, account)

    page.goto("/settings#passkeys")
    section = page.locator("#passkeys")
    expect(section.get_by_text("No passkeys yet.")).to_be_visible()
    section.get_by_label("Name of the new passkey").fill("Test laptop")
    section.get_by_role("button", name="Add a passkey").click()
    expect(section.locator(".passkey-row", has_text="Test laptop")).to_be_visible()
    expect(section.locator(".passkey-row")).to_contain_text("never used")
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(stored["credentials"]) == 1
    assert stored["credentials"][0]["isResidentCredential"] is True
    check_page(page)
    shots(page, "passkeys-settings", part="#passkeys")

    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url(re.compile(r"/login"))
    button = page.get_by_role("button", name="Sign in with a passkey")
    expect(button).to_be_visible()
    check_page(page)
    shots(page, "passkeys-login")

    button.click()
    page.wait_for_url(lambda url: "/login" not in url)
    expect(page.get_by_role("button", name="Sign out").first).to_be_attached()
    page.goto("/settings#passkeys")
    expect(section.locator(".passkey-row", has_text="Test laptop")).to_contain_text("last used")
    used = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert used["credentials"][0]["signCount"] >= 1
    shots(page, "passkeys-settings-used", part="#passkeys")


def test_a_browser_without_webauthn_sees_no_passkey_button(
    local_context: BrowserContext, localhost_server: LiveServer
) -> None:
    """Issue 20: the passkey button is hidden where the browser has no
    PublicKeyCredential; the password form is there as always."""
    local_context.add_init_script("delete window.PublicKeyCredential;")
    page = local_context.new_page()
    page.goto("/login")
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_hidden()
