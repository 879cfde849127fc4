"""Insights (issue 18, D14): per-habit predictions for the next required unit (the
user's logistic regression, or the baseline while data is thin), alerts (D14.3), and
the statistics the page shows; the training trigger (every 20 completions) and the
worker's training step.

Training is driven by the event log: the durable consumer `insights.training` counts
each `DayCompleted` once (its writes and its cursor move commit together); at 20 the
user is due. The worker's step `insights.train` claims a due user by compare-and-set on
`claimed_until` (two workers: one trains), trains outside any transaction (in a thread:
it is CPU work) and stores the coefficients as JSON. 40 completions in a burst make one
training: the count is reset by what the claimed training covered.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import structlog
from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from habitus import db
from habitus.coach import history, learning
from habitus.coach.learning import HabitHistory, Model
from habitus.context import AppContext
from habitus.core import time as core_time
from habitus.errors import NotFound
from habitus.events import service as events
from habitus.events.kinds import AlertRaised
from habitus.events.service import StoredEvent
from habitus.habits.evaluation import today_of
from habitus.kit import clock
from habitus.kit.rates import Rate
from habitus.models import (
    AlertDismissal,
    AlertNotice,
    Entry,
    Habit,
    PredictionModel,
    Reminder,
    TrainingState,
    User,
)
from habitus.registry import JobContext

log = structlog.get_logger(__name__)

CONSUMER = "insights.training"
TRAIN_EVERY = 20
CLAIM = timedelta(minutes=5)
# A training reads two years of every habit: at most this long, or it is dropped (the
# next 20 completions try again).
TRAIN_SECONDS = 30.0
INTERVAL_SECONDS = 15.0
# Training on demand reads two years of every habit: a few an hour is plenty.
TRAIN_RATE = Rate(count=10, period_seconds=3600.0)


# --- the trigger --------------------------------------------------------------------


async def count_completions(session: AsyncSession, found: list[StoredEvent]) -> None:
    """The consumer: each `DayCompleted` counts once toward the next training."""
    per_user = Counter(item.user_id for item in found)
    now = clock.now()
    insert = db.insert_for(db.dialect_of(session))
    for user_id, count in per_user.items():
        await session.execute(
            insert(TrainingState)
            .values(user_id=user_id, completions=0)
            .on_conflict_do_nothing(index_elements=["user_id"])
        )
        await session.execute(
            update(TrainingState)
            .where(TrainingState.user_id == user_id)
            .values(completions=TrainingState.completions + count)
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(TrainingState)
            .where(
                TrainingState.user_id == user_id,
                TrainingState.completions >= TRAIN_EVERY,
                TrainingState.due_at.is_(None),
            )
            .values(due_at=now)
            .execution_options(synchronize_session=False)
        )


async def request_training(session: AsyncSession, ctx: AppContext, user_id: uuid.UUID) -> None:
    """On demand (POST /insights/train, the page's "Retrain now", one budget for both):
    the user is due now."""
    await ctx.check_rate(f"insights-train:{user_id}", TRAIN_RATE)
    await db.start_writing(session)
    insert = db.insert_for(db.dialect_of(session))
    await session.execute(
        insert(TrainingState)
        .values(user_id=user_id, completions=0, due_at=clock.now())
        .on_conflict_do_update(index_elements=["user_id"], set_={"due_at": clock.now()})
    )


# --- training -------------------------------------------------------------------------


async def train_user(session: AsyncSession, user: User) -> Model | None:
    """Train and store the user's model now; None (and no model kept) when data is thin
    (D14.2: the baseline answers)."""
    found = (await history.histories_of(session, user)).items
    model = await asyncio.wait_for(
        asyncio.to_thread(learning.train, found, now=clock.now()), TRAIN_SECONDS
    )
    await db.start_writing(session)
    existing = await session.get(PredictionModel, user.id)
    if model is None:
        if existing is not None:
            await session.delete(existing)
        return None
    if existing is None:
        existing = PredictionModel(user_id=user.id, version=0, model={}, samples=0)
        session.add(existing)
    existing.version = model.version
    existing.model = model.to_json()
    existing.samples = model.samples
    existing.trained_at = clock.now()
    await session.flush()
    return model


async def _claim(maker: async_sessionmaker[AsyncSession], user_id: uuid.UUID) -> int | None:
    """Claim a due user's training: the completions it covers, or None (someone else)."""
    now = clock.now()
    async with db.job_transaction(maker) as session:
        state = await session.get(TrainingState, user_id)
        if state is None or state.due_at is None:
            return None
        claimed = await session.execute(
            update(TrainingState)
            .where(
                TrainingState.user_id == user_id,
                TrainingState.due_at.is_not(None),
                or_(TrainingState.claimed_until.is_(None), TrainingState.claimed_until < now),
            )
            .values(claimed_until=now + CLAIM)
            .execution_options(synchronize_session=False)
        )
        if db.rowcount(claimed) != 1:
            return None
        return state.completions


async def _finish(
    maker: async_sessionmaker[AsyncSession], user_id: uuid.UUID, covered: int
) -> None:
    async with db.job_transaction(maker) as session:
        state = await session.get(TrainingState, user_id)
        if state is None:
            return
        state.completions = max(0, state.completions - covered)
        state.due_at = clock.now() if state.completions >= TRAIN_EVERY else None
        state.claimed_until = None
        state.last_trained_at = clock.now()


async def train_due(ctx: JobContext) -> int:
    """The worker's step: train every due user (claimed once across workers)."""
    now = clock.now()
    async with db.job_transaction(ctx.maker) as session:
        due = list(
            await session.scalars(
                select(TrainingState.user_id)
                .where(
                    TrainingState.due_at.is_not(None),
                    or_(TrainingState.claimed_until.is_(None), TrainingState.claimed_until < now),
                )
                .order_by(TrainingState.due_at)
                .limit(20)
            )
        )
    trained = 0
    for user_id in due:
        covered = await _claim(ctx.maker, user_id)
        if covered is None:
            continue
        try:
            async with db.job_transaction(ctx.maker) as session:
                user = await session.get(User, user_id)
                if user is not None and user.disabled_at is None:
                    await train_user(session, user)
                    await notify_alerts(session, user)
                    trained += 1
        except TimeoutError:
            log.warning("insights.training_timeout", user_id=str(user_id))
        await _finish(ctx.maker, user_id, covered)
    return trained


# --- reading --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Prediction:
    habit_id: uuid.UUID
    name: str
    day: date
    probability: float
    model: str  # "logistic" | "baseline"
    trained_at: datetime | None
    samples: int
    why: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Alert:
    kind: str  # missed_habit | low_consistency | at_risk | suggestion
    habit_id: uuid.UUID
    habit_name: str
    message: str
    action: str  # the one thing to do, in words
    action_url: str


@dataclass(frozen=True, slots=True)
class Insights:
    today: date
    predictions: list[Prediction]
    alerts: list[Alert]
    weekly_average: float | None  # done units per week over the last 4 weeks, all habits
    rate_7d: float | None
    rate_30d: float | None
    weekly: list[tuple[date, float | None]]  # the rate of each of the last 8 weeks


async def stored_model(session: AsyncSession, user_id: uuid.UUID) -> tuple[Model, datetime] | None:
    """The user's model and when it was trained; None: the baseline answers."""
    row = await session.get(PredictionModel, user_id)
    if row is None:
        return None
    try:
        return Model.from_json(row.model), row.trained_at
    except ValueError:
        return None  # trained with another feature list: the baseline until retrained


def _rate(histories: Sequence[HabitHistory], first: date, last: date) -> float | None:
    done = required = 0
    for item in histories:
        for fact in item.facts:
            if first <= fact.day <= last and fact.required and not fact.in_break:
                required += 1
                done += int(fact.done)
    return round(done / required, 4) if required else None


def _streak(item: HabitHistory) -> int:
    count = 0
    for fact in reversed(item.facts):
        if not fact.required or fact.in_break:
            continue
        if not fact.done:
            break
        count += 1
    return count


def _last_required(item: HabitHistory, n: int) -> list[bool]:
    found = [fact.done for fact in item.facts if fact.required and not fact.in_break]
    return found[-n:]


def _in_break_today(item: HabitHistory) -> bool:
    return bool(item.facts) and item.facts[-1].in_break


async def view(session: AsyncSession, user: User) -> Insights:
    """Everything the Insights page and GET /insights show."""
    found = await history.histories_of(session, user)
    today, histories, names = found.today, found.items, found.names
    stored = await stored_model(session, user.id)
    model, trained_at = stored if stored is not None else (None, None)
    predictions: list[Prediction] = []
    for item in histories:
        if model is not None and any(fact.required for fact in item.facts):
            probability = learning.predict(model, item, today)
            kind = "logistic"
        else:
            probability = learning.baseline(item, today)
            kind = "baseline"
        why = tuple(
            entry.text
            for entry in learning.explain(model if kind == "logistic" else None, item, today)
        )
        predictions.append(
            Prediction(
                habit_id=uuid.UUID(item.habit_id),
                name=names.get(item.habit_id, "A habit"),
                day=today,
                probability=round(probability, 4),
                model=kind,
                trained_at=trained_at if kind == "logistic" else None,
                samples=model.samples if model is not None and kind == "logistic" else 0,
                why=why,
            )
        )
    alerts = await _alerts(session, user, today, histories, predictions, names)
    yesterday = today - timedelta(days=1)
    weeks = []
    for back in range(8, 0, -1):
        first = yesterday - timedelta(days=7 * back - 1)
        weeks.append((first, _rate(histories, first, first + timedelta(days=6))))
    done_4w = sum(
        1
        for item in histories
        for fact in item.facts
        if fact.done and fact.day > yesterday - timedelta(days=28)
    )
    return Insights(
        today=today,
        predictions=predictions,
        alerts=alerts,
        weekly_average=round(done_4w / 4, 2) if histories else None,
        rate_7d=_rate(histories, yesterday - timedelta(days=6), yesterday),
        rate_30d=_rate(histories, yesterday - timedelta(days=29), yesterday),
        weekly=weeks,
    )


def alerts_for(
    item: HabitHistory, name: str, prediction: Prediction | None, today: date
) -> list[Alert]:
    """D14.3 for one habit (none during a break)."""
    if _in_break_today(item):
        return []
    habit_id = uuid.UUID(item.habit_id)
    page = f"/habits/{habit_id}"
    found: list[Alert] = []
    last_two = _last_required(item, 2)
    if len(last_two) == 2 and not any(last_two):
        found.append(
            Alert(
                "missed_habit",
                habit_id,
                name,
                f"{name} was missed the last 2 times.",
                "Take a short break",
                "/breaks",
            )
        )
    yesterday = today - timedelta(days=1)
    window = [
        fact
        for fact in item.facts
        if fact.day > yesterday - timedelta(days=30) and fact.required and not fact.in_break
    ]
    if len(window) >= 8:
        rate = sum(fact.done for fact in window) / len(window)
        if rate < 0.5:
            found.append(
                Alert(
                    "low_consistency",
                    habit_id,
                    name,
                    f"{name} was done {round(rate * 100)}% of the time in the last 30 days.",
                    "Lower the target or the schedule",
                    f"{page}/edit",
                )
            )
    if prediction is not None and prediction.probability < 0.4 and _streak(item) >= 3:
        found.append(
            Alert(
                "at_risk",
                habit_id,
                name,
                f"Your {_streak(item)}-day run of {name} may break: "
                f"{round(prediction.probability * 100)}% likely today.",
                "Set a reminder",
                f"{page}/reminders",
            )
        )
    return found


async def _suggestions(
    session: AsyncSession, user: User, histories: Sequence[HabitHistory], names: dict[str, str]
) -> list[Alert]:
    """D14.3 `suggestion`: a habit with a reminder that is usually done at another hour
    (at least 5 completions in 30 days, their median 2 hours or more from the reminder)."""
    # Never during a break (D14.3's inbox rule holds for every kind).
    ids = [uuid.UUID(item.habit_id) for item in histories if not _in_break_today(item)]
    if not ids:
        return []
    since = clock.now() - timedelta(days=30)
    reminders: dict[uuid.UUID, str] = {
        row.habit_id: row.time
        for row in await session.scalars(
            select(Reminder).where(
                Reminder.user_id == user.id,
                Reminder.habit_id.in_(ids),
                Reminder.enabled.is_(True),
            )
        )
        if row.habit_id is not None
    }
    if not reminders:
        return []
    hours: dict[uuid.UUID, list[int]] = {}
    for habit_id, logged_at in await session.execute(
        select(Entry.habit_id, Entry.logged_at).where(
            Entry.habit_id.in_(list(reminders)), Entry.status == "done", Entry.logged_at >= since
        )
    ):
        local = logged_at.astimezone(core_time.zone(user.timezone))
        hours.setdefault(habit_id, []).append(local.hour * 60 + local.minute)
    found = []
    for habit_id, time_text in reminders.items():
        minutes = sorted(hours.get(habit_id, []))
        if len(minutes) < 5:
            continue
        median = minutes[len(minutes) // 2]
        hour, minute = (int(part) for part in time_text.split(":"))
        if abs(median - (hour * 60 + minute)) >= 120:
            at = f"{median // 60:02d}:{(median % 60) // 15 * 15:02d}"
            name = names.get(str(habit_id), "A habit")
            found.append(
                Alert(
                    "suggestion",
                    habit_id,
                    name,
                    f"You usually do {name} around {at}, but its reminder is at {time_text}.",
                    f"Move the reminder to {at}",
                    f"/habits/{habit_id}/reminders",
                )
            )
    return found


async def _alerts(
    session: AsyncSession,
    user: User,
    today: date,
    histories: Sequence[HabitHistory],
    predictions: Sequence[Prediction],
    names: dict[str, str],
) -> list[Alert]:
    by_habit = {str(item.habit_id): item for item in predictions}
    found: list[Alert] = []
    for item in histories:
        found += alerts_for(
            item, names.get(item.habit_id, "A habit"), by_habit.get(item.habit_id), today
        )
    found += await _suggestions(session, user, histories, names)
    dismissed = {
        (row.habit_id, row.kind)
        for row in await session.scalars(
            select(AlertDismissal).where(
                AlertDismissal.user_id == user.id, AlertDismissal.until >= today
            )
        )
    }
    return [alert for alert in found if (alert.habit_id, alert.kind) not in dismissed]


def week_of(day: date, user: User) -> date:
    start = core_time.weekday_number(user.week_start)
    return day - timedelta(days=(day.weekday() - start) % 7)


async def dismiss_alert(session: AsyncSession, user: User, habit_id: uuid.UUID, kind: str) -> None:
    """Hide that alert card until the week ends; another user's habit: 404."""
    habit = await session.get(Habit, habit_id)
    if habit is None or habit.user_id != user.id:
        raise NotFound("No such habit.")
    today = today_of(user)
    await db.start_writing(session)
    until = week_of(today, user) + timedelta(days=6)
    insert = db.insert_for(db.dialect_of(session))
    await session.execute(
        insert(AlertDismissal)
        .values(user_id=user.id, habit_id=habit_id, kind=kind, until=until)
        .on_conflict_do_update(
            index_elements=["user_id", "habit_id", "kind"], set_={"until": until}
        )
    )


async def notify_alerts(session: AsyncSession, user: User) -> int:
    """D14.3 in the inbox: each alert, at most one per habit per week, never during a
    break; written as `AlertRaised` events for the notices consumer."""
    found = await view(session, user)
    week = week_of(found.today, user)
    insert = db.insert_for(db.dialect_of(session))
    raised = []
    for alert in found.alerts:
        claimed = await session.execute(
            insert(AlertNotice)
            .values(user_id=user.id, habit_id=alert.habit_id, week=week, kind=alert.kind)
            .on_conflict_do_nothing()
            .returning(AlertNotice.habit_id)
        )
        if claimed.first() is None:
            continue
        raised.append(
            AlertRaised(
                habit_id=alert.habit_id,
                local_date=found.today,
                alert=alert.kind,
                message=alert.message,
                action=alert.action,
            )
        )
    if raised:
        await events.publish(session, user, raised)
    state = await session.get(TrainingState, user.id)
    if state is not None:
        state.alerts_next_at = next_day_start(user, found.today)
    return len(raised)


def _alerts_due(now: datetime) -> ColumnElement[bool]:
    return or_(TrainingState.alerts_next_at.is_(None), TrainingState.alerts_next_at <= now)


def next_day_start(user: User, today: date) -> datetime:
    """The instant the user's next local day begins (D1.2: at their day start hour)."""
    wall = datetime.combine(
        today + timedelta(days=1), time(user.day_start_hour), tzinfo=core_time.zone(user.timezone)
    )
    return wall.astimezone(UTC)


async def check_alerts(ctx: JobContext) -> int:
    """The worker's daily pass: each user whose local day began since their last check
    gets their alerts (the inbox's at most one per habit per week holds)."""
    now = clock.now()
    async with db.job_transaction(ctx.maker) as session:
        users = list(
            await session.scalars(
                select(User.id)
                .join(TrainingState, TrainingState.user_id == User.id, isouter=True)
                .where(
                    User.disabled_at.is_(None),
                    or_(
                        TrainingState.alerts_next_at.is_(None), TrainingState.alerts_next_at <= now
                    ),
                )
                .limit(100)
            )
        )
    told = 0
    for user_id in users:
        async with db.job_transaction(ctx.maker) as session:
            user = await session.get(User, user_id)
            if user is None:
                continue
            insert = db.insert_for(db.dialect_of(session))
            await session.execute(
                insert(TrainingState)
                .values(user_id=user_id, completions=0)
                .on_conflict_do_nothing(index_elements=["user_id"])
            )
            # Claimed by moving the next check first: a second worker skips this user.
            moved = await session.execute(
                update(TrainingState)
                .where(
                    TrainingState.user_id == user_id,
                    or_(
                        TrainingState.alerts_next_at.is_(None), TrainingState.alerts_next_at <= now
                    ),
                )
                .values(alerts_next_at=now + CLAIM)
                .execution_options(synchronize_session=False)
            )
            if db.rowcount(moved) != 1:
                continue
            told += await notify_alerts(session, user)
    return told
