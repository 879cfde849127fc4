"""D1: local dates, today and the day start, across time zones, DST and the date line.

Each scenario is a named case. Instants are written in UTC ("...Z") so every expected
local date below is worked out by hand from the zone's offset at that instant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from habitus.core.habits import Break
from habitus.core.schedule import Daily, EveryNDays, TimesPerPeriod
from habitus.core.time import (
    is_valid_timezone,
    local_date,
    missing_dates,
    period_end,
    period_start,
    today,
)
from tests.core.build import d, evaluate, facts, habit, span, units


def utc(text: str) -> datetime:
    """An instant from ISO text ending in Z."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def wall(zone: str, text: str, fold: int = 0) -> datetime:
    """The instant of a local wall-clock time that exists in `zone`."""
    local = datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone), fold=fold)
    instant = local.astimezone(UTC)
    assert instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None) == local.replace(tzinfo=None)
    return instant


# (name, instant, zone, day_start_hour, expected local date)
MATRIX = [
    # America/New_York: 2024-03-10 02:00 EST -> 03:00 EDT (07:00Z);
    # 2024-11-03 02:00 EDT -> 01:00 EST (06:00Z).
    ("ny-spring-0159-est", "2024-03-10T06:59:00Z", "America/New_York", 0, "2024-03-10"),
    ("ny-spring-0300-edt", "2024-03-10T07:00:00Z", "America/New_York", 0, "2024-03-10"),
    ("ny-spring-last-minute", "2024-03-11T03:59:00Z", "America/New_York", 0, "2024-03-10"),
    ("ny-spring-next-midnight", "2024-03-11T04:00:00Z", "America/New_York", 0, "2024-03-11"),
    ("ny-spring-dsh3-0130-est", "2024-03-10T06:30:00Z", "America/New_York", 3, "2024-03-09"),
    ("ny-spring-dsh3-0159-est", "2024-03-10T06:59:00Z", "America/New_York", 3, "2024-03-09"),
    ("ny-spring-dsh3-0300-edt", "2024-03-10T07:00:00Z", "America/New_York", 3, "2024-03-10"),
    ("ny-spring-dsh3-next-0130", "2024-03-11T05:30:00Z", "America/New_York", 3, "2024-03-10"),
    ("ny-fall-0130-edt-first", "2024-11-03T05:30:00Z", "America/New_York", 0, "2024-11-03"),
    ("ny-fall-0130-est-second", "2024-11-03T06:30:00Z", "America/New_York", 0, "2024-11-03"),
    ("ny-fall-dsh3-0130-first", "2024-11-03T05:30:00Z", "America/New_York", 3, "2024-11-02"),
    ("ny-fall-dsh3-0130-second", "2024-11-03T06:30:00Z", "America/New_York", 3, "2024-11-02"),
    ("ny-fall-dsh3-0300-est", "2024-11-03T08:00:00Z", "America/New_York", 3, "2024-11-03"),
    ("ny-fall-last-minute", "2024-11-04T04:59:00Z", "America/New_York", 0, "2024-11-03"),
    # Europe/London: 2024-03-31 01:00 GMT -> 02:00 BST (01:00Z);
    # 2024-10-27 02:00 BST -> 01:00 GMT (01:00Z).
    ("london-spring-0059-gmt", "2024-03-31T00:59:00Z", "Europe/London", 0, "2024-03-31"),
    ("london-spring-dsh1-0030-gmt", "2024-03-31T00:30:00Z", "Europe/London", 1, "2024-03-30"),
    ("london-spring-0200-bst", "2024-03-31T01:00:00Z", "Europe/London", 0, "2024-03-31"),
    ("london-spring-dsh1-0200-bst", "2024-03-31T01:00:00Z", "Europe/London", 1, "2024-03-31"),
    ("london-summer-after-midnight", "2024-06-30T23:30:00Z", "Europe/London", 0, "2024-07-01"),
    ("london-fall-0130-bst-first", "2024-10-27T00:30:00Z", "Europe/London", 0, "2024-10-27"),
    ("london-fall-0130-gmt-second", "2024-10-27T01:30:00Z", "Europe/London", 0, "2024-10-27"),
    ("london-fall-dsh2-0130-second", "2024-10-27T01:30:00Z", "Europe/London", 2, "2024-10-26"),
    # Australia/Sydney: 2024-04-07 03:00 AEDT -> 02:00 AEST (16:00Z on the 6th);
    # 2024-10-06 02:00 AEST -> 03:00 AEDT (16:00Z on the 5th).
    ("sydney-fall-0230-aedt-first", "2024-04-06T15:30:00Z", "Australia/Sydney", 0, "2024-04-07"),
    ("sydney-fall-0230-aest-second", "2024-04-06T16:30:00Z", "Australia/Sydney", 0, "2024-04-07"),
    ("sydney-fall-dsh3-0230-second", "2024-04-06T16:30:00Z", "Australia/Sydney", 3, "2024-04-06"),
    ("sydney-spring-0159-aest", "2024-10-05T15:59:00Z", "Australia/Sydney", 0, "2024-10-06"),
    ("sydney-spring-0300-aedt", "2024-10-05T16:00:00Z", "Australia/Sydney", 0, "2024-10-06"),
    ("sydney-spring-dsh3-0130", "2024-10-05T15:30:00Z", "Australia/Sydney", 3, "2024-10-05"),
    ("sydney-ahead-of-utc-date", "2024-01-15T13:30:00Z", "Australia/Sydney", 0, "2024-01-16"),
    # Australia/Lord_Howe, a 30-minute DST:
    # 2024-04-07 02:00 (+11) -> 01:30 (+10:30) (15:00Z on the 6th);
    # 2024-10-06 02:00 (+10:30) -> 02:30 (+11) (15:30Z on the 5th).
    ("lord-howe-fall-0145-first", "2024-04-06T14:45:00Z", "Australia/Lord_Howe", 0, "2024-04-07"),
    ("lord-howe-fall-0145-second", "2024-04-06T15:15:00Z", "Australia/Lord_Howe", 0, "2024-04-07"),
    (
        "lord-howe-fall-dsh2-0145-second",
        "2024-04-06T15:15:00Z",
        "Australia/Lord_Howe",
        2,
        "2024-04-06",
    ),
    ("lord-howe-spring-0159", "2024-10-05T15:29:00Z", "Australia/Lord_Howe", 0, "2024-10-06"),
    ("lord-howe-spring-0230", "2024-10-05T15:30:00Z", "Australia/Lord_Howe", 0, "2024-10-06"),
    ("lord-howe-spring-dsh2-0159", "2024-10-05T15:29:00Z", "Australia/Lord_Howe", 2, "2024-10-05"),
    ("lord-howe-winter-2359", "2024-06-30T13:29:00Z", "Australia/Lord_Howe", 0, "2024-06-30"),
    ("lord-howe-winter-midnight", "2024-06-30T13:30:00Z", "Australia/Lord_Howe", 0, "2024-07-01"),
    # Asia/Kathmandu, +05:45.
    ("kathmandu-2359", "2024-06-01T18:14:00Z", "Asia/Kathmandu", 0, "2024-06-01"),
    ("kathmandu-midnight", "2024-06-01T18:15:00Z", "Asia/Kathmandu", 0, "2024-06-02"),
    ("kathmandu-dsh6-0545", "2024-06-02T00:00:00Z", "Asia/Kathmandu", 6, "2024-06-01"),
    ("kathmandu-dsh6-0600", "2024-06-02T00:15:00Z", "Asia/Kathmandu", 6, "2024-06-02"),
    # Pacific/Apia skipped 2011-12-30: 23:59:59 on the 29th (-10) was followed by
    # 00:00 on the 31st (+14).
    ("apia-last-second-of-29th", "2011-12-30T09:59:59Z", "Pacific/Apia", 0, "2011-12-29"),
    ("apia-first-second-of-31st", "2011-12-30T10:00:00Z", "Pacific/Apia", 0, "2011-12-31"),
    ("apia-noon-utc-on-the-30th", "2011-12-30T12:00:00Z", "Pacific/Apia", 0, "2011-12-31"),
    # With day start 3, 00:00-03:00 on the 31st is the (short) day 2011-12-30 (D1.2 arithmetic).
    ("apia-dsh3-0130-on-31st", "2011-12-30T11:30:00Z", "Pacific/Apia", 3, "2011-12-30"),
    ("apia-dsh3-0300-on-31st", "2011-12-30T13:00:00Z", "Pacific/Apia", 3, "2011-12-31"),
    ("apia-day-before", "2011-12-29T09:00:00Z", "Pacific/Apia", 0, "2011-12-28"),
    # Pacific/Kiritimati (+14) and Pacific/Pago_Pago (-11): the same instant, other dates.
    ("kiritimati-0030z", "2024-01-01T00:30:00Z", "Pacific/Kiritimati", 0, "2024-01-01"),
    ("pago-pago-0030z", "2024-01-01T00:30:00Z", "Pacific/Pago_Pago", 0, "2023-12-31"),
    ("kiritimati-1000z", "2024-01-01T10:00:00Z", "Pacific/Kiritimati", 0, "2024-01-02"),
    ("pago-pago-1000z", "2024-01-01T10:00:00Z", "Pacific/Pago_Pago", 0, "2023-12-31"),
    ("kiritimati-2330z", "2024-01-01T23:30:00Z", "Pacific/Kiritimati", 0, "2024-01-02"),
    ("pago-pago-2330z", "2024-01-01T23:30:00Z", "Pacific/Pago_Pago", 0, "2024-01-01"),
    # America/Los_Angeles and Asia/Tokyo.
    ("los-angeles-evening", "2024-05-10T03:00:00Z", "America/Los_Angeles", 0, "2024-05-09"),
    ("tokyo-same-instant", "2024-05-10T03:00:00Z", "Asia/Tokyo", 0, "2024-05-10"),
    # Leap day and year end.
    ("utc-leap-day", "2028-02-29T12:00:00Z", "UTC", 0, "2028-02-29"),
    ("utc-dsh3-0130-after-leap-day", "2028-03-01T01:30:00Z", "UTC", 3, "2028-02-29"),
    ("tokyo-leap-day-evening-utc", "2028-02-29T23:30:00Z", "Asia/Tokyo", 0, "2028-03-01"),
    ("utc-dsh3-new-year", "2027-01-01T02:00:00Z", "UTC", 3, "2026-12-31"),
    ("auckland-new-year", "2026-12-31T11:00:00Z", "Pacific/Auckland", 0, "2027-01-01"),
    ("honolulu-old-year", "2027-01-01T09:59:00Z", "Pacific/Honolulu", 0, "2026-12-31"),
]


