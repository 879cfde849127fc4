"""D8: habit strength (Loop Habit Tracker's score), completion rates, best times.

The score, in docs/SCORE.md's words: with frequency f = num/den of the schedule,
m = 0.5 ** (sqrt(f) / 13), and each day score = previous * m + p * (1 - m), where p is
the share of the recent window's need that was met. Skipped and break days are not
stepped; days before the start are not scored; after the end the score stands still.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import accumulate

from habitus.core.habits import HabitRules
from habitus.core.outcomes import (
    DONE,
    MISSED,
    NO_ENTRY,
    S_DONE,
    S_SKIPPED,
    U_DONE,
    U_MISSED,
    RawUnit,
    Timeline,
    Unit,
    code_table,
)
from habitus.core.schedule import frequency
from habitus.core.time import WEEKDAYS, Weekday, zone


def multiplier(num: int, den: int) -> float:
    """How much of yesterday's score survives a day: 0.5 ** (sqrt(num/den) / 13)."""
    return float(0.5 ** (math.sqrt(num / den) / 13.0))


def step(previous: float, completed: float, m: float) -> float:
    """One day of Loop's exponential moving average."""
    return previous * m + completed * (1.0 - m)


def initial_score(rules: HabitRules) -> float:
    """The score before the first day: 0, or 1 for at-most habits (nothing consumed is
    perfect)."""
    return 1.0 if rules.kind == "measurable" and rules.direction == "at_most" else 0.0


def window_days(rules: HabitRules) -> int:
    """How far back a score continuation must see: the widest rolling window in use."""
    widest = 1
    for version in rules.versions:
        num, den = frequency(version.schedule)
        widest = max(widest, 2 * den if num < den and rules.kind == "boolean" else den)
    return widest


def _contributions(timeline: Timeline) -> tuple[list[float] | bytes, bytes]:
    """Per day: what it adds to the rolling window, and whether it is stepped at all
    (active, not in a break, not skipped)."""
    rules = timeline.rules
    status = timeline.status
    stepped = timeline.available_mask(0, timeline.n)
    contributions: list[float] | bytes
    if rules.kind == "measurable":
        contributions = [value if value > 0 else 0.0 for value in timeline.value]
    elif rules.polarity == "quit":
        # A clean day is a repetition of a quit habit; the day of a slip is not, nor
        # a day outside the habit's life or in a break.
        clean = bytes(status).translate(_NOT_FAILED)
        contributions = (int.from_bytes(clean, "big") & int.from_bytes(stepped, "big")).to_bytes(
            timeline.n, "big"
        )
    else:
        contributions = bytes(status).translate(_DONE_ONLY)
    return contributions, stepped


_DONE_ONLY = code_table([S_DONE])
_NOT_FAILED = code_table([NO_ENTRY, S_DONE, S_SKIPPED])


@dataclass(frozen=True, slots=True)
class ScoreRule:
    """How one schedule version turns a rolling window into p (docs/SCORE.md)."""

    num: int
    den: int
    measurable: bool = False
    at_most: bool = False
    target: float = 0.0

    @property
    def window(self) -> int:
        if self.measurable:
            return self.den
        # Loop doubles both for non-daily yes/no habits, smoothing irregular weeks.
        return 2 * self.den if self.num < self.den else self.den

    @property
    def need(self) -> float:
        if self.measurable:
            return self.num * self.target
        return 2.0 * self.num if self.num < self.den else float(self.num)


def step_days(
    rule: ScoreRule,
    contributions: Sequence[float],
    stepped: Sequence[int],
    prefix: Sequence[float],
    a: int,
    b: int,
    score: float,
    scores: list[float] | None,
) -> tuple[float, float]:
    """Step days a..b-1 (indexes into the three sequences; `prefix[i]` is the sum of
    contributions before i). Returns (score of day b-2, score of day b-1); appends every
    score to `scores` when given."""
    m = multiplier(rule.num, rule.den)
    keep = 1.0 - m
    previous = score
    if rule.window == 1 and not rule.measurable:
        # Daily yes/no: the window is the day itself, p is 0 or 1.
        for done, counted in zip(contributions[a:b], stepped[a:b], strict=True):
            previous = score
            if counted:
                score = score * m + done * keep
            if scores is not None:
                scores.append(score)
        return previous, score
    window, need, at_most = rule.window, rule.need, rule.at_most
    if window == 1 and need > 0:
        # A daily measurable habit: the window is the day's own value.
        for x, counted in zip(contributions[a:b], stepped[a:b], strict=True):
            previous = score
            if counted:
                p = 2.0 - x / need if at_most else x / need
                p = 0.0 if p < 0.0 else 1.0 if p > 1.0 else p
                score = score * m + p * keep
            if scores is not None:
                scores.append(score)
        return previous, score
    for index in range(a, b):
        previous = score
        if stepped[index]:
            x = prefix[index + 1] - prefix[max(0, index + 1 - window)]
            if at_most:
                p = 2.0 - x / need if need > 0 else float(x <= 0)
                p = 0.0 if p < 0.0 else 1.0 if p > 1.0 else p
            elif need > 0:
                p = x / need
                p = 1.0 if p > 1.0 else p
            else:
                p = 1.0
            score = score * m + p * keep
        if scores is not None:
            scores.append(score)
    return previous, score


