"""Every query of reminders, channels, the inbox and the delivery ledger. Reads that
belong to a user take the user's id (another user's row is not found)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.kit import clock
from habitus.kit.pagination import after_time_id
from habitus.models import (
    Channel,
    Delivery,
    DeliveryAttempt,
    Habit,
    Notification,
    Reminder,
    ReminderOccurrence,
    User,
)


def _insert(session: AsyncSession) -> Any:
    return db.insert_for(db.dialect_of(session))


# --- channels -------------------------------------------------------------------------------


async def channels_of(session: AsyncSession, user_id: uuid.UUID) -> list[Channel]:
    found = await session.scalars(
        select(Channel).where(Channel.user_id == user_id).order_by(Channel.created_at, Channel.id)
    )
    return list(found)


async def channel(
    session: AsyncSession, user_id: uuid.UUID, channel_id: uuid.UUID
) -> Channel | None:
    return await session.scalar(
        select(Channel).where(Channel.id == channel_id, Channel.user_id == user_id)
    )


async def channel_by_id(session: AsyncSession, channel_id: uuid.UUID) -> Channel | None:
    """For the dispatcher and the unsubscribe link (which carries a signed id)."""
    return await session.get(Channel, channel_id)


async def channels_by_id(
    session: AsyncSession, channel_ids: set[uuid.UUID]
) -> dict[uuid.UUID, Channel]:
    """The dispatcher's channels of a claimed batch, in one query."""
    if not channel_ids:
        return {}
    found = await session.scalars(select(Channel).where(Channel.id.in_(channel_ids)))
    return {channel.id: channel for channel in found}


async def enabled_channels(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Channel]]:
    found: dict[uuid.UUID, list[Channel]] = {user_id: [] for user_id in user_ids}
    if not user_ids:
        return found
    rows = await session.scalars(
        select(Channel)
        .where(Channel.user_id.in_(user_ids), Channel.enabled.is_(True))
        .order_by(Channel.created_at, Channel.id)
    )
    for row in rows:
        found[row.user_id].append(row)
    return found


async def disable_channel(session: AsyncSession, channel_id: uuid.UUID, reason: str) -> bool:
    """Disable an enabled channel; False when it already was (or is gone)."""
    result = await session.execute(
        update(Channel)
        .where(Channel.id == channel_id, Channel.enabled.is_(True))
        .values(enabled=False, disabled_reason=reason[:300])
    )
    return db.rowcount(result) == 1


# --- reminders ------------------------------------------------------------------------------


async def reminders_of_habit(
    session: AsyncSession, user_id: uuid.UUID, habit_id: uuid.UUID
) -> list[Reminder]:
    found = await session.scalars(
        select(Reminder)
        .where(Reminder.user_id == user_id, Reminder.habit_id == habit_id)
        .order_by(Reminder.time, Reminder.id)
    )
    return list(found)


async def reminders_of_user(session: AsyncSession, user_id: uuid.UUID) -> list[Reminder]:
    found = await session.scalars(
        select(Reminder).where(Reminder.user_id == user_id).order_by(Reminder.time, Reminder.id)
    )
    return list(found)


