"""D9.1 and D9.2: when a reminder fires next.

A reminder belongs to the user's *local days* (D1.2), not to UTC. The occurrence for local
day `L` fires at the reminder's wall-clock time inside that day: a day runs from
`day_start_hour` on its own date to the same hour on the next, so with a day start of
03:00 a reminder at 01:30 for Monday rings at 01:30 on Tuesday's calendar date. That keeps
the occurrence's `local_date`, the day it checks (D9.3) and the day it is deduplicated on
(D9.4) one and the same.

Everything here is pure: the caller passes the zone name, the instant to search after and,
for "the habit's required days", a predicate built by `required_day_predicate`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from habitus.core.habits import Break, HabitRules
from habitus.core.schedule import TimesPerPeriod, anchor_of, is_scheduled, version_index
from habitus.core.time import local_date, missing_dates, zone

DEFAULT_HORIZON_DAYS = 400


@dataclass(frozen=True, slots=True)
class ReminderRule:
    """When a reminder rings (D9.1): a local wall-clock time, to the minute, and either an
    explicit set of weekdays (0 = Monday .. 6 = Sunday) or None for the habit's required
    days."""

    time: time
    weekdays: frozenset[int] | None = None

    def __post_init__(self) -> None:
        if self.time.tzinfo is not None:
            raise ValueError("a reminder time is a local wall-clock time, without a zone")
        if self.time.second or self.time.microsecond:
            raise ValueError("a reminder time has minute precision")
        if self.weekdays is not None:
            if not self.weekdays:
                # An empty explicit list would never fire; "None" is how to say "the
                # habit's days", so an empty set is a mistake rather than a choice.
                raise ValueError("an explicit weekday list needs at least one day")
            if not all(0 <= day <= 6 for day in self.weekdays):
                raise ValueError("weekdays are numbered 0 (Monday) to 6 (Sunday)")


@dataclass(frozen=True, slots=True)
class Firing:
    """One occurrence of a reminder: the local day it is for and the UTC instant it rings.

    `local_date` is the day the occurrence was computed for. It equals
    `core.time.today(at, timezone, day_start_hour)` except when a DST gap pushes the
    instant past the day's end (a 02:30 reminder with a 03:00 day start on a spring-forward
    night rings at 03:00, the first instant of the next day, but is still the previous
    day's reminder)."""

    local_date: date
    at: datetime


def _instant(wall: datetime, timezone: str, fold: int) -> datetime:
    return wall.replace(tzinfo=zone(timezone), fold=fold).astimezone(UTC)


def _wall(instant: datetime, timezone: str) -> datetime:
    return instant.astimezone(zone(timezone)).replace(tzinfo=None)


def _end_of_gap(wall: datetime, timezone: str) -> datetime | None:
    """The first instant after the gap that swallows `wall`, or None if `wall` exists.

    Inside a gap the two folds read the wall time with the offsets before and after the
    transition (PEP 495), so the transition instant lies between them. Local time jumps
    there, so it is the first instant whose wall time is later than `wall`; a binary search
    over whole seconds finds it (tz offsets and transitions are whole seconds)."""
    first = _instant(wall, timezone, fold=0)
    if _wall(first, timezone) == wall:
        return None
    second = _instant(wall, timezone, fold=1)
    before = int(min(first, second).timestamp())  # wall time earlier than `wall`
    after = int(max(first, second).timestamp())  # wall time later than `wall`
    while after - before > 1:
        middle = (before + after) // 2
        if _wall(datetime.fromtimestamp(middle, UTC), timezone) > wall:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)


def fire_instant(local_day: date, at: time, timezone: str) -> datetime:
    """D9.2: the aware UTC instant of wall time `at` on the calendar date `local_day` in
    `timezone`. In a DST gap the time does not exist: the first valid instant after the
    gap (02:30 on Europe/Berlin's spring-forward day is 03:00 CEST, 01:00Z). In an overlap
    it exists twice: the first occurrence (fold=0), so the reminder fires once."""
    wall = datetime.combine(local_day, at)
    return _end_of_gap(wall, timezone) or _instant(wall, timezone, fold=0)


def _calendar_date(day: date, at: time, day_start_hour: int) -> date:
    """The calendar date on which wall time `at` falls inside local day `day` (D1.2)."""
    if at.hour < day_start_hour:
        return day + timedelta(days=1)
    return day


def next_firing(
    rule: ReminderRule,
    timezone: str,
    after: datetime,
    *,
    day_start_hour: int = 0,
    is_required: Callable[[date], bool] | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> Firing | None:
    """The first firing strictly after the aware instant `after` (so a reminder that has
    just fired gives the next one), or None if no day within `horizon_days` qualifies.

    A local day qualifies when it is in `rule.weekdays`, or, when the rule has none, when
    `is_required(day)` holds (None: every day). Days that never happened in the zone
    (Pacific/Apia skipped 2011-12-30) have no instant, so they are skipped.

    The walk starts a day before the local day of `after`, as a margin: an occurrence lies in
    its own local day or, pushed out of it by a DST gap, at the first instant of the next,
    so it should never be ahead of an `after` in a later day; one more check is cheap."""
    if after.tzinfo is None:
        raise ValueError("next_firing needs an aware instant")
    first = local_date(after, timezone, day_start_hour) - timedelta(days=1)
    last = first + timedelta(days=horizon_days)
    never_happened = set(missing_dates(timezone, first, last, day_start_hour))
    day = first
    while day <= last:
        if day not in never_happened and _qualifies(rule, day, is_required):
            calendar_date = _calendar_date(day, rule.time, day_start_hour)
            instant = fire_instant(calendar_date, rule.time, timezone)
            if instant > after:
                return Firing(day, instant)
        day += timedelta(days=1)
    return None


def _qualifies(rule: ReminderRule, day: date, is_required: Callable[[date], bool] | None) -> bool:
    if rule.weekdays is not None:
        return day.weekday() in rule.weekdays
    return is_required is None or is_required(day)


def required_day_predicate(rules: HabitRules, breaks: Sequence[Break]) -> Callable[[date], bool]:
    """D9.1 "the habit's required days" as a predicate on local dates: the day is inside
    start_date .. end_date (D2.3), outside every break (D3.2), and required by the schedule
    version in force on it (D3), as `core.schedule.is_scheduled` decides.

    Periodic habits (`TimesPerPeriod`, D6) require no single day; they need `times` days
    somewhere in the week or month. Without entries this predicate cannot know whether the
    period's target is met, so every active day outside breaks is a firing day, and
    `only_if_pending` (D9.3) is what silences the days after the target is reached.

    Dates that never happened in the user's zone are left to `next_firing`."""
    pauses = tuple(breaks)
    versions = rules.versions

    def required(day: date) -> bool:
        if not rules.active(day) or any(pause.covers(day) for pause in pauses):
            return False
        index = version_index(versions, day)
        schedule = versions[index].schedule
        if isinstance(schedule, TimesPerPeriod):
            return True
        return is_scheduled(schedule, day, anchor_of(versions, index, rules.start_date))

    return required
