"""D1: the user's time zone, day start and week start."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal, get_args

# The one table of weekday names, Monday first (Python's `date.weekday()` order): the
# names stored (`users.week_start`, reminder days) and sent (API.md schedules).
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)
MAX_DAY_START_HOUR = 6


@lru_cache(maxsize=1)
def known_timezones() -> frozenset[str]:
    """Every IANA zone name of the tz database (D1.1)."""
    return frozenset(zoneinfo.available_timezones())


def is_valid_timezone(name: str) -> bool:
    return name in known_timezones()


@lru_cache(maxsize=512)
def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def local_date(instant: datetime, timezone: str, day_start_hour: int = 0) -> date:
    """The local calendar day an aware instant belongs to (D1.2): the date of
    `local time - day_start_hour hours` in `timezone`. With 3, 01:30 on Tuesday is Monday."""
    if instant.tzinfo is None:
        raise ValueError("local_date needs an aware instant")
    local = instant.astimezone(zone(timezone))
    # Wall-clock arithmetic on purpose: "the day starts at 03:00 local" even on a
    # DST day, so the shift is applied to the local time, not to the instant.
    return (local.replace(tzinfo=None) - timedelta(hours=day_start_hour)).date()


def today(now: datetime, timezone: str, day_start_hour: int = 0) -> date:
    """D1.3: the user's today, from the current UTC instant."""
    return local_date(now, timezone, day_start_hour)


def _exists(wall: datetime, timezone: str) -> bool:
    """Does this naive wall-clock time happen in `timezone` (is it outside a gap)?"""
    aware = wall.replace(tzinfo=zone(timezone))
    return aware.astimezone(UTC).astimezone(zone(timezone)).replace(tzinfo=None) == wall


@lru_cache(maxsize=4096)
def _missing_in_year(timezone: str, year: int, day_start_hour: int) -> tuple[date, ...]:
    missing = []
    shift = timedelta(hours=day_start_hour)
    day = date(year, 1, 1)
    while day.year == year:
        begins = datetime.combine(day, time.min) + shift
        ends = datetime.combine(day, time.max) + shift
        if not _exists(begins, timezone) and not _exists(ends, timezone):
            missing.append(day)
        day += timedelta(days=1)
    return tuple(missing)


def missing_dates(timezone: str, first: date, last: date, day_start_hour: int = 0) -> list[date]:
    """Local days in [first, last] that never happened in `timezone`: the clock jumped
    over the whole day (Pacific/Apia went from 2011-12-29 23:59 to 2011-12-31 00:00).
    No instant belongs to them (D1.2), so no habit can require them: callers pass
    them to the evaluation as one-day breaks (D3.2). A day runs from `day_start_hour` to the same
    wall time of the next date (with 3, Apia's 2011-12-30 is 00:00 to 03:00 on the 31st
    and exists). A gap is one interval, so a day whose first and last moments both
    fall in gaps lies wholly in one."""
    return [
        day
        for year in range(first.year, last.year + 1)
        for day in _missing_in_year(timezone, year, day_start_hour)
        if first <= day <= last
    ]


def weekday_number(name: str) -> int:
    return WEEKDAYS.index(name)


def period_start(day: date, period: Literal["week", "month"], week_start: int) -> date:
    """First day of the week (starting on weekday `week_start`, D3.1) or month of `day`."""
    if period == "month":
        return day.replace(day=1)
    return day - timedelta(days=(day.weekday() - week_start) % 7)


def period_end(day: date, period: Literal["week", "month"], week_start: int) -> date:
    """Last day (inclusive) of the week or month of `day`."""
    if period == "week":
        return period_start(day, "week", week_start) + timedelta(days=6)
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)
