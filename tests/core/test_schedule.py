"""D3: schedules, their frequency (D8.2), their versions (N5) and their plain words."""

from __future__ import annotations

import pytest

from habitus.core.schedule import (
    Daily,
    Dates,
    EveryNDays,
    Schedule,
    ScheduleVersion,
    TimesPerPeriod,
    Weekdays,
    anchor_of,
    frequency,
    is_periodic,
    is_scheduled,
    version_index,
)
from habitus.habits.describe import schedule_text as describe
from tests.core.build import d, days, span

MONDAY = d("2024-06-03")


@pytest.mark.parametrize(
    ("schedule", "text"),
    [
        (Daily(), "Every day"),
        (Weekdays(frozenset({0, 2, 4})), "Mon, Wed and Fri"),
        (Weekdays(frozenset({4, 0})), "Mon and Fri"),
        (Weekdays(frozenset(range(5))), "Weekdays"),
        (Weekdays(frozenset({5, 6})), "Weekends"),
        (Weekdays(frozenset(range(7))), "Every day"),
        (Weekdays(frozenset({0})), "Every Monday"),
        (Weekdays(frozenset({1, 2, 3, 4, 5, 6})), "Tue, Wed, Thu, Fri, Sat and Sun"),
        (EveryNDays(2), "Every other day"),
        (EveryNDays(3), "Every 3 days"),
        (TimesPerPeriod(3, "week"), "3 times a week"),
        (TimesPerPeriod(1, "week"), "Once a week"),
        (TimesPerPeriod(2, "month"), "Twice a month"),
        (TimesPerPeriod(10, "month"), "10 times a month"),
        (Dates(frozenset({d("2024-06-04")})), "On 2024-06-04"),
        (Dates(frozenset({d("2024-06-04"), d("2024-07-01"), d("2024-05-01")})), "On 3 dates"),
    ],
)
def test_describe_in_plain_words(schedule: Schedule, text: str) -> None:
    """D3: describe() says the schedule in plain words ("Mon, Wed and Fri", "3 times a week")."""
    assert describe(schedule) == text


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (Daily(), (1, 1)),
        (Weekdays(frozenset({0, 2, 4})), (3, 7)),
        (Weekdays(frozenset(range(7))), (1, 1)),
        (EveryNDays(3), (1, 3)),
        (TimesPerPeriod(3, "week"), (3, 7)),
        (TimesPerPeriod(7, "week"), (7, 7)),
        (TimesPerPeriod(2, "month"), (2, 30)),
        (Dates(frozenset({d("2024-06-01"), d("2024-06-03")})), (2, 3)),
        (Dates(frozenset({d("2024-06-01"), d("2024-06-10")})), (1, 5)),
        (Dates(frozenset({d("2024-06-01")})), (1, 1)),
    ],
)
def test_frequency(schedule: Schedule, expected: tuple[int, int]) -> None:
    """D8.2 (SCORE.md rule 1): each schedule's frequency num / den, as Loop counts it."""
    assert frequency(schedule) == expected


def test_only_times_per_period_is_periodic() -> None:
    """D3: times_per_period requires no single day; the period is the unit (D6)."""
    assert is_periodic(TimesPerPeriod(3, "week"))
    assert not any(is_periodic(s) for s in (Daily(), EveryNDays(2), Weekdays(frozenset({1}))))
    assert not any(
        is_scheduled(TimesPerPeriod(7, "week"), day, MONDAY)
        for day in span(MONDAY, MONDAY + days(6))
    )


def test_daily_is_scheduled_every_day() -> None:
    """D3 (daily): every day."""
    assert all(is_scheduled(Daily(), day, MONDAY) for day in span("2024-02-25", "2024-03-05"))


def test_weekdays_are_scheduled_on_their_weekdays() -> None:
    """D3 (weekdays): 0 is Monday; those weekdays only."""
    tue_sun = Weekdays(frozenset({1, 6}))
    got = [day for day in span(MONDAY, MONDAY + days(13)) if is_scheduled(tue_sun, day, MONDAY)]
    assert got == [d("2024-06-04"), d("2024-06-09"), d("2024-06-11"), d("2024-06-16")]


def test_every_n_days_counts_from_its_anchor() -> None:
    """D3 (every_n_days): anchor + k*n, also across a month end and a leap day."""
    anchor = d("2024-02-27")
    got = [day for day in span(anchor, "2024-03-06") if is_scheduled(EveryNDays(3), day, anchor)]
    assert got == [d("2024-02-27"), d("2024-03-01"), d("2024-03-04")]


def test_dates_are_scheduled_on_those_dates() -> None:
    """D3 (dates): exactly the listed dates."""
    dates = Dates(frozenset({d("2024-06-04"), d("2024-12-31")}))
    got = [day for day in span("2024-06-01", "2024-12-31") if is_scheduled(dates, day, MONDAY)]
    assert got == [d("2024-06-04"), d("2024-12-31")]


VERSIONS = (
    ScheduleVersion(d("2024-06-01"), Daily()),
    ScheduleVersion(d("2024-06-10"), EveryNDays(3)),
    ScheduleVersion(d("2024-07-01"), Weekdays(frozenset({0}))),
)


@pytest.mark.parametrize(
    ("day", "index"),
    [
        ("2024-05-01", 0),
        ("2024-06-01", 0),
        ("2024-06-09", 0),
        ("2024-06-10", 1),
        ("2024-06-30", 1),
        ("2024-07-01", 2),
        ("2030-01-01", 2),
    ],
)
def test_version_in_effect(day: str, index: int) -> None:
    """D3 / N5: the newest version effective on or before the day; before all, the first."""
    assert version_index(VERSIONS, d(day)) == index


def test_anchor_of_each_version() -> None:
    """N5: every_n_days counts from the start (first version) or a later version's first day."""
    start = d("2024-06-01")
    assert anchor_of(VERSIONS, 0, start) == start
    assert anchor_of(VERSIONS, 1, start) == d("2024-06-10")
    assert anchor_of(VERSIONS, 1, d("2024-06-20")) == d("2024-06-20")  # not before the start
