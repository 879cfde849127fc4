"""Use cases of breaks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.breaks import repository
from habitus.breaks.schemas import MAX_LENGTH_DAYS, BreakIn
from habitus.errors import NotFound, ValidationFailed
from habitus.events.kinds import BreakCreated, BreakDeleted
from habitus.events.service import publish
from habitus.habits import repository as habits_repository
from habitus.habits.evaluation import today_of
from habitus.models import HabitBreak, User

# A break may be planned ahead freely and reach back a little (a sick week noticed late).
MAX_DAYS_BACK = 30


def _check(body: BreakIn, today: date) -> None:
    if body.end_date < body.start_date:
        raise ValidationFailed.field(
            "end_date",
            f"must not be before start_date ({body.start_date.isoformat()})",
            "after_start",
        )
    if (body.end_date - body.start_date).days + 1 > MAX_LENGTH_DAYS:
        raise ValidationFailed.field(
            "end_date", f"a break lasts at most {MAX_LENGTH_DAYS} days", "max_length"
        )
    earliest = today - timedelta(days=MAX_DAYS_BACK)
    if body.start_date < earliest:
        raise ValidationFailed.field(
            "start_date",
            f"a break can start at most {MAX_DAYS_BACK} days ago ({earliest.isoformat()})",
            "max_days_back",
        )


async def create_break(session: AsyncSession, user: User, body: BreakIn) -> HabitBreak:
    """D3.2: break days are not required; streaks are frozen across them and rates leave
    them out. Changing the past walks the affected habits' history again."""
    today = today_of(user)
    _check(body, today)
    if (
        body.habit_id is not None
        and await habits_repository.habit_of(session, user.id, body.habit_id) is None
    ):
        raise ValidationFailed.field("habit_id", "is not one of your habits", "not_found")
    pause = HabitBreak(
        user_id=user.id,
        habit_id=body.habit_id,
        start_date=body.start_date,
        end_date=body.end_date,
        reason=body.reason or None,
    )
    session.add(pause)
    await session.flush()
    # The habits concerned walk their histories again in reaction (habitus.wiring).
    await publish(
        session,
        user,
        [
            BreakCreated(
                habit_id=body.habit_id,
                local_date=body.start_date,
                break_id=str(pause.id),
                end_date=body.end_date,
            )
        ],
    )
    return pause


async def list_breaks(
    session: AsyncSession, user: User, *, limit: int, after: list[Any] | None
) -> list[HabitBreak]:
    return await repository.breaks_of(session, user.id, limit=limit + 1, after=after)


async def delete_break(session: AsyncSession, user: User, break_id: uuid.UUID) -> None:
    pause = await repository.break_of(session, user.id, break_id)
    if pause is None:
        raise NotFound("No such break.")
    deleted = BreakDeleted(
        habit_id=pause.habit_id, local_date=pause.start_date, break_id=str(pause.id)
    )
    await session.delete(pause)
    await session.flush()
    await publish(session, user, [deleted])


OVERVIEW_LIMIT = 1000  # the newest; a person plans a handful a year


@dataclass(frozen=True, slots=True)
class BreaksOverview:
    """The breaks page: every break of the user sorted into current, planned and past
    (each by start date: soonest first; past ones latest first), and the names of
    their habits."""

    today: date
    current: list[HabitBreak]
    planned: list[HabitBreak]
    past: list[HabitBreak]
    habit_names: dict[uuid.UUID, str]
    active_habits: list[tuple[uuid.UUID, str]]


async def breaks_overview(session: AsyncSession, user: User) -> BreaksOverview:
    today = today_of(user)
    rows = await repository.breaks_of(session, user.id, limit=OVERVIEW_LIMIT, after=None)
    habits = await habits_repository.habits_of(session, user.id, archived=None)
    return BreaksOverview(
        today=today,
        current=sorted(
            (b for b in rows if b.start_date <= today <= b.end_date), key=lambda b: b.start_date
        ),
        planned=sorted((b for b in rows if b.start_date > today), key=lambda b: b.start_date),
        past=sorted(
            (b for b in rows if b.end_date < today), key=lambda b: b.end_date, reverse=True
        ),
        habit_names={habit.id: habit.name for habit in habits},
        active_habits=[(habit.id, habit.name) for habit in habits if habit.archived_at is None],
    )
