"""What Today shows of rewards (issue 14), as a port (`habitus.registry`): gamification
provides it in `habitus.wiring`, so Today draws the rewards strip and the achievement
toasts without importing that feature (which itself reads habits)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.events.kinds import DomainEvent
from habitus.models import User
from habitus.registry import Port


class TodayRewards(Protocol):
    async def today_extras(
        self, request: Request, session: AsyncSession, user: User
    ) -> dict[str, Any]:
        """The page's strip and the toasts of achievements not shown yet (marked seen)."""
        ...

    async def checkin_extras(
        self, session: AsyncSession, user: User, events: Iterable[DomainEvent]
    ) -> dict[str, Any]:
        """A check-in's answer: the strip again and a toast per achievement it earned."""
        ...


TODAY_REWARDS: Port[TodayRewards] = Port("habits.today.rewards")
