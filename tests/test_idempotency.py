"""Idempotency-Key on POST (API.md "Idempotency"), through POST /api/v1/admin/invites."""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from starlette.requests import Request

from habitus.auth.dependencies import CurrentUser, idempotent
from habitus.errors import AppError
from habitus.http import idempotency
from habitus.http.dependencies import DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import clock
from habitus.main import create_app
from habitus.models import IdempotencyKey, Invite, User
from tests.conftest import settings_for
from tests.fixtures.personas import Persona, login, make_persona

INVITES = "/api/v1/admin/invites"


def _post(
    client: httpx.AsyncClient, persona: Persona, body: dict[str, Any], key: str | None
) -> Any:
    headers = dict(persona.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(INVITES, json=body, headers=headers)


async def _count(session: AsyncSession, model: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _key_row(session: AsyncSession, user_id: uuid.UUID, key: str) -> IdempotencyKey | None:
    session.expire_all()
    return await session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    )


def _fake_request(method: str, path: str) -> Request:
    return Request(
        {
            "type": "http",
            "method": method,
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "scheme": "http",
            "server": ("testserver", 80),
            "query_string": b"",
            "headers": [],
        }
    )


@asynccontextmanager
async def _holding_the_key(
    engine: AsyncEngine, user_id: uuid.UUID, key: str, body: dict[str, Any]
) -> AsyncIterator[AsyncConnection]:
    """A request still running: its transaction has claimed the key and not committed.
    Leaving the block rolls it back (the request crashed)."""
    now = clock.now()
    fingerprint = idempotency.request_fingerprint(
        _fake_request("POST", INVITES), json.dumps(body).encode()
    )
    async with engine.connect() as connection:
        transaction = await connection.begin()
        await connection.execute(
            IdempotencyKey.__table__.insert().values(
                id=uuid.uuid4(),
                user_id=user_id,
                key=key,
                request_hash=fingerprint,
                created_at=now,
                expires_at=now + timedelta(hours=24),
            )
        )
        try:
            yield connection
        finally:
            await transaction.rollback()


async def test_replay_is_byte_for_byte(client, admin, db_session):
    """API.md Idempotency: same key, same body replays status and body, writes nothing again."""
    body = {"note": "for the book club", "expires_in_days": 3}
    first = await _post(client, admin, body, "invite-1")
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers

    second = await _post(client, admin, body, "invite-1")
    assert second.status_code == 201
    assert second.content == first.content
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.headers["x-request-id"] != first.headers["x-request-id"]
    assert await _count(db_session, Invite) == 1

    # Key order and spacing of the JSON do not make it another request.
    respaced = await client.post(
        INVITES,
        content=b'{ "expires_in_days" : 3,  "note": "for the book club" }',
        headers={
            **admin.headers,
            "Idempotency-Key": "invite-1",
            "Content-Type": "application/json",
        },
    )
    assert respaced.status_code == 201
    assert respaced.content == first.content
    assert respaced.headers["idempotent-replayed"] == "true"
    assert await _count(db_session, Invite) == 1

    row = await _key_row(db_session, admin.id, "invite-1")
    assert row is not None
    assert row.response_status == 201
    assert row.response_status == 201


async def test_without_a_key_every_post_runs(client, admin, db_session):
    """API.md Idempotency: the header is optional on this POST; without it each one runs."""
    for _ in range(2):
        response = await _post(client, admin, {"note": "x"}, None)
        assert response.status_code == 201
        assert "idempotent-replayed" not in response.headers
    assert await _count(db_session, Invite) == 2
    assert await _count(db_session, IdempotencyKey) == 0


async def test_other_keys_run_again(client, admin, db_session):
    """API.md Idempotency: a new key is a new request."""
    first = await _post(client, admin, {"note": "x"}, "key-a")
    second = await _post(client, admin, {"note": "x"}, "key-b")
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert await _count(db_session, Invite) == 2


async def test_same_key_different_body_is_422(client, admin, db_session):
    """API.md Idempotency: same key, different body is 422 naming Idempotency-Key."""
    first = await _post(client, admin, {"note": "one"}, "reused")
    assert first.status_code == 201
    second = await _post(client, admin, {"note": "two"}, "reused")
    assert second.status_code == 422
    assert second.headers["content-type"] == "application/problem+json"
    problem = second.json()
    assert problem["status"] == 422
    assert [error["field"] for error in problem["errors"]] == ["Idempotency-Key"]
    assert problem["errors"][0]["location"] == "header"
    assert "idempotent-replayed" not in second.headers
    assert await _count(db_session, Invite) == 1
    # The first answer is still there for the first body.
    third = await _post(client, admin, {"note": "one"}, "reused")
    assert third.content == first.content


async def test_same_key_on_another_path_is_422(client, admin, alice, db_session):
    """API.md Idempotency: a key names one request; reusing it for another POST is 422."""
    first = await _post(client, admin, {}, "one-key")
    assert first.status_code == 201
    other = await client.post(
        f"/api/v1/admin/users/{alice.id}/disable",
        json={},
        headers={**admin.headers, "Idempotency-Key": "one-key"},
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_keys_are_scoped_to_the_user(client, admin, db_session):
    """API.md Idempotency: keys are scoped to the user; another user's same key runs."""
    other = await make_persona(client, "second-admin@example.org")
    await db_session.execute(
        User.__table__.update().where(User.id == other.id).values(is_admin=True)
    )
    await db_session.commit()
    mine = await _post(client, admin, {"note": "x"}, "shared-key")
    theirs = await _post(client, other, {"note": "x"}, "shared-key")
    assert mine.status_code == theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]
    assert await _count(db_session, Invite) == 2


async def test_in_flight_is_409(make_client, admin, engine, db_session):
    """API.md Idempotency: same key while the first request is still in flight is 409
    (once the wait for it, HABITUS_LOCK_TIMEOUT_SECONDS, runs out)."""
    client = await make_client(lock_timeout_seconds=0.5)
    body = {"note": "slow"}
    async with _holding_the_key(engine, admin.id, "busy", body):
        response = await _post(client, admin, body, "busy")
        assert response.status_code == 409
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 409
        assert "Idempotency-Key" in response.json()["detail"]
    assert await _count(db_session, Invite) == 0


async def test_in_flight_with_another_body_is_409_too(make_client, admin, engine, db_session):
    """API.md Idempotency: while the first request runs its body is not known yet: 409."""
    client = await make_client(lock_timeout_seconds=0.5)
    async with _holding_the_key(engine, admin.id, "busy", {"note": "a"}):
        response = await _post(client, admin, {"note": "b"}, "busy")
    assert response.status_code == 409
    assert await _count(db_session, Invite) == 0


async def test_a_crashed_first_request_leaves_nothing_behind(client, admin, engine, db_session):
    """idempotency.py: the key is claimed in the request's own transaction, so a request
    that died rolled its claim back: the retry simply runs."""
    body = {"note": "after a crash"}
    async with _holding_the_key(engine, admin.id, "crashed", body):
        pass  # rolled back: the process died before committing
    response = await _post(client, admin, body, "crashed")
    assert response.status_code == 201, response.text
    assert "idempotent-replayed" not in response.headers
    assert await _count(db_session, Invite) == 1
    row = await _key_row(db_session, admin.id, "crashed")
    assert row is not None
    assert row.response_body == response.content
    replay = await _post(client, admin, body, "crashed")
    assert replay.content == response.content
    assert replay.headers["idempotent-replayed"] == "true"


@pytest.mark.parametrize(
    "key",
    [
        "k" * 256,
        "has space",
        "tab\there",
        "",
    ],
    ids=["256-chars", "space", "tab", "empty"],
)
async def test_malformed_key_is_422(client, admin, db_session, key: str):
    """API.md Idempotency: a key is 1..255 printable ASCII; anything else is 422."""
    response = await _post(client, admin, {"note": "x"}, key)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"][0]["field"] == "Idempotency-Key"
    assert problem["errors"][0]["location"] == "header"
    assert await _count(db_session, Invite) == 0
    assert await _count(db_session, IdempotencyKey) == 0


async def test_longest_and_oddest_allowed_key(client, admin, db_session):
    """API.md Idempotency: 255 printable ASCII characters are a valid key."""
    long_key = "k" * 255
    odd_key = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    for key in (long_key, odd_key):
        first = await _post(client, admin, {"note": key[:10]}, key)
        assert first.status_code == 201, first.text
        replay = await _post(client, admin, {"note": key[:10]}, key)
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.content == first.content
    assert await _count(db_session, Invite) == 2


async def test_failed_validation_releases_the_key(client, admin, db_session):
    """idempotency.py: a request that fails releases its key, so a corrected retry runs."""
    bad = await _post(client, admin, {"expires_in_days": 0}, "retry-me")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "expires_in_days"
    assert await _count(db_session, IdempotencyKey) == 0

    good = await _post(client, admin, {"expires_in_days": 2}, "retry-me")
    assert good.status_code == 201, good.text
    assert "idempotent-replayed" not in good.headers
    assert await _count(db_session, Invite) == 1


async def test_a_refused_request_releases_the_key(client, admin, db_session):
    """idempotency.py: an error raised by the service (admin disabling itself) keeps no key."""
    refused = await client.post(
        f"/api/v1/admin/users/{admin.id}/disable",
        json={"reason": "oops"},
        headers={**admin.headers, "Idempotency-Key": "self"},
    )
    assert refused.status_code == 422
    assert await _count(db_session, IdempotencyKey) == 0


async def test_answers_are_kept_24_hours(frozen_clock, client, admin, db_session):
    """API.md Idempotency: keys are kept at least 24 hours."""
    body = {"note": "kept"}
    first = await _post(client, admin, body, "kept")
    assert first.status_code == 201
    frozen_clock.shift(timedelta(hours=23, minutes=59))
    admin.access_token = (await login(client, admin.email))["access_token"]  # 15 min tokens
    replay = await _post(client, admin, body, "kept")
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == first.content
    row = await _key_row(db_session, admin.id, "kept")
    assert row is not None
    assert row.expires_at - row.created_at >= timedelta(hours=24)
    # Purging now removes nothing; a day and a bit later the key is gone.
    assert await idempotency.purge_expired(db_session) == 0
    frozen_clock.shift(timedelta(minutes=2))
    assert await idempotency.purge_expired(db_session) == 1
    await db_session.commit()
    assert await _count(db_session, Invite) == 1


async def test_concurrent_identical_requests_run_once(client, admin, db_session):
    """API.md Idempotency: 20 concurrent identical requests with one key write one invite."""
    body = {"note": "stampede", "expires_in_days": 5}
    responses = await asyncio.gather(*(_post(client, admin, body, "stampede") for _ in range(20)))
    statuses = [response.status_code for response in responses]
    assert statuses == [201] * 20, [r.text for r in responses if r.status_code != 201]
    assert len({response.content for response in responses}) == 1
    replayed = [response.headers.get("idempotent-replayed") for response in responses]
    assert replayed.count(None) == 1
    assert replayed.count("true") == 19
    assert await _count(db_session, Invite) == 1
    assert await _count(db_session, IdempotencyKey) == 1


async def test_guard_required_without_a_key_is_400():
    """API.md Idempotency: a POST that requires the key answers 400 without it."""
    request = _fake_request("POST", "/api/v1/habits/x/checkins")
    with pytest.raises(AppError) as caught:
        await idempotency.guard(request, uuid.uuid4(), None, required=True)
    error = caught.value
    assert error.status_code == 400
    assert [field.field for field in error.errors] == ["Idempotency-Key"]
    assert error.errors[0].location == "header"
    assert "Idempotency-Key" in error.message


async def test_guard_optional_without_a_key_does_nothing():
    """API.md Idempotency: where the key is optional, no key means no bookkeeping."""
    request = _fake_request("POST", INVITES)
    await idempotency.guard(request, uuid.uuid4(), None, required=False)
    assert getattr(request.state, "idempotency_reservation", None) is None


def test_fingerprint_compares_json_by_content():
    """idempotency.py request_fingerprint: JSON bodies compare by content, not spacing."""
    request = _fake_request("POST", INVITES)
    same = idempotency.request_fingerprint(request, b'{"a": 1, "b": [1, 2]}')
    assert same == idempotency.request_fingerprint(request, b'{"b":[1,2],"a":1}')
    assert same != idempotency.request_fingerprint(request, b'{"a": 2, "b": [1, 2]}')
    assert same != idempotency.request_fingerprint(
        _fake_request("POST", "/api/v1/other"), b'{"a": 1, "b": [1, 2]}'
    )
    assert idempotency.request_fingerprint(request, b"\xff\xfe") != (
        idempotency.request_fingerprint(request, b"\xff\xfd")
    )


async def test_concurrent_requests_with_distinct_keys_all_run(client, admin, db_session):
    """API.md Idempotency: 20 concurrent POSTs with 20 keys are 20 requests, none stuck."""
    responses = await asyncio.gather(
        *(_post(client, admin, {"note": f"n{index}"}, f"key-{index}") for index in range(20))
    )
    assert [response.status_code for response in responses] == [201] * 20
    assert len({response.json()["id"] for response in responses}) == 20
    assert await _count(db_session, Invite) == 20
    assert await _count(db_session, IdempotencyKey) == 20


# --- failures and waiting, on test-only routes ----------------------------------------


@dataclass
class FlakyApp:
    client: httpx.AsyncClient
    attempts: list[int]
    started: asyncio.Event
    gate: asyncio.Event


@pytest.fixture
async def flaky_app(database_url: str, tmp_path: Path) -> AsyncIterator[FlakyApp]:
    """The real app plus idempotent test-only POSTs (added to this app object only)."""
    app = create_app(settings_for(database_url, tmp_path))
    attempts: list[int] = []
    started, gate = asyncio.Event(), asyncio.Event()
    router = APIRouter(prefix="/api/v1/test-only", route_class=TransactionalRoute)

    @router.post("/flaky", status_code=201, dependencies=[idempotent()])
    async def flaky(session: DbSession, user: CurrentUser) -> dict[str, int]:
        """Writes an invite, then fails unexpectedly the first time."""
        attempts.append(len(attempts) + 1)
        session.add(Invite(token_hash=secrets.token_hex(32), expires_at=clock.now()))
        await session.flush()
        if len(attempts) == 1:
            raise RuntimeError("the first attempt breaks")
        return {"attempt": len(attempts)}

    @router.post("/slow", status_code=201, dependencies=[idempotent()])
    async def slow(session: DbSession, user: CurrentUser) -> dict[str, int]:
        """The first call waits for the gate; it writes only after it."""
        attempts.append(len(attempts) + 1)
        mine = len(attempts)
        if mine == 1:
            started.set()
            await gate.wait()
        session.add(Invite(token_hash=secrets.token_hex(32), expires_at=clock.now()))
        await session.flush()
        return {"attempt": mine}

    app.include_router(router)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield FlakyApp(client=client, attempts=attempts, started=started, gate=gate)


async def test_an_unexpected_failure_releases_the_key_and_writes_nothing(flaky_app, db_session):
    """idempotency.py: a handler that raises (500) writes nothing and releases its key."""
    client = flaky_app.client
    user = await make_persona(client, "flaky@example.org")
    headers = {**user.headers, "Idempotency-Key": "try-again"}
    failed = await client.post("/api/v1/test-only/flaky", json={"a": 1}, headers=headers)
    assert failed.status_code == 500
    assert await _count(db_session, Invite) == 0  # the handler's write was rolled back
    assert await _count(db_session, IdempotencyKey) == 0

    retried = await client.post("/api/v1/test-only/flaky", json={"a": 1}, headers=headers)
    assert retried.status_code == 201
    assert retried.json() == {"attempt": 2}
    replayed = await client.post("/api/v1/test-only/flaky", json={"a": 1}, headers=headers)
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.content == retried.content
    assert flaky_app.attempts == [1, 2]
    assert await _count(db_session, Invite) == 1


async def test_a_retry_waits_for_the_first_request_and_replays_it(flaky_app, db_session):
    """API.md Idempotency: a retry sent while the first request still runs waits for it
    (the database holds the claimed key) and answers with its result, run once."""
    client = flaky_app.client
    user = await make_persona(client, "slow@example.org")
    headers = {**user.headers, "Idempotency-Key": "slow-one"}
    first = asyncio.create_task(client.post("/api/v1/test-only/slow", json={}, headers=headers))
    await asyncio.wait_for(flaky_app.started.wait(), timeout=10)
    second = asyncio.create_task(client.post("/api/v1/test-only/slow", json={}, headers=headers))
    await asyncio.sleep(0.3)
    assert not second.done()  # waiting for the first one, not answered yet
    flaky_app.gate.set()
    answered, retried = await first, await second
    assert answered.status_code == 201
    assert answered.json() == {"attempt": 1}
    assert retried.status_code == 201
    assert retried.content == answered.content
    assert retried.headers["idempotent-replayed"] == "true"
    assert flaky_app.attempts == [1]
    assert await _count(db_session, Invite) == 1
