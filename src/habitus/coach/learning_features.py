"""D14.1: what a day looks like to the prediction model, from data strictly before it.

Pure: per-day facts in, numbers out; no database, no clock, no I/O.

Two implementations of the same features, on purpose:
- `features_for(history, day)` looks backwards from one day through at most a couple of
  months of facts. It is what the page calls for each habit, so it must not walk a
  ten-year history (50 habits are predicted in a few milliseconds).
- `training_rows(histories)` needs the features of every required day of every habit;
  calling `features_for` for each would cost O(days x window). It walks each history
  once, forwards, with running sums. A property test checks that both give the same
  rows, so there is one definition with two speeds.

Every feature lies in [0, 1], so one regularisation strength (C) treats them alike and
their contributions to a prediction can be compared when explaining it.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

SCHEDULE_KINDS: tuple[str, ...] = ("daily", "weekdays", "every_n_days", "times_per_period", "dates")
WEEKDAY_NAMES: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)

# Windows and caps, in days or units. A cap makes "a 300-day streak" and "a 30-day streak"
# look alike: past a month, the extra length says little about tomorrow, and an uncapped
# value would dominate the other features.
SHORT_WINDOW = 7
LONG_WINDOW = 30
WEEKDAY_WEEKS = 8  # the same weekday over the previous 8 weeks: 8 chances, not 4
STREAK_CAP = 30
STREAK_LOOKBACK = 366  # a streak older than a year is not looked for (bounds the walk)
DAYS_SINCE_CAP = 60
AGE_CAP = 3650

# Weekday: one-hot, not sin/cos. A weekday pattern is rarely a smooth wave (Saturday and
# Sunday bad, Friday fine; or only Monday bad); two sin/cos features can only draw one
# bump, seven indicators can draw any shape, and each indicator's weight reads directly
# as "this weekday" when explaining. All seven are kept (no reference day): the L2
# penalty makes the solution unique, and no weekday is privileged.
# No constant column: scikit-learn fits the intercept, unpenalised with lbfgs, whereas a
# constant feature would be shrunk towards zero like any weight.
FEATURES: tuple[str, ...] = (
    *(f"weekday_{name[:3].lower()}" for name in WEEKDAY_NAMES),
    "weekday_rate",
    "rate_7",
    "rate_30",
    "streak",
    "days_since_done",
    "age",
    *(f"schedule_{kind}" for kind in SCHEDULE_KINDS),
    "quit",
)
WEEKDAY_FEATURES = FEATURES[:7]


@dataclass(frozen=True, slots=True)
class DayFact:
    """One day of one habit, as the engine evaluated it."""

    day: date
    required: bool  # a required unit ends/falls on this day (daily habits: every scheduled day)
    done: bool  # the unit was completed (D5/D6 outcome "done")
    in_break: bool = False  # a break day: neither required nor missed

    @property
    def counts(self) -> bool:
        """A labelled unit (D8.1): required and not in a break."""
        return self.required and not self.in_break


@dataclass(frozen=True, slots=True)
class HabitHistory:
    habit_id: str
    start: date  # the habit's start date
    schedule_kind: str  # "daily" | "weekdays" | "every_n_days" | "times_per_period" | "dates"
    polarity: str  # "build" | "quit"
    facts: tuple[DayFact, ...]  # sorted by day, from `start` to yesterday (no gaps)


def smoothed(done: int, required: int) -> float:
    """Laplace's rule, (done + 1) / (required + 2): 0.5 with no unit (the neutral prior),
    and one unit moves the rate to 2/3 or 1/3 rather than to 1 or 0."""
    return (done + 1) / (required + 2)


def log_scaled(value: int, cap: int) -> float:
    """0 .. cap on a log scale into [0, 1]: the first days of a streak matter most."""
    return math.log1p(min(max(value, 0), cap)) / math.log1p(cap)


def _static_part(history: HabitHistory) -> list[float]:
    schedule = [1.0 if history.schedule_kind == kind else 0.0 for kind in SCHEDULE_KINDS]
    return [*schedule, 1.0 if history.polarity == "quit" else 0.0]


def _row(
    history: HabitHistory,
    day: date,
    *,
    weekday: tuple[int, int],
    short: tuple[int, int],
    long: tuple[int, int],
    streak: int,
    days_since_done: int,
) -> list[float]:
    """The vector in FEATURES order; each pair is (done, required)."""
    weekday_hot = [0.0] * 7
    weekday_hot[day.weekday()] = 1.0
    age = (day - history.start).days
    return [
        *weekday_hot,
        smoothed(*weekday),
        smoothed(*short),
        smoothed(*long),
        log_scaled(streak, STREAK_CAP),
        log_scaled(days_since_done, DAYS_SINCE_CAP),
        log_scaled(age, AGE_CAP),
        *_static_part(history),
    ]


def facts_before(history: HabitHistory, day: date) -> Sequence[DayFact]:
    """The facts strictly before `day`. Only their prefix needs to be sorted: bisection
    works as long as every fact before `day` comes before every fact on or after it."""
    end = bisect_left(history.facts, day, key=lambda fact: fact.day)
    return history.facts[:end]


@dataclass(frozen=True, slots=True)
class Recent:
    """What the last weeks before a day were, as counts (used by features and words)."""

    weekday: tuple[int, int]  # (done, required) on the same weekday, previous 8 weeks
    short: tuple[int, int]  # previous 7 days
    long: tuple[int, int]  # previous 30 days
    streak: int  # D7.2 before the day, capped at STREAK_CAP, within STREAK_LOOKBACK days
    misses_in_a_row: int  # consecutive missed units just before the day (capped)
    days_since_done: int  # capped at DAYS_SINCE_CAP; since the start when never done


def recent(history: HabitHistory, day: date) -> Recent:
    """One backward walk over at most STREAK_LOOKBACK days of facts before `day`."""
    before = facts_before(history, day)
    ordinal = day.toordinal()
    weekday_done = weekday_required = 0
    short_done = short_required = long_done = long_required = 0
    streak = misses = 0
    streak_open = misses_open = True
    last_done: int | None = None
    for index in range(len(before) - 1, -1, -1):
        fact = before[index]
        ago = ordinal - fact.day.toordinal()
        if ago > STREAK_LOOKBACK:
            break
        if fact.counts:
            if ago <= LONG_WINDOW:
                long_required += 1
                long_done += fact.done
                if ago <= SHORT_WINDOW:
                    short_required += 1
                    short_done += fact.done
            if ago % 7 == 0 and ago <= 7 * WEEKDAY_WEEKS:
                weekday_required += 1
                weekday_done += fact.done
            if fact.done:
                if last_done is None:
                    last_done = ago
                misses_open = False
                if streak_open:
                    streak += 1
                    streak_open = streak < STREAK_CAP
            else:
                streak_open = False
                if misses_open:
                    misses += 1
                    misses_open = misses < STREAK_CAP
        # Everything is known once past the windows, the streak and the miss run are
        # closed, and the last done is found (or lies beyond its cap).
        if (
            ago >= 7 * WEEKDAY_WEEKS
            and not streak_open
            and not misses_open
            and (last_done is not None or ago >= DAYS_SINCE_CAP)
        ):
            break
    if last_done is None or last_done > DAYS_SINCE_CAP:
        last_done = min(DAYS_SINCE_CAP, max(0, (day - history.start).days))
    return Recent(
        weekday=(weekday_done, weekday_required),
        short=(short_done, short_required),
        long=(long_done, long_required),
        streak=streak,
        misses_in_a_row=misses,
        days_since_done=last_done,
    )


def features_for(history: HabitHistory, day: date) -> list[float]:
    """D14.1: the features of `day` in FEATURES order, from facts strictly before `day`
    (no leakage: nothing on or after `day` is read)."""
    seen = recent(history, day)
    return _row(
        history,
        day,
        weekday=seen.weekday,
        short=seen.short,
        long=seen.long,
        streak=seen.streak,
        days_since_done=seen.days_since_done,
    )


def _history_rows(history: HabitHistory, rows: list[list[float]], labels: list[int]) -> None:
    """The forward pass: the same features as `features_for` for every labelled day of
    one history, in O(days). Running prefix sums over a dense day axis (gaps are days
    with no unit), so each window is a difference of two sums."""
    facts = history.facts
    if not facts:
        return
    origin = facts[0].day.toordinal()
    length = facts[-1].day.toordinal() - origin + 1
    required = [0] * length
    done = [0] * length
    for fact in facts:
        if fact.counts:
            offset = fact.day.toordinal() - origin
            required[offset] = 1
            done[offset] = int(fact.done)
    # prefix[k] = sum over offsets < k; same_day[k] = sum over offsets k, k-7, k-14 ...
    prefix_required = [0] * (length + 1)
    prefix_done = [0] * (length + 1)
    same_day_required = [0] * length
    same_day_done = [0] * length
    for offset in range(length):
        prefix_required[offset + 1] = prefix_required[offset] + required[offset]
        prefix_done[offset + 1] = prefix_done[offset] + done[offset]
        earlier = offset - 7
        same_day_required[offset] = required[offset] + (
            same_day_required[earlier] if earlier >= 0 else 0
        )
        same_day_done[offset] = done[offset] + (same_day_done[earlier] if earlier >= 0 else 0)

    def window(sums: list[int], offset: int, days: int) -> int:
        return sums[offset] - sums[max(0, offset - days)]

    def same_weekday(sums: list[int], offset: int) -> int:
        newest = offset - 7
        if newest < 0:
            return 0
        oldest = offset - 7 * (WEEKDAY_WEEKS + 1)
        return sums[newest] - (sums[oldest] if oldest >= 0 else 0)

    last_miss: int | None = None
    last_done: int | None = None
    for offset in range(length):
        if required[offset]:
            low = max(0, offset - STREAK_LOOKBACK)
            if last_miss is not None:
                low = max(low, last_miss + 1)
            streak = min(STREAK_CAP, prefix_done[offset] - prefix_done[low])
            if last_done is not None and offset - last_done <= DAYS_SINCE_CAP:
                since = offset - last_done
            else:
                day_now = origin + offset
                since = min(DAYS_SINCE_CAP, max(0, day_now - history.start.toordinal()))
            rows.append(
                _row(
                    history,
                    date.fromordinal(origin + offset),
                    weekday=(
                        same_weekday(same_day_done, offset),
                        same_weekday(same_day_required, offset),
                    ),
                    short=(
                        window(prefix_done, offset, SHORT_WINDOW),
                        window(prefix_required, offset, SHORT_WINDOW),
                    ),
                    long=(
                        window(prefix_done, offset, LONG_WINDOW),
                        window(prefix_required, offset, LONG_WINDOW),
                    ),
                    streak=streak,
                    days_since_done=since,
                )
            )
            labels.append(done[offset])
            if done[offset]:
                last_done = offset
            else:
                last_miss = offset


def training_rows(histories: Sequence[HabitHistory]) -> tuple[list[list[float]], list[int]]:
    """(X, y): one row per required, non-break day, labelled done=1 / missed=0; each
    row equals `features_for(history, that day)`."""
    rows: list[list[float]] = []
    labels: list[int] = []
    for history in histories:
        _history_rows(history, rows, labels)
    return rows, labels


def weekday_and_overall(
    history: HabitHistory, day: date
) -> tuple[tuple[int, int], tuple[int, int]]:
    """(done, required) on `day`'s weekday and overall, over the LONG_WINDOW days before
    `day`: what the baseline (D14.2) is made of."""
    weekday_done = weekday_required = overall_done = overall_required = 0
    before = facts_before(history, day)
    oldest = day - timedelta(days=LONG_WINDOW)
    for index in range(len(before) - 1, -1, -1):
        fact = before[index]
        if fact.day < oldest:
            break
        if not fact.counts:
            continue
        overall_required += 1
        overall_done += fact.done
        if fact.day.weekday() == day.weekday():
            weekday_required += 1
            weekday_done += fact.done
    return (weekday_done, weekday_required), (overall_done, overall_required)
