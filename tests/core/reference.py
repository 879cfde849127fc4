"""A brute-force reference of DOMAIN D5, D6, D7, D8.1 and the score of docs/SCORE.md.

Written from the rules (DOMAIN.md, docs/DOMAIN-NOTES.md, docs/SCORE.md), not from
`habitus.core`: it walks every day from the habit's start to today, one at a time,
recomputes every rolling window by summing it, and shares nothing with the core but
the plain value types. It is slow on purpose; the property tests compare the two.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

from habitus.core.habits import Break, EntryFact, HabitRules
from habitus.core.schedule import Daily, Dates, EveryNDays, TimesPerPeriod, Weekdays

DAY = timedelta(days=1)


@dataclass(frozen=True)
class RefUnit:
    """A streak unit (D7.1): a required day, or the days of one period of a version."""

    first: date
    last: date
    outcome: str  # "done", "pending" or "missed"
    done: int
    target: int


@dataclass(frozen=True)
class RefRun:
    length: int = 0
    first: date | None = None
    last: date | None = None


@dataclass
class RefResult:
    today_outcome: str
    unit: str
    current: RefRun
    longest: RefRun
    score: float
    units: list[RefUnit] = field(default_factory=list)
    today_unit: RefUnit | None = None


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += DAY


class Reference:
    """Every rule evaluated day by day for one habit as of `today`."""

    def __init__(
        self,
        rules: HabitRules,
        entries: Mapping[date, EntryFact],
        breaks: Iterable[Break],
        today: date,
        week_start: int = 0,
    ) -> None:
        self.rules = rules
        self.entries = dict(entries)
        self.breaks = list(breaks)
        self.today = today
        self.week_start = week_start
        # Memos of per-day facts only (each window is still summed day by day).
        self._version: dict[date, int] = {}
        self._available: dict[date, bool] = {}
        self._repetition: dict[date, int] = {}
        self._units: list[RefUnit] | None = None

    # --- facts of one day ------------------------------------------------------------

    def version_at(self, day: date) -> int:
        """D3 / N5: the newest version in effect on `day`; before all of them, the first."""
        if day not in self._version:
            chosen = 0
            for index, version in enumerate(self.rules.versions):
                if version.effective_from <= day:
                    chosen = index
            self._version[day] = chosen
        return self._version[day]

    def anchor(self, index: int) -> date:
        """N5: an every-n-days version counts from its own first day inside the habit's
        life; the first version from the habit's start date."""
        if index == 0:
            return self.rules.start_date
        return max(self.rules.versions[index].effective_from, self.rules.start_date)

    def active(self, day: date) -> bool:
        """D2.3."""
        end = self.rules.end_date
        return self.rules.start_date <= day and (end is None or day <= end)

    def in_break(self, day: date) -> bool:
        """D3.2."""
        return any(pause.start <= day <= pause.end for pause in self.breaks)

    def status(self, day: date) -> str | None:
        entry = self.entries.get(day)
        return entry.status if entry is not None else None

    def amount(self, day: date) -> float:
        """The day's value; no entry (or no value) is 0 (D2.2)."""
        entry = self.entries.get(day)
        if entry is None or entry.value is None:
            return 0.0
        return max(0.0, entry.value)

    def available(self, day: date) -> bool:
        """D6.1: inside the active range, not in a break, not skipped (D3.3)."""
        if day not in self._available:
            self._available[day] = (
                self.active(day) and not self.in_break(day) and self.status(day) != "skipped"
            )
        return self._available[day]

    def scheduled(self, day: date) -> bool:
        """The D3 table, for day-based versions."""
        index = self.version_at(day)
        schedule = self.rules.versions[index].schedule
        if isinstance(schedule, Daily):
            return True
        if isinstance(schedule, Weekdays):
            return day.weekday() in schedule.days
        if isinstance(schedule, EveryNDays):
            return (day - self.anchor(index)).days % schedule.n == 0
        if isinstance(schedule, Dates):
            return day in schedule.dates
        return False

    def periodic(self, day: date) -> TimesPerPeriod | None:
        schedule = self.rules.versions[self.version_at(day)].schedule
        return schedule if isinstance(schedule, TimesPerPeriod) else None

    def counts_slips(self) -> bool:
        """D2.2: quit habits and measurable at-most habits."""
        rules = self.rules
        return rules.polarity == "quit" or (
            rules.kind == "measurable" and rules.direction == "at_most"
        )

    def complete(self, day: date) -> bool:
        """D4.2, with N1 for today of a slip-counting habit."""
        rules = self.rules
        status = self.status(day)
        if status in ("skipped", "failed"):
            return False
        target = rules.target or 0.0
        if rules.kind == "measurable" and rules.direction == "at_least":
            return self.amount(day) >= target
        if rules.kind == "measurable":  # at most: complete once the day has ended (N1)
            return day < self.today and self.amount(day) <= target
        if rules.polarity == "quit":  # ended without a slip, or explicitly made it (N1)
            return day < self.today or status == "done"
        return status == "done"

    def lost(self, day: date) -> bool:
        """D5: the day can no longer be completed."""
        rules = self.rules
        if self.status(day) == "failed":
            return True
        return (
            rules.kind == "measurable"
            and rules.direction == "at_most"
            and self.amount(day) > (rules.target or 0.0)
        )

    # --- D5: outcome of one day --------------------------------------------------------

    def day_outcome(self, day: date) -> str:
        """D5 for day-based versions; N3 for the days of a periodic version."""
        if day > self.today:
            return "future"
        if self.periodic(day) is not None:
            return "done" if self.available(day) and self.complete(day) else "not_required"
        if not self.available(day) or not self.scheduled(day):
            return "not_required"
        if self.complete(day):
            return "done"
        if day == self.today:
            return "missed" if self.lost(day) else "pending"
        return "missed"

    # --- D6: periods -------------------------------------------------------------------

    def period_days(self, day: date, period: str) -> list[date]:
        """The calendar week (from week_start, D3.1) or month of `day`."""
        if period == "week":
            first = day
            while first.weekday() != self.week_start:
                first -= DAY
            return [first + k * DAY for k in range(7)]
        month = _days(day.replace(day=1), day.replace(day=28) + 4 * DAY)
        return [d for d in month if d.month == day.month]

    def period_unit(self, day: date) -> RefUnit | None:
        """D6 / N4: the unit of the periodic version in effect on `day`: the days of its
        calendar period under that version; None when it has no available day."""
        schedule = self.periodic(day)
        assert schedule is not None
        version = self.version_at(day)
        calendar = self.period_days(day, schedule.period)
        days = [d for d in calendar if self.version_at(d) == version]
        available = [d for d in days if self.available(d)]
        if not available:
            return None
        target = math.ceil(Fraction(schedule.times * len(available), len(calendar)))
        done = sum(1 for d in available if d <= self.today and self.complete(d))
        if done >= target:
            outcome = "done"
        elif days[0] <= self.today <= days[-1]:
            outcome = "pending"
        else:
            outcome = "missed"
        return RefUnit(days[0], days[-1], outcome, done, target)

    # --- D7.1: units -------------------------------------------------------------------

    def units(self) -> list[RefUnit]:
        """Every required unit that starts by today, oldest first (not-required units are
        left out: they are transparent, D7.2)."""
        if self._units is None:
            self._units = self._walk_units()
        return self._units

    def _walk_units(self) -> list[RefUnit]:
        units: dict[tuple[date, date], RefUnit] = {}
        start = self.rules.start_date
        last = self.today if self.rules.end_date is None else min(self.today, self.rules.end_date)
        # Every day of the habit's life up to today, plus today itself: the period in
        # progress is a unit even when its available days all lie ahead.
        for day in [*_days(start, last), self.today]:
            if self.periodic(day) is not None:
                unit = self.period_unit(day)
                if unit is not None and unit.first <= self.today:
                    units[(unit.first, unit.last)] = unit
            elif day <= last and self.available(day) and self.scheduled(day):
                outcome = self.day_outcome(day)
                done = int(outcome == "done")
                units[(day, day)] = RefUnit(day, day, outcome, done, 1)
        return sorted(units.values(), key=lambda unit: unit.first)

    # --- D7.2, D7.3: streaks -----------------------------------------------------------

    @staticmethod
    def current_streak(units: list[RefUnit]) -> RefRun:
        """D7.2: newest to oldest, skip a pending newest unit, count done, stop at missed."""
        counted: list[RefUnit] = []
        for position, unit in enumerate(reversed(units)):
            if unit.outcome == "pending":
                assert position == 0, "only the newest unit can be pending"
                continue
            if unit.outcome == "missed":
                break
            counted.append(unit)
        if not counted:
            return RefRun()
        return RefRun(len(counted), counted[-1].first, counted[0].last)

    @staticmethod
    def longest_streak(units: list[RefUnit]) -> RefRun:
        """D7.3 / N13: the longest run of done units; a tie goes to the more recent run."""
        best = RefRun()
        run: list[RefUnit] = []
        for unit in units:
            if unit.outcome == "done":
                run.append(unit)
                if len(run) >= best.length:
                    best = RefRun(len(run), run[0].first, run[-1].last)
            elif unit.outcome == "missed":
                run = []
        return best

    # --- D8.2: score -------------------------------------------------------------------

    @staticmethod
    def frequency(schedule: object) -> tuple[int, int]:
        """docs/SCORE.md, rule 1."""
        if isinstance(schedule, Daily):
            return 1, 1
        if isinstance(schedule, Weekdays):
            ratio = Fraction(len(schedule.days), 7)
            return ratio.numerator, ratio.denominator
        if isinstance(schedule, EveryNDays):
            return 1, schedule.n
        if isinstance(schedule, TimesPerPeriod):
            return schedule.times, 7 if schedule.period == "week" else 30
        assert isinstance(schedule, Dates)
        dates = sorted(schedule.dates)
        ratio = Fraction(len(dates), (dates[-1] - dates[0]).days + 1)
        return ratio.numerator, ratio.denominator

    def repetition(self, day: date) -> int:
        """docs/SCORE.md rule 3: a done day; for a quit habit a day of its life, not in a
        break, not skipped, holding no slip."""
        if day not in self._repetition:
            if self.rules.polarity == "quit":
                self._repetition[day] = int(self.available(day) and self.status(day) != "failed")
            else:
                self._repetition[day] = int(self.status(day) == "done")
        return self._repetition[day]

    def score_on(self, day: date, previous: float) -> float:
        """One day of docs/SCORE.md rule 3, with the window summed day by day."""
        num, den = self.frequency(self.rules.versions[self.version_at(day)].schedule)
        m = 0.5 ** (math.sqrt(num / den) / 13)
        if self.rules.kind == "measurable":
            window = [day - k * DAY for k in range(den)]
            x = sum(self.amount(d) for d in window)
            need = num * (self.rules.target or 0.0)
            if self.rules.direction == "at_least":
                p = 1.0 if need <= 0 else min(1.0, x / need)
            elif need > 0:
                p = min(1.0, max(0.0, 2 - x / need))
            else:
                p = 1.0 if x == 0 else 0.0
        else:
            doubled = num < den  # Loop doubles both for less-than-daily yes/no habits
            window = [day - k * DAY for k in range(2 * den if doubled else den)]
            need = 2 * num if doubled else num
            p = min(1.0, sum(self.repetition(d) for d in window) / need)
        return previous * m + p * (1 - m)

    def scores(self, through: date | None = None) -> dict[date, float]:
        """The score of every day from the day before the start to `through` (today)."""
        rules = self.rules
        through = self.today if through is None else through
        score = 1.0 if rules.kind == "measurable" and rules.direction == "at_most" else 0.0
        scores = {rules.start_date - DAY: score}
        for day in _days(rules.start_date, through):
            # Rule 5: skipped and break days, and days after the end, keep the score.
            if self.available(day):
                score = self.score_on(day, score)
            scores[day] = score
        return scores

    def score(self) -> float:
        rules = self.rules
        if self.today < rules.start_date:
            return 1.0 if rules.kind == "measurable" and rules.direction == "at_most" else 0.0
        return self.scores()[self.today]

    # --- D8.1: rates -------------------------------------------------------------------

    def completion_rate(self, first: date, last: date) -> tuple[int, int, float | None]:
        """D8.1 / N11: done and missed units that end inside [first, last]."""
        done = missed = 0
        for unit in self.units():
            if first <= unit.last <= last:
                done += unit.outcome == "done"
                missed += unit.outcome == "missed"
        return done, missed, (done / (done + missed) if done + missed else None)

    # --- all of it ---------------------------------------------------------------------

    def evaluate(self) -> RefResult:
        units = self.units()
        periodic = self.periodic(self.today)
        today_unit = next((u for u in units if u.first <= self.today <= u.last), None)
        if periodic is None:
            outcome = self.day_outcome(self.today)
        else:
            outcome = today_unit.outcome if today_unit is not None else "not_required"
        return RefResult(
            today_outcome=outcome,
            unit="day" if periodic is None else periodic.period,
            current=self.current_streak(units),
            longest=self.longest_streak(units),
            score=self.score(),
            units=units,
            today_unit=today_unit,
        )
