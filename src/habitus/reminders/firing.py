"""Firing due reminders: each due reminder is claimed by moving its `next_fire_at`
forward with a conditional UPDATE, its occurrence is recorded once per local date
(D9.4), and what it should say is decided at firing time (D9.3): the inbox gets a
notification and each target channel a delivery row, in the same transaction. The
dispatcher sends the deliveries.

Firing ahead (issue 22): reminders due within `reminder_fire_ahead_seconds` are fired
before their instant, so the work of a burst is done by the time it is due. Only what
will be sent is fired ahead: a reminder whose answer is "send" and that has a channel
to send to. Its inbox row carries the due instant as `created_at` (the inbox does not
show it before then), its deliveries become sendable at that instant (`next_attempt_at`)
and the dispatcher asks D9.3 again just before sending (`called_off`). Anything
else (suppressed, quiet, inbox-only) is left to be decided at its instant, as before."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from habitus import db
from habitus.analytics import queries as analytics
from habitus.config import Settings
from habitus.core.evaluate import HabitNow
from habitus.core.time import WEEKDAYS, zone
from habitus.habits import repository as habits_repository
from habitus.habits.evaluation import evaluate
from habitus.models import Channel, Delivery, Habit, Reminder, User
from habitus.reminders import messages, metrics, repository
from habitus.reminders.schedule import contexts_by_habit, next_of, parse_time

log = structlog.get_logger(__name__)

BATCH = 200
# A reminder found more than this late (the server was down) is recorded as `expired`
# and not sent: a pile of yesterday's "time for Read" helps nobody.
STALE_AFTER = timedelta(hours=1)


def _kept_by_restraint(habit: Habit) -> bool:
    """D2.2: a day of this habit is complete unless something is done (a slip, too much)."""
    return habit.polarity == "quit" or habit.direction == "at_most"


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
    """Fire every reminder due at `now`, a batch per transaction, then prepare those due
    within the fire-ahead horizon; occurrences fired."""
    fired = 0
    while True:
        async with db.job_transaction(maker) as session:
            due = await repository.due_reminders(session, now, BATCH)
            if not due:
                break
            fired += await _fire_batch(session, settings, due, now)
        # Loop until nothing is due: each firing moves its reminder strictly forward.
    horizon = timedelta(seconds=settings.reminder_fire_ahead_seconds)
    if horizon:
        fired += await fire_ahead(maker, settings, now, now + horizon)
    return fired


async def fire_ahead(
    maker: async_sessionmaker[AsyncSession], settings: Settings, now: datetime, until: datetime
) -> int:
    """Prepare the reminders due after `now` and at or before `until` (issue 22). A
    reminder left to its instant stays where it is, so the walk goes forward by its
    (due instant, id) rather than asking for "what is due" again."""
    fired, after = 0, None
    while True:
        async with db.job_transaction(maker) as session:
            due = await repository.reminders_due_between(session, now, until, after, BATCH)
            if not due:
                return fired
            fired += await _fire_batch(session, settings, due, now, ahead=True)
        last = due[-1]
        assert last.next_fire_at is not None
        after = (last.next_fire_at, last.id)


async def _fire_batch(
    session: AsyncSession,
    settings: Settings,
    due: list[Reminder],
    now: datetime,
    *,
    ahead: bool = False,
) -> int:
    """Decide, claim and write a batch in a few bulk statements: each user's habits are
    evaluated once per day whatever the number of reminders, the reminders move forward
    in one executemany, the occurrences go in one INSERT whose RETURNING says which
    were new (D9.4), then the inbox rows and the deliveries in one INSERT each.
    `ahead`: the reminders are not due yet; only those that will send are fired."""
    users, habits = await repository.users_and_habits(
        session,
        {row.user_id for row in due},
        {row.habit_id for row in due if row.habit_id is not None},
    )
    channels = await repository.enabled_channels(session, list(users))
    by_user: dict[uuid.UUID, list[Reminder]] = defaultdict(list)
    for row in due:
        by_user[row.user_id].append(row)
    decider = Decider(session, settings)
    moves: list[dict[str, Any]] = []
    planned: list[tuple[Reminder, User, datetime, date, Decision]] = []
    for user_id, reminders in by_user.items():
        user = users[user_id]
        own = [habits[row.habit_id] for row in reminders if row.habit_id in habits]
        contexts = await contexts_by_habit(session, user, list({h.id: h for h in own}.values()))
        for reminder in reminders:
            was, day = reminder.next_fire_at, reminder.next_local_date
            assert was is not None
            assert day is not None
            ctx = contexts.get(reminder.habit_id) if reminder.habit_id else None
            # After downtime, skip straight to the occurrences not yet stale.
            next_at, next_day = next_of(reminder, user, ctx, max(was, now - STALE_AFTER))
            if now - was > STALE_AFTER:
                decision = Decision("expired")
            else:
                decision = await decider.decide(user, reminder, habits, day, was)
            if ahead and not _sends(decision, reminder, channels.get(user.id, [])):
                continue  # decided at its instant (D9.3 then, not now)
            moves.append({"b_id": reminder.id, "b_was": was, "b_next": next_at, "b_date": next_day})
            planned.append((reminder, user, was, day, decision))
    await repository.advance_reminders(session, moves)
    new = await repository.record_occurrences(
        session,
        [
            {
                "reminder_id": reminder.id,
                "user_id": user.id,
                "local_date": day,
                "due_at": was,
                "fired_at": now,
                "outcome": decision.outcome,
            }
            for reminder, user, was, day, decision in planned
        ],
    )
    inbox: list[dict[str, Any]] = []
    deliveries: list[dict[str, Any]] = []
    for reminder, user, was, day, decision in planned:
        if reminder.id not in new:
            continue  # fired already (another worker, an earlier pass)
        if decision.text is None:
            metrics.SUPPRESSED.labels(decision.outcome).inc()
            continue
        kind = reminder.kind if reminder.kind != "habit" else "reminder"
        # Fired ahead, the inbox row is dated at its instant and shows from then on;
        # its deliveries become sendable then too.
        at = max(was, now)
        notification = _notification_row(user, kind, decision.text, decision.habit, day, at)
        inbox.append(notification)
        if decision.outcome == "sent":
            deliveries.extend(
                _delivery_rows(
                    user,
                    kind,
                    decision.text,
                    decision.habit,
                    day,
                    was,
                    f"reminder:{reminder.id}:{day.isoformat()}",
                    _targets(reminder, channels.get(user.id, [])),
                    now,
                    notification["id"],
                    sendable_at=at,
                )
            )
        metrics.FIRED.labels(reminder.kind).inc()
    await repository.add_notifications(session, inbox)
    await repository.add_deliveries(session, deliveries)
    return len(inbox)


def _notification_row(
    user: User,
    kind: str,
    text: messages.Text,
    habit: Habit | None,
    local_date: date | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "user_id": user.id,
        "kind": kind,
        "title": text.title[:200],
        "body": text.body,
        "habit_id": habit.id if habit is not None else None,
        "local_date": local_date,
        "created_at": now,
        "read_at": None,
    }


def _delivery_rows(
    user: User,
    kind: str,
    text: messages.Text,
    habit: Habit | None,
    local_date: date | None,
    due_at: datetime,
    source_key: str,
    channels: list[Channel],
    now: datetime,
    notification_id: uuid.UUID | None,
    *,
    sendable_at: datetime | None = None,
) -> list[dict[str, Any]]:
    return [
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
            "next_attempt_at": sendable_at or now,
        }
        for channel in channels
    ]


def _sends(decision: Decision, reminder: Reminder, enabled: list[Channel]) -> bool:
    """Whether a firing ahead of time would send something (a channel to send to)."""
    return decision.outcome == "sent" and bool(_targets(reminder, enabled))


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
    """One notification in the inbox and a delivery per channel (the ledger's rows)."""
    row = _notification_row(user, kind, text, habit, local_date, now)
    await repository.add_notifications(session, [row])
    await repository.add_deliveries(
        session,
        _delivery_rows(
            user, kind, text, habit, local_date, due_at, source_key, channels, now, row["id"]
        ),
    )
    notification_id: uuid.UUID = row["id"]
    return notification_id


REMINDER_SOURCE = "reminder:"


def reminder_day(delivery: Delivery) -> tuple[uuid.UUID, date] | None:
    """The (reminder id, local date) a delivery was fired for, from its source key
    (`reminder:<id>:<date>`); None for other sources (events, tests)."""
    if not delivery.source_key.startswith(REMINDER_SOURCE):
        return None
    try:
        _, reminder_id, day = delivery.source_key.split(":")
        return uuid.UUID(reminder_id), date.fromisoformat(day)
    except ValueError:
        return None


# The kinds whose answer depends on the day's state: asked again at send time. A habit
# reminder too when it is `only_if_pending` (D9.3).
CONDITIONAL_KINDS = frozenset({"streak_at_risk", "digest"})


async def called_off(
    session: AsyncSession, settings: Settings, deliveries: list[Delivery]
) -> list[Delivery]:
    """D9.3 at send time (issue 22): of these deliveries, prepared ahead and about to be
    sent, those whose reminder would not send now (the day was checked in since, the
    account was disabled, the habit archived), or whose reminder was deleted or turned
    off since it was prepared."""
    keyed = {row.id: key for row in deliveries if (key := reminder_day(row)) is not None}
    reminders = await repository.reminders_by_id(session, {key[0] for key in keyed.values()})
    gone = {
        row.id
        for row in deliveries
        if row.id in keyed
        and ((found := reminders.get(keyed[row.id][0])) is None or not found.enabled)
    }
    off = [row for row in deliveries if row.id in gone]
    conditional = {
        reminder.id: reminder
        for reminder in reminders.values()
        if reminder.enabled and (reminder.only_if_pending or reminder.kind in CONDITIONAL_KINDS)
    }
    if not conditional:
        return off
    users, habits = await repository.users_and_habits(
        session,
        {reminder.user_id for reminder in conditional.values()},
        {reminder.habit_id for reminder in conditional.values() if reminder.habit_id},
    )
    decider = Decider(session, settings)
    for row in deliveries:
        key = keyed.get(row.id)
        reminder = conditional.get(key[0]) if key else None
        user = users.get(reminder.user_id) if reminder else None
        if key is None or reminder is None or user is None:
            continue
        decision = await decider.decide(user, reminder, habits, key[1], row.due_at)
        if decision.outcome != "sent":
            off.append(row)
    return off


class Decider:
    """What each firing says (D9.3), with each user's habits evaluated once per local
    day for the whole batch (a burst of reminders costs one evaluation per user)."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self._active: dict[uuid.UUID, list[Habit]] = {}
        self._states: dict[tuple[uuid.UUID, date], dict[uuid.UUID, HabitNow]] = {}

    async def _active_habits(self, user: User) -> list[Habit]:
        if user.id not in self._active:
            self._active[user.id] = await habits_repository.habits_of(
                self.session, user.id, archived=False
            )
        return self._active[user.id]

    async def _states_on(self, user: User, day: date) -> dict[uuid.UUID, HabitNow]:
        key = (user.id, day)
        if key not in self._states:
            active = await self._active_habits(user)
            found = await evaluate(self.session, user, active, day)
            self._states[key] = {item.ctx.habit.id: item.now for item in found}
        return self._states[key]

    async def decide(
        self,
        user: User,
        reminder: Reminder,
        habits: dict[uuid.UUID, Habit],
        day: date,
        due_at: datetime,
    ) -> Decision:
        if user.disabled_at is not None:
            return Decision("skipped")
        decision = await self._what_to_say(user, reminder, habits, day)
        if decision.text is not None and in_quiet_hours(user, due_at):
            return Decision("quiet", decision.text, decision.habit)
        return decision

    async def _what_to_say(
        self, user: User, reminder: Reminder, habits: dict[uuid.UUID, Habit], day: date
    ) -> Decision:
        if reminder.kind == "habit":
            habit = habits.get(reminder.habit_id) if reminder.habit_id else None
            if habit is None or habit.archived_at is not None:
                return Decision("skipped")
            now = (await self._states_on(user, day)).get(habit.id)
            if now is None:
                return Decision("skipped")
            if reminder.only_if_pending and now.outcome != "pending":
                return Decision("suppressed")  # D9.3: done already, or not required
            return Decision(
                "sent",
                messages.habit_reminder(habit.name, now.current.length, now.unit, habit.polarity),
                habit,
            )
        if reminder.kind == "weekly_summary":
            return await self._weekly(user, day)
        states = await self._states_on(user, day)
        active = await self._active_habits(user)
        pending = [
            (habit, states[habit.id]) for habit in active if states[habit.id].outcome == "pending"
        ]
        # D2.2: a quit habit (or an "at most" amount) is kept by not doing it: doing
        # nothing never ends its streak and is nothing "to do", so it is only named as
        # one to stay on track with.
        to_do = [(habit, now) for habit, now in pending if not _kept_by_restraint(habit)]
        if reminder.kind == "streak_at_risk":
            lines = [
                messages.HabitLine(habit.name, now.current.length, now.unit)
                for habit, now in to_do
                if now.current.length > 0
            ]
            if not lines:
                return Decision("suppressed")
            return Decision("sent", messages.streak_at_risk(lines, user.day_start_hour))
        if not to_do:
            return Decision("suppressed")  # the digest: nothing left today
        quits = [habit.name for habit, _ in pending if _kept_by_restraint(habit)]
        return Decision("sent", messages.digest([habit.name for habit, _ in to_do], day, quits))

    async def _weekly(self, user: User, day: date) -> Decision:
        """Last week's rates and streaks (the week before the one holding `day`)."""
        week_start = WEEKDAYS.index(user.week_start)
        this_week = day - timedelta(days=(day.weekday() - week_start) % 7)
        first, last = this_week - timedelta(days=7), this_week - timedelta(days=1)
        report = await analytics.report(
            self.session, user, first, last, threshold=self.settings.summary_threshold_days
        )
        states = await self._states_on(user, day)
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
