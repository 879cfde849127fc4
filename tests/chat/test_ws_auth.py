"""Issue 16, "Auth on the socket": the cookie session only from our own origin, or an
access token in the first frame within 5 s; otherwise 4401. A disabled user's sockets
close at once. Real sockets (tests/chat/ws_support.py)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from fastapi import FastAPI

from habitus.chat import ws as chat_ws
from tests.chat.ws_support import close_code, next_frame, served, socket
from tests.fixtures.personas import DEFAULT_PASSWORD, Persona
from tests.fixtures.web import SESSION_COOKIE, web_login


async def _cookie(client: httpx.AsyncClient, persona: Persona) -> str:
    await web_login(client, persona.email, DEFAULT_PASSWORD)
    cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie
    return cookie


async def test_a_token_in_the_first_frame_signs_in(app: FastAPI, alice: Persona) -> None:
    """API.md Chat: a first frame {"type": "auth", "token"} opens the socket."""
    async with served(app) as base, socket(base, token=alice.access_token) as ws:
        await ws.send(json.dumps({"type": "ping"}))
        assert (await next_frame(ws))["type"] == "pong"


async def test_no_credentials_close_4401_after_the_wait(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: nothing within the wait (5 s; shortened here) closes with 4401."""
    monkeypatch.setattr(chat_ws, "AUTH_TIMEOUT_SECONDS", 0.3)
    async with served(app) as base, socket(base, expect_ready=False) as ws:
        assert await close_code(ws) == 4401


async def test_a_bad_token_closes_4401(app: FastAPI) -> None:
    """Issue 16: an invalid access token is no sign-in."""
    async with served(app) as base, socket(base, token="not-a-token", expect_ready=False) as ws:
        assert await close_code(ws) == 4401


async def test_a_first_frame_that_is_not_auth_closes_4401(app: FastAPI, alice: Persona) -> None:
    async with served(app) as base, socket(base, expect_ready=False) as ws:
        await ws.send(json.dumps({"type": "send", "body": "hi"}))
        assert await close_code(ws) == 4401


async def test_the_session_cookie_from_our_own_origin_signs_in(
    app: FastAPI, client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 16: the web app's socket uses the cookie session (same origin)."""
    cookie = await _cookie(client, alice)
    async with served(app) as base:
        origin = base.replace("ws://", "http://")
        async with socket(base, cookie=cookie, origin=origin) as ws:
            await ws.send(json.dumps({"type": "ping"}))
            assert (await next_frame(ws))["type"] == "pong"


async def test_a_cross_site_page_cannot_use_the_cookie(
    app: FastAPI, client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 16: a page on another site opening a socket with the user's cookie
    (cross-site WebSocket hijacking) is closed with 4403 before anything is said."""
    cookie = await _cookie(client, alice)
    async with (
        served(app) as base,
        socket(base, cookie=cookie, origin="https://evil.example", expect_ready=False) as ws,
    ):
        assert await close_code(ws) == 4403


async def test_an_ended_web_session_does_not_sign_in(
    app: FastAPI, client: httpx.AsyncClient, alice: Persona, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cookie of a sign-in that ended is no sign-in: 4401 (after the wait for a token)."""
    monkeypatch.setattr(chat_ws, "AUTH_TIMEOUT_SECONDS", 0.3)
    async with served(app) as base, socket(base, cookie="stale-value", expect_ready=False) as ws:
        assert await close_code(ws) == 4401


async def test_disabling_the_account_closes_its_sockets_at_once(
    app: FastAPI, client: httpx.AsyncClient, alice: Persona, admin: Persona
) -> None:
    """Issue 16: "A disabled user's sockets are closed at once": the admin's disable is
    announced on the user's channel; every open socket of the user closes with 4401
    well before the periodic re-check (30 s) would notice."""
    async with (
        served(app) as base,
        socket(base, token=alice.access_token) as first,
        socket(base, token=alice.access_token) as second,
    ):
        response = await client.post(
            f"/api/v1/admin/users/{alice.id}/disable",
            json={"reason": "spam"},
            headers=admin.headers,
        )
        assert response.status_code == 200, response.text
        codes = await asyncio.gather(close_code(first, wait=2), close_code(second, wait=2))
        assert codes == [4401, 4401]


async def test_a_disabled_account_cannot_open_a_socket(
    app: FastAPI, client: httpx.AsyncClient, alice: Persona, admin: Persona
) -> None:
    response = await client.post(
        f"/api/v1/admin/users/{alice.id}/disable", json={"reason": "spam"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    async with (
        served(app) as base,
        socket(base, token=alice.access_token, expect_ready=False) as ws,
    ):
        assert await close_code(ws) == 4401


async def test_a_sign_in_ended_elsewhere_closes_on_the_next_frame(
    app: FastAPI, alice: Persona
) -> None:
    """Issue 16: a sign-in ended without a chat event (signed out everywhere from the
    sessions page) is noticed on the socket's next frame: 4401, nothing answered."""
    from habitus import db
    from habitus.auth import repository
    from habitus.kit import clock

    async with served(app) as base, socket(base, token=alice.access_token) as ws:
        async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as s:
            await repository.revoke_user_sessions(s, alice.id, now=clock.now(), reason="test")
        await ws.send(json.dumps({"type": "ping"}))
        assert await close_code(ws) == 4401
