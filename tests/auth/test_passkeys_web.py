"""Passkeys in the web pages (issue 20): Settings → Passkeys (the API called with the
session cookie and the CSRF header, the list fragment, deleting with a form) and "Sign in
with a passkey" on the login page, which ends in the usual session cookie."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import WebAuthnChallenge
from tests.auth.helpers import API, count
from tests.auth.passkey_device import SoftwareAuthenticator
from tests.conftest import AppFactory
from tests.fixtures.personas import Persona
from tests.fixtures.web import (
    SESSION_COOKIE,
    SignedIn,
    browser,
    form_csrf_token,
    page_csrf_token,
    signed_in_at,
)

BASE_URL = "http://habits.localhost:8080"


@pytest.fixture
async def client(make_client: AppFactory) -> httpx.AsyncClient:
    return await make_client(base_url=BASE_URL)


async def add_passkey(signed: SignedIn, key: SoftwareAuthenticator, name: str) -> dict[str, Any]:
    """What js/passkeys.js does: the API with the session cookie and X-CSRF-Token."""
    headers = {"X-CSRF-Token": signed.token}
    options = await signed.client.post(f"{API}/auth/passkeys/register/options", headers=headers)
    assert options.status_code == 200, options.text
    made = await signed.client.post(
        f"{API}/auth/passkeys/register",
        json={"credential": key.create(options.json()), "name": name},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


async def test_settings_adds_lists_and_deletes_passkeys(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 20: Settings has a Passkeys section; a passkey added there is listed with
    its name and dates, and its Delete form removes it."""
    async for signed in signed_in_at(client, alice, "/settings"):
        page = await signed.page()
        assert 'id="passkeys"' in page
        assert 'hx-get="/settings/passkeys"' in page
        assert "js/passkeys.js" in page
        empty = await signed.client.get("/settings/passkeys", headers={"HX-Request": "true"})
        assert "No passkeys yet." in empty.text
        await add_passkey(signed, SoftwareAuthenticator(origin=BASE_URL), "Kitchen tablet")
        listed = await signed.client.get("/settings/passkeys", headers={"HX-Request": "true"})
        assert "Kitchen tablet" in listed.text
        assert "never used" in listed.text
        action = re.search(r'action="(/settings/passkeys/[^"]+/delete)"', listed.text)
        assert action is not None
        deleted = await signed.client.post(
            action[1], data={"csrf_token": form_csrf_token(listed.text)}
        )
        assert deleted.status_code == 303
        assert deleted.headers["location"] == "/settings#passkeys"
        assert "signs in no more" in await signed.flash(deleted)
        after = await signed.client.get("/settings/passkeys", headers={"HX-Request": "true"})
        assert "Kitchen tablet" not in after.text


async def test_the_api_refuses_a_cookie_call_without_csrf(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """The web's calls to the JSON API need the X-CSRF-Token header (another site cannot
    start a registration in the user's name)."""
    async for signed in signed_in_at(client, alice, "/settings"):
        refused = await signed.client.post(f"{API}/auth/passkeys/register/options")
        assert refused.status_code == 403


async def test_charlie_cannot_delete_alices_passkey_from_settings(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """The delete form with alice's passkey id, posted by charlie: 404, and it stays."""
    async for signed in signed_in_at(client, alice, "/settings"):
        made = await add_passkey(signed, SoftwareAuthenticator(origin=BASE_URL), "Phone")
    async for other in signed_in_at(client, charlie, "/settings"):
        answer = await other.post(f"/settings/passkeys/{made['id']}/delete")
        assert answer.status_code == 404
    listed = await client.get(f"{API}/me/passkeys", headers=alice.headers)
    assert [item["id"] for item in listed.json()["items"]] == [made["id"]]


async def test_login_page_offers_a_passkey(client: httpx.AsyncClient) -> None:
    """Issue 20: the login page has "Sign in with a passkey", hidden until the script
    finds WebAuthn in the browser."""
    page = await client.get("/login")
    assert 'id="passkey-signin" hidden' in page.text
    assert "Sign in with a passkey" in page.text
    assert 'action="/login/passkey"' in page.text


async def sign_in_answer(visitor: httpx.AsyncClient, key: SoftwareAuthenticator) -> str:
    options = await visitor.post(f"{API}/auth/passkeys/login/options", json={})
    assert options.status_code == 200, options.text
    return json.dumps(key.get(options.json()))


async def test_signing_in_with_a_passkey_sets_the_session_cookie(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 20: the login page's passkey answer signs the browser in with the usual
    session cookie and goes where `next` says; Settings opens."""
    key = SoftwareAuthenticator(origin=BASE_URL)
    async for signed in signed_in_at(client, alice, "/settings"):
        await add_passkey(signed, key, "Phone")
    async with browser(client) as visitor:
        token = await page_csrf_token(visitor, "/login")
        answer = await visitor.post(
            "/login/passkey",
            data={
                "credential": await sign_in_answer(visitor, key),
                "next": "/settings",
                "csrf_token": token,
            },
        )
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] in ("/settings", "/onboarding")
        assert visitor.cookies.get(SESSION_COOKIE)
        settings = await visitor.get("/settings")
        assert settings.status_code == 200
        assert alice.email in settings.text
    assert await count(db_session, WebAuthnChallenge) == 0


async def test_a_refused_passkey_shows_the_login_page(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """A key the server does not know: the login page again (401) with the reason, no
    cookie, and the challenge spent."""
    async with browser(client) as visitor:
        token = await page_csrf_token(visitor, "/login")
        answer = await visitor.post(
            "/login/passkey",
            data={
                "credential": await sign_in_answer(visitor, SoftwareAuthenticator(origin=BASE_URL)),
                "csrf_token": token,
            },
        )
        assert answer.status_code == 401
        assert "This passkey was not accepted" in answer.text
        assert not visitor.cookies.get(SESSION_COOKIE)
        garbage = await visitor.post(
            "/login/passkey", data={"credential": "{not json", "csrf_token": token}
        )
        assert garbage.status_code == 422
    assert await count(db_session, WebAuthnChallenge) == 0


async def test_passkey_sign_in_form_needs_csrf(client: httpx.AsyncClient) -> None:
    """The sign-in form is CSRF-checked like /login (no login CSRF)."""
    async with browser(client) as visitor:
        answer = await visitor.post("/login/passkey", data={"credential": "{}"})
        assert answer.status_code == 403
