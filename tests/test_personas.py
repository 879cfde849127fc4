"""The suite's personas are made through the auth services (tests/fixtures/personas.py
`create_persona`); tests about signing up and in make them over HTTP (`make_persona`).
Both ways must give the same account, the same sign-in and tokens that work alike."""

from __future__ import annotations

from typing import Any

import httpx
import time_machine
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import AuthSession, RefreshToken, User
from tests.fixtures.personas import Persona, create_persona, login, make_persona

API = "/api/v1"
# Differ between any two accounts (or sign-ins), however they were made.
OWN = {"id", "email", "email_key", "password_hash", "user_id", "session_id", "token_hash"}


def columns(row: Any) -> dict[str, Any]:
    return {
        column.key: getattr(row, column.key)
        for column in row.__table__.columns
        if column.key not in OWN
    }


async def rows_of(session: AsyncSession, persona: Persona) -> list[dict[str, Any]]:
    user = await session.get(User, persona.id)
    assert user is not None
    sessions = (
        await session.scalars(select(AuthSession).where(AuthSession.user_id == persona.id))
    ).all()
    tokens = (
        await session.scalars(select(RefreshToken).where(RefreshToken.user_id == persona.id))
    ).all()
    assert len(sessions) == len(tokens) == 1
    return [columns(user), columns(sessions[0]), columns(tokens[0])]


async def test_personas_made_over_http_and_through_the_services_are_alike(
    client: httpx.AsyncClient,
    app: FastAPI,
    db_session: AsyncSession,
    frozen_clock: time_machine.Coordinates,
) -> None:
    over_http = await make_persona(client, "dora@example.org", display_name="Dora")
    direct = await create_persona(app, "erin@example.org", display_name="Dora")

    # The same rows: the account (last sign-in included), its sign-in and refresh token.
    assert await rows_of(db_session, direct) == await rows_of(db_session, over_http)
    # The same answers to the same requests.
    answers = []
    for persona in (over_http, direct):
        me = await client.get(f"{API}/me", headers=persona.headers)
        assert me.status_code == 200, me.text
        assert me.json()["id"] == str(persona.id)
        assert me.json()["email"] == persona.email
        answers.append({k: v for k, v in me.json().items() if k not in ("id", "email")})
    assert answers[0] == answers[1]
    for persona in (over_http, direct):
        # The password signs in over HTTP, and the refresh token rotates once.
        await login(client, persona.email, persona.password)
        body = {"refresh_token": persona.refresh_token}
        assert (await client.post(f"{API}/auth/refresh", json=body)).status_code == 200
        assert (await client.post(f"{API}/auth/refresh", json=body)).status_code == 401


async def test_the_suite_personas_sign_in_over_http(
    client: httpx.AsyncClient, alice: Persona, bob: Persona
) -> None:
    """alice and bob (made through the services) are accounts like any other: their
    passwords sign in through the API and their tokens are theirs alone."""
    for persona in (alice, bob):
        tokens = await login(client, persona.email, persona.password)
        me = await client.get(
            f"{API}/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        assert me.json()["id"] == str(persona.id)
        assert (await client.get(f"{API}/me", headers=persona.headers)).json()["id"] == str(
            persona.id
        )
