"""Bodies of /achievements and /rewards (API.md "Achievements and rewards"). Gems are
stored in integer tenths and shown as numbers with one decimal."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from habitus.core.achievements import Category


class Progress(BaseModel):
    current: int
    target: int


class AchievementOut(BaseModel):
    id: str
    category: Category
    title: str
    description: str
    earned_at: datetime | None
    progress: Progress


class AchievementsOut(BaseModel):
    items: list[AchievementOut]


class RewardsOut(BaseModel):
    coins: int
    gems: float = Field(description="Gems, with one decimal (stored as integer tenths).")
    daily_streak: int
    cycle_day: int = Field(description="1..7 on a claimed streak; 0 before the first claim.")
    claimed_today: bool
    next_claim_gems: float
    freezes: int


class ClaimOut(BaseModel):
    gems_awarded: float
    cycle_day: int
    daily_streak: int
    gems: float


class FreezesOut(BaseModel):
    freezes: int
    gems: float


class LedgerRowOut(BaseModel):
    at: datetime
    currency: str
    amount: float = Field(description="Coins, or gems with one decimal; negative: spent.")
    reason: str