@pytest.mark.parametrize(
    ("instant", "zone", "hour", "expected"),
    [pytest.param(i, z, h, e, id=name) for name, i, z, h, e in MATRIX],
)
def test_local_date(instant: str, zone: str, hour: int, expected: str) -> None:
    """D1.2 / D1.3: the local day of an instant is the date of local time - day_start_hour."""
    assert local_date(utc(instant), zone, hour) == d(expected)
    assert today(utc(instant), zone, hour) == d(expected)


def test_matrix_is_large() -> None:
    """D1: the matrix holds at least 40 named scenarios, each name once."""
    names = [name for name, *_ in MATRIX]
    assert len(names) >= 40
    assert len(set(names)) == len(names)


def test_naive_instant_is_refused() -> None:
    """D1.3: today is computed from a UTC instant; a naive datetime is refused."""
    with pytest.raises(ValueError, match="aware"):
        local_date(datetime(2024, 6, 1, 12, 0), "UTC")  # noqa: DTZ001


def test_zone_names_are_validated() -> None:
    """D1.1: zone names are checked against the tz database."""
    assert is_valid_timezone("Pacific/Apia")
    assert is_valid_timezone("Asia/Kathmandu")
    assert not is_valid_timezone("Mars/Olympus_Mons")
    assert not is_valid_timezone("utc+2")


