"""Shaping habits, entries and stats into API answers (and page data)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.core.evaluate import HabitNow
from habitus.core.schedule import version_index
from habitus.events.kinds import DomainEvent, RankChanged
from habitus.habits import repository, service
from habitus.habits.describe import schedule_text
from habitus.habits.evaluation import Evaluated
from habitus.habits.repository import EntryRecord
from habitus.habits.schemas import (
    CheckinOut,
    EntryOut,
    EventOut,
    HabitOut,
    LeaderboardRankOut,
    MovingRateOut,
    StatsOut,
    StreakOut,
    TargetOut,
    TodayOut,
    schedule_to_json,
)
from habitus.kit.pagination import Page, PageParams, encode_cursor
from habitus.kit.responses import rounded_ratio
from habitus.models import Entry, Habit, User


def streak_out(now: HabitNow) -> StreakOut:
    return StreakOut(
        current=now.current.length,
        longest=now.longest.length,
        unit=now.unit,
        current_start=now.current.first,
        current_end=now.current.last,
        longest_start=now.longest.first,
        longest_end=now.longest.last,
    )


def habit_out(evaluated: Evaluated) -> HabitOut:
    habit, now = evaluated.ctx.habit, evaluated.now
    versions = evaluated.ctx.rules.versions
    schedule = versions[version_index(versions, now.today)].schedule
    periodic = now.unit != "day"
    unit = now.current_unit
    return HabitOut(
        id=habit.id,
        name=habit.name,
        description=habit.description,
        kind=habit.kind,
        polarity=habit.polarity,
        target=(
            TargetOut(value=habit.target_value, unit=habit.unit, direction=habit.direction)
            if habit.kind == "measurable" and habit.target_value is not None
            else None
        ),
        schedule=schedule_to_json(schedule),
        schedule_text=schedule_text(schedule),
        start_date=habit.start_date,
        end_date=habit.end_date,
        backfill_days=habit.backfill_days,
        category=habit.category,
        tags=list(habit.tags or []),
        color=habit.color,
        icon=habit.icon,
        visibility=habit.visibility,  # type: ignore[arg-type]
        position=habit.position,
        archived=habit.archived_at is not None,
        created_at=habit.created_at,
        updated_at=habit.updated_at,
        today=TodayOut(
            date=now.today,
            required=now.required,
            status=now.outcome,
            value=now.today_entry.value if now.today_entry else None,
            progress=unit.done_days if periodic and unit else None,
            needed=unit.target if periodic and unit else None,
        ),
        streak=streak_out(now),
        score=round(now.score, 6),
    )


async def habits_out(session: AsyncSession, user: User, habits: list[Habit]) -> list[HabitOut]:
    _, evaluated = await service.evaluate_habits(session, user, habits)
    return [habit_out(item) for item in evaluated]


async def page_of_habits(
    session: AsyncSession, user: User, *, archived: bool, page: PageParams
) -> Page[HabitOut]:
    after = None
    if page.after is not None:
        after = _position_key(page.after)
    habits = await repository.habits_of(
        session, user.id, archived=archived, limit=page.limit + 1, after=after
    )
    more = len(habits) > page.limit
    habits = habits[: page.limit]
    items = await habits_out(session, user, habits)
    cursor = encode_cursor([habits[-1].position, str(habits[-1].id)]) if more else None
    return Page(items=items, next_cursor=cursor)


def _position_key(after: list[object]) -> tuple[int, uuid.UUID]:
    from habitus.kit.pagination import _bad_cursor

    try:
        position, habit_id = after
        if not isinstance(position, int) or not isinstance(habit_id, str):
            raise TypeError("shape")
        return position, uuid.UUID(habit_id)
    except (TypeError, ValueError) as error:
        raise _bad_cursor() from error


async def today_habits(session: AsyncSession, user: User) -> tuple[date, list[HabitOut]]:
    habits = await repository.habits_of(session, user.id, archived=False)
    today, evaluated = await service.evaluate_habits(session, user, habits)
    return today, [habit_out(item) for item in evaluated]


def entry_out(entry: Entry | EntryRecord) -> EntryOut:
    return EntryOut(
        habit_id=entry.habit_id,
        date=entry.local_date,
        status=entry.status,
        value=entry.value,
        note=entry.note,
        logged_at=entry.logged_at,
        source=entry.source,
    )


def event_out(event: DomainEvent) -> EventOut:
    return EventOut(kind=event.kind, date=event.local_date, payload=event.payload)


def day_write_out(written: service.DayWrite) -> CheckinOut:
    assert written.entry is not None
    return CheckinOut(
        entry=entry_out(written.entry),
        streak=streak_out(written.now),
        events=[event_out(event) for event in written.events],
        leaderboards=leaderboards_of(written.events),
    )


def leaderboards_of(events: list[DomainEvent]) -> list[LeaderboardRankOut]:
    """D12.4: the ranks social's reaction answered (`RankChanged`): habits never asks it."""
    return [
        LeaderboardRankOut(
            challenge_id=uuid.UUID(event.challenge_id), rank=event.rank, rate=event.rate
        )
        for event in events
        if isinstance(event, RankChanged)
    ]


def stats_out(result: service.Stats) -> StatsOut:
    now = result.now
    return StatsOut(
        from_date=result.first,
        to_date=result.last,
        current_streak=now.current.length,
        longest_streak=now.longest.length,
        unit=now.unit,
        streak_start=now.current.first,
        longest_start=now.longest.first,
        longest_end=now.longest.last,
        completion_rate=result.rate,
        score=round(now.score, 6),
        total_completions=result.total_completions,
        done=result.done,
        missed=result.missed,
        best_weekday=result.best_weekday,
        best_hour=result.best_hour,
        rate_7d=rounded_ratio(result.rate_7d),
        rate_30d=rounded_ratio(result.rate_30d),
        moving_rates=[
            MovingRateOut(
                date=point.day,
                rate_7d=rounded_ratio(point.rate_7d),
                rate_30d=rounded_ratio(point.rate_30d),
            )
            for point in result.moving
        ],
    )
