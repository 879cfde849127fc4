"""Loop Habit Tracker's terms in Habitus terms, shared by its SQLite backup (`loop_db`)
and its CSV export zip (`loop_csv`): frequencies, colours, numerical targets.

Loop's meaning of a day's `value` (yes/no habits): 2 a manual check, 3 a skip, 0 an
explicit "no", 1 an automatic check (a day Loop fills in itself because the frequency is
met; never stored in a backup, written in the CSV export). Numerical habits store the
amount x 1000. `target_type` 0 is "at least", 1 "at most". `timestamp` is epoch
milliseconds at 00:00 UTC of the local date.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from habitus.imports.cleaning import DESCRIPTION_MAX, clean
from habitus.imports.parsed import Parsed, ParsedHabit

DONE, SKIP, NO, AUTO = 2, 3, 0, 1
# Loop's colour palette (the `color` column is an index into it).
PALETTE = (
    "#D32F2F", "#E64A19", "#F57C00", "#FF8F00", "#F9A825", "#AFB42B", "#7CB342",
    "#388E3C", "#00897B", "#00ACC1", "#039BE5", "#1976D2", "#303F9F", "#5E35B1",
    "#8E24AA", "#D81B60", "#5D4037", "#303030", "#757575", "#AAAAAA",
)  # fmt: skip


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _round(value: float) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def schedule_for(name: str, num: int, den: int) -> tuple[dict[str, Any], str | None]:
    """Loop's frequency `num` times in `den` days as a Habitus schedule (D3), and a note
    for the report when the schedule is not exactly Loop's.

    1/1 daily; k/7 k times a week; k/30 k times a month; 1/n every n days; k/n with
    k >= n daily; anything else the nearest rate: k*7/n times a week (rounded half up)
    when that is at least once a week, else k*30/n times a month."""
    if num < 1 or den < 1:
        return {"type": "daily"}, f"'{name}' had no readable frequency ({num}/{den}): daily"
    if num >= den:
        note = None if num == den else f"'{name}' {num} times in {den} days became daily"
        return {"type": "daily"}, note
    if den == 7:
        return {"type": "times_per_period", "period": "week", "times": num}, None
    if den == 30:
        return {"type": "times_per_period", "period": "month", "times": num}, None
    if num == 1:
        return {"type": "every_n_days", "n": den}, None
    reduced = math.gcd(num, den)
    if (num // reduced, den // reduced) in ((1, 7), (1, 30)):
        period = "week" if den // reduced == 7 else "month"
        schedule: dict[str, Any] = {"type": "times_per_period", "period": period, "times": 1}
        return schedule, f"'{name}' {num} times in {den} days became once a {period}"
    weekly = num * 7 / den
    if weekly >= 1:
        times = min(7, _round(weekly))
        if times == 7:
            return {"type": "daily"}, f"'{name}' {num} times in {den} days became daily"
        return {"type": "times_per_period", "period": "week", "times": times}, (
            f"'{name}' {num} times in {den} days became {_times(times)} a week"
        )
    times = max(1, min(30, _round(num * 30 / den)))
    return {"type": "times_per_period", "period": "month", "times": times}, (
        f"'{name}' {num} times in {den} days became {_times(times)} a month"
    )


def color(index: Any) -> str | None:
    """The colour of Loop's palette index `index` (None: not an index)."""
    if isinstance(index, int) and 0 <= index < len(PALETTE):
        return PALETTE[index]
    return None


def description(question: Any, notes: Any) -> str | None:
    """Loop 2 has a question ("Did you ...?") and notes; Habitus one description."""
    parts = [part for part in (clean(question, 2000), clean(notes, 2000)) if part]
    joined = "\n\n".join(dict.fromkeys(parts))
    return joined[:DESCRIPTION_MAX] or None


def to_int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return default


def make_measurable(
    parsed: Parsed, habit: ParsedHabit, den: int, target_type: int, target: float
) -> None:
    """A numerical Loop habit: a measurable one. Loop's target is the total over its
    `den` days; Habitus targets are per day: the target is divided, the schedule daily."""
    direction = "at_most" if target_type == 1 else "at_least"
    unit = habit.target["unit"] if habit.target else None
    per_day = target / den if den > 1 else target
    if not math.isfinite(per_day) or per_day < 0:
        per_day = 0.0
    if direction == "at_least" and per_day <= 0:
        parsed.report.append(f"'{habit.name}' had no target: it is now at least 1 a day")
        per_day = 1.0
    elif den > 1:
        suffix = f" {unit}" if unit else ""
        parsed.report.append(
            f"'{habit.name}' {target:g}{suffix} in {den} days became {per_day:.4g}{suffix} a day"
        )
    habit.kind = "measurable"
    habit.target = {"value": round(per_day, 6), "unit": unit, "direction": direction}
    habit.schedules = [(None, {"type": "daily"})]


def set_schedule(parsed: Parsed, habit: ParsedHabit, num: int, den: int) -> None:
    """A yes/no habit's schedule from Loop's frequency (the report says when it differs)."""
    schedule, note = schedule_for(habit.name, num, den)
    habit.schedules = [(None, schedule)]
    if note:
        parsed.report.append(note)


def set_start(habit: ParsedHabit) -> None:
    """Loop keeps no start date: the habit starts on its first imported day."""
    if habit.entries:
        habit.start_date = min(habit.entries)