# --- through the evaluation ---------------------------------------------------------------------

NIGHTLY = [
    # (name, zone, first local wall time of the nightly check-ins, nights, day_start_hour)
    ("new-york-spring-0130-dsh3", "America/New_York", "2024-03-08T01:30", 7, 3),
    ("new-york-fall-0130-dsh3", "America/New_York", "2024-11-01T01:30", 7, 3),
    ("new-york-spring-2330", "America/New_York", "2024-03-07T23:30", 7, 0),
    ("london-spring-0030-dsh1", "Europe/London", "2024-03-28T00:30", 7, 1),
    ("london-fall-0130-dsh2", "Europe/London", "2024-10-24T01:30", 7, 2),
    ("sydney-fall-0230-dsh3", "Australia/Sydney", "2024-04-04T02:30", 7, 3),
    ("sydney-spring-0130-dsh3", "Australia/Sydney", "2024-10-03T01:30", 7, 3),
    ("lord-howe-fall-0145-dsh2", "Australia/Lord_Howe", "2024-04-04T01:45", 7, 2),
    ("lord-howe-spring-0145-dsh2", "Australia/Lord_Howe", "2024-10-03T01:45", 7, 2),
    ("kathmandu-0030-dsh1", "Asia/Kathmandu", "2024-06-01T00:30", 7, 1),
]


