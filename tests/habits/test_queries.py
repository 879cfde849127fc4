"""Bounded queries: reading many habits costs a fixed number of SQL statements
(habits/evaluation.py: "Reading many habits costs a fixed number of queries")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event

from tests.fixtures.personas import make_persona
from tests.habits.helpers import API, create_habit, entry_put, travel

SCHEDULES: list[dict[str, Any]] = [
    {"type": "daily"},
    {"type": "weekdays", "days": ["mon", "wed", "fri", "sat"]},
    {"type": "every_n_days", "n": 2},
    {"type": "times_per_period", "times": 3, "period": "week"},
    {"type": "dates", "dates": ["2026-11-20", "2026-11-21", "2026-12-24"]},
]
MAX_STATEMENTS = 12


@contextmanager
def counting(app: Any) -> Iterator[list[str]]:
    """Every SQL statement the app's engine sends while the block runs."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def without_sign_in(statements: list[str]) -> list[str]:
    """The statements but the sign-in read, which comes and goes with the process's
    sign-in cache (issue 22), not with what a page or an answer holds."""
    return [statement for statement in statements if "FROM auth_sessions" not in statement]


async def make_habits(client, persona, count: int) -> None:
    """`count` habits of every schedule and kind, each with entries."""
    for n in range(count):
        schedule = SCHEDULES[n % len(SCHEDULES)]
        measurable = (n // len(SCHEDULES)) % 2 == 1
        extra: dict[str, Any] = {"kind": "measurable", "target": {"value": 2}} if measurable else {}
        habit = await create_habit(
            client,
            persona,
            name=f"Habit {n}",
            schedule=schedule,
            start_date="2026-11-01",
            backfill_days=None,
            **extra,
        )
        value = {"value": 2} if measurable else {}
        for day in ("2026-11-16", "2026-11-20", "2026-11-21"):
            await entry_put(client, persona, habit["id"], day, status="done", **value)


async def statements_for(app, client, persona, path: str) -> list[str]:
    with counting(app) as statements:
        response = await client.get(f"{API}{path}", headers=persona.headers)
    assert response.status_code == 200, response.text
    return without_sign_in(statements)


@pytest.mark.slow
async def test_today_and_list_cost_the_same_for_5_and_50_habits(client, app, alice, frozen_clock):
    """evaluation.py: /today and GET /habits issue a bounded number of statements."""
    bob = await make_persona(client, "bob@example.org")
    await make_habits(client, alice, 5)
    await make_habits(client, bob, 50)
    listed = await client.get(f"{API}/habits", headers=bob.headers)
    assert len(listed.json()["items"]) == 50

    for when in (None, datetime(2026, 11, 23, 9, 0, tzinfo=UTC)):
        if when is not None:  # days later: the kept states must be carried forward
            await travel(frozen_clock, client, alice, when)
            await travel(frozen_clock, client, bob, when)
        for path in ("/today", "/habits"):
            few = await statements_for(app, client, alice, path)
            many = await statements_for(app, client, bob, path)
            assert len(many) == len(few), (path, when, few, many)
            assert len(many) <= MAX_STATEMENTS, (path, when, many)
            page = (await client.get(f"{API}{path}", headers=bob.headers)).json()
            assert len(page["items"]) == 50


async def test_stats_and_days_cost_does_not_grow_with_history(client, app, alice):
    """evaluation.py: one habit's /stats and /days are a few statements, whatever its age."""
    young = await create_habit(client, alice, start_date="2026-11-20", backfill_days=None)
    old = await create_habit(client, alice, start_date="2016-01-01", backfill_days=None)
    for habit in (young, old):
        for day in ("2026-11-20", "2026-11-21"):
            await entry_put(client, alice, habit["id"], day, status="done")
    for day in ("2016-01-01", "2019-06-01", "2024-02-29"):
        await entry_put(client, alice, old["id"], day, status="done")
    for route in ("stats", "days"):
        short = await statements_for(app, client, alice, f"/habits/{young['id']}/{route}")
        long = await statements_for(app, client, alice, f"/habits/{old['id']}/{route}")
        assert len(long) <= len(short) + 1, (route, short, long)
        assert len(long) <= MAX_STATEMENTS, (route, long)
