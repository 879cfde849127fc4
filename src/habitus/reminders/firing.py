"""Firing due reminders: each due reminder is claimed by moving its `next_fire_at`
forward with a conditional UPDATE, its occurrence is recorded once per local date
(D9.4), and what it should say is decided at firing time (D9.3): the inbox gets a
notification and each target channel a delivery row, in the same transaction. The
dispatcher sends the deliveries."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from habitus import db
from habitus.analytics import service as analytics
from habitus.config import Settings
from habitus.core.time import WEEKDAYS, zone
from habitus.habits import repository as habits_repository
from habitus.habits.evaluation import evaluate
from habitus.models import Channel, Habit, Reminder, User
from habitus.reminders import messages, metrics, repository
from habitus.reminders.schedule import contexts_by_habit, next_of, parse_time

log = structlog.get_logger(__name__)

BATCH = 200
# A reminder found more than this late (the server was down) is recorded as `expired`
# and not sent: a pile of yesterday's "time for Read" helps nobody.
STALE_AFTER = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: str  # sent, suppressed, quiet, skipped, expired
    text: messages.Text | None = None
    habit: Habit | None = None


def in_quiet_hours(user: User, instant: datetime) -> bool:
    """Quiet hours: the local wall time of `instant` is in [quiet_start, quiet_end),
    a window that may wrap midnight (22:00 to 07:00)."""
    if not user.quiet_start or not user.quiet_end:
        return False
    wall = instant.astimezone(zone(user.timezone)).time()
    start, end = parse_time(user.quiet_start), parse_time(user.quiet_end)
    if start <= end:
        return start <= wall < end
    return wall >= start or wall < end


async def fire_due(
    maker: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
) -> int:
    """Fire every reminder due at `now`, a batch per transaction; occurrences fired."""
    fired = 0
    while True:
        async with db.job_transaction(maker) as session:
            due = await repository.due_reminders(session, now, BATCH)
            if not due:
                return fired
            fired += await _fire_batch(session, settings, due, now)
        # Loop until nothing is due: each firing moves its reminder strictly forward.


async def _fire_batch(
    session: AsyncSession, settings: Settings, due: list[Reminder], now: datetime
) -> int:
    users, habits = await repository.users_and_habits(
        session,
        {row.user_id for row in due},
        {row.habit_id for row in due if row.habit_id is not None},
    )
    channels = await repository.enabled_channels(session, list(users))
    by_user: dict[uuid.UUID, list[Reminder]] = defaultdict(list)
    for row in due:
        by_user[row.user_id].append(row)
    fired = 0
    for user_id, reminders in by_user.items():
        user = users[user_id]
        own = [habits[row.habit_id] for row in reminders if row.habit_id in habits]
        contexts = await contexts_by_habit(session, user, list({h.id: h for h in own}.values()))
        for reminder in reminders:
            was = reminder.next_fire_at
            day = reminder.next_local_date
            assert was is not None
            assert day is not None
            ctx = contexts.get(reminder.habit_id) if reminder.habit_id else None
            # After downtime, skip straight to the occurrences not yet stale.
            next_at, next_day = next_of(reminder, user, ctx, max(was, now - STALE_AFTER))
            if not await repository.advance_reminder(session, reminder.id, was, next_at, next_day):
                continue  # another worker fired it
            if now - was > STALE_AFTER:
                decision = Decision("expired")
            else:
                decision = await _decide(session, settings, user, reminder, habits, day, was)
            if not await repository.record_occurrence(
                session,
                {
                    "reminder_id": reminder.id,
                    "user_id": user.id,
                    "local_date": day,
                    "due_at": was,
                    "fired_at": now,
                    "outcome": decision.outcome,
                },
            ):
                continue
            if decision.text is None:
                metrics.SUPPRESSED.labels(decision.outcome).inc()
                continue
            await notify(
                session,
                user,
                kind=reminder.kind if reminder.kind != "habit" else "reminder",
                text=decision.text,
                habit=decision.habit,
                local_date=day,
                due_at=was,
                source_key=f"reminder:{reminder.id}:{day.isoformat()}",
                channels=_targets(reminder, channels.get(user.id, []))
                if decision.outcome == "sent"
                else [],
                now=now,
            )
            metrics.FIRED.labels(reminder.kind).inc()
            fired += 1
    return fired


def _targets(reminder: Reminder, enabled: list[Channel]) -> list[Channel]:
    if not reminder.channel_ids:
        return enabled
    wanted = {str(value) for value in reminder.channel_ids}
    return [channel for channel in enabled if str(channel.id) in wanted]


async def notify(
    session: AsyncSession,
    user: User,
    *,
    kind: str,
    text: messages.Text,
    habit: Habit | None,
    local_date: date | None,
    due_at: datetime,
    source_key: str,
    channels: list[Channel],
    now: datetime,
) -> uuid.UUID:
    """A notification in the inbox and a delivery per channel (the ledger's rows)."""
    notification_id = await repository.add_notification(
        session,
        {
            "user_id": user.id,
            "kind": kind,
            "title": text.title[:200],
            "body": text.body,
            "habit_id": habit.id if habit is not None else None,
            "local_date": local_date,
            "created_at": now,
        },
    )
    await repository.add_deliveries(
        session,
        [
            {
                "id": uuid.uuid4(),
                "created_at": now,
                "user_id": user.id,
                "channel_id": channel.id,
                "notification_id": notification_id,
                "source_key": source_key,
                "event": kind,
                "title": text.title[:200],
                "body": text.body,
                "habit_id": habit.id if habit is not None else None,
                "habit_name": habit.name if habit is not None else None,
                "local_date": local_date,
                "state": "pending",
                "attempts": 0,
                "due_at": due_at,
                "next_attempt_at": now,
            }
            for channel in channels
        ],
    )
    return notification_id


async def _decide(
    session: AsyncSession,
    settings: Settings,
    user: User,
    reminder: Reminder,
    habits: dict[uuid.UUID, Habit],
    day: date,
    due_at: datetime,
) -> Decision:
    if user.disabled_at is not None:
        return Decision("skipped")
    quiet = in_quiet_hours(user, due_at)
    decision = await _what_to_say(session, settings, user, reminder, habits, day)
    if decision.text is not None and quiet:
        return Decision("quiet", decision.text, decision.habit)
    return decision


async def _what_to_say(
    session: AsyncSession,
    settings: Settings,
    user: User,
    reminder: Reminder,
    habits: dict[uuid.UUID, Habit],
    day: date,
) -> Decision:
    if reminder.kind == "habit":
        habit = habits.get(reminder.habit_id) if reminder.habit_id else None
        if habit is None or habit.archived_at is not None:
            return Decision("skipped")
        now = (await evaluate(session, user, [habit], day))[0].now
        if reminder.only_if_pending and now.outcome != "pending":
            return Decision("suppressed")  # D9.3: done already, or not required
        return Decision(
            "sent", messages.habit_reminder(habit.name, now.current.length, now.unit), habit
        )
    active = await habits_repository.habits_of(session, user.id, archived=False)
    if reminder.kind == "weekly_summary":
        return await _weekly(session, settings, user, active, day)
    states = await evaluate(session, user, active, day)
    pending = [item for item in states if item.now.outcome == "pending"]
    if reminder.kind == "streak_at_risk":
        lines = [
            messages.HabitLine(item.ctx.habit.name, item.now.current.length, item.now.unit)
            for item in pending
            if item.now.current.length > 0
        ]
        if not lines:
            return Decision("suppressed")
        return Decision("sent", messages.streak_at_risk(lines, user.day_start_hour))
    if not pending:
        return Decision("suppressed")  # the digest: nothing left today
    return Decision("sent", messages.digest([item.ctx.habit.name for item in pending], day))


async def _weekly(
    session: AsyncSession, settings: Settings, user: User, active: list[Habit], day: date
) -> Decision:
    """Last week's rates and streaks (the week before the one holding `day`)."""
    week_start = WEEKDAYS.index(user.week_start)
    this_week = day - timedelta(days=(day.weekday() - week_start) % 7)
    first, last = this_week - timedelta(days=7), this_week - timedelta(days=1)
    report = await analytics.report(
        session, user, first, last, threshold=settings.summary_threshold_days
    )
    states = {item.ctx.habit.id: item.now for item in await evaluate(session, user, active, day)}
    lines = [
        messages.HabitLine(
            line.habit.name,
            states[line.habit.id].current.length,
            states[line.habit.id].unit,
            line.done,
            line.missed,
        )
        for line in report.habits
        if line.habit.id in states
    ]
    if not lines:
        return Decision("suppressed")
    return Decision("sent", messages.weekly_summary(lines, first, last))
