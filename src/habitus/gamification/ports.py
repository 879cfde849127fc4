"""What rewards need from other features, as ports (`habitus.registry`), provided in
`habitus.wiring`: a spent streak freeze is a one-day break, made as the breaks API
makes one (D3.2: the habit's history is walked again in reaction)."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.breaks.schemas import BreakIn
from habitus.models import HabitBreak, User
from habitus.registry import Port


class BreakMaker(Protocol):
    async def create_break(self, session: AsyncSession, user: User, body: BreakIn) -> HabitBreak:
        """Create a break as POST /breaks does."""
        ...


BREAK_MAKER: Port[BreakMaker] = Port("gamification.break_maker")
