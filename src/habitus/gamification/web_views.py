"""What the rewards pages and Today's rewards strip show, made from the service's answers.

Gems are integer tenths everywhere (D11.2); here they become text like "0.3" with
integer arithmetic, never through a float.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.core import rewards
from habitus.core.achievements import BY_ID, CATEGORIES, Category
from habitus.events.kinds import AchievementUnlocked, DomainEvent
from habitus.gamification import service
from habitus.gamification.glance import glance
from habitus.habits.evaluation import today_of
from habitus.models import AchievementEarned, RewardLedgerRow, User

CATEGORY_TITLES: dict[Category, str] = {
    "streaks": "Streaks",
    "consistency": "Consistency",
    "milestones": "Milestones",
    "explorer": "Explorer",
    "health": "Health",
}


def gems_text(tenths: int) -> str:
    """12 -> "1.2", 3 -> "0.3", -50 -> "-5.0": one decimal, from integers."""
    sign = "-" if tenths < 0 else ""
    whole, tenth = divmod(abs(tenths), 10)
    return f"{sign}{whole}.{tenth}"


# --- the strip on Today -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Strip:
    coins: int
    gems: str
    daily_streak: int
    # The cycle day today's claim is (or would be), 1..7 (D11.2).
    cycle_day: int
    cycle_days: int
    claimed_today: bool
    # Today's amount before the claim, tomorrow's after it.
    next_claim: str
    freezes: int
    max_freezes: int
    freeze_price: str
    # Why a freeze cannot be bought now (D11.3), or None when it can.
    freeze_refusal: str | None
    # What the last action did ("Claimed 0.3 gems"), or why it did nothing.
    message: str | None = None
    message_kind: str = "success"


async def strip(
    session: AsyncSession, user: User, message: str | None = None, kind: str = "success"
) -> Strip:
    return strip_of((await glance(session, user.id, today_of(user))).rewards, message, kind)


def strip_of(found: service.Rewards, message: str | None = None, kind: str = "success") -> Strip:
    # Unclaimed: the day a claim now would make (the next one, or 1 after a gap).
    next_day = found.cycle_day % rewards.CYCLE_DAYS + 1
    cycle_day = found.cycle_day if found.claimed_today else next_day
    try:
        rewards.buy_freeze(found.gems_tenths, found.freezes)
        refusal = None
    except rewards.FreezeRefused as refused:
        refusal = str(refused)
    return Strip(
        coins=found.coins,
        gems=gems_text(found.gems_tenths),
        daily_streak=found.daily_streak,
        cycle_day=cycle_day,
        cycle_days=rewards.CYCLE_DAYS,
        claimed_today=found.claimed_today,
        next_claim=gems_text(found.next_claim_tenths),
        freezes=found.freezes,
        max_freezes=rewards.MAX_FREEZES_HELD,
        freeze_price=f"{rewards.FREEZE_PRICE_TENTHS // 10:d}",
        freeze_refusal=refusal,
        message=message,
        message_kind=kind,
    )


# --- the trophy room ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Trophy:
    id: str
    title: str
    description: str
    earned_at: datetime | None
    current: int
    target: int

    @property
    def percent(self) -> int:
        return 100 if self.earned_at else self.current * 100 // max(self.target, 1)


@dataclass(frozen=True, slots=True)
class Shelf:
    category: Category
    title: str
    trophies: list[Trophy]

    @property
    def earned(self) -> int:
        return sum(1 for trophy in self.trophies if trophy.earned_at is not None)


async def shelves(session: AsyncSession, user: User) -> list[Shelf]:
    """The fifteen achievements (D10.1) grouped by their five categories, in order."""
    views = await service.achievements(session, user)
    by_category: dict[Category, list[Trophy]] = {category: [] for category in CATEGORIES}
    for view in views:
        achievement = view.achievement
        by_category[achievement.category].append(
            Trophy(
                achievement.id,
                achievement.title,
                achievement.description,
                view.earned_at,
                view.current,
                achievement.target,
            )
        )
    return [
        Shelf(category, CATEGORY_TITLES[category], trophies)
        for category, trophies in by_category.items()
    ]


# --- toasts -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unlocked:
    id: str
    title: str


def unlocked_in(events: Iterable[DomainEvent]) -> list[Unlocked]:
    """The achievements a write earned (its `achievement_unlocked` events, D10.3)."""
    return [
        Unlocked(event.achievement, event.title)
        for event in events
        if isinstance(event, AchievementUnlocked)
    ]


def unlocked_rows(rows: Sequence[AchievementEarned]) -> list[Unlocked]:
    """Achievements earned elsewhere (the worker, the API), not shown yet."""
    return [
        Unlocked(row.achievement_id, BY_ID[row.achievement_id].title)
        for row in rows
        if row.achievement_id in BY_ID
    ]


# --- the ledger page ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LedgerLine:
    id: uuid.UUID
    at: datetime
    currency: str
    amount: str
    reason: str


def ledger_line(row: RewardLedgerRow) -> LedgerLine:
    if row.currency == "gems":
        amount = gems_text(row.amount)
        amount = f"+{amount}" if row.amount >= 0 else amount
        amount += " gems"
    else:
        amount = f"{row.amount:+d} {'coin' if abs(row.amount) == 1 else 'coins'}"
    return LedgerLine(row.id, row.created_at, row.currency, amount, row.reason)