@pytest.mark.parametrize(
    ("zone", "first", "nights", "hour"),
    [pytest.param(z, f, n, h, id=name) for name, z, f, n, h in NIGHTLY],
)
def test_nightly_checkins_across_dst_keep_a_daily_streak(
    zone: str, first: str, nights: int, hour: int
) -> None:
    """D1.2 / D7.2: a nightly check-in at one wall time counts once per day across DST."""
    start_wall = datetime.fromisoformat(first)
    instants = [wall(zone, (start_wall + timedelta(days=k)).isoformat()) for k in range(nights)]
    keyed = [local_date(instant, zone, hour) for instant in instants]
    first_day = start_wall.date() - timedelta(days=1 if start_wall.hour < hour else 0)
    assert keyed == span(first_day, first_day + timedelta(days=nights - 1))
    now_day = today(instants[-1] + timedelta(hours=12), zone, hour)
    now = evaluate(habit(Daily(), first_day), facts(keyed), now_day)
    assert now.current.length == nights
    assert (now.current.first, now.current.last) == (keyed[0], keyed[-1])


def test_fall_back_hour_twice_counts_once() -> None:
    """D1.2 / D4.4: the two 01:30s of a fall-back night are one day (day start 3), one entry."""
    zone = "America/New_York"
    first = wall(zone, "2024-11-03T01:30", fold=0)
    second = wall(zone, "2024-11-03T01:30", fold=1)
    assert second - first == timedelta(hours=1)
    assert local_date(first, zone, 3) == local_date(second, zone, 3) == d("2024-11-02")
    entries = facts([local_date(first, zone, 3), local_date(second, zone, 3)])
    assert len(entries) == 1


def test_dsh3_checkin_at_0130_saves_yesterday() -> None:
    """D1.2: with day start 3, 01:30 on Tuesday counts for Monday and keeps the streak."""
    zone = "Europe/Berlin"
    monday_night = wall(zone, "2024-06-11T01:30")  # Tuesday 01:30
    logged = local_date(monday_night, zone, 3)
    assert logged == d("2024-06-10")
    entries = facts([*span("2024-06-03", "2024-06-09"), logged])
    now = evaluate(habit(Daily(), "2024-06-03"), entries, today(monday_night, zone, 3))
    assert (now.today, now.outcome, now.current.length) == (d("2024-06-10"), "done", 8)


def test_apia_missing_day_has_no_instant() -> None:
    """D1.2: no instant belongs to Pacific/Apia's 2011-12-30; the day before and after exist."""
    zone = "Pacific/Apia"
    seen = {
        local_date(utc("2011-12-29T00:00:00Z") + timedelta(minutes=15 * k), zone)
        for k in range(4 * 72)
    }
    assert d("2011-12-29") in seen
    assert d("2011-12-31") in seen
    assert d("2011-12-30") not in seen
    assert missing_dates(zone, d("2011-01-01"), d("2012-12-31")) == [d("2011-12-30")]
    # With day start 3 the 30th is the three hours after midnight on the 31st.
    assert missing_dates(zone, d("2011-01-01"), d("2012-12-31"), 3) == []
    assert missing_dates("America/New_York", d("2011-01-01"), d("2030-12-31")) == []


@pytest.mark.parametrize(
    ("zone", "missing"),
    [
        ("Pacific/Apia", "2011-12-30"),
        ("Pacific/Fakaofo", "2011-12-30"),
        ("Pacific/Kiritimati", "1994-12-31"),
        ("Pacific/Kwajalein", "1993-08-21"),
    ],
)
def test_missing_dates_of_the_tz_database(zone: str, missing: str) -> None:
    """D1.2: the local dates a zone skipped when it crossed the date line westward."""
    day = d(missing)
    assert missing_dates(zone, day - timedelta(days=400), day + timedelta(days=400)) == [day]


