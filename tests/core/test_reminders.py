"""D9.1 and D9.2: the next firing instant of a reminder, across zones, DST and the date line.

Instants are written in UTC ("...Z"); each expected value is worked out by hand from the
zone's offsets on that day (the comment beside it says which).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import event, given, note, settings
from hypothesis import strategies as st

from habitus.core.habits import Break
from habitus.core.reminders import (
    Firing,
    ReminderRule,
    fire_instant,
    next_firing,
    required_day_predicate,
)
from habitus.core.schedule import Daily, EveryNDays, Schedule, TimesPerPeriod, Weekdays
from habitus.core.time import local_date, missing_dates
from tests.core.build import d, habit


def utc(text: str) -> datetime:
    """An instant from ISO text ending in Z."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def at(text: str) -> time:
    return time.fromisoformat(text)


def daily(text: str) -> ReminderRule:
    return ReminderRule(at(text), None)


# --- D9.2: one wall time on one date -------------------------------------------------------

# (name, zone, calendar date, wall time, expected instant)
INSTANTS = [
    # Gaps: the wall time does not exist; the first valid instant after the gap.
    ("berlin spring gap", "Europe/Berlin", "2026-03-29", "02:30", "2026-03-29T01:00:00Z"),
    ("new york spring gap", "America/New_York", "2026-03-08", "02:30", "2026-03-08T07:00:00Z"),
    ("sydney october gap", "Australia/Sydney", "2026-10-04", "02:30", "2026-10-03T16:00:00Z"),
    # Lord Howe moves its clocks by 30 minutes: 02:00 -> 02:30 (+10:30 -> +11:00).
    (
        "lord howe half-hour gap",
        "Australia/Lord_Howe",
        "2026-10-04",
        "02:15",
        "2026-10-03T15:30:00Z",
    ),
    # Overlaps: the wall time happens twice; the first, in summer time.
    ("berlin autumn overlap", "Europe/Berlin", "2026-10-25", "02:30", "2026-10-25T00:30:00Z"),
    ("new york autumn overlap", "America/New_York", "2026-11-01", "01:30", "2026-11-01T05:30:00Z"),
    # Sydney's DST ends on the first Sunday of April: 02:30 AEDT (+11) comes first.
    ("sydney april overlap", "Australia/Sydney", "2026-04-05", "02:30", "2026-04-04T15:30:00Z"),
    # Plain days around the transitions: the offset of that day, nothing shifted.
    ("berlin before gap", "Europe/Berlin", "2026-03-29", "01:59", "2026-03-29T00:59:00Z"),
    ("berlin gap end", "Europe/Berlin", "2026-03-29", "03:00", "2026-03-29T01:00:00Z"),
    ("berlin after overlap", "Europe/Berlin", "2026-10-25", "03:00", "2026-10-25T02:00:00Z"),
    ("sydney summer", "Australia/Sydney", "2026-01-15", "08:00", "2026-01-14T21:00:00Z"),
    ("kolkata +05:30", "Asia/Kolkata", "2026-03-29", "02:30", "2026-03-28T21:00:00Z"),
    ("kolkata evening", "Asia/Kolkata", "2026-10-25", "21:15", "2026-10-25T15:45:00Z"),
]


@pytest.mark.parametrize(
    ("zone", "day", "wall", "expected"),
    [case[1:] for case in INSTANTS],
    ids=[case[0] for case in INSTANTS],
)
def test_fire_instant(zone: str, day: str, wall: str, expected: str) -> None:
    """D9.2: a wall time in a DST gap fires at the first valid instant after the gap; one
    in an overlap fires once, at the first occurrence; any other at the day's offset."""
    instant = fire_instant(d(day), at(wall), zone)
    assert instant == utc(expected)
    assert instant.utcoffset() == timedelta(0)


def test_kolkata_has_no_dst_all_year() -> None:
    """D9.2 (control): a zone without DST fires at +05:30 on every day of the year, including
    the days other zones change their clocks."""
    day = d("2026-01-01")
    while day.year == 2026:
        instant = fire_instant(day, at("09:00"), "Asia/Kolkata")
        assert instant == datetime.combine(day, time(3, 30), UTC)
        day += timedelta(days=1)


# --- D9.1 / D9.2: the next firing ------------------------------------------------------------


