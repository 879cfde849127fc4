"""Issue 11, item 4: a flood of sign-ins does not stall everyone else's writes.

On SQLite the process's writers take turns (`db.WriterQueue`). A sign-in that checked
its password with Argon2 while holding that turn made every other writer wait for every
queued check: 64 parallel logins took a bystander's check-in to 10 s, and some to 503.
These tests use the real Argon2 cost, the one production runs with.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx
import pytest

from habitus.context import AppContext
from tests.conftest import AppFactory
from tests.fixtures.database import backend
from tests.fixtures.personas import DEFAULT_PASSWORD, Persona, make_persona
from tests.habits.helpers import check_in, create_habit

# RFC 9106's second recommendation, the defaults of `Settings` (tests/conftest.py lowers them).
REAL_ARGON2: dict[str, Any] = {
    "argon2_time_cost": 3,
    "argon2_memory_kib": 65536,
    "argon2_parallelism": 4,
}
PARALLEL_LOGINS = 16

pytestmark = pytest.mark.skipif(
    backend() != "sqlite", reason="SQLite's single writer is what a slow sign-in held"
)


def app_context(client: httpx.AsyncClient) -> AppContext:
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    ctx: AppContext = transport.app.state.ctx  # type: ignore[attr-defined]
    return ctx


async def one_argon2_check(ctx: AppContext) -> float:
    """Seconds one password check takes on this machine right now (the better of two)."""
    stored = await ctx.hasher.hash(DEFAULT_PASSWORD)
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        assert await ctx.hasher.verify(stored, DEFAULT_PASSWORD)
        timings.append(time.perf_counter() - started)
    return min(timings)


async def bystander_writes(
    client: httpx.AsyncClient, bob: Persona, habit_id: str, until: asyncio.Event
) -> list[tuple[int, float]]:
    """Bob checks in again and again while the flood lasts: (status, seconds) of each."""
    answers: list[tuple[int, float]] = []
    while not until.is_set():
        started = time.perf_counter()
        response = await check_in(client, bob, habit_id, value=1)
        answers.append((response.status_code, time.perf_counter() - started))
        await asyncio.sleep(0.02)
    return answers


async def test_a_login_flood_leaves_other_writers_their_turn(make_client: AppFactory) -> None:
    """Issue 11, item 4: while many people sign in at once (real Argon2 cost), another
    user's check-ins keep going: none refused, none slower than about two password checks
    (the password is checked outside the writer turn; the sign-in's write is short)."""
    client = await make_client(**REAL_ARGON2)
    alice = await make_persona(client, "alice@example.org")
    bob = await make_persona(client, "bob@example.org")
    habit = await create_habit(client, bob, kind="measurable", target={"value": 1000})
    argon2_seconds = await one_argon2_check(app_context(client))

    flood_over = asyncio.Event()

    async def flood() -> list[httpx.Response]:
        try:
            return await asyncio.gather(
                *(
                    client.post(
                        "/api/v1/auth/login",
                        json={"email": alice.email, "password": alice.password},
                    )
                    for _ in range(PARALLEL_LOGINS)
                )
            )
        finally:
            flood_over.set()

    flooding = asyncio.create_task(flood())
    await asyncio.sleep(0.05)  # the logins are under way: bob writes in their midst
    bystander = await bystander_writes(client, bob, habit["id"], flood_over)
    logins = await flooding

    statuses = [status for status, _ in bystander]
    assert statuses == [201] * len(statuses)
    seconds = sorted(elapsed for _, elapsed in bystander)
    slowest_allowed = max(1.0, 2 * argon2_seconds)
    assert statistics.median(seconds) < slowest_allowed / 2, (argon2_seconds, seconds)
    assert seconds[-1] < slowest_allowed, (argon2_seconds, seconds)
    assert len(seconds) >= 3, "the flood was over before bob could write much"
    assert [response.status_code for response in logins] == [200] * PARALLEL_LOGINS
