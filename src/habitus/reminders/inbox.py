"""The inbox page's items and their actions (issue 13): "Open habit" for an item about a
habit the user still has, and "Done" on today's reminder of a yes/no habit to build,
which checks it in through the same service as Today's Done button."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.errors import NotFound, ValidationFailed
from habitus.habits import repository as habits
from habitus.habits.day_port import DAY_WRITER
from habitus.habits.evaluation import today_of
from habitus.kit import clock
from habitus.models import Habit, Notification, User
from habitus.registry import registry
from habitus.reminders import repository


@dataclass(frozen=True, slots=True)
class InboxItem:
    row: Notification
    habit_name: str | None
    habit_url: str | None  # "Open habit": None when the habit is gone or archived
    can_check_in: bool  # "Done": today's reminder of a yes/no habit to build, not done yet
    done_today: bool  # that habit's day is already done


def _checkable(habit: Habit) -> bool:
    """Only a yes/no habit to build has one obvious "done": an amount needs a number and a
    quit habit is kept by not doing it."""
    return habit.kind == "boolean" and habit.polarity == "build"


async def items(session: AsyncSession, user: User, rows: list[Notification]) -> list[InboxItem]:
    ids = {row.habit_id for row in rows if row.habit_id is not None}
    live = {
        habit.id: habit
        for habit in await habits.habits_of(session, user.id, archived=False)
        if habit.id in ids
    }
    today = today_of(user)
    done: dict[uuid.UUID, bool] = {}
    for habit_id, candidate in live.items():
        if _checkable(candidate):
            entry = await habits.entry_on(session, habit_id, today)
            done[habit_id] = entry is not None and entry.status == "done"
    found = []
    for row in rows:
        habit = live.get(row.habit_id) if row.habit_id is not None else None
        todays_reminder = (
            habit is not None
            and row.kind == "reminder"
            and row.local_date == today
            and _checkable(habit)
        )
        is_done = habit is not None and done.get(habit.id, False)
        found.append(
            InboxItem(
                row=row,
                habit_name=habit.name if habit is not None else None,
                habit_url=f"/habits/{habit.id}" if habit is not None else None,
                can_check_in=todays_reminder and not is_done,
                done_today=todays_reminder and is_done,
            )
        )
    return found


async def check_in(
    session: AsyncSession, user: User, notification_id: uuid.UUID, *, today: date | None = None
) -> str:
    """Done on an inbox item: its habit checked in for today (the service Today's Done
    uses; a second tap changes nothing) and the item read. The habit's name."""
    row = await session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user.id
        )
    )
    if row is None:
        raise NotFound("No such notification.")
    habit = (
        await habits.habit_of(session, user.id, row.habit_id) if row.habit_id is not None else None
    )
    if habit is None or habit.archived_at is not None:
        raise NotFound("The habit of this notification is gone.")
    if not _checkable(habit):
        raise ValidationFailed.field(
            "habit", "only a yes/no habit to build can be marked done from the inbox", "kind"
        )
    await registry.port(DAY_WRITER).check_in(
        session, user, habit.id, day=today, value=None, note=None, source="web"
    )
    await repository.mark_read(session, user.id, notification_id, clock.now())
    return habit.name
