"""Issue 17 (cost and privacy): the language-model calls of the last days, per day: how
many, how many failed and why, tokens used. The rows hold no user and no text."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.kit import clock
from habitus.models import ModelCall

DAYS = 14


@dataclass(slots=True)
class Day:
    day: date
    calls: int = 0
    failed: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    tokens: int = 0

    @property
    def reasons_text(self) -> str:
        return ", ".join(f"{reason} {count}" for reason, count in self.reasons.most_common())


async def by_day(session: AsyncSession, days: int = DAYS) -> list[Day]:
    """The last `days` UTC days with any call, newest first (a few rows a day: summed
    here rather than in SQL, the same on SQLite and PostgreSQL)."""
    since = clock.now() - timedelta(days=days)
    rows = await session.execute(
        select(
            ModelCall.created_at,
            ModelCall.ok,
            ModelCall.reason,
            ModelCall.prompt_tokens,
            ModelCall.completion_tokens,
        ).where(ModelCall.created_at >= since)
    )
    found: dict[date, Day] = {}
    for created_at, ok, reason, prompt, completion in rows.all():
        entry = found.setdefault(created_at.date(), Day(created_at.date()))
        entry.calls += 1
        entry.tokens += (prompt or 0) + (completion or 0)
        if not ok:
            entry.failed += 1
            entry.reasons[reason or "unknown"] += 1
    return sorted(found.values(), key=lambda entry: entry.day, reverse=True)