def score_series(
    timeline: Timeline, *, start: int, stop: int, initial: float, keep_all: bool = True
) -> list[float]:
    """Scores of days `start`..`stop` (timeline indexes, inclusive), continuing from
    `initial`, the score of the day before `start`. The timeline must reach back one
    window (up to 2 * den days) before `start` for the rolling sums to be whole.
    With `keep_all=False` only the last two scores come back (what `advance` keeps)."""
    contributions, stepped = _contributions(timeline)
    prefix = [0.0, *accumulate(contributions)]
    rules = timeline.rules
    measurable = rules.kind == "measurable"
    scores: list[float] | None = [] if keep_all else None
    previous = score = initial
    for lo, hi, version in timeline.segments:
        a, b = max(lo, start), min(hi, stop + 1)
        if a >= b:
            continue
        num, den = frequency(rules.versions[version].schedule)
        rule = ScoreRule(
            num,
            den,
            measurable=measurable,
            at_most=measurable and rules.direction == "at_most",
            target=rules.target or 0.0,
        )
        previous, score = step_days(rule, contributions, stepped, prefix, a, b, score, scores)
    return scores if scores is not None else [previous, score]


# --- rates and best times (D8.1, D8.3) ----------------------------------------------


def completion_ratio(done: int, missed: int) -> float | None:
    """D8.1, the one formula every rate uses: done / (done + missed) units; None (not 0)
    when no unit counted. Rounding for display is the presenter's business."""
    total = done + missed
    return done / total if total else None


@dataclass(frozen=True, slots=True)
class Rate:
    done: int
    missed: int

    @property
    def value(self) -> float | None:
        """D8.1: done / (done + missed); None when no unit counted."""
        return completion_ratio(self.done, self.missed)


def completion_rate(units: Iterable[Unit], first: date, last: date) -> Rate:
    """Units that end inside [first, last]; pending, future and not-required ones are
    left out (D8.1)."""
    done = missed = 0
    for unit in units:
        if first <= unit.last <= last:
            if unit.outcome == DONE:
                done += 1
            elif unit.outcome == MISSED:
                missed += 1
    return Rate(done, missed)


def raw_completion_rate(units: Iterable[RawUnit], first: date, last: date) -> Rate:
    """`completion_rate` over `Timeline.raw_units` (no `Unit` built per unit)."""
    lo, hi = first.toordinal(), last.toordinal()
    done = missed = 0
    for unit in units:
        if lo <= unit[1] <= hi:
            if unit[2] == U_DONE:
                done += 1
            elif unit[2] == U_MISSED:
                missed += 1
    return Rate(done, missed)


def moving_rates(units: Iterable[Unit], first: date, last: date, width: int) -> list[Rate]:
    """For each day d of [first, last], the completion rate (D8.1) of the `width` days
    ending on d: units that end inside [d - width + 1, d]. One pass over the units
    (prefix sums by end day), not one per day."""
    span = (last - first).days + 1
    if span <= 0:
        return []
    lead = width - 1
    origin = first.toordinal() - lead
    done = [0] * (span + lead)
    missed = [0] * (span + lead)
    for unit in units:
        index = unit.last.toordinal() - origin
        if 0 <= index < span + lead:
            if unit.outcome == DONE:
                done[index] += 1
            elif unit.outcome == MISSED:
                missed[index] += 1
    done_sums = [0, *accumulate(done)]
    missed_sums = [0, *accumulate(missed)]
    return [
        Rate(done_sums[i + width] - done_sums[i], missed_sums[i + width] - missed_sums[i])
        for i in range(span)
    ]


@dataclass(frozen=True, slots=True)
class Logged:
    """When a complete day was logged: the instant and the zone the user was in."""

    at: datetime
    timezone: str


def best_times(logs: Iterable[Logged]) -> tuple[Weekday | None, int | None]:
    """D8.3: the weekday and the hour (local, in the zone at logging time) when complete
    days were most often logged. Ties go to the earlier weekday / hour."""
    weekdays = [0] * 7
    hours = [0] * 24
    seen = False
    for log in logs:
        local = log.at.astimezone(zone(log.timezone))
        weekdays[local.weekday()] += 1
        hours[local.hour] += 1
        seen = True
    if not seen:
        return None, None
    best_day = max(range(7), key=lambda day: (weekdays[day], -day))
    best_hour = max(range(24), key=lambda hour: (hours[hour], -hour))
    return WEEKDAYS[best_day], best_hour
