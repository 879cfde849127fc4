"""Issue 11, item 2: one user's import must not stall everyone else's writes.

An uploaded SQLite file is read outside the writer turn and outside the request's
transaction, in a thread with its own read-only connection and a time budget
(`import_parse_seconds`); views, triggers and anything that is not a plain table where
Loop has tables are refused before any query runs. Runs on both databases: the writer
turn is SQLite's concern, the refusals and the budget are everyone's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import Entry, Habit, ImportRecord
from tests.conftest import AppFactory
from tests.fixtures.personas import Persona, make_persona
from tests.habits.helpers import create_habit, error_fields, problem
from tests.imports import hostile
from tests.imports.loopfiles import upload


async def _people(
    make_client: AppFactory, **settings: object
) -> tuple[httpx.AsyncClient, Persona, Persona, dict[str, Any]]:
    """A client with these settings, alice (who imports) and bob with a habit."""
    client = await make_client(**settings)
    alice = await make_persona(client, "alice@example.org")
    bob = await make_persona(client, "bob@example.org")
    habit = await create_habit(client, bob, backfill_days=None, start_date="2026-01-01")
    return client, alice, bob, habit


async def _nothing_written(db_session: AsyncSession) -> None:
    for model in (Habit, Entry, ImportRecord):
        query = select(func.count()).select_from(model)
        if model is Habit:
            query = query.where(Habit.name != "Read")  # bob's
        if model is Entry:
            query = query.join(Habit).where(Habit.name != "Read")
        assert await db_session.scalar(query) == 0, model
    await db_session.commit()


async def test_a_recursive_view_is_refused_while_others_keep_writing(
    make_client: AppFactory,
    frozen_clock: time_machine.Coordinates,
    tmp_path: Path,
    db_session: AsyncSession,
) -> None:
    """Issue 11, item 2: a Loop-shaped backup whose Repetitions is a recursive VIEW (it
    kept SQLite busy for seconds, holding every writer of the process) is a 422 on
    `file` naming the view; meanwhile another user's writes keep a p99 under 1 s."""
    client, alice, bob, habit = await _people(make_client)
    data = hostile.recursive_view(tmp_path / "view.db")
    response, seconds = await hostile.while_importing(
        client, bob, habit["id"], upload(client, alice, data, "loop_db")
    )
    assert hostile.p99(seconds) < 1.0, sorted(seconds)[-5:]
    body = problem(response, 422)
    assert error_fields(body) == ["file"]
    assert "Repetitions is a view" in body["detail"]
    await _nothing_written(db_session)


async def test_a_slow_file_hits_the_time_budget_while_others_keep_writing(
    make_client: AppFactory,
    frozen_clock: time_machine.Coordinates,
    tmp_path: Path,
    db_session: AsyncSession,
) -> None:
    """Issue 11, item 2: a plain, valid-looking backup that takes longer to read than
    `import_parse_seconds` is stopped at the budget (422 on `file`, saying so) and
    nothing is written; another user's writes (and this import's Idempotency-Key, which
    is only looked up before parsing) hold no writer turn meanwhile: p99 under 1 s."""
    client, alice, bob, habit = await _people(make_client, import_parse_seconds=0.3)
    data = hostile.slow_but_valid(tmp_path / "slow.db")
    importing = client.post(
        "/api/v1/import",
        files={"file": ("slow.db", data, "application/octet-stream")},
        data={"format": "loop_db"},
        headers={**alice.headers, "Idempotency-Key": "slow-import-1"},
    )
    response, seconds = await hostile.while_importing(client, bob, habit["id"], importing)
    assert hostile.p99(seconds) < 1.0, sorted(seconds)[-5:]
    body = problem(response, 422)
    assert error_fields(body) == ["file"]
    assert "longer than 0.3 seconds" in body["detail"]
    await _nothing_written(db_session)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (hostile.with_trigger, "has a trigger (sneaky)"),
        (hostile.habits_as_view, "Habits is a view"),
        (hostile.with_generated_column, "Repetitions has a computed column"),
    ],
)
async def test_anything_but_plain_tables_is_refused(
    client, alice, tmp_path, db_session, build, message
) -> None:
    """Issue 11, item 2: a supplied SQLite file may hold only what a Loop backup holds:
    triggers, views and computed columns are refused with a 422 on `file` before any
    query reads a row."""
    response = await upload(client, alice, build(tmp_path / "x.db"), "loop_db")
    body = problem(response, 422)
    assert error_fields(body) == ["file"]
    assert message in body["detail"]
    assert await db_session.scalar(select(func.count()).select_from(Habit)) == 0
    await db_session.commit()
