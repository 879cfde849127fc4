"""In-transaction subscribers (wired in habitus/wiring.py): the product events of a
write, recorded with the write, so an action rolled back leaves no count behind."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.events.kinds import (
    DomainEvent,
    EntryLogged,
    ExportRequested,
    HabitCreated,
    StreakBroken,
    StreakExtended,
    UserSignedUp,
)
from habitus.metrics import recording
from habitus.models import Habit, HabitSchedule, User

# The request's Idempotency-Key, where the request had one (http/idempotency.py puts it
# in the session's info): a client retrying a check-in is told apart from two check-ins.
IDEMPOTENCY_INFO_KEY = "idempotency_key"


async def user_signed_up(
    session: AsyncSession, user: User, event: UserSignedUp
) -> Sequence[DomainEvent] | None:
    await recording.record(
        session, recording.USER_SIGNED_UP, user.id, {"source": event.source or "direct"}
    )
    return None


async def habit_created(
    session: AsyncSession, user: User, event: HabitCreated
) -> Sequence[DomainEvent] | None:
    habit = await session.get(Habit, event.habit_id) if event.habit_id else None
    schedule = await session.scalar(
        select(HabitSchedule.schedule)
        .where(HabitSchedule.habit_id == event.habit_id)
        .order_by(HabitSchedule.effective_from.desc())
        .limit(1)
    )
    await recording.record(
        session,
        recording.HABIT_CREATED,
        user.id,
        {
            "category": habit.category if habit is not None else None,
            "kind": habit.kind if habit is not None else None,
            "schedule": (schedule or {}).get("type"),
        },
    )
    return None


async def habit_logged(
    session: AsyncSession, user: User, event: EntryLogged
) -> Sequence[DomainEvent] | None:
    key = session.info.get(IDEMPOTENCY_INFO_KEY)
    props: dict[str, object] = {"source": event.source, "status": event.status}
    if key:
        props["idempotency_key"] = key
    await recording.record(session, recording.HABIT_LOGGED, user.id, props)
    return None


async def streak_extended(
    session: AsyncSession, user: User, event: StreakExtended
) -> Sequence[DomainEvent] | None:
    await recording.record(
        session,
        recording.STREAK_EXTENDED,
        user.id,
        {"current": event.current, "unit": event.unit},
    )
    return None


async def streak_broken(
    session: AsyncSession, user: User, event: StreakBroken
) -> Sequence[DomainEvent] | None:
    await recording.record(
        session,
        recording.STREAK_BROKEN,
        user.id,
        {"previous": event.previous, "unit": event.unit},
    )
    return None


async def export_requested(
    session: AsyncSession, user: User, event: ExportRequested
) -> Sequence[DomainEvent] | None:
    await recording.record(session, recording.EXPORT_REQUESTED, user.id, {"format": event.format})
    return None
