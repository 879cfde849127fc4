"""D1: the user's time zone, day start and week start."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta
from functools import lru_cache

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DAY_START_HOUR = 6


@lru_cache(maxsize=1)
def known_timezones() -> frozenset[str]:
    """Every IANA zone name of the tz database (D1.1)."""
    return frozenset(zoneinfo.available_timezones())


def is_valid_timezone(name: str) -> bool:
    return name in known_timezones()


def local_date(instant: datetime, timezone: str, day_start_hour: int = 0) -> date:
    """The local calendar day an aware instant belongs to (D1.2): the date of
    `local time - day_start_hour hours` in `timezone`."""
    if instant.tzinfo is None:
        raise ValueError("local_date needs an aware instant")
    local = instant.astimezone(zoneinfo.ZoneInfo(timezone))
    return (local - timedelta(hours=day_start_hour)).date()
