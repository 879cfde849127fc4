"""What rewards do in the transaction of another feature's write (subscribed in
`habitus.wiring`). A check-in that completes a day pays its coin and checks the
milestones and streak badges in two statements; what earns is announced in the write's
answer (`coins_awarded`, `achievement_unlocked`). Conditions over every habit's days
(perfect days, months, comebacks) wait for the worker (`consumers`). A health log (D15)
checks the three health achievements in one statement."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.core.achievements import Facts
from habitus.core.rewards import COINS_PER_DONE_UNIT
from habitus.events.kinds import (
    AchievementUnlocked,
    CoachTaskDone,
    CoinsAwarded,
    DayCompleted,
    DomainEvent,
    HabitCreated,
    HabitUnarchived,
    HabitUpdated,
    HealthLogged,
    StreakExtended,
)
from habitus.gamification import repository
from habitus.gamification.earning import earn_from
from habitus.models import Habit, User

# The transaction's standing, read once and shared by the handlers of one write.
_STANDING = "gamification.standing"


async def _standing(session: AsyncSession, user: User) -> repository.Standing:
    found = session.info.get(_STANDING)
    if isinstance(found, repository.Standing):
        return found
    standing = await repository.standing(session, user.id)
    session.info[_STANDING] = standing
    return standing


def _remember(
    session: AsyncSession, standing: repository.Standing, events: list[DomainEvent]
) -> None:
    """Keep the shared standing true after this handler earned something."""
    earned = {event.achievement for event in events if isinstance(event, AchievementUnlocked)}
    if earned:
        session.info[_STANDING] = repository.Standing(standing.earned | earned, standing.done_days)


async def day_completed(
    session: AsyncSession, user: User, event: DayCompleted
) -> list[DomainEvent]:
    """D11.1: 1 coin the first time the habit's unit is done on this date (keyed by habit
    and date: undo and redo, replays and races pay once); then D10.1's milestones, which
    count those paid days."""
    if event.habit_id is None or event.local_date is None:
        return []
    # The writer holds the habit in the session already: no query.
    habit = await session.get(Habit, event.habit_id)
    name = habit.name if habit is not None else "A habit"
    reason = f"{name}: done on {event.local_date.isoformat()}"
    paid = await repository.pay(
        session,
        user.id,
        currency="coins",
        amount=COINS_PER_DONE_UNIT,
        kind=repository.HABIT_DONE,
        cause=f"done:{event.habit_id}:{event.local_date.isoformat()}",
        reason=reason,
    )
    if not paid:
        return []
    session.info.pop(_STANDING, None)  # the count of paid days just changed
    standing = await _standing(session, user)
    caused: list[DomainEvent] = [
        CoinsAwarded(
            habit_id=event.habit_id,
            local_date=event.local_date,
            amount=COINS_PER_DONE_UNIT,
            reason=reason,
        )
    ]
    caused += await earn_from(
        session,
        user,
        Facts(done_days=standing.done_days),
        standing.earned,
        habit_id=event.habit_id,
        local_date=event.local_date,
    )
    _remember(session, standing, caused)
    return caused


async def coach_task_done(
    session: AsyncSession, user: User, event: CoachTaskDone
) -> list[DomainEvent]:
    """D11.1 + D13.3: 1 coin per completed coach task, keyed by the task (undo and redo,
    replays and races pay once)."""
    reason = f"Coach task: {event.text}"[:200]
    paid = await repository.pay(
        session,
        user.id,
        currency="coins",
        amount=COINS_PER_DONE_UNIT,
        kind=repository.COACH_TASK,
        cause=f"task:{event.task_id}",
        reason=reason,
    )
    if not paid:
        return []
    return [
        CoinsAwarded(
            habit_id=event.habit_id,
            local_date=event.local_date,
            amount=COINS_PER_DONE_UNIT,
            reason=reason,
        )
    ]


async def streak_extended(
    session: AsyncSession, user: User, event: StreakExtended
) -> list[DomainEvent]:
    """D10.1 streaks: the 7/21/100 badges when any habit's current streak reaches them."""
    if event.current < 7:
        return []
    standing = await _standing(session, user)
    caused = await earn_from(
        session,
        user,
        Facts(best_current_streak=event.current),
        standing.earned,
        habit_id=event.habit_id,
        local_date=event.local_date,
    )
    _remember(session, standing, caused)
    return caused


async def habits_changed(
    session: AsyncSession, user: User, event: HabitCreated | HabitUnarchived | HabitUpdated
) -> list[DomainEvent]:
    """D10.1 explorer: 3 active habits, 3 categories among them."""
    if isinstance(event, HabitUpdated) and "category" not in event.changed:
        return []
    standing = await _standing(session, user)
    if {"habits_3", "categories_3"} <= standing.earned:
        return []
    active, categories = await repository.active_habit_counts(session, user.id)
    caused = await earn_from(
        session,
        user,
        Facts(active_habits=active, active_categories=categories),
        standing.earned,
        habit_id=event.habit_id,
        local_date=event.local_date,
    )
    _remember(session, standing, caused)
    return caused


HEALTH = frozenset({"first_metric", "metrics_30", "weight_goal"})


async def health_logged(
    session: AsyncSession, user: User, event: HealthLogged
) -> list[DomainEvent]:
    """D10.1 health: the first log, logs on 30 different dates, a weight at or past the
    goal. A log that holds no weight cannot reach the goal; a change that drops a log's
    date or weight takes nothing back (D10.2: the rows stay)."""
    standing = await _standing(session, user)
    if standing.earned >= HEALTH:
        return []
    check_weight = event.has_weight and "weight_goal" not in standing.earned
    health = await repository.health_standing(
        session, user.id, uuid.UUID(event.log_id) if check_weight else None
    )
    caused = await earn_from(
        session,
        user,
        Facts(
            health_logs=health.logs,
            health_log_days=health.log_days,
            weight_goal_reached=health.weight_goal_reached,
        ),
        standing.earned,
        local_date=event.local_date,
    )
    _remember(session, standing, caused)
    return caused