def test_next_firing_is_strictly_after() -> None:
    """D9.1: the reminder that fires exactly at `after` is not returned again; the next day's
    is (Berlin in summer, +02:00)."""
    rule = daily("08:00")
    first = next_firing(rule, "Europe/Berlin", utc("2026-06-10T05:00:00Z"))
    assert first == Firing(d("2026-06-10"), utc("2026-06-10T06:00:00Z"))
    again = next_firing(rule, "Europe/Berlin", first.at)
    assert again == Firing(d("2026-06-11"), utc("2026-06-11T06:00:00Z"))
    just_before = next_firing(rule, "Europe/Berlin", first.at - timedelta(microseconds=1))
    assert just_before == first


def test_next_firing_through_spring_gap() -> None:
    """D9.2: a daily 02:30 reminder in New York fires at 03:00 EDT on the spring-forward day,
    and at 02:30 again the day after."""
    rule = daily("02:30")
    gap_day = next_firing(rule, "America/New_York", utc("2026-03-07T08:00:00Z"))
    assert gap_day == Firing(d("2026-03-08"), utc("2026-03-08T07:00:00Z"))
    following = next_firing(rule, "America/New_York", gap_day.at)
    assert following == Firing(d("2026-03-09"), utc("2026-03-09T06:30:00Z"))


def test_next_firing_fires_once_in_overlap() -> None:
    """D9.2: in Berlin's autumn overlap 02:30 happens at 00:30Z and 01:30Z; the reminder fires
    at the first, and after it the next firing is the following day, not the second 02:30."""
    rule = daily("02:30")
    first = next_firing(rule, "Europe/Berlin", utc("2026-10-24T12:00:00Z"))
    assert first == Firing(d("2026-10-25"), utc("2026-10-25T00:30:00Z"))
    following = next_firing(rule, "Europe/Berlin", first.at)
    assert following == Firing(d("2026-10-26"), utc("2026-10-26T01:30:00Z"))  # CET, +01:00


def test_next_firing_sydney() -> None:
    """D9.2 in the southern hemisphere: DST starts on the first Sunday of October (gap,
    02:30 fires at 03:00 AEDT) and ends on the first Sunday of April (overlap, first
    02:30 in AEDT)."""
    rule = daily("02:30")
    spring = next_firing(rule, "Australia/Sydney", utc("2026-10-03T00:00:00Z"))
    assert spring == Firing(d("2026-10-04"), utc("2026-10-03T16:00:00Z"))
    autumn = next_firing(rule, "Australia/Sydney", utc("2026-04-04T00:00:00Z"))
    assert autumn == Firing(d("2026-04-05"), utc("2026-04-04T15:30:00Z"))
    after_autumn = next_firing(rule, "Australia/Sydney", autumn.at)
    assert after_autumn == Firing(d("2026-04-06"), utc("2026-04-05T16:30:00Z"))  # AEST +10


def test_next_firing_skips_the_day_apia_never_had() -> None:
    """D9.1 with D1.2: Pacific/Apia jumped from 2011-12-29 23:59 (-10:00) to 2011-12-31 00:00
    (+14:00). A daily 09:00 reminder after 2011-12-29 10:00 local (20:00Z) next fires on
    2011-12-31 at 09:00 +14:00, not at the end of the gap for the date that never was."""
    after = utc("2011-12-29T20:00:00Z")
    firing = next_firing(daily("09:00"), "Pacific/Apia", after)
    assert firing == Firing(d("2011-12-31"), utc("2011-12-30T19:00:00Z"))
    before = next_firing(daily("09:00"), "Pacific/Apia", utc("2011-12-29T12:00:00Z"))
    assert before == Firing(d("2011-12-29"), utc("2011-12-29T19:00:00Z"))  # -10:00


def test_next_firing_in_kolkata() -> None:
    """D9.1: a zone with a half-hour offset and no DST; after 09:00 local the next is
    tomorrow's."""
    rule = daily("09:00")
    firing = next_firing(rule, "Asia/Kolkata", utc("2026-03-29T03:31:00Z"))
    assert firing == Firing(d("2026-03-30"), utc("2026-03-30T03:30:00Z"))


def test_weekdays_filter() -> None:
    """D9.1: an explicit weekday list (Mon and Thu) fires only on those days. 2026-06-10 is
    a Wednesday."""
    rule = ReminderRule(at("07:00"), frozenset({0, 3}))
    after = utc("2026-06-10T12:00:00Z")
    firing = next_firing(rule, "Europe/Berlin", after)
    assert firing == Firing(d("2026-06-11"), utc("2026-06-11T05:00:00Z"))
    firing = next_firing(rule, "Europe/Berlin", firing.at)
    assert firing == Firing(d("2026-06-15"), utc("2026-06-15T05:00:00Z"))