def test_apia_daily_streak_across_the_missing_day() -> None:
    """D1.2 / D7.2: a check-in each existing day keeps a streak across Apia's missing day."""
    zone = "Pacific/Apia"
    instants = [
        utc("2011-12-27T20:00:00Z"),  # 10:00 on the 27th (-10)
        utc("2011-12-28T20:00:00Z"),  # 10:00 on the 28th
        utc("2011-12-29T20:00:00Z"),  # 10:00 on the 29th
        utc("2011-12-30T20:00:00Z"),  # 10:00 on the 31st (+14)
        utc("2011-12-31T20:00:00Z"),  # 10:00 on 2012-01-01
    ]
    keyed = [local_date(instant, zone) for instant in instants]
    assert keyed == [
        d("2011-12-27"),
        d("2011-12-28"),
        d("2011-12-29"),
        d("2011-12-31"),
        d("2012-01-01"),
    ]
    rules = habit(Daily(), "2011-12-27")
    now_day = today(instants[-1], zone)
    gone = [Break(day, day) for day in missing_dates(zone, rules.start_date, now_day)]
    now = evaluate(rules, facts(keyed), now_day, breaks=gone)
    assert (now.outcome, now.current.length) == ("done", 5)
    assert (now.current.first, now.current.last) == (d("2011-12-27"), d("2012-01-01"))


def test_date_line_same_instant_two_todays() -> None:
    """D1.3: at 10:30Z on 2024-01-01 it is Jan 2 in Kiritimati and Dec 31 in Pago Pago."""
    instant = utc("2024-01-01T10:30:00Z")
    east, west = today(instant, "Pacific/Kiritimati"), today(instant, "Pacific/Pago_Pago")
    assert (east - west).days == 2
    rules = habit(Daily(), "2023-12-25")
    # The same check-in instant is a different local day for each user (D1.4).
    east_now = evaluate(rules, facts([local_date(instant, "Pacific/Kiritimati")]), east)
    west_now = evaluate(rules, facts([local_date(instant, "Pacific/Pago_Pago")]), west)
    assert east_now.today == d("2024-01-02")
    assert west_now.today == d("2023-12-31")
    assert east_now.outcome == west_now.outcome == "done"


def test_moving_from_los_angeles_to_tokyo_keeps_the_streak() -> None:
    """D1.4: stored local dates never move with the user's zone; the streak survives."""
    la, tokyo = "America/Los_Angeles", "Asia/Tokyo"
    in_la = [wall(la, f"2024-05-{day:02d}T09:00") for day in range(1, 11)]  # 05-01 .. 05-10
    entries = facts([local_date(instant, la) for instant in in_la])
    # Flies on 05-10, lands at 14:00 JST on 05-11; the zone is now Asia/Tokyo.
    landed = wall(tokyo, "2024-05-11T14:00")
    next_day = wall(tokyo, "2024-05-12T12:00")
    entries.update(facts([local_date(landed, tokyo), local_date(next_day, tokyo)]))
    assert sorted(entries) == span("2024-05-01", "2024-05-12")
    # Read in the new zone, the LA check-ins would all move a day later (09:00 PDT is
    # 01:00 JST the next day): 05-01 would empty and 05-10 collide with 05-11.
    assert {local_date(instant, tokyo) for instant in in_la} == set(
        span("2024-05-02", "2024-05-11")
    )
    now = evaluate(habit(Daily(), "2024-05-01"), entries, today(next_day, tokyo))
    assert (now.today, now.outcome) == (d("2024-05-12"), "done")
    assert now.current.length == 12
    assert (now.current.first, now.current.last) == (d("2024-05-01"), d("2024-05-12"))


def test_moving_zone_day_without_entry_is_missed() -> None:
    """D1.4 / D7.2: after the move, a local day with no entry (05-11) is missed like any other."""
    la, tokyo = "America/Los_Angeles", "Asia/Tokyo"
    entries = facts([local_date(wall(la, f"2024-05-{day:02d}T09:00"), la) for day in range(1, 11)])
    landed = wall(tokyo, "2024-05-12T12:00")
    entries.update(facts([local_date(landed, tokyo)]))
    now = evaluate(habit(Daily(), "2024-05-01"), entries, today(landed, tokyo))
    assert now.current.length == 1
    assert now.longest.length == 10


