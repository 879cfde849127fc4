"""Issue 11, item 4: every route that checks or hashes a password with Argon2 does it
holding nothing other writers need: neither the process's writer turn (`db.WriterQueue`,
SQLite's one writer) nor a database lock. Each password check or hash below first tries
to write from elsewhere, the way any other request would; it must get through at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from habitus import db
from habitus.auth import service
from habitus.context import AppContext
from habitus.models import User
from tests.fixtures.personas import DEFAULT_PASSWORD, Persona
from tests.fixtures.web import browser, page_csrf_token, web_login

NEW_PASSWORD = "another calm river bank"
# How long the other writer may wait: a held writer turn or lock makes it wait far longer.
PROBE_SECONDS = 1.0


class OtherWriter:
    """Stands in for every other request: takes the process's writer turn and writes in
    a transaction of its own, and notes when it could not within PROBE_SECONDS."""

    def __init__(self, app: FastAPI, engine: AsyncEngine) -> None:
        self.queue: db.WriterQueue = app.state.writer_queue
        self.engine = engine
        self.tries = 0
        self.held_up: list[str] = []

    async def write(self, during: str) -> None:
        self.tries += 1
        try:
            async with asyncio.timeout(PROBE_SECONDS):
                async with self.queue.turn(), self.engine.begin() as connection:
                    await connection.execute(update(User).values(theme=User.theme))
        except (TimeoutError, DBAPIError, db.WriterBusy) as error:
            self.held_up.append(f"{during}: {error!r}")


@pytest.fixture
async def other_writer(
    app: FastAPI, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[OtherWriter]:
    """The app's hasher, made to let another writer try its luck before each hash or check."""
    engine = db.create_engine(database_url, lock_timeout_seconds=PROBE_SECONDS)
    writer = OtherWriter(app, engine)
    ctx: AppContext = app.state.ctx
    real_hash, real_verify = ctx.hasher.hash, ctx.hasher.verify

    async def hash_(password: str) -> str:
        await writer.write("hashing")
        return await real_hash(password)

    async def verify(stored_hash: str | None, password: str) -> bool:
        await writer.write("checking")
        return await real_verify(stored_hash, password)

    monkeypatch.setattr(ctx.hasher, "hash", hash_)
    monkeypatch.setattr(ctx.hasher, "verify", verify)
    yield writer
    await engine.dispose()


async def reset_link_token(app: FastAPI, email: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A reset token for `email`, made through the service (how it arrives is not the point)."""
    links: list[str] = []

    async def keep(*_args: Any, link: str, **_kwargs: Any) -> None:
        links.append(link)

    monkeypatch.setattr(service, "send_password_reset_link", keep)
    async with db.independent_transaction(app.state.sessionmaker) as session:
        await service.request_password_reset(session, app.state.ctx, email=email, ip="198.51.100.1")
    return links[0].rsplit("token=", 1)[1]


Request = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


def api_login(persona: Persona) -> Request:
    return lambda client: client.post(
        "/api/v1/auth/login", json={"email": persona.email, "password": persona.password}
    )


def api_token(persona: Persona) -> Request:
    return lambda client: client.post(
        "/api/v1/auth/token", data={"username": persona.email, "password": persona.password}
    )


def api_register(_persona: Persona) -> Request:
    return lambda client: client.post(
        "/api/v1/auth/register", json={"email": "dora@example.org", "password": NEW_PASSWORD}
    )


def api_delete_me(persona: Persona) -> Request:
    return lambda client: client.request(
        "DELETE", "/api/v1/me", json={"password": persona.password}, headers=persona.headers
    )


API_ROUTES = {
    "POST /api/v1/auth/login": (api_login, 200),
    "POST /api/v1/auth/token": (api_token, 200),
    "POST /api/v1/auth/register": (api_register, 201),
    "DELETE /api/v1/me": (api_delete_me, 204),
}


@pytest.mark.parametrize("route", list(API_ROUTES))
async def test_api_routes_check_passwords_holding_no_writer_turn(
    route: str, client: httpx.AsyncClient, alice: Persona, other_writer: OtherWriter
) -> None:
    """Issue 11, item 4: the API's sign-in, token, sign-up and account deletion check or
    hash the password while any other request can write."""
    make_request, status = API_ROUTES[route]
    response = await make_request(alice)(client)
    assert response.status_code == status, response.text
    assert other_writer.tries >= 1
    assert other_writer.held_up == []


async def test_web_sign_in_and_sign_up_hold_no_writer_turn(
    client: httpx.AsyncClient, alice: Persona, other_writer: OtherWriter
) -> None:
    """Issue 11, item 4: the sign-in and sign-up forms check or hash the password while
    any other request can write."""
    async with browser(client, ip="198.51.100.2") as visitor:
        await web_login(visitor, alice.email, alice.password)
    async with browser(client, ip="198.51.100.3") as newcomer:
        token = await page_csrf_token(newcomer, "/register")
        response = await newcomer.post(
            "/register",
            data={"email": "dora@example.org", "password": NEW_PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 303, response.text
    assert other_writer.tries >= 2
    assert other_writer.held_up == []


async def test_web_account_pages_hold_no_writer_turn(
    client: httpx.AsyncClient,
    alice: Persona,
    app: FastAPI,
    monkeypatch: pytest.MonkeyPatch,
    other_writer: OtherWriter,
) -> None:
    """Issue 11, item 4: changing the password, setting a new one through a reset link
    and deleting the account check or hash it while any other request can write."""
    token = await reset_link_token(app, alice.email, monkeypatch)
    async with browser(client) as browser_:
        await web_login(browser_, alice.email, alice.password)
        changed = await browser_.post(
            "/settings",
            data={
                "section": "password",
                "current_password": alice.password,
                "new_password": NEW_PASSWORD,
                "csrf_token": await page_csrf_token(browser_, "/settings"),
            },
        )
        assert changed.status_code == 303, changed.text
        reset = await browser_.post(
            "/reset",
            data={
                "token": token,
                "new_password": DEFAULT_PASSWORD,
                "csrf_token": await page_csrf_token(browser_, "/settings"),
            },
        )
        assert reset.status_code == 303, reset.text
        deleted = await browser_.post(
            "/settings/delete",
            data={
                "password": DEFAULT_PASSWORD,
                "csrf_token": await page_csrf_token(browser_, "/settings"),
            },
        )
        assert deleted.status_code == 303, deleted.text
    # Signing in, the current password and the new one, the reset, the deletion.
    assert other_writer.tries >= 5
    assert other_writer.held_up == []
