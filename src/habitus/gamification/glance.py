"""What Today's rewards strip reads, in one statement: both balances, the daily claim's
state and whether an achievement waits to be shown. Today's page has a fixed budget of
statements whatever the number of habits; the strip costs one of them (the service's
`summary` takes three, fine for the API)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import ScalarSelect

from habitus.core import rewards
from habitus.gamification.service import Rewards
from habitus.models import AchievementEarned, RewardLedgerRow, RewardState


@dataclass(frozen=True, slots=True)
class Glance:
    rewards: Rewards
    has_unseen: bool


def _balance(user_id: uuid.UUID, currency: str) -> ScalarSelect[Any]:
    return (
        select(func.coalesce(func.sum(RewardLedgerRow.amount), 0))
        .where(RewardLedgerRow.user_id == user_id, RewardLedgerRow.currency == currency)
        .scalar_subquery()
    )


def _state(user_id: uuid.UUID, column: Any) -> ScalarSelect[Any]:
    return select(column).where(RewardState.user_id == user_id).scalar_subquery()


async def glance(session: AsyncSession, user_id: uuid.UUID, today: date) -> Glance:
    """The same numbers as `service.summary` (D11.2: the streak a claim today would
    continue, 0 after a missed day), read in one round trip."""
    unseen = exists().where(
        AchievementEarned.user_id == user_id, AchievementEarned.seen_at.is_(None)
    )
    row = (
        await session.execute(
            select(
                _balance(user_id, "coins"),
                _balance(user_id, "gems"),
                _state(user_id, RewardState.last_claim),
                _state(user_id, RewardState.daily_streak),
                _state(user_id, RewardState.cycle_day),
                _state(user_id, RewardState.freezes),
                unseen,
            )
        )
    ).one()
    coins, gems, last_claim, daily_streak, cycle_day, freezes, has_unseen = row
    if isinstance(last_claim, str):  # SQLite hands a scalar subquery's date back as text
        last_claim = date.fromisoformat(last_claim)
    state = rewards.ClaimState(last_claim, daily_streak or 0, cycle_day or 0)
    alive = last_claim is not None and last_claim >= today - timedelta(days=1)
    return Glance(
        Rewards(
            coins=int(coins),
            gems_tenths=int(gems),
            daily_streak=state.daily_streak if alive else 0,
            cycle_day=state.cycle_day if alive else 0,
            claimed_today=rewards.claimed_on(state, today),
            next_claim_tenths=rewards.next_claim_tenths(state, today),
            freezes=int(freezes or 0),
        ),
        bool(has_unseen),
    )
