"""The writer turn taken late (db.prepares_before_writing / db.start_writing), issue 11
items 2 and 4: slow work before a request's first write (Argon2, parsing an upload) must
not hold up every other writer of the process on SQLite."""

from __future__ import annotations

import asyncio
import time
import uuid

from fastapi import FastAPI, Request
from sqlalchemy import update

from habitus import db
from habitus.http.routing import TransactionalRoute
from habitus.models import User

SLOW_SECONDS = 0.6


def _add_routes(app: FastAPI, user_id: uuid.UUID) -> None:
    @db.prepares_before_writing
    async def slow_then_write(request: Request) -> dict[str, str]:
        session = db.request_session(request)
        await session.get(User, user_id)  # a read before the turn is fine
        await asyncio.sleep(SLOW_SECONDS)  # the slow part, holding nothing
        await db.start_writing(session)
        await session.execute(update(User).where(User.id == user_id).values(display_name="A"))
        return {"ok": "yes"}

    @db.prepares_before_writing
    async def forgets_the_turn(request: Request) -> dict[str, str]:
        session = db.request_session(request)
        await session.execute(update(User).where(User.id == user_id).values(display_name="B"))
        return {"ok": "no"}

    async def quick_write(request: Request) -> dict[str, str]:
        session = db.request_session(request)
        await session.execute(update(User).where(User.id == user_id).values(display_name="C"))
        return {"ok": "yes"}

    for path, endpoint in (
        ("/test/slow", slow_then_write),
        ("/test/forgets", forgets_the_turn),
        ("/test/quick", quick_write),
    ):
        app.router.add_api_route(
            path, endpoint, methods=["POST"], route_class_override=TransactionalRoute
        )


async def test_slow_preparation_does_not_hold_other_writers(client, app, alice):
    """Issue 11 items 2 and 4: while a request prepares (0.6 s) before writing, another
    request's write completes at once; then the slow one writes too."""
    _add_routes(app, alice.id)
    slow = asyncio.create_task(client.post("/test/slow"))
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    quick = await client.post("/test/quick")
    waited = time.perf_counter() - started
    assert quick.status_code == 200
    assert waited < SLOW_SECONDS / 2, f"the quick write waited {waited:.2f} s"
    assert (await slow).status_code == 200


async def test_a_write_before_start_writing_is_a_programming_error(client, app, alice):
    """Issue 11 items 2 and 4: a route that defers its turn and writes without taking it
    fails loudly in tests (it would hold SQLite's lock through the slow part)."""
    _add_routes(app, alice.id)
    response = await client.post("/test/forgets")
    assert response.status_code == 500
    me = await client.get("/api/v1/me", headers=alice.headers)
    assert me.json()["display_name"] == "Alice"