async def reminder(
    session: AsyncSession, user_id: uuid.UUID, reminder_id: uuid.UUID, *, for_update: bool = False
) -> Reminder | None:
    """`for_update`: the row as it is now, held until commit (a concurrent delete waits)."""
    query = select(Reminder).where(Reminder.id == reminder_id, Reminder.user_id == user_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def due_reminders(session: AsyncSession, now: datetime, limit: int) -> list[Reminder]:
    """Due reminders, oldest first. On PostgreSQL the rows are locked for this
    transaction and rows another worker holds are skipped, so workers split a burst
    instead of queueing behind each other."""
    query = (
        select(Reminder)
        .where(Reminder.enabled.is_(True), Reminder.next_fire_at <= now)
        .order_by(Reminder.next_fire_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(await session.scalars(query))


async def reminders_due_between(
    session: AsyncSession,
    now: datetime,
    until: datetime,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Reminder]:
    """Reminders due after `now` and at or before `until` (firing ahead, issue 22), in
    (due instant, id) order from `after`. On PostgreSQL locked like `due_reminders`."""
    query = select(Reminder).where(
        Reminder.enabled.is_(True), Reminder.next_fire_at > now, Reminder.next_fire_at <= until
    )
    if after is not None:
        query = query.where(
            or_(
                Reminder.next_fire_at > after[0],
                and_(Reminder.next_fire_at == after[0], Reminder.id > after[1]),
            )
        )
    query = query.order_by(Reminder.next_fire_at, Reminder.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(await session.scalars(query))


async def reminders_by_id(
    session: AsyncSession, reminder_ids: set[uuid.UUID]
) -> dict[uuid.UUID, Reminder]:
    """The reminders behind a batch of deliveries (the D9.3 check at send time)."""
    if not reminder_ids:
        return {}
    found = await session.scalars(select(Reminder).where(Reminder.id.in_(reminder_ids)))
    return {row.id: row for row in found}


async def suppress_occurrences(session: AsyncSession, keys: list[tuple[uuid.UUID, Any]]) -> None:
    """Occurrences (reminder id, local date) whose prepared sending was called off at
    its instant (D9.3): recorded as `suppressed`, as if decided then."""
    for reminder_id, local_date in keys:
        await session.execute(
            update(ReminderOccurrence)
            .where(
                ReminderOccurrence.reminder_id == reminder_id,
                ReminderOccurrence.local_date == local_date,
            )
            .values(outcome="suppressed")
        )


async def cancel_deliveries(
    session: AsyncSession, worker: str, delivery_ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    """Remove prepared deliveries this worker holds that are not to be sent after all
    (D9.3 at send time), with their inbox rows; the ids removed."""
    if not delivery_ids:
        return []
    result = await session.execute(
        delete(Delivery)
        .where(
            Delivery.id.in_(delivery_ids),
            Delivery.claimed_by == worker,
            Delivery.state == "sending",
        )
        .returning(Delivery.id, Delivery.notification_id)
    )
    removed = list(result)
    notifications = {row[1] for row in removed if row[1] is not None}
    if notifications:
        await session.execute(delete(Notification).where(Notification.id.in_(notifications)))
    return [row[0] for row in removed]


_ADVANCE = (
    # Not a domain state: SQLAlchemy types `__table__` as a FromClause; it is a Table.
    update(Reminder.__table__)  # type: ignore[arg-type]
    .where(
        Reminder.__table__.c.id == bindparam("b_id"),
        Reminder.__table__.c.next_fire_at == bindparam("b_was"),
    )
    .values(next_fire_at=bindparam("b_next"), next_local_date=bindparam("b_date"))
)


async def advance_reminders(session: AsyncSession, moves: list[dict[str, Any]]) -> None:
    """Move each reminder's `next_fire_at` from `b_was` to `b_next` (one executemany).
    The rows were read in this transaction (and locked, on PostgreSQL); the occurrence's
    unique key is what makes a firing happen once whatever races (D9.4)."""
    if moves:
        await session.execute(_ADVANCE, moves)


async def record_occurrences(session: AsyncSession, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert occurrences; the reminder ids whose (reminder, date) was new (D9.4)."""
    if not rows:
        return set()
    statement = (
        _insert(session)(ReminderOccurrence)
        .values([{"id": uuid.uuid4(), **row} for row in rows])
        .on_conflict_do_nothing(index_elements=["reminder_id", "local_date"])
        .returning(ReminderOccurrence.reminder_id)
    )
    return {row[0] for row in await session.execute(statement)}


async def add_notifications(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Inbox rows in one INSERT (each row carries its id)."""
    if rows:
        # `__table__` is typed as a FromClause (it is a Table): not a domain state.
        await session.execute(insert(Notification.__table__), rows)  # type: ignore[arg-type]


async def users_and_habits(
    session: AsyncSession, user_ids: set[uuid.UUID], habit_ids: set[uuid.UUID]
) -> tuple[dict[uuid.UUID, User], dict[uuid.UUID, Habit]]:
    users = {
        row.id: row for row in await session.scalars(select(User).where(User.id.in_(user_ids)))
    }
    habits = (
        {row.id: row for row in await session.scalars(select(Habit).where(Habit.id.in_(habit_ids)))}
        if habit_ids
        else {}
    )
    return users, habits


# --- inbox ------------------------------------------------------------------------------------


def _shown() -> Any:
    """A reminder fired ahead (issue 22) is dated at its due instant: the inbox shows
    it from then on, not while it is being prepared."""
    return Notification.created_at <= clock.now()


async def add_notification(session: AsyncSession, values: dict[str, Any]) -> uuid.UUID:
    notification_id = uuid.uuid4()
    session.add(Notification(id=notification_id, **values))
    await session.flush()
    return notification_id


async def notifications_of(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    unread: bool,
    after: list[Any] | None,
    limit: int,
) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user_id, _shown())
    if unread:
        query = query.where(Notification.read_at.is_(None))
    if (later := after_time_id(Notification, after)) is not None:
        query = query.where(later)
    found = await session.scalars(
        query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit + 1)
    )
    return list(found)


async def all_notifications_of(session: AsyncSession, user_id: uuid.UUID) -> list[Notification]:
    found = await session.scalars(
        select(Notification)
        .where(Notification.user_id == user_id, _shown())
        .order_by(Notification.created_at, Notification.id)
    )
    return list(found)


async def unread_count(session: AsyncSession, user_id: uuid.UUID) -> int:
    found = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None), _shown())
    )
    return int(found or 0)


async def mark_read(
    session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID | None, now: datetime
) -> int:
    """Mark one notification (or, with None, every unread one) read; rows changed."""
    query = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None), _shown()
    )
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    return db.rowcount(await session.execute(query.values(read_at=now)))


