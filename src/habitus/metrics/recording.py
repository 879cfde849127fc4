"""Writing what the operator counts: a `product_events` row and the user's activity day,
both with the caller's session, so they commit or roll back with the action itself.

Kinds are the proposal's instrumentation events (KINDS); `props` carry only what the
metrics read (a category, a schedule kind, a channel type, an acquisition source), never
what the user wrote.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.kit import clock
from habitus.models import ActivityDay, ProductEvent

USER_SIGNED_UP = "user_signed_up"
HABIT_CREATED = "habit_created"
HABIT_LOGGED = "habit_logged"
REMINDER_SENT = "reminder_sent"
REMINDER_FAILED = "reminder_failed"
STREAK_BROKEN = "streak_broken"
STREAK_EXTENDED = "streak_extended"
EXPORT_REQUESTED = "export_requested"
SHARE_CREATED = "share_created"
KINDS = frozenset(
    {USER_SIGNED_UP, HABIT_CREATED, HABIT_LOGGED, REMINDER_SENT, REMINDER_FAILED}
    | {STREAK_BROKEN, STREAK_EXTENDED, EXPORT_REQUESTED, SHARE_CREATED}
)
# What a person does (as opposed to what the server does for them: a reminder sent)
# makes the day one of their activity days (DAU, WAU, MAU, retention).
ACTIVE_KINDS = frozenset(
    {USER_SIGNED_UP, HABIT_CREATED, HABIT_LOGGED, EXPORT_REQUESTED, SHARE_CREATED}
)


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


async def record(
    session: AsyncSession,
    kind: str,
    user_id: uuid.UUID | None,
    props: dict[str, Any] | None = None,
) -> None:
    """One event, now; a person's own action also marks their activity day."""
    await record_many(session, [(kind, user_id, props or {})])


async def record_many(
    session: AsyncSession, rows: Iterable[tuple[str, uuid.UUID | None, dict[str, Any]]]
) -> None:
    """Events in one INSERT (the delivery worker records a batch at a time)."""
    now = clock.now()
    values = []
    active: set[uuid.UUID] = set()
    for kind, user_id, props in rows:
        if kind not in KINDS:
            raise ValueError(f"unknown product event {kind!r}")
        values.append(
            {
                "id": uuid.uuid4(),
                "kind": kind,
                "user_id": user_id,
                "occurred_at": now,
                "props": props,
            }
        )
        if user_id is not None and kind in ACTIVE_KINDS:
            active.add(user_id)
    if not values:
        return
    await session.execute(insert(ProductEvent), values)
    for user_id in sorted(active):
        await mark_active(session, user_id, now)


# Issue 22: the (user, UTC day) rows this process saw committed. Only the day's first
# action needs the INSERT; the rest would be no-ops, so they skip the round trip (a row
# goes only with its user, whose id is never reused). Bounded: emptied when it grows.
_KNOWN_ACTIVE: set[tuple[uuid.UUID, date]] = set()
_KNOWN_ACTIVE_MAX = 100_000


def _remember_active(user_id: uuid.UUID, day: date) -> None:
    if len(_KNOWN_ACTIVE) >= _KNOWN_ACTIVE_MAX:
        _KNOWN_ACTIVE.clear()
    _KNOWN_ACTIVE.add((user_id, day))


async def mark_active(session: AsyncSession, user_id: uuid.UUID, when: datetime) -> None:
    """The user did something on `when`'s UTC day: one statement, a no-op after the
    day's first (ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike), and none when
    this process already saw that day's row committed."""
    day = utc_day(when)
    if (user_id, day) in _KNOWN_ACTIVE:
        return
    statement = (
        db.insert_for(db.dialect_of(session))(ActivityDay)
        .values(user_id=user_id, day=day)
        .on_conflict_do_nothing(index_elements=["user_id", "day"])
    )
    await session.execute(statement)
    db.after_commit(session, lambda: _remember_active(user_id, day))