@pytest.mark.parametrize(
    ("week_start", "outcomes"),
    [(0, ["done"]), (6, ["missed", "missed"])],
    ids=["monday", "sunday"],
)
def test_week_start_with_weekend_checkins(week_start: int, outcomes: list[str]) -> None:
    """D3.1: Sat 22:00 and Sun 10:00 check-ins: one week from Monday, two from Sunday."""
    zone = "America/New_York"
    instants = [wall(zone, "2024-06-08T22:00"), wall(zone, "2024-06-09T10:00")]
    entries = facts([local_date(instant, zone) for instant in instants])
    rules = habit(TimesPerPeriod(2, "week"), "2024-05-01")
    got = units(rules, entries, "2024-06-08", "2024-06-16", week_start=week_start)
    assert [unit.outcome for unit in got][: len(outcomes)] == outcomes


def test_week_start_moves_a_period_boundary() -> None:
    """D3.1: the week of Sunday 2024-06-09 starts Monday the 3rd, or Sunday the 9th."""
    sunday = d("2024-06-09")
    assert period_start(sunday, "week", 0) == d("2024-06-03")
    assert period_end(sunday, "week", 0) == d("2024-06-09")
    assert period_start(sunday, "week", 6) == sunday
    assert period_end(sunday, "week", 6) == d("2024-06-15")


def test_leap_day_every_other_day() -> None:
    """D3 / leap year: every 2 days from 2028-02-27 requires the 27th, 29 February and 2 March."""
    rules = habit(EveryNDays(2), "2028-02-27")
    entries = facts(["2028-02-27", "2028-02-29", "2028-03-02"])
    now = evaluate(rules, entries, "2028-03-02")
    assert now.current.length == 3
    assert (now.current.first, now.current.last) == (d("2028-02-27"), d("2028-03-02"))


def test_leap_month_of_29_days() -> None:
    """N4: February 2028 is a 29-day period: 29 a month, every day done, is done."""
    rules = habit(TimesPerPeriod(29, "month"), "2028-02-01")
    got = units(rules, facts(span("2028-02-01", "2028-02-29")), "2028-02-01", "2028-03-01")
    assert (got[0].first, got[0].last, got[0].target, got[0].outcome) == (
        d("2028-02-01"),
        d("2028-02-29"),
        29,
        "done",
    )
    assert period_end(d("2028-02-10"), "month", 0) == d("2028-02-29")
    assert period_end(d("2027-02-10"), "month", 0) == d("2027-02-28")


def test_iso_week_53_spans_the_new_year() -> None:
    """D3.1: ISO week 53 of 2026 runs 2026-12-28 to 2027-01-03 and is one weekly period."""
    assert d("2026-12-31").isocalendar()[1] == 53
    rules = habit(TimesPerPeriod(2, "week"), "2026-12-01")
    entries = facts(["2026-12-31", "2027-01-01"])
    now = evaluate(rules, entries, "2027-01-02")
    assert (now.current_unit.first, now.current_unit.last) == (d("2026-12-28"), d("2027-01-03"))
    assert now.outcome == "done"
    sunday = evaluate(rules, entries, "2027-01-02", week_start=6)
    assert (sunday.current_unit.first, sunday.current_unit.last) == (
        d("2026-12-27"),
        d("2027-01-02"),
    )


def test_december_to_january_months() -> None:
    """D6 / N4: December and January are separate monthly periods across the year end."""
    rules = habit(TimesPerPeriod(2, "month"), "2026-12-01")
    zone = "Pacific/Auckland"
    eve = wall(zone, "2026-12-31T23:30")
    after_midnight = wall(zone, "2027-01-01T00:30")
    entries = facts(["2026-12-05", local_date(eve, zone), local_date(after_midnight, zone)])
    got = units(rules, entries, "2026-12-01", "2027-02-01")
    assert [(u.first, u.last, u.outcome) for u in got] == [
        (d("2026-12-01"), d("2026-12-31"), "done"),
        (d("2027-01-01"), d("2027-01-31"), "missed"),
        (d("2027-02-01"), d("2027-02-28"), "pending"),
    ]
    # With day start 3, the 00:30 check-in belongs to New Year's Eve: January is empty.
    assert local_date(after_midnight, zone, 3) == d("2026-12-31")


def test_today_in_utc_vs_local() -> None:
    """D1.3: nothing is keyed by the UTC date: at 23:30Z Berlin is already on the next day."""
    instant = utc("2024-06-30T23:30:00Z")
    assert instant.date() == date(2024, 6, 30)
    assert today(instant, "Europe/Berlin") == d("2024-07-01")
    assert today(instant, "Europe/Berlin", 3) == d("2024-06-30")
