"""Use cases of rewards: the achievements page, the daily claim, freezes, the ledger."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.core import rewards
from habitus.core.achievements import ACHIEVEMENTS, Achievement
from habitus.errors import Conflict
from habitus.events.kinds import FreezeBought, GemsClaimed
from habitus.events.service import publish
from habitus.gamification import repository
from habitus.gamification.facts import progress_facts
from habitus.habits.evaluation import today_of
from habitus.models import RewardLedgerRow, User


@dataclass(frozen=True, slots=True)
class AchievementView:
    achievement: Achievement
    earned_at: datetime | None
    current: int


async def achievements(session: AsyncSession, user: User) -> list[AchievementView]:
    """All fifteen (D10.1), earned ones with their date, the others with progress."""
    earned = {row.achievement_id: row for row in await repository.achievements_of(session, user.id)}
    facts = await progress_facts(session, user)
    views = []
    for achievement in ACHIEVEMENTS:
        row = earned.get(achievement.id)
        current = achievement.target if row is not None else achievement.progress(facts)
        views.append(AchievementView(achievement, row.earned_at if row else None, current))
    return views


@dataclass(frozen=True, slots=True)
class Rewards:
    coins: int
    gems_tenths: int
    daily_streak: int
    cycle_day: int
    claimed_today: bool
    next_claim_tenths: int
    freezes: int


def _claim_state(row: Any) -> rewards.ClaimState:
    if row is None:
        return rewards.ClaimState()
    return rewards.ClaimState(row.last_claim, row.daily_streak, row.cycle_day)


async def summary(session: AsyncSession, user: User) -> Rewards:
    """GET /rewards. The streak shown is the one a claim today would continue: after a
    missed day it reads 0 (the next claim starts at 1)."""
    today = today_of(user)
    balances = await repository.balances(session, user.id)
    row = await repository.state_of(session, user.id)
    state = _claim_state(row)
    alive = state.last_claim is not None and state.last_claim >= today - timedelta(days=1)
    return Rewards(
        coins=balances["coins"],
        gems_tenths=balances["gems"],
        daily_streak=state.daily_streak if alive else 0,
        cycle_day=state.cycle_day if alive else 0,
        claimed_today=rewards.claimed_on(state, today),
        next_claim_tenths=rewards.next_claim_tenths(state, today),
        freezes=row.freezes if row is not None else 0,
    )


@dataclass(frozen=True, slots=True)
class Claimed:
    gems_tenths_awarded: int
    cycle_day: int
    daily_streak: int
    gems_tenths: int


async def claim(session: AsyncSession, user: User) -> Claimed:
    """D11.2: today's gems, once per local day (D1: the user's zone and day-start hour).
    The state row is locked and the ledger's key is the local date: two claims at once
    pay once, the other gets 409."""
    today = today_of(user)
    await db.start_writing(session)
    row = await repository.locked_state(session, user.id)
    try:
        result = rewards.claim(_claim_state(row), today)
    except rewards.AlreadyClaimed:
        raise Conflict("Today's gems are claimed already; come back tomorrow.") from None
    paid = await repository.pay(
        session,
        user.id,
        currency="gems",
        amount=result.gems_tenths,
        kind=repository.DAILY_CLAIM,
        cause=f"claim:{today.isoformat()}",
        reason=f"Daily claim, day {result.state.cycle_day} of {rewards.CYCLE_DAYS}",
    )
    if not paid:
        raise Conflict("Today's gems are claimed already; come back tomorrow.")
    row.last_claim = result.state.last_claim
    row.daily_streak = result.state.daily_streak
    row.cycle_day = result.state.cycle_day
    await publish(
        session,
        user,
        [
            GemsClaimed(
                local_date=today,
                amount_tenths=result.gems_tenths,
                cycle_day=result.state.cycle_day,
                daily_streak=result.state.daily_streak,
            )
        ],
    )
    balances = await repository.balances(session, user.id)
    return Claimed(
        result.gems_tenths, result.state.cycle_day, result.state.daily_streak, balances["gems"]
    )


@dataclass(frozen=True, slots=True)
class Bought:
    freezes: int
    gems_tenths: int


async def buy_freeze(session: AsyncSession, user: User) -> Bought:
    """D11.3: a freeze for 5 gems, at most 2 held; refused with the reason (409)."""
    await db.start_writing(session)
    row = await repository.locked_state(session, user.id)
    balances = await repository.balances(session, user.id)
    try:
        rewards.buy_freeze(balances["gems"], row.freezes)
    except rewards.FreezeRefused as refused:
        raise Conflict(str(refused)) from None
    row.freezes += 1
    # A freeze covers days that end after it was bought, never the day already over.
    yesterday = today_of(user) - timedelta(days=1)
    if row.freeze_checked_through is None or row.freeze_checked_through < yesterday:
        row.freeze_checked_through = yesterday
    await repository.pay(
        session,
        user.id,
        currency="gems",
        amount=-rewards.FREEZE_PRICE_TENTHS,
        kind=repository.FREEZE_BOUGHT,
        # Each purchase is a cause of its own; the state row's lock orders them.
        cause=f"freeze:{uuid.uuid4()}",
        reason="Streak freeze bought",
    )
    await publish(session, user, [FreezeBought(local_date=today_of(user), freezes=row.freezes)])
    return Bought(row.freezes, balances["gems"] - rewards.FREEZE_PRICE_TENTHS)


async def ledger(
    session: AsyncSession, user: User, *, limit: int, after: list[Any] | None
) -> list[RewardLedgerRow]:
    return await repository.ledger_page(session, user.id, limit=limit, after=after)
