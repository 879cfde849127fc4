"""Achievements earned (D10) and the rewards ledger (D11).

Amounts are integers: coins in coins, gems in tenths of a gem. Balances are sums of the
ledger; `RewardState` keeps only what is not money (the daily claim's streak and cycle,
the freezes held), each change of it written with the ledger row that paid for it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from habitus.core.rewards import Currency
from habitus.kit import clock
from habitus.models.base import Base, CreatedAtMixin, IdMixin


class AchievementEarned(Base):
    """D10.1: one row per user and achievement; the key makes a second one impossible,
    whatever concurrent writes do. D10.2: never deleted but with the account."""

    __tablename__ = "achievements_earned"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    achievement_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    earned_at: Mapped[datetime] = mapped_column(default=clock.now)
    # The local date of the write that earned it, and the habit, when there was one.
    local_date: Mapped[date | None]
    habit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("habits.id", ondelete="SET NULL"))
    # Shown as a toast on the next page the user opens, then set.
    seen_at: Mapped[datetime | None]


class RewardLedgerRow(IdMixin, CreatedAtMixin, Base):
    """D11.4: every coin and gem, added or spent, with its cause. `cause` is unique per
    user: the same cause (a habit's date, a day's claim, a task) never pays twice."""

    __tablename__ = "reward_ledger"
    __table_args__ = (
        UniqueConstraint("user_id", "cause"),
        Index("ix_reward_ledger_user_id_created_at", "user_id", "created_at"),
        Index("ix_reward_ledger_user_id_kind", "user_id", "kind"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    currency: Mapped[Currency] = mapped_column(String(8))
    # Coins, or tenths of a gem; negative for a spend.
    amount: Mapped[int]
    # What paid or was bought: `habit_done`, `daily_claim`, `freeze_bought`, `coach_task`.
    kind: Mapped[str] = mapped_column(String(16))
    # Why, in words a person reads ("Reading done on 2026-12-06", "Daily claim, day 3").
    reason: Mapped[str] = mapped_column(String(200))
    cause: Mapped[str] = mapped_column(String(120))


class RewardState(Base):
    """D11.2/D11.3: the daily claim's last local date, streak and cycle day, and the
    streak freezes held. One row per user, made at the first claim or purchase."""

    __tablename__ = "reward_states"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    last_claim: Mapped[date | None]
    daily_streak: Mapped[int] = mapped_column(default=0)
    cycle_day: Mapped[int] = mapped_column(default=0)
    freezes: Mapped[int] = mapped_column(default=0)
    # The last local date a freeze was spent (D11.3: at most one a day).
    last_freeze_on: Mapped[date | None]
    # The end of which local day the freeze job looks at next (D11.3).
    freeze_checked_through: Mapped[date | None]
