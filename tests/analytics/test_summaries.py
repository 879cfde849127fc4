"""Summaries against raw entries (issue 5, "Fast reads over long windows"): reads through
the summaries give exactly what raw entries give, on random histories; a missing row
falls back to raw entries; the rebuild command finds and fixes a corrupted row."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from habitus import db
from habitus.analytics import queries as analytics
from habitus.analytics.commands import rebuild
from habitus.breaks import service as breaks
from habitus.breaks.schemas import BreakIn
from habitus.habits import service as habits
from habitus.habits.schemas import HabitCreate, HabitUpdate
from habitus.models import Habit, HabitDaySummary, HabitMonthSummary, User
from tests.conftest import settings_for

START = date(2026, 1, 5)
BEGIN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NEVER = 10**6  # a threshold no window reaches: always raw entries
ALWAYS = 0  # every window reads summaries

SCHEDULES: list[dict[str, Any]] = [
    {"type": "daily"},
    {"type": "weekdays", "days": ["mon", "wed", "fri"]},
    {"type": "every_n_days", "n": 3},
    {"type": "times_per_period", "times": 3, "period": "week"},
    {"type": "times_per_period", "times": 10, "period": "month"},
    {"type": "dates", "dates": ["2026-02-10", "2026-03-03", "2026-04-01"]},
]
KINDS: list[dict[str, Any]] = [
    {},
    {"polarity": "quit"},
    {"kind": "measurable", "target": {"value": 2, "unit": "km", "direction": "at_least"}},
    {"kind": "measurable", "target": {"value": 3, "unit": "cups", "direction": "at_most"}},
]

maker_cache: dict[int, Any] = {}


def _maker(engine: AsyncEngine) -> Any:
    key = id(engine)
    if key not in maker_cache:
        maker_cache[key] = db.create_sessionmaker(engine)
    return maker_cache[key]


async def _user(engine: AsyncEngine, week_start: str = "mon") -> uuid.UUID:
    async with db.job_transaction(_maker(engine)) as session:
        email = f"u{uuid.uuid4().hex[:12]}@example.com"
        user = User(email=email, email_key=email, password_hash="x", week_start=week_start)
        session.add(user)
        await session.flush()
        return user.id


async def _as(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    assert user is not None
    return user


async def _create(engine: AsyncEngine, user_id: uuid.UUID, schedule: int, kind: int) -> uuid.UUID:
    body = {
        "name": f"H{schedule}{kind}",
        "schedule": SCHEDULES[schedule],
        "start_date": START.isoformat(),
        "backfill_days": None,
        "category": "odd" if (schedule + kind) % 2 else "even",
        **KINDS[kind],
    }
    async with db.job_transaction(_maker(engine)) as session:
        habit = await habits.create_habit(
            session, await _as(session, user_id), HabitCreate.model_validate_json(json.dumps(body))
        )
        return habit.id


Op = tuple[str, int, int, int, int]  # (what, habit index, day offset, days later, extra)

ops = st.lists(
    st.tuples(
        st.sampled_from(["done", "skipped", "failed", "remove", "break", "schedule"]),
        st.integers(0, 2),
        st.integers(0, 40),
        st.integers(0, 12),
        st.integers(0, 5),
    ),
    min_size=1,
    max_size=14,
)


async def _apply(
    engine: AsyncEngine,
    user_id: uuid.UUID,
    habit_ids: list[uuid.UUID],
    kinds: list[int],
    op: Op,
) -> None:
    what, which, back, _, extra = op
    habit_id = habit_ids[which % len(habit_ids)]
    measurable = "kind" in KINDS[kinds[which % len(habit_ids)]]
    async with db.job_transaction(_maker(engine)) as session:
        user = await _as(session, user_id)
        today = habits.today_of(user)
        day = max(START, today - timedelta(days=back))
        if what in ("done", "skipped", "failed"):
            value = float(extra) if measurable and what == "done" else None
            await habits.set_entry(
                session, user, habit_id, day=day, status=what, value=value, note=None, source="api"
            )
        elif what == "remove":
            await habits.remove_entry(session, user, habit_id, day=day)
        elif what == "break":
            start = today - timedelta(days=back % 30)
            body = BreakIn(
                start_date=start,
                end_date=start + timedelta(days=extra),
                habit_id=habit_id if extra % 2 else None,
            )
            await breaks.create_break(session, user, body)
        else:
            update_body = HabitUpdate.model_validate_json(
                json.dumps({"schedule": SCHEDULES[extra % len(SCHEDULES)]})
            )
            await habits.update_habit(session, user, habit_id, update_body)


async def _compare(
    engine: AsyncEngine, user_id: uuid.UUID, windows: list[tuple[date, date]]
) -> None:
    async with db.job_transaction(_maker(engine)) as session:
        user = await _as(session, user_id)
        for first, last in windows:
            for filters in ({}, {"category": "odd"}):
                raw = await analytics.heatmap(
                    session, user, first, last, threshold=NEVER, **filters
                )
                fast = await analytics.heatmap(
                    session, user, first, last, threshold=ALWAYS, **filters
                )
                assert raw.source == "raw"
                if first < START and fast.days and filters == {}:
                    # The whole history: the summaries answer (up to the last write).
                    assert fast.source in ("summaries", "mixed"), fast.source
                assert fast.days == raw.days, (first, last, filters)
                raw_report = await analytics.report(
                    session, user, first, last, threshold=NEVER, **filters
                )
                fast_report = await analytics.report(
                    session, user, first, last, threshold=ALWAYS, **filters
                )
                assert [(line.habit.id, line.done, line.missed) for line in fast_report.habits] == [
                    (line.habit.id, line.done, line.missed) for line in raw_report.habits
                ], (first, last, filters)


@pytest.mark.slow
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    shapes=st.lists(
        st.tuples(st.integers(0, len(SCHEDULES) - 1), st.integers(0, len(KINDS) - 1)),
        min_size=1,
        max_size=3,
    ),
    history=ops,
    week_start=st.sampled_from(["mon", "sun"]),
)
async def test_summaries_and_raw_entries_give_identical_answers(
    engine: AsyncEngine, shapes: list[tuple[int, int]], history: list[Op], week_start: str
) -> None:
    """Issue 5: "a test proves both paths give identical answers on random histories"
    (schedules incl. times_per_period (D6), kinds and polarities (D2), entries done /
    skipped (D3.3) / failed, removals, breaks (D3.2), schedule changes), with the clock
    moving between writes so the summaries end at different days than the reads."""
    with time_machine.travel(BEGIN, tick=False) as clock:
        user_id = await _user(engine, week_start)
        kinds = [kind for _, kind in shapes]
        habit_ids = [await _create(engine, user_id, schedule, kind) for schedule, kind in shapes]
        now = BEGIN
        for op in history:
            await _apply(engine, user_id, habit_ids, kinds, op)
            now += timedelta(days=op[3])
            clock.move_to(now)
        today = now.date()
        await _compare(
            engine,
            user_id,
            [
                (START - timedelta(days=3), today + timedelta(days=3)),
                (START + timedelta(days=17), today - timedelta(days=2)),
                (date(2026, 2, 1), date(2026, 3, 31)),
                (today - timedelta(days=9), today),
            ],
        )


async def _two_habits(engine: AsyncEngine, clock: Any) -> tuple[uuid.UUID, list[uuid.UUID]]:
    user_id = await _user(engine)
    ids = [await _create(engine, user_id, 0, 0), await _create(engine, user_id, 3, 2)]
    for back in (1, 3, 5, 8, 30, 40):
        await _apply(engine, user_id, ids, [0, 2], ("done", 0, back, 0, 2))
        await _apply(engine, user_id, ids, [0, 2], ("done", 1, back, 0, 3))
    clock.move_to(BEGIN + timedelta(days=3))
    return user_id, ids


async def test_a_missing_summary_row_falls_back_to_raw_entries(engine: AsyncEngine) -> None:
    """Issue 5: "any missing summary falls back to raw entries" and never gives a
    wrong answer."""
    with time_machine.travel(BEGIN, tick=False) as clock:
        user_id, ids = await _two_habits(engine, clock)
        async with db.job_transaction(_maker(engine)) as session:
            await session.execute(
                delete(HabitDaySummary).where(
                    HabitDaySummary.habit_id == ids[0],
                    HabitDaySummary.local_date == date(2026, 2, 20),
                )
            )
            await session.execute(
                delete(HabitMonthSummary).where(HabitMonthSummary.habit_id == ids[1])
            )
        async with db.job_transaction(_maker(engine)) as session:
            user = await _as(session, user_id)
            first, last = START, date(2026, 3, 3)
            raw = await analytics.heatmap(session, user, first, last, threshold=NEVER)
            fast = await analytics.heatmap(session, user, first, last, threshold=ALWAYS)
            assert fast.days == raw.days
            assert fast.source == "mixed"  # habit 0 fell back, habit 1 did not
            raw_report = await analytics.report(session, user, first, last, threshold=NEVER)
            fast_report = await analytics.report(session, user, first, last, threshold=ALWAYS)
            assert [(x.done, x.missed) for x in fast_report.habits] == [
                (x.done, x.missed) for x in raw_report.habits
            ]
            assert sum(x.done for x in raw_report.habits) > 0


async def test_every_write_bumps_the_summary_version(engine: AsyncEngine) -> None:
    """Issue 5: "a summary_version per habit that changes on every write" (entries,
    skips, breaks, schedule changes, edits)."""
    with time_machine.travel(BEGIN, tick=False):
        user_id = await _user(engine)
        ids = [await _create(engine, user_id, 0, 0)]

        async def version() -> int:
            async with db.job_transaction(_maker(engine)) as session:
                found = await session.scalar(
                    select(Habit.summary_version).where(Habit.id == ids[0])
                )
                assert found is not None
                return found

        seen = [await version()]
        for op in (
            ("done", 0, 1, 0, 0),
            ("skipped", 0, 2, 0, 0),
            ("remove", 0, 1, 0, 0),
            ("break", 0, 3, 0, 1),
            ("schedule", 0, 0, 0, 1),
        ):
            await _apply(engine, user_id, ids, [0], op)  # type: ignore[arg-type]
            seen.append(await version())
        async with db.job_transaction(_maker(engine)) as session:
            user = await _as(session, user_id)
            await habits.update_habit(
                session, user, ids[0], HabitUpdate.model_validate_json('{"category": "x"}')
            )
        seen.append(await version())
        assert seen == sorted(set(seen)), seen


async def test_rebuild_finds_and_fixes_a_corrupted_row(
    engine: AsyncEngine, database_url: str, tmp_path: Any
) -> None:
    """Issue 5: "`habitus rebuild-summaries` recomputes everything and reports any row
    that differed (a repair tool)"."""
    with time_machine.travel(BEGIN, tick=False) as clock:
        user_id, ids = await _two_habits(engine, clock)
        config = settings_for(database_url, tmp_path)
        clean = await rebuild(config)
        assert [d for d in clean.differences if d[1].habit_id in ids] == []
        async with db.job_transaction(_maker(engine)) as session:
            await session.execute(
                update(HabitDaySummary)
                .where(
                    HabitDaySummary.habit_id == ids[0],
                    HabitDaySummary.local_date == date(2026, 2, 20),
                )
                .values(done=0, required=0, outcome="not_required")
            )
            await session.execute(
                update(HabitMonthSummary)
                .where(
                    HabitMonthSummary.habit_id == ids[1],
                    HabitMonthSummary.month == START.replace(day=1),
                )
                .values(unit_done=99)
            )
            email = (await _as(session, user_id)).email
        found = await rebuild(config, email=email)
        assert found.users == 1
        keys = sorted((d.table, d.key, d.habit_id == ids[0]) for _, d in found.differences)
        assert keys == [("day", date(2026, 2, 20), True), ("month", date(2026, 1, 1), False)]
        stored = found.differences[0][1]
        assert stored.stored is not None
        again = await rebuild(config, email=email)
        assert again.differences == []
        with pytest.raises(ValueError, match="no user"):
            await rebuild(config, email="nobody@example.com")
