"""Idempotency and exact sums under concurrency (API.md "Idempotency", DOMAIN.md D4.4).

Requests run concurrently through the ASGI client (one event loop, but every request on
its own database connection, so the database sees them interleaved); on PostgreSQL one
more test drives a multi-process `habitus serve` from threads.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from habitus.events import service as events_service
from habitus.models import Entry, Event, IdempotencyKey
from tests.conftest import REDIS_URL, TEST_SECRET
from tests.fixtures.database import backend
from tests.fixtures.live import habitus_env
from tests.habits.helpers import (
    API,
    check_in,
    count,
    create_habit,
    delete_entry,
    entry_put,
    error_fields,
    get_habit,
    problem,
)


async def test_fifty_identical_check_ins_write_one_entry(client, alice, db_session):
    """API.md Idempotency / D4.4: 50 concurrent identical check-ins: one entry, 50 same answers."""
    habit = await create_habit(client, alice, kind="measurable", target={"value": 3})
    responses = await asyncio.gather(
        *(check_in(client, alice, habit["id"], key="stampede", value=2) for _ in range(50))
    )
    statuses = [response.status_code for response in responses]
    assert statuses == [201] * 50, [r.text for r in responses if r.status_code != 201][:3]
    assert len({response.content for response in responses}) == 1
    replayed = [response.headers.get("idempotent-replayed") for response in responses]
    assert replayed.count(None) == 1
    assert replayed.count("true") == 49
    assert await count(db_session, Entry) == 1
    assert await count(db_session, IdempotencyKey) == 1
    assert await count(db_session, Event, Event.kind == "habit_logged") == 1
    assert (await get_habit(client, alice, habit["id"]))["today"]["value"] == 2.0


async def test_the_same_key_with_another_body_is_422_even_in_a_crowd(client, alice, db_session):
    """API.md Idempotency: a key reused with another body is 422, while the first one wins."""
    habit = await create_habit(client, alice, kind="measurable", target={"value": 3})
    first, *others = await asyncio.gather(
        check_in(client, alice, habit["id"], key="mixed", value=1),
        *(check_in(client, alice, habit["id"], key="mixed", value=1) for _ in range(9)),
    )
    assert first.status_code == 201
    assert {response.status_code for response in others} == {201}
    different = await asyncio.gather(
        *(check_in(client, alice, habit["id"], key="mixed", value=7) for _ in range(10))
    )
    for response in different:
        assert error_fields(problem(response, 422)) == ["Idempotency-Key"]
    assert (await get_habit(client, alice, habit["id"]))["today"]["value"] == 1.0
    assert await count(db_session, Entry) == 1


async def test_twenty_concurrent_check_ins_add_up_exactly(client, alice, db_session):
    """D4.4 / N8: 20 concurrent check-ins of 1.5 with different keys add up to exactly 30."""
    habit = await create_habit(client, alice, kind="measurable", target={"value": 30})
    responses = await asyncio.gather(
        *(check_in(client, alice, habit["id"], key=f"add-{n}", value=1.5) for n in range(20))
    )
    assert [response.status_code for response in responses] == [201] * 20, [
        r.text for r in responses if r.status_code != 201
    ][:3]
    values = sorted(response.json()["entry"]["value"] for response in responses)
    assert values == [1.5 * n for n in range(1, 21)]  # each saw the ones before it
    rows = list(await db_session.scalars(select(Entry)))
    await db_session.commit()
    assert [row.value for row in rows] == [30.0]
    assert await count(db_session, Event, Event.kind == "habit_logged") == 20
    # Exactly one of them completed the day.
    assert await count(db_session, Event, Event.kind == "day_completed") == 1
    assert await count(db_session, Event, Event.kind == "streak_extended") == 1
    habit = await get_habit(client, alice, habit["id"])
    assert habit["today"]["status"] == "done"
    assert habit["streak"]["current"] == 1


async def test_concurrent_writes_to_many_habits_all_land(client, alice, db_session):
    """D4.1: concurrent writes to different habits of one user neither block nor get lost."""
    habits = [
        await create_habit(client, alice, name=f"H{n}", start_date="2026-11-19") for n in range(5)
    ]
    calls = []
    for habit in habits:
        for day in ("2026-11-19", "2026-11-20"):
            calls.append(check_in(client, alice, habit["id"], date=day))
        calls.append(
            client.put(
                f"{API}/habits/{habit['id']}/entries/2026-11-21",
                json={"status": "done"},
                headers=alice.headers,
            )
        )
    responses = await asyncio.gather(*calls)
    assert all(response.status_code in (200, 201) for response in responses), [
        r.text for r in responses if r.status_code not in (200, 201)
    ][:3]
    assert await count(db_session, Entry) == 15
    for habit in habits:
        assert (await get_habit(client, alice, habit["id"]))["streak"]["current"] == 3


async def test_deleting_a_habit_while_checking_in(client, alice, db_session):
    """D2.4 / D4.1: check-ins racing a delete either land before it or find no habit (404);
    nothing of the habit is left behind and nothing fails."""
    habit = await create_habit(client, alice, kind="measurable", target={"value": 5})
    calls = [check_in(client, alice, habit["id"], value=1) for _ in range(10)]
    calls.insert(5, client.delete(f"{API}/habits/{habit['id']}", headers=alice.headers))
    responses = await asyncio.gather(*calls)
    assert responses[5].status_code == 204
    statuses = [response.status_code for n, response in enumerate(responses) if n != 5]
    assert set(statuses) <= {201, 404}, [r.text for r in responses if r.status_code >= 500]
    assert await count(db_session, Entry) == 0
    logged = await count(db_session, Event, Event.kind == "habit_logged")
    assert logged == statuses.count(201)
    assert await count(db_session, Event, Event.kind == "habit_deleted") == 1


async def _lock_waiters(connection: Any) -> int:
    waiting = await connection.scalar(
        text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
    )
    await connection.commit()
    return int(waiting or 0)


@pytest.mark.skipif(backend() != "postgresql", reason="needs PostgreSQL row locks")
async def test_event_readers_miss_nothing_when_commits_interleave(
    client, alice, bob, engine, db_session
):
    """ARCHITECTURE events: a reader of the log (events.service.read_after) never steps
    past an event that commits later. Alice's undo is held just before it commits (her
    user row is locked, which her event's foreign key must share-lock) while Bob checks
    in and commits; a reader reads meanwhile and again after: it gets every event once.
    """
    mine = await create_habit(client, alice)
    theirs = await create_habit(client, bob)
    await entry_put(client, alice, mine["id"], "2026-11-21", status="done")
    start, position = await read_after_in(engine, events_service.Position())
    async with engine.connect() as holder, engine.connect() as watcher:
        await holder.begin()
        await holder.execute(
            text("SELECT id FROM users WHERE id = :id FOR UPDATE"), {"id": alice.id}
        )
        undo = asyncio.create_task(delete_entry(client, alice, mine["id"], "2026-11-21"))
        for _ in range(250):  # until alice's request waits for the lock
            if await _lock_waiters(watcher):
                break
            await asyncio.sleep(0.02)
        else:
            pytest.fail("alice's request never waited for her user row")
        bobs = asyncio.create_task(check_in(client, bob, theirs["id"]))
        for _ in range(100):  # until bob's check-in has committed, or waits too
            if bobs.done() or await _lock_waiters(watcher) >= 2:
                break
            await asyncio.sleep(0.02)
        await watcher.commit()
        during, position = await read_after_in(engine, position)
        await holder.rollback()
        assert (await undo).status_code == 204
        assert (await bobs).status_code == 201
    everything = set(await db_session.scalars(select(Event.id)))
    await db_session.commit()
    already = {event.id for event in start}
    # The horizon is the oldest transaction running anywhere in the cluster (transaction
    # ids are cluster-wide): an open transaction in another database (the other worker's
    # test) may hold it back a moment. That delays a reader, never misleads it: read on
    # until the whole log is read, for at most 10 s.
    after: list[Event] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while len(during) + len(after) < len(everything - already) and loop.time() < deadline:
        more, position = await read_after_in(engine, position)
        after += more
        if not more:
            await asyncio.sleep(0.05)
    read = [event.id for event in during + after]
    assert len(read) == len(set(read)), "an event was read twice"
    assert set(read) == everything - already, "the reader missed an event"
    kinds = [event.kind for event in during + after]
    assert "entry_removed" in kinds
    assert "habit_logged" in kinds


async def read_after_in(
    engine: AsyncEngine, position: events_service.Position
) -> tuple[list[Event], events_service.Position]:
    """Read the log to its end from `position` (a consumer's loop, in a fresh session)."""
    read: list[Event] = []
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        while True:
            batch, position = await events_service.read_after(session, position, limit=3)
            if not batch:
                break
            read.extend(batch)
        await session.commit()
    return read, position


@pytest.mark.slow
@pytest.mark.skipif(backend() != "postgresql", reason="a multi-process server wants PostgreSQL")
def test_live_server_with_workers_keeps_idempotency(database_url: str, tmp_path: Path, engine):
    """API.md Idempotency / D4.4 under true parallelism: 2 server processes, 50 threads."""
    env = habitus_env(
        database_url,
        tmp_path,
        HABITUS_SECRET_KEY=TEST_SECRET,
        HABITUS_AUTO_MIGRATE="false",
        HABITUS_RATE_LIMIT_ENABLED="false",
        HABITUS_REDIS_URL=REDIS_URL,
        HABITUS_REDIS_PREFIX=f"habitus-test:{uuid.uuid4().hex}:",
        HABITUS_LOG_LEVEL="WARNING",
    )
    with live_server_with_workers(env, tmp_path, 2) as server:
        base = server.base_url
        register = httpx.post(
            f"{base}/api/v1/auth/register",
            json={"email": "dana@example.org", "password": "a long and quiet meadow"},
        )
        assert register.status_code == 201, register.text
        tokens = httpx.post(
            f"{base}/api/v1/auth/login",
            json={"email": "dana@example.org", "password": "a long and quiet meadow"},
        ).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        habit = httpx.post(
            f"{base}{API}/habits",
            json={
                "name": "Water",
                "schedule": {"type": "daily"},
                "kind": "measurable",
                "target": {"value": 30},
            },
            headers=headers,
        ).json()
        url = f"{base}{API}/habits/{habit['id']}/checkins"

        def post(key: str, value: float) -> httpx.Response:
            return httpx.post(
                url, json={"value": value}, headers={**headers, "Idempotency-Key": key}, timeout=60
            )

        with ThreadPoolExecutor(max_workers=50) as pool:
            same = list(pool.map(lambda _: post("one-key", 2), range(50)))
            added = list(pool.map(lambda n: post(f"key-{n}", 1.5), range(20)))
        assert [r.status_code for r in same] == [201] * 50, [r.text for r in same][:3]
        assert len({r.content for r in same}) == 1
        assert [r.headers.get("idempotent-replayed") for r in same].count(None) == 1
        assert [r.status_code for r in added] == [201] * 20, [r.text for r in added][:3]
        today = httpx.get(f"{base}{API}/habits/{habit['id']}", headers=headers).json()
        assert today["today"]["value"] == 32.0
        entries = httpx.get(f"{base}{API}/habits/{habit['id']}/entries", headers=headers).json()
        assert len(entries["items"]) == 1


def live_server_with_workers(env: dict[str, str], workdir: Path, workers: int) -> Any:
    """`habitus serve --workers N` (tests/fixtures/live.py starts one process)."""
    import subprocess
    import time
    from contextlib import contextmanager

    from tests.fixtures.live import BIN, LiveServer, free_port

    @contextmanager
    def run() -> Any:
        port = free_port()
        log_path = workdir / f"serve-{port}.log"
        with log_path.open("w", encoding="utf-8") as log:
            process = subprocess.Popen(
                [
                    str(BIN / "habitus"),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    str(workers),
                ],
                env=env,
                cwd=workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )
        server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"habitus serve exited early:\n{server.log()}")
                try:
                    if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"habitus serve did not start:\n{server.log()}")
                time.sleep(0.2)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    return run()
