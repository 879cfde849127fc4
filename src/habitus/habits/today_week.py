"""The Today page's week strip: the last 7 days of each habit, and what a tap on a
past day does (cycles its entry inside the D4.3 backfill window).

One extra query for all habits (their entries of the strip's week, with today's note);
the outcomes come from the same timeline the API's `/days` answers with (D5).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import cast

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.core import time as core_time
from habitus.core.evaluate import window_timeline
from habitus.core.habits import EntryFact, Status
from habitus.core.outcomes import DONE, FUTURE, MISSED, NOT_REQUIRED, PENDING, unit_start
from habitus.habits.evaluation import Evaluated
from habitus.models import Entry, User

DAYS = 7
# What a tap on a past day sets next. "clear" removes the entry.
BUILD_CYCLE = {None: "done", "done": "skipped", "skipped": "clear", "failed": "clear"}
# Quit and at-most habits: no entry is a good day, so the first tap records a slip.
SLIP_CYCLE = {None: "failed", "failed": "skipped", "skipped": "clear", "done": "clear"}
CHOICES = ("done", "skipped", "failed", "clear")


@dataclass(frozen=True, slots=True)
class DayCell:
    """One day of the strip."""

    day: date
    outcome: str  # D5: done | missed | pending | not_required | future
    status: str | None  # the day's entry, if any
    value: float | None
    active: bool  # inside the habit's active range (D2.3)
    in_window: bool  # D4.3: may be changed
    next_status: str  # what a tap sets: done | skipped | failed | clear
    is_today: bool

    @property
    def letter(self) -> str:
        return "MTWTFSS"[self.day.weekday()]

    @property
    def state(self) -> str:
        """The cell's look: done, skipped, missed, slip, pending, off."""
        if self.status == "skipped":
            return "skipped"
        if self.status == "failed":
            return "missed"
        if self.outcome in (DONE, MISSED, PENDING):
            return self.outcome
        return "off"

    @property
    def state_words(self) -> str:
        if self.status == "skipped":
            return "skipped"
        if not self.active:
            return "before the habit started"
        words: dict[str, str] = {
            DONE: "done",
            MISSED: "missed",
            PENDING: "to do",
            NOT_REQUIRED: "not due",
            FUTURE: "not yet",
        }
        return words.get(self.outcome, self.outcome)

    @property
    def tappable(self) -> bool:
        """Past days of the habit's life are buttons (outside the window, the tap only
        shows the D4.3 message the server answers with); today has the card's buttons."""
        return self.active and not self.is_today

    def label(self, quit: bool) -> str:
        """The button's whole name: the day, its state, what a tap does."""
        words = {
            "done": "mark done",
            "skipped": "mark skipped",
            "failed": "record a slip" if quit else "mark missed",
            "clear": "clear the day",
        }
        day = f"{self.day:%A} {self.day.day} {self.day:%B}"
        if self.is_today:
            return f"Today: {self.state_words}"
        if not self.in_window:
            return f"{day}: {self.state_words} (outside the backfill window)"
        return f"{day}: {self.state_words}; tap to {words[self.next_status]}"


def in_window(day: date, today: date, backfill_days: int | None) -> bool:
    """D4.3: `today - backfill_days <= day <= today` (no limit when unset)."""
    if day > today:
        return False
    return backfill_days is None or day >= today - timedelta(days=backfill_days)


@dataclass(frozen=True, slots=True)
class Week:
    cells: tuple[DayCell, ...]
    note: str | None  # today's entry's note


async def weeks_of(
    session: AsyncSession, user: User, evaluated: Sequence[Evaluated], today: date
) -> dict[uuid.UUID, Week]:
    """Each habit's last 7 days (today included) and today's note, in one query."""
    week_start = core_time.weekday_number(user.week_start)
    first = today - timedelta(days=DAYS - 1)
    starts = {
        item.ctx.habit.id: unit_start(item.ctx.rules, first, week_start) for item in evaluated
    }
    rows: dict[uuid.UUID, dict[date, tuple[str, float | None, str | None]]] = defaultdict(dict)
    if starts:
        by_start: dict[date, list[uuid.UUID]] = defaultdict(list)
        for habit_id, start in starts.items():
            by_start[start].append(habit_id)
        query = select(
            Entry.habit_id, Entry.local_date, Entry.status, Entry.value, Entry.note
        ).where(
            or_(
                *(
                    and_(Entry.habit_id.in_(ids), Entry.local_date >= start)
                    for start, ids in sorted(by_start.items())
                )
            ),
            Entry.local_date <= today + timedelta(days=31),
        )
        for habit_id, day, status, value, note in (await session.execute(query)).all():
            rows[habit_id][day] = (status, value, note)
    weeks = {}
    for item in evaluated:
        habit = item.ctx.habit
        mine = rows.get(habit.id, {})
        facts = {
            day: EntryFact(cast(Status, status), value) for day, (status, value, _) in mine.items()
        }
        timeline = window_timeline(
            item.ctx.rules, facts, item.ctx.breaks, first, today, today, week_start
        )
        outcomes = timeline.day_outcomes()
        cycle = SLIP_CYCLE if item.ctx.rules.counts_slips else BUILD_CYCLE
        cells = []
        for offset in range(DAYS):
            day = first + timedelta(days=offset)
            index = timeline.index_of(day)
            entry_status = mine[day][0] if day in mine else None
            cells.append(
                DayCell(
                    day=day,
                    outcome=outcomes[index],
                    status=entry_status,
                    value=mine[day][1] if day in mine else None,
                    active=timeline.active(index),
                    in_window=in_window(day, today, habit.backfill_days),
                    next_status=cycle.get(entry_status, "clear"),
                    is_today=day == today,
                )
            )
        today_row = mine.get(today)
        weeks[habit.id] = Week(tuple(cells), today_row[2] if today_row else None)
    return weeks