def test_explicit_weekdays_win_over_required_days() -> None:
    """D9.1: "or on an explicit weekday list": with weekdays given, the habit's required
    days are not consulted."""
    rule = ReminderRule(at("07:00"), frozenset({5}))  # Saturday
    firing = next_firing(
        rule, "Europe/Berlin", utc("2026-06-10T12:00:00Z"), is_required=lambda _day: False
    )
    assert firing == Firing(d("2026-06-13"), utc("2026-06-13T05:00:00Z"))


def required(
    schedule: Schedule,
    start: str = "2026-06-01",
    *,
    end: str | None = None,
    changes: Sequence[tuple[str, Schedule]] = (),
    breaks: Sequence[Break] = (),
) -> Callable[[date], bool]:
    """The required-day predicate of a habit built from core.schedule values."""
    return required_day_predicate(habit(schedule, start, end=end, changes=changes), breaks)


def test_required_days_of_a_weekdays_schedule() -> None:
    """D9.1: with no weekday list the reminder follows the habit's required days; a habit on
    Tue and Sat (built from core.schedule) fires on those days only."""
    is_required = required(Weekdays(frozenset({1, 5})))
    rule = daily("20:00")
    after = utc("2026-06-10T12:00:00Z")  # Wednesday
    firing = next_firing(rule, "Europe/Berlin", after, is_required=is_required)
    assert firing == Firing(d("2026-06-13"), utc("2026-06-13T18:00:00Z"))
    firing = next_firing(rule, "Europe/Berlin", firing.at, is_required=is_required)
    assert firing == Firing(d("2026-06-16"), utc("2026-06-16T18:00:00Z"))


def test_required_days_follow_schedule_versions() -> None:
    """D9.1 with D3: the version in force on a day decides; a daily habit that becomes
    every 3 days on 2026-06-12 (anchored there) fires on 06-11, then 06-12, 06-15."""
    is_required = required(Daily(), changes=[("2026-06-12", EveryNDays(3))])
    rule = daily("08:00")
    firings = []
    after = utc("2026-06-10T12:00:00Z")
    for _ in range(3):
        firing = next_firing(rule, "Asia/Kolkata", after, is_required=is_required)
        assert firing is not None
        firings.append(firing.local_date)
        after = firing.at
    assert firings == [d("2026-06-11"), d("2026-06-12"), d("2026-06-15")]


def test_breaks_are_skipped() -> None:
    """D9.1 with D3.2: days in a break are not required, so no reminder fires on them."""
    is_required = required(Daily(), breaks=[Break(d("2026-06-11"), d("2026-06-20"))])
    firing = next_firing(
        daily("08:00"), "Europe/Berlin", utc("2026-06-10T12:00:00Z"), is_required=is_required
    )
    assert firing == Firing(d("2026-06-21"), utc("2026-06-21T06:00:00Z"))


def test_end_date_stops_reminders() -> None:
    """D9.1 with D2.3: after the habit's end date nothing is required, so there is no next
    firing; the end date itself still fires."""
    is_required = required(Daily(), end="2026-06-11")
    rule = daily("08:00")
    last = next_firing(rule, "Europe/Berlin", utc("2026-06-10T12:00:00Z"), is_required=is_required)
    assert last == Firing(d("2026-06-11"), utc("2026-06-11T06:00:00Z"))
    assert next_firing(rule, "Europe/Berlin", last.at, is_required=is_required) is None


def test_start_date_delays_reminders() -> None:
    """D9.1 with D2.3: nothing fires before the habit starts."""
    is_required = required(Daily(), start="2026-07-01")
    firing = next_firing(
        daily("08:00"), "Europe/Berlin", utc("2026-06-10T12:00:00Z"), is_required=is_required
    )
    assert firing == Firing(d("2026-07-01"), utc("2026-07-01T06:00:00Z"))


def test_periodic_habit_fires_every_active_day() -> None:
    """D9.1 with D6: a 3-times-a-week habit requires no single day; its reminders fire on
    every active day outside breaks (only_if_pending silences met periods, D9.3)."""
    is_required = required(
        TimesPerPeriod(3, "week"), breaks=[Break(d("2026-06-12"), d("2026-06-13"))]
    )
    assert [is_required(d(f"2026-06-{n:02}")) for n in range(10, 16)] == [
        True,
        True,
        False,
        False,
        True,
        True,
    ]
    assert not is_required(d("2026-05-31"))  # before the start


