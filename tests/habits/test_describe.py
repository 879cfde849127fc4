"""Schedules and goals in plain words (DOMAIN.md D3 schedule types, D2.1 targets, D2.2 quit
habits), as every page shows them (habits/describe.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from habitus.habits import describe
from habitus.habits.schemas import TargetOut


@pytest.mark.parametrize(
    ("schedule", "words"),
    [
        ({"type": "daily"}, "Every day"),
        ({"type": "weekdays", "days": ["mon", "wed", "fri"]}, "Mon, Wed and Fri"),
        ({"type": "weekdays", "days": ["fri", "mon"]}, "Mon and Fri"),
        ({"type": "weekdays", "days": ["mon", "tue", "wed", "thu", "fri"]}, "Weekdays"),
        ({"type": "weekdays", "days": ["sat", "sun"]}, "Weekends"),
        ({"type": "weekdays", "days": ["tue"]}, "Every Tuesday"),
        ({"type": "weekdays", "days": list(describe.WEEKDAYS)}, "Every day"),
        ({"type": "every_n_days", "n": 2}, "Every other day"),
        ({"type": "every_n_days", "n": 3}, "Every 3 days"),
        ({"type": "times_per_period", "times": 1, "period": "week"}, "Once a week"),
        ({"type": "times_per_period", "times": 2, "period": "month"}, "Twice a month"),
        ({"type": "times_per_period", "times": 3, "period": "week"}, "3 times a week"),
        ({"type": "times_per_period", "times": 12, "period": "month"}, "12 times a month"),
    ],
)
def test_each_schedule_type_in_words(schedule: dict[str, Any], words: str) -> None:
    """D3: every schedule type (daily, weekdays, every_n_days, times_per_period) in words."""
    assert describe.schedule_in_words(schedule) == words


def test_weekdays_follow_the_users_week_start() -> None:
    """D3.1: weeks start on the user's week_start, so a Sunday-first user reads Sun first."""
    schedule = {"type": "weekdays", "days": ["tue", "sun", "thu"]}
    assert describe.schedule_in_words(schedule) == "Tue, Thu and Sun"
    assert describe.schedule_in_words(schedule, week_start="sun") == "Sun, Tue and Thu"
    assert describe.week_order("sat")[:2] == ["sat", "sun"]


def test_dates_in_words() -> None:
    """D3 `dates`: a few dates listed like "Thu 24 Dec"; the year only when it is not this
    year's; many dates summed up with the first and the last."""
    today = date(2026, 11, 21)
    one = {"type": "dates", "dates": ["2026-12-24"]}
    assert describe.schedule_in_words(one, today=today) == "On Thu 24 Dec"
    assert describe.schedule_in_words(one) == "On Thu 24 Dec 2026"
    two = {"type": "dates", "dates": ["2027-01-01", "2026-12-31"]}
    assert describe.schedule_in_words(two, today=today) == "On Thu 31 Dec and Fri 1 Jan 2027"
    many = {"type": "dates", "dates": [f"2026-12-{day:02d}" for day in range(1, 6)]}
    assert describe.schedule_in_words(many, today=today) == "On 5 dates, Tue 1 Dec to Sat 5 Dec"
    assert describe.schedule_in_words({"type": "dates", "dates": [date(2026, 12, 24)]}, today=today)


@pytest.mark.parametrize(
    ("kind", "target", "words"),
    [
        ("boolean", None, None),
        ("measurable", {"value": 2.0, "unit": "L", "direction": "at_least"}, "At least 2 L a day"),
        (
            "measurable",
            {"value": 3, "unit": "cups", "direction": "at_most"},
            "At most 3 cups a day",
        ),
        ("measurable", {"value": 1.5, "unit": None, "direction": "at_least"}, "At least 1.5 a day"),
        (
            "measurable",
            TargetOut(value=0.25, unit="km", direction="at_least"),
            "At least 0.25 km a day",
        ),
    ],
)
def test_targets_in_words(kind: str, target: Any, words: str | None) -> None:
    """D2.1: a measurable habit's daily target with its unit and direction; none for yes/no."""
    assert describe.target_in_words(kind, "build", target) == words


class _Habit:
    def __init__(self, **fields: Any) -> None:
        self.kind = fields.get("kind", "boolean")
        self.polarity = fields.get("polarity", "build")
        self.target = fields.get("target")
        self.schedule = fields.get("schedule", {"type": "daily"})


def test_whole_habit_in_words() -> None:
    """D2.2 quit habits read "Quit: ..."; weekday names keep their capital; the target
    follows the schedule."""
    assert describe.habit_in_words(_Habit()) == "Every day"
    assert describe.habit_in_words(_Habit(polarity="quit")) == "Quit: every day"
    weekdays = {"type": "weekdays", "days": ["mon", "wed"]}
    assert describe.habit_in_words(_Habit(polarity="quit", schedule=weekdays)) == (
        "Quit: Mon and Wed"
    )
    cups = {"value": 3, "unit": "cups", "direction": "at_most"}
    assert describe.habit_in_words(_Habit(kind="measurable", polarity="quit", target=cups)) == (
        "Quit: every day · At most 3 cups a day"
    )
    water = {"value": 2, "unit": "L", "direction": "at_least"}
    weekly = {"type": "times_per_period", "times": 3, "period": "week"}
    assert describe.habit_in_words(_Habit(kind="measurable", target=water, schedule=weekly)) == (
        "3 times a week · At least 2 L a day"
    )


def test_streaks_and_numbers_in_words() -> None:
    """D7.1: a streak counts its unit (days, weeks or months)."""
    assert describe.streak_in_words(1, "day") == "1 day"
    assert describe.streak_in_words(3, "week") == "3 weeks"
    assert describe.number_in_words(2.0) == "2"
    assert describe.number_in_words(1 / 3) == "0.33"
