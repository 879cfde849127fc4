"""Queries of the rewards tables. Inserts that must happen once use the tables' keys
(ON CONFLICT DO NOTHING ... RETURNING): a race or a replay finds the row there and
pays or earns nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.core.rewards import Currency
from habitus.kit import clock
from habitus.kit.pagination import after_time_id
from habitus.models import AchievementEarned, Habit, RewardLedgerRow, RewardState
from habitus.models.health import HealthGoal, HealthLog

HABIT_DONE = "habit_done"
COACH_TASK = "coach_task"
DAILY_CLAIM = "daily_claim"
FREEZE_BOUGHT = "freeze_bought"


async def pay(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    currency: Currency,
    amount: int,
    kind: str,
    cause: str,
    reason: str,
) -> bool:
    """Append a ledger row for `cause` unless one is there: True when this call paid."""
    insert = db.insert_for(db.dialect_of(session))
    statement = (
        insert(RewardLedgerRow)
        .values(
            id=uuid.uuid4(),
            user_id=user_id,
            created_at=clock.now(),
            currency=currency,
            amount=amount,
            kind=kind,
            cause=cause,
            reason=reason,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "cause"])
        .returning(RewardLedgerRow.id)
    )
    return (await session.execute(statement)).first() is not None


@dataclass(frozen=True, slots=True)
class Standing:
    """What the achievement pass of a check-in reads, in one statement: the ids earned
    and the days ever paid as done (D10.1 milestones)."""

    earned: frozenset[str]
    done_days: int


async def standing(session: AsyncSession, user_id: uuid.UUID) -> Standing:
    earned = select(literal("earned"), AchievementEarned.achievement_id, literal(0)).where(
        AchievementEarned.user_id == user_id
    )
    done = select(literal("done"), literal(""), func.count()).where(
        RewardLedgerRow.user_id == user_id, RewardLedgerRow.kind == HABIT_DONE
    )
    rows = (await session.execute(earned.union_all(done))).all()
    return Standing(
        earned=frozenset(row[1] for row in rows if row[0] == "earned"),
        done_days=sum(int(row[2]) for row in rows if row[0] == "done"),
    )


async def earned_ids(session: AsyncSession, user_id: uuid.UUID) -> frozenset[str]:
    found = await session.scalars(
        select(AchievementEarned.achievement_id).where(AchievementEarned.user_id == user_id)
    )
    return frozenset(found)


async def earn(
    session: AsyncSession,
    user_id: uuid.UUID,
    achievement_ids: Iterable[str],
    *,
    local_date: date | None,
    habit_id: uuid.UUID | None,
) -> list[str]:
    """Insert the achievements not earned yet; returns the ids this call earned."""
    values = [
        {
            "user_id": user_id,
            "achievement_id": achievement_id,
            "earned_at": clock.now(),
            "local_date": local_date,
            "habit_id": habit_id,
        }
        for achievement_id in achievement_ids
    ]
    if not values:
        return []
    insert = db.insert_for(db.dialect_of(session))
    earned: list[str] = []
    for row in values:  # one at a time: RETURNING with ON CONFLICT per row on both dialects
        statement = (
            insert(AchievementEarned)
            .values(**row)
            .on_conflict_do_nothing(index_elements=["user_id", "achievement_id"])
            .returning(AchievementEarned.achievement_id)
        )
        found = (await session.execute(statement)).scalar_one_or_none()
        if found is not None:
            earned.append(found)
    return earned


async def achievements_of(session: AsyncSession, user_id: uuid.UUID) -> list[AchievementEarned]:
    rows = await session.scalars(
        select(AchievementEarned)
        .where(AchievementEarned.user_id == user_id)
        .order_by(AchievementEarned.earned_at, AchievementEarned.achievement_id)
    )
    return list(rows)


async def unseen(session: AsyncSession, user_id: uuid.UUID) -> list[AchievementEarned]:
    rows = await session.scalars(
        select(AchievementEarned)
        .where(AchievementEarned.user_id == user_id, AchievementEarned.seen_at.is_(None))
        .order_by(AchievementEarned.earned_at)
    )
    return list(rows)


async def mark_seen(session: AsyncSession, user_id: uuid.UUID, ids: Sequence[str]) -> None:
    if ids:
        await session.execute(
            update(AchievementEarned)
            .where(
                AchievementEarned.user_id == user_id,
                AchievementEarned.achievement_id.in_(ids),
                AchievementEarned.seen_at.is_(None),
            )
            .values(seen_at=clock.now())
        )


async def balances(session: AsyncSession, user_id: uuid.UUID) -> dict[str, int]:
    """D11.4: coins and gem tenths, the sums of the ledger."""
    rows = await session.execute(
        select(RewardLedgerRow.currency, func.coalesce(func.sum(RewardLedgerRow.amount), 0))
        .where(RewardLedgerRow.user_id == user_id)
        .group_by(RewardLedgerRow.currency)
    )
    found = {"coins": 0, "gems": 0}
    for currency, total in rows.all():
        found[currency] = int(total)
    return found


async def state_of(
    session: AsyncSession, user_id: uuid.UUID, *, for_update: bool = False
) -> RewardState | None:
    query = select(RewardState).where(RewardState.user_id == user_id)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def locked_state(session: AsyncSession, user_id: uuid.UUID) -> RewardState:
    """The user's state row, made if missing, locked for this transaction (PostgreSQL:
    FOR UPDATE; SQLite: the writer turn holds the database)."""
    insert = db.insert_for(db.dialect_of(session))
    await session.execute(
        insert(RewardState)
        .values(user_id=user_id, daily_streak=0, cycle_day=0, freezes=0)
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    state = await state_of(session, user_id, for_update=True)
    assert state is not None
    await session.refresh(state)
    return state


async def ledger_page(
    session: AsyncSession, user_id: uuid.UUID, *, limit: int, after: list[Any] | None
) -> list[RewardLedgerRow]:
    """Newest first, `limit` + 1 rows (the page's and whether there is another)."""
    query = select(RewardLedgerRow).where(RewardLedgerRow.user_id == user_id)
    if (later := after_time_id(RewardLedgerRow, after)) is not None:
        query = query.where(later)
    found = await session.scalars(
        query.order_by(RewardLedgerRow.created_at.desc(), RewardLedgerRow.id.desc()).limit(
            limit + 1
        )
    )
    return list(found)


async def ledger_of(session: AsyncSession, user_id: uuid.UUID) -> list[RewardLedgerRow]:
    rows = await session.scalars(
        select(RewardLedgerRow)
        .where(RewardLedgerRow.user_id == user_id)
        .order_by(RewardLedgerRow.created_at, RewardLedgerRow.id)
    )
    return list(rows)


async def active_habit_counts(session: AsyncSession, user_id: uuid.UUID) -> tuple[int, int]:
    """D10.1 explorer: active (not archived) habits, and their distinct categories."""
    row = (
        await session.execute(
            select(func.count(), func.count(func.distinct(Habit.category))).where(
                Habit.user_id == user_id, Habit.archived_at.is_(None)
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def users_with_freezes(session: AsyncSession, limit: int = 500) -> list[RewardState]:
    rows = await session.scalars(select(RewardState).where(RewardState.freezes > 0).limit(limit))
    return list(rows)


async def claim_freeze_check(session: AsyncSession, user_id: uuid.UUID, day: date) -> bool:
    """Take the end of local day `day` for this worker (D11.3: one freeze a day, whatever
    the number of workers): True when no one had checked it yet."""
    result = await session.execute(
        update(RewardState)
        .where(
            RewardState.user_id == user_id,
            RewardState.freezes > 0,
            (RewardState.freeze_checked_through.is_(None))
            | (RewardState.freeze_checked_through < day),
        )
        .values(freeze_checked_through=day)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class HealthStanding:
    """D10.1 health: the user's logs, the local dates they fall on, and whether the log
    just written holds a weight at or past the weight goal."""

    logs: int
    log_days: int
    weight_goal_reached: bool


async def health_standing(
    session: AsyncSession, user_id: uuid.UUID, log_id: uuid.UUID | None = None
) -> HealthStanding:
    """One statement over the health tables (read here, not through the health feature's
    service). `weight_goal_reached` looks at log `log_id` alone: the write that reaches
    the goal earns it ("lose": at or below the goal's weight, "gain": at or above); a
    weight logged before the goal was set earns nothing until a log reaches it again.
    Without `log_id` it is False (the progress page shows the earned row instead)."""
    mine = HealthLog.user_id == user_id
    logs = select(func.count()).where(mine).scalar_subquery()
    days = select(func.count(func.distinct(HealthLog.date))).where(mine).scalar_subquery()
    reached: ColumnElement[bool] = literal(False)
    if log_id is not None:
        reached = exists().where(
            HealthLog.id == log_id,
            mine,
            HealthLog.weight_kg.is_not(None),
            HealthGoal.user_id == user_id,
            or_(
                and_(HealthGoal.direction == "lose", HealthLog.weight_kg <= HealthGoal.weight_kg),
                and_(HealthGoal.direction == "gain", HealthLog.weight_kg >= HealthGoal.weight_kg),
            ),
        )
    row = (await session.execute(select(logs, days, reached))).one()
    return HealthStanding(int(row[0]), int(row[1]), bool(row[2]))
