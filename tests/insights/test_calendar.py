"""Pure parts of the insights pages: months, month grids in the user's week (D3.1), the
state a calendar shows for a day (D5 outcomes, D3.2 breaks, D3.3/D6 skips, D2.3 the
active range), and the History shares."""

from __future__ import annotations

from datetime import date

import pytest

from habitus.insights.calendar import (
    DayFacts,
    add_months,
    day_state,
    day_title,
    format_value,
    month_grid,
    month_key,
    parse_month,
    percent,
    share_level,
    share_text,
    short_date,
    weekday_headers,
)

NOV = date(2026, 11, 1)  # a Sunday


def facts(outcome="not_required", **changes) -> DayFacts:
    values = {
        "outcome": outcome,
        "status": None,
        "in_break": False,
        "before_start": False,
        "after_end": False,
        "complete": False,
    }
    values.update(changes)
    return DayFacts(**values)


def test_short_date_reads_like_issue_4() -> None:
    """Issue 4: dates like "Sat 21 Nov"."""
    assert short_date(date(2026, 11, 21)) == "Sat 21 Nov"


@pytest.mark.parametrize(
    ("text", "expected"), [("2026-10", date(2026, 10, 1)), (" 2027-01 ", date(2027, 1, 1))]
)
def test_parse_month(text: str, expected: date) -> None:
    assert parse_month(text) == expected
    assert month_key(expected) == text.strip()


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-10", "2026-1", "october", "0001-01"])
def test_parse_month_refuses_what_is_not_a_month(text: str) -> None:
    with pytest.raises(ValueError, match="month"):
        parse_month(text)


def test_add_months_crosses_years() -> None:
    assert add_months(date(2026, 12, 1), 1) == date(2027, 1, 1)
    assert add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert add_months(date(2026, 11, 1), -23) == date(2024, 12, 1)


def test_month_grid_with_monday_weeks() -> None:
    """D3.1: weeks start on the user's week start; November 2026 starts on a Sunday, so
    a Monday week puts the 1st in the last column of the first row."""
    weeks = month_grid(NOV, 0)
    assert weeks[0] == [None] * 6 + [date(2026, 11, 1)]
    assert weeks[1][0] == date(2026, 11, 2)
    assert len(weeks) == 6
    assert weeks[-1] == [date(2026, 11, 30)] + [None] * 6
    assert [day for week in weeks for day in week if day] == [
        date(2026, 11, n) for n in range(1, 31)
    ]
    assert [short for short, _ in weekday_headers(0)][:2] == ["Mon", "Tue"]


def test_month_grid_with_sunday_weeks() -> None:
    """D3.1: with Sunday weeks the 1st of November 2026 opens the first row."""
    weeks = month_grid(NOV, 6)
    assert weeks[0][0] == date(2026, 11, 1)
    assert len(weeks) == 5
    assert weeks[-1][:2] == [date(2026, 11, 29), date(2026, 11, 30)]
    assert weekday_headers(6)[0] == ("Sun", "Sunday")


@pytest.mark.parametrize(
    ("day_facts", "state"),
    [
        (facts("done", complete=True), "done"),  # D5 done
        (facts("missed"), "missed"),  # D5 missed
        (facts("pending"), "pending"),  # D5 pending (today)
        (facts("future"), "future"),  # D5 future
        (facts(in_break=True), "break"),  # D3.2: a break day is not required
        (facts(status="skipped"), "skipped"),  # D3.3: a skipped day is not required
        (facts(in_break=True, status="skipped"), "break"),
        (facts(before_start=True), "before_start"),  # D2.3
        (facts(after_end=True), "ended"),  # D2.3
        (facts(complete=True, status="done"), "extra"),  # D5: an extra
        (facts(), "not_required"),
    ],
)
def test_day_state(day_facts: DayFacts, state: str) -> None:
    assert day_state(day_facts) == state


def test_day_title_names_the_day_the_state_and_the_value() -> None:
    assert day_title(date(2026, 11, 21), "done") == "Sat 21 Nov: done"
    assert day_title(date(2026, 11, 21), "done", "2.5 km") == "Sat 21 Nov: done, 2.5 km"
    assert format_value(3.0, "km") == "3 km"
    assert format_value(2.5, None) == "2.5"
    assert format_value(None, "km") is None


@pytest.mark.parametrize(
    ("done", "required", "level", "text"),
    [
        (3, 4, "s3", "3 of 4 (75%)"),
        (2, 4, "s2", "2 of 4 (50%)"),
        (1, 4, "s1", "1 of 4 (25%)"),
        (0, 4, "s0", "0 of 4 (0%)"),
        (4, 4, "perfect", "4 of 4 (100%)"),
        (0, 0, "none", "Nothing required"),
    ],
)
def test_share_of_a_day(done: int, required: int, level: str, text: str) -> None:
    """Issue 4 History: the share of required habits completed, gold for a perfect day,
    neutral when nothing was required."""
    assert share_level(done, required) == level
    assert share_text(done, required) == text


def test_future_days_are_neutral_whatever_the_counts() -> None:
    assert share_level(0, 3, future=True) == "future"


def test_percent_of_no_units_is_not_zero() -> None:
    """D8.1: no units gives no rate, not 0."""
    assert percent(None) == "No data yet"
    assert percent(0.857) == "86%"
    assert percent(0.0) == "0%"