async def notification_exists(
    session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID
) -> bool:
    found = await session.scalar(
        select(Notification.id).where(
            Notification.id == notification_id, Notification.user_id == user_id
        )
    )
    return found is not None


# --- the delivery ledger -------------------------------------------------------------------


async def add_deliveries(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    """Insert deliveries; one that exists for (channel, source) is left alone (D9.4)."""
    if not rows:
        return 0
    statement = (
        _insert(session)(Delivery)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["channel_id", "source_key"])
    )
    return db.rowcount(await session.execute(statement))


def _claimable(now: datetime, until: datetime | None = None) -> Any:
    """Due by `until` (now, or a moment ahead: the dispatcher waits for the instant),
    or a claim whose lease ran out by `now`."""
    return or_(
        and_(Delivery.state.in_(("pending", "failed")), Delivery.next_attempt_at <= (until or now)),
        and_(Delivery.state == "sending", Delivery.lease_until < now),
    )


async def claim_deliveries(
    session: AsyncSession,
    now: datetime,
    lease_until: datetime,
    worker: str,
    limit: int,
    *,
    until: datetime | None = None,
) -> list[Delivery]:
    """Claim up to `limit` deliveries due by `until` (default `now`) for `worker`:
    candidates are read, then one conditional UPDATE takes those still claimable. Under
    concurrent workers a row changes hands once: PostgreSQL re-checks the condition
    after a competing UPDATE commits, SQLite runs one writer at a time."""
    query = select(Delivery.id).where(_claimable(now, until)).order_by(Delivery.next_attempt_at)
    if session.get_bind().dialect.name == "postgresql":
        # Rows another worker is claiming are skipped rather than waited for.
        query = query.with_for_update(skip_locked=True)
    candidates = list(await session.scalars(query.limit(limit)))
    if not candidates:
        return []
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(candidates), _claimable(now, until))
        .values(
            state="sending",
            lease_until=lease_until,
            claimed_by=worker,
            attempts=Delivery.attempts + 1,
        )
        .returning(Delivery.id)
    )
    claimed = [row[0] for row in result]
    if not claimed:
        return []
    found = await session.scalars(
        select(Delivery).where(Delivery.id.in_(claimed)).execution_options(populate_existing=True)
    )
    return list(found)


async def release_deliveries(
    session: AsyncSession, worker: str, delivery_ids: list[uuid.UUID]
) -> None:
    """Hand back claimed deliveries unsent (their instant did not come): pending again,
    the attempt the claim counted taken back."""
    if delivery_ids:
        await session.execute(
            update(Delivery)
            .where(
                Delivery.id.in_(delivery_ids),
                Delivery.claimed_by == worker,
                Delivery.state == "sending",
            )
            .values(
                state="pending",
                attempts=Delivery.attempts - 1,
                lease_until=None,
                claimed_by=None,
            )
        )


