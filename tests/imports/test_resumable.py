"""Issue 11, item 2: an import writes in bounded steps of its own, resumably.

The file is checked whole before the first write; its record is claimed, the habits,
days and kept states are written in short transactions, and the record completed. A
failure after the claim (the database's, never the file's) keeps what was written and
releases the claim: the same file sent again completes the import. The Idempotency-Key
of POST /import is looked up before parsing and claimed with the answer at the end.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

from habitus.imports import service
from habitus.models import Entry, Habit, ImportRecord
from tests.conftest import FROZEN_AT, AppFactory
from tests.fixtures.personas import Persona, make_persona
from tests.habits.helpers import TODAY, create_habit, error_fields, problem, stats_of
from tests.imports import hostile
from tests.imports.loopfiles import API, LoopHabit, habits_by_name, imported, loop_db

DAYS = 4500  # more than two batches of days
BOUNDARY = "habitus-import-test"


def _multipart(content: bytes) -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.db"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + content + f"\r\n--{BOUNDARY}--\r\n".encode()


def _long_walk(path: Path) -> bytes:
    first = TODAY - timedelta(days=DAYS)
    return loop_db(
        path,
        [LoopHabit("Walk", reps=[(first + timedelta(days=n), 2, None) for n in range(DAYS)])],
    )


async def _count(db_session: AsyncSession, model: Any) -> int:
    found = await db_session.scalar(select(func.count()).select_from(model))
    await db_session.commit()
    return int(found or 0)


class _EntryWrites:
    """Watches every session's INSERTs into `entries`: the rows each committed
    transaction wrote, and (to play a database that fails) raises on the n-th INSERT."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, fail_on: int | None = None) -> None:
        self.committed: list[int] = []
        self.inserts = 0
        self._pending: dict[int, int] = defaultdict(int)
        self._fail_on = fail_on
        real_execute, real_commit = AsyncSession.execute, AsyncSession.commit
        watch = self

        async def execute(
            session: AsyncSession, statement: Any, params: Any = None, **kw: Any
        ) -> Any:
            if isinstance(statement, Insert) and statement.table.name == "entries":
                watch.inserts += 1
                if watch.inserts == watch._fail_on:
                    raise ConnectionResetError("the database went away")
                watch._pending[id(session)] += len(params) if isinstance(params, list) else 1
            return await real_execute(session, statement, params, **kw)

        async def commit(session: AsyncSession) -> None:
            await real_commit(session)
            rows = watch._pending.pop(id(session), 0)
            if rows:
                watch.committed.append(rows)

        monkeypatch.setattr(AsyncSession, "execute", execute)
        monkeypatch.setattr(AsyncSession, "commit", commit)