def test_day_start_hour_puts_small_hours_in_the_previous_day() -> None:
    """D9.1 with D1.2: with a day start of 03:00, a 01:30 reminder for Wednesday 2026-06-10
    (a required day) rings at 01:30 on Thursday's calendar date; Thursday is not required
    (Mon/Wed habit), so the one after is Monday's, at 01:30 on Tuesday."""
    is_required = required(Weekdays(frozenset({0, 2})))
    rule = daily("01:30")
    after = utc("2026-06-10T12:00:00Z")
    firing = next_firing(rule, "Europe/Berlin", after, day_start_hour=3, is_required=is_required)
    assert firing == Firing(d("2026-06-10"), utc("2026-06-10T23:30:00Z"))
    assert local_date(firing.at, "Europe/Berlin", 3) == firing.local_date
    firing = next_firing(
        rule, "Europe/Berlin", firing.at, day_start_hour=3, is_required=is_required
    )
    assert firing == Firing(d("2026-06-15"), utc("2026-06-15T23:30:00Z"))


def test_day_start_hour_with_gap_keeps_the_day() -> None:
    """D9.2 with D1.2: day start 03:00, reminder 02:30 in Berlin. The occurrence for Saturday
    2026-03-28 falls on the spring-forward night, fires at 03:00 CEST (the first instant
    after the gap) and stays Saturday's; Sunday's follows at 02:30 on Monday."""
    rule = daily("02:30")
    saturday = next_firing(rule, "Europe/Berlin", utc("2026-03-28T12:00:00Z"), day_start_hour=3)
    assert saturday == Firing(d("2026-03-28"), utc("2026-03-29T01:00:00Z"))
    sunday = next_firing(rule, "Europe/Berlin", saturday.at, day_start_hour=3)
    assert sunday == Firing(d("2026-03-29"), utc("2026-03-30T00:30:00Z"))


def test_horizon_bounds_the_search() -> None:
    """D9.1: a habit whose only required date lies beyond the horizon has no next firing."""
    far = d("2027-06-01")
    rule = daily("08:00")
    after = utc("2026-06-10T12:00:00Z")

    def only_far(day: date) -> bool:
        return day == far

    assert next_firing(rule, "UTC", after, is_required=only_far, horizon_days=300) is None
    found = next_firing(rule, "UTC", after, is_required=only_far)
    assert found == Firing(far, utc("2027-06-01T08:00:00Z"))


def test_rule_validation() -> None:
    """D9.1: a reminder time is a local wall time to the minute; weekdays are 0..6."""
    with pytest.raises(ValueError, match="minute"):
        ReminderRule(time(8, 0, 30), None)
    with pytest.raises(ValueError, match="zone"):
        ReminderRule(time(8, 0, tzinfo=UTC), None)
    with pytest.raises(ValueError, match="0"):
        ReminderRule(time(8, 0), frozenset({7}))
    with pytest.raises(ValueError, match="at least one"):
        ReminderRule(time(8, 0), frozenset())
    with pytest.raises(ValueError, match="aware"):
        next_firing(daily("08:00"), "UTC", datetime(2026, 6, 10, 12))  # noqa: DTZ001


# --- the property ------------------------------------------------------------------------

ZONES = [
    "UTC",
    "Europe/Berlin",
    "Europe/Dublin",  # negative DST in the tz database
    "America/New_York",
    "America/Santiago",  # transitions at midnight
    "America/St_Johns",  # -03:30
    "Australia/Sydney",
    "Australia/Lord_Howe",  # 30-minute DST
    "Asia/Kolkata",
    "Asia/Kathmandu",  # +05:45
    "Pacific/Apia",  # skipped 2011-12-30
    "Pacific/Chatham",  # +12:45 / +13:45
    "Africa/Casablanca",  # DST suspended during Ramadan
    "Antarctica/Troll",  # 2-hour DST
]


def expected_instant(day: date, wall_time: time, zone_name: str, day_start_hour: int) -> datetime:
    """The occurrence for local day `day`, by definition rather than by the code under test:
    the wall time inside that day; if it exists, its earliest instant; if not, the first
    instant whose wall time is later (found by stepping minutes, transitions being on
    whole minutes in these zones)."""
    zone = ZoneInfo(zone_name)
    calendar = day + timedelta(days=1) if wall_time.hour < day_start_hour else day
    wall = datetime.combine(calendar, wall_time)
    candidates = [
        instant
        for instant in (wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))
        if instant.astimezone(zone).replace(tzinfo=None) == wall
    ]
    if candidates:
        return min(candidates)
    instant = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    while instant.astimezone(zone).replace(tzinfo=None) < wall:
        instant += timedelta(minutes=1)
    return instant