async def finish_delivery(
    session: AsyncSession, delivery_id: uuid.UUID, worker: str, values: dict[str, Any]
) -> bool:
    """Record the end of an attempt, only while this worker still holds the claim (a
    lease taken over by another worker is theirs to record)."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.claimed_by == worker,
            Delivery.state == "sending",
        )
        .values(**values)
    )
    return db.rowcount(result) == 1


_MARK_SENT = (
    # Not a domain state: SQLAlchemy types `__table__` as a FromClause; it is a Table.
    update(Delivery.__table__)  # type: ignore[arg-type]
    .where(
        Delivery.__table__.c.id == bindparam("b_id"),
        Delivery.__table__.c.claimed_by == bindparam("b_worker"),
        Delivery.__table__.c.state == "sending",
    )
    .values(state="sent", sent_at=bindparam("b_sent_at"), lease_until=None, last_error=None)
)


async def mark_sent(session: AsyncSession, worker: str, rows: list[dict[str, Any]]) -> None:
    """Sent deliveries (`b_id`, `b_sent_at`) in one executemany, each only while
    `worker` still holds its claim."""
    if rows:
        await session.execute(_MARK_SENT, [{**row, "b_worker": worker} for row in rows])


async def add_attempts(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Attempt rows in one INSERT (issue 22: a burst records thousands a second)."""
    if rows:
        await session.execute(
            insert(DeliveryAttempt.__table__),  # type: ignore[arg-type]
            [{"id": uuid.uuid4(), **row} for row in rows],
        )


async def deliveries(
    session: AsyncSession,
    state: str | tuple[str, ...] | None,
    after: list[Any] | None,
    limit: int,
) -> list[Delivery]:
    """Newest first; `state` one state or several (the admin page's "failed or dead")."""
    query = select(Delivery)
    if isinstance(state, tuple):
        query = query.where(Delivery.state.in_(state))
    elif state is not None:
        query = query.where(Delivery.state == state)
    if (later := after_time_id(Delivery, after)) is not None:
        query = query.where(later)
    found = await session.scalars(
        query.order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(limit + 1)
    )
    return list(found)


async def replay(session: AsyncSession, delivery_id: uuid.UUID | None, now: datetime) -> int:
    """Dead (or failed) deliveries back to pending, due now, with their attempts reset;
    None: every dead one."""
    query = update(Delivery).where(Delivery.state.in_(("dead", "failed")))
    if delivery_id is not None:
        query = query.where(Delivery.id == delivery_id)
    else:
        query = query.where(Delivery.state == "dead")
    result = await session.execute(
        query.values(
            state="pending", attempts=0, next_attempt_at=now, lease_until=None, claimed_by=None
        )
    )
    return db.rowcount(result)


async def counts_by_state(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
    return {state: int(count) for state, count in rows}


async def attempts_by_channel_type(session: AsyncSession) -> list[tuple[str, int, int]]:
    """Per channel type: attempts, and attempts that ended `sent`."""
    rows = await session.execute(
        select(
            Channel.type,
            func.count(DeliveryAttempt.id),
            func.sum(case((DeliveryAttempt.status == "sent", 1), else_=0)),
        )
        .join(Delivery, Delivery.id == DeliveryAttempt.delivery_id)
        .join(Channel, Channel.id == Delivery.channel_id)
        .group_by(Channel.type)
    )
    return [(kind, int(total), int(ok or 0)) for kind, total, ok in rows]


async def recent_sent(session: AsyncSession, limit: int) -> list[tuple[str, datetime, datetime]]:
    """(channel type, due, sent) of the latest sent deliveries."""
    rows = await session.execute(
        select(Channel.type, Delivery.due_at, Delivery.sent_at)
        .join(Channel, Channel.id == Delivery.channel_id)
        .where(Delivery.state == "sent", Delivery.sent_at.is_not(None))
        .order_by(Delivery.sent_at.desc())
        .limit(limit)
    )
    return [(kind, due_at, sent_at) for kind, due_at, sent_at in rows if sent_at is not None]