async def test_a_failure_midway_keeps_the_written_batches_and_a_rerun_completes(
    client: httpx.AsyncClient,
    alice: Persona,
    tmp_path: Path,
    db_session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 11, item 2: the database fails on the second INSERT of days: the answer is
    a 500, the days written before stay (they were committed), the claim on the file is
    released; sending the same file again adds the rest, and the habit's stats are
    right (all or nothing before: the first days were rolled back too)."""
    data = _long_walk(tmp_path / "walk.db")
    with monkeypatch.context() as patched:
        _EntryWrites(patched, fail_on=2)
        response = await client.post(
            f"{API}/import",
            files={"file": ("walk.db", data, "application/octet-stream")},
            headers=alice.headers,
        )
    assert response.status_code == 500
    kept = await _count(db_session, Entry)
    assert 0 < kept < DAYS
    assert await _count(db_session, ImportRecord) == 0

    body = await imported(client, alice, data)
    assert (body["habits_created"], body["entries_created"]) == (0, DAYS - kept)
    assert body["entries_skipped"] == kept
    assert await _count(db_session, Entry) == DAYS
    walk = (await habits_by_name(client, alice))["Walk"]
    window = {"from": (TODAY - timedelta(days=30)).isoformat(), "to": TODAY.isoformat()}
    stats = await stats_of(client, alice, walk["id"], **window)
    assert stats["done"] == 30  # every day up to yesterday; today is open
    again = await imported(client, alice, data)
    assert again["already_imported"] is True


async def test_days_are_written_in_bounded_transactions(
    client: httpx.AsyncClient,
    alice: Persona,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 11, item 2: the import's days are committed in several short transactions,
    none with more than 2,000 of them (one transaction held them all before)."""
    writes = _EntryWrites(monkeypatch)
    body = await imported(client, alice, _long_walk(tmp_path / "walk.db"))
    assert body["entries_created"] == DAYS
    assert sum(writes.committed) == DAYS
    assert len(writes.committed) >= 3
    assert max(writes.committed) <= 2000


async def test_a_claim_left_by_a_crashed_import_is_taken_over_after_an_hour(
    client: httpx.AsyncClient,
    alice: Persona,
    tmp_path: Path,
    db_session: AsyncSession,
    frozen_clock: time_machine.Coordinates,
) -> None:
    """Issue 11, item 2: an unfinished claim (`finished_at` null) younger than an hour is
    an import still running (409); older, it was left by a crashed process and the same
    file imports (completing whatever the crashed import had written)."""
    import hashlib

    data = loop_db(tmp_path / "a.db", [LoopHabit("Walk", reps=[(date(2020, 1, 1), 2, None)])])
    record = ImportRecord(
        user_id=alice.id,
        format="loop_db",
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        habits_created=0,
        entries_created=0,
        entries_skipped=0,
        report=[],
        finished_at=None,
        created_at=FROZEN_AT - timedelta(minutes=50),
    )
    db_session.add(record)
    await db_session.commit()
    response = await client.post(
        f"{API}/import", files={"file": ("a.db", data)}, headers=alice.headers
    )
    assert problem(response, 409)["type"].endswith(":import-in-progress")

    record.created_at = FROZEN_AT - timedelta(minutes=70)
    await db_session.commit()
    body = await imported(client, alice, data)
    assert (body["habits_created"], body["entries_created"]) == (1, 1)
    records = (await db_session.scalars(select(ImportRecord))).all()
    assert [row.finished_at is not None for row in records] == [True]
    await db_session.commit()


async def test_an_idempotent_import_parses_outside_the_writer_turn_and_replays(
    make_client: AppFactory,
    frozen_clock: time_machine.Coordinates,
    tmp_path: Path,
    db_session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 11, item 2: while an import with an Idempotency-Key reads its file (made
    slow here: 1.5 s), another user's writes go on (p99 under 1 s): the key is only
    looked up then, and claimed with the answer at the end. The same key and file again
    replays the answer; the same key with another file is a 422 on the header."""
    client = await make_client()
    alice = await make_persona(client, "alice@example.org")
    bob = await make_persona(client, "bob@example.org")
    habit = await create_habit(client, bob, backfill_days=None, start_date="2026-01-01")
    real_parse = service.parse

    def slow_parse(*args: Any, **kwargs: Any) -> Any:
        time.sleep(1.5)
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(service, "parse", slow_parse)
    data = loop_db(tmp_path / "a.db", [LoopHabit("Walk", reps=[(date(2020, 1, 1), 2, None)])])
    headers = {**alice.headers, "Idempotency-Key": "import-once"}

    def send(content: bytes) -> Any:
        # A fixed multipart boundary: a retry must send the very same body.
        return client.post(
            f"{API}/import",
            content=_multipart(content),
            headers={**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )

    first, seconds = await hostile.while_importing(client, bob, habit["id"], send(data))
    assert hostile.p99(seconds) < 1.0, sorted(seconds)[-5:]
    assert first.status_code == 200, first.text
    monkeypatch.setattr(service, "parse", real_parse)

    replayed = await send(data)
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    assert replayed.content == first.content
    other = loop_db(tmp_path / "b.db", [LoopHabit("Run")])
    assert error_fields(problem(await send(other), 422)) == ["Idempotency-Key"]
    assert (
        await db_session.scalar(
            select(func.count()).select_from(Habit).where(Habit.user_id == alice.id)
        )
        == 1
    )
    await db_session.commit()