def next_transition(instant: datetime, zone: ZoneInfo) -> datetime | None:
    """The first change of `zone`'s UTC offset after `instant` (within 400 days), to the
    second: days to find it, then a binary search."""
    offset = instant.astimezone(zone).utcoffset()
    probe = instant
    for _ in range(400):
        if (probe + timedelta(days=1)).astimezone(zone).utcoffset() != offset:
            low, high = int(probe.timestamp()), int(probe.timestamp()) + 86400
            while high - low > 1:
                middle = (low + high) // 2
                moment = datetime.fromtimestamp(middle, UTC)
                if moment.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            return datetime.fromtimestamp(high, UTC)
        probe += timedelta(days=1)
    return None


@settings(max_examples=500, deadline=None)
@given(
    zone_name=st.sampled_from(ZONES),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 1, 15, 29, 30, 31, 45, 59]),
    weekdays=st.none() | st.frozensets(st.integers(0, 6), min_size=1),
    every=st.sampled_from([1, 1, 2, 3, 7, 9]),
    day_start_hour=st.sampled_from([0, 0, 3, 6]),
    after=st.datetimes(
        min_value=datetime(2010, 1, 1),  # noqa: DTZ001
        max_value=datetime(2030, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    near_transition=st.sampled_from([True, True, False]),
    shift_minutes=st.integers(-70, 70),
    lead_minutes=st.integers(0, 8 * 60),
)
def test_next_firing_property(
    zone_name: str,
    hour: int,
    minute: int,
    weekdays: frozenset[int] | None,
    every: int,
    day_start_hour: int,
    after: datetime,
    near_transition: bool,
    shift_minutes: int,
    lead_minutes: int,
) -> None:
    """D9.1/D9.2 against a brute-force definition: the firing is after `after`; it is the
    rule's wall time (its first occurrence) on a qualifying day that happened, or, when
    that wall time fell in a gap, the first instant after the gap; and no qualifying day
    in between had an occurrence after `after`."""
    zone = ZoneInfo(zone_name)
    wall_time = time(hour, minute)
    transition = next_transition(after, zone) if near_transition else None
    if transition is not None:
        # Where the bugs live: a reminder near the wall time of a change of offset (so in
        # its gap or overlap), searched from a little before it.
        before = (transition - timedelta(minutes=1)).astimezone(zone).replace(tzinfo=None)
        wall_time = (before + timedelta(minutes=1 + shift_minutes)).time()
        after = transition - timedelta(minutes=lead_minutes)
    rule = ReminderRule(wall_time, weekdays)

    def is_required(day: date) -> bool:
        return day.toordinal() % every == 0

    def qualifies(day: date) -> bool:
        if missing_dates(zone_name, day, day, day_start_hour):
            return False
        return day.weekday() in weekdays if weekdays is not None else is_required(day)

    firing = next_firing(
        rule, zone_name, after, day_start_hour=day_start_hour, is_required=is_required
    )
    note(f"after={after.isoformat()} firing={firing}")
    assert firing is not None  # qualifying days are at most 9 apart: inside the horizon
    assert firing.at > after
    assert qualifies(firing.local_date)

    calendar = firing.local_date + timedelta(days=1 if wall_time.hour < day_start_hour else 0)
    wanted = datetime.combine(calendar, wall_time)
    local = firing.at.astimezone(zone)
    if local.replace(tzinfo=None) == wanted:
        twice = wanted.replace(tzinfo=zone, fold=1).astimezone(UTC) != firing.at
        event("overlap" if twice else "plain")
        assert local.fold == 0  # the first occurrence of an overlapping wall time
    else:
        # Only a gap may move it: the wall time never happened, the clock read earlier a
        # second before the firing and later at it; gaps are at most 2 hours, except
        # Apia's whole day.
        event("gap")
        assert not exists(wanted, zone)
        before = (firing.at - timedelta(seconds=1)).astimezone(zone).replace(tzinfo=None)
        assert before < wanted < local.replace(tzinfo=None)
        limit = timedelta(hours=24 if zone_name == "Pacific/Apia" else 2)
        assert local.replace(tzinfo=None) - wanted <= limit
    assert firing.at == expected_instant(firing.local_date, wall_time, zone_name, day_start_hour)

    day = local_date(after, zone_name, day_start_hour) - timedelta(days=3)
    while day < firing.local_date:
        if qualifies(day):
            assert expected_instant(day, wall_time, zone_name, day_start_hour) <= after, day
        day += timedelta(days=1)


def exists(wall: datetime, zone: ZoneInfo) -> bool:
    instant = wall.replace(tzinfo=zone).astimezone(UTC)
    return instant.astimezone(zone).replace(tzinfo=None) == wall
