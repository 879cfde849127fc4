"""Loop frequencies onto Habitus schedules (issue 5, "Import"; DOMAIN D3)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter

from habitus.habits.schemas import ScheduleIn
from habitus.imports.loop import schedule_for

SCHEDULE = TypeAdapter(ScheduleIn)


def test_the_exact_frequencies():
    """Issue 5: 1/1 daily, 1/n every n days, k/7 k times a week, k/30 k times a month,
    with no note in the report."""
    assert schedule_for("A", 1, 1) == ({"type": "daily"}, None)
    assert schedule_for("A", 1, 5) == ({"type": "every_n_days", "n": 5}, None)
    assert schedule_for("A", 3, 7) == (
        {"type": "times_per_period", "period": "week", "times": 3},
        None,
    )
    assert schedule_for("A", 1, 7)[1] is None
    assert schedule_for("A", 12, 30) == (
        {"type": "times_per_period", "period": "month", "times": 12},
        None,
    )


def test_the_nearest_schedule_is_reported():
    """Issue 5: anything else becomes the nearest rate, stated in the report."""
    assert schedule_for("Gym", 5, 10) == (
        {"type": "times_per_period", "period": "week", "times": 4},
        "'Gym' 5 times in 10 days became 4 times a week",
    )
    assert schedule_for("A", 2, 14)[0] == {"type": "times_per_period", "period": "week", "times": 1}
    assert schedule_for("A", 3, 100)[0] == {
        "type": "times_per_period",
        "period": "month",
        "times": 1,
    }
    assert schedule_for("A", 8, 7) == ({"type": "daily"}, "'A' 8 times in 7 days became daily")


@given(st.integers(min_value=-5, max_value=400), st.integers(min_value=-5, max_value=400))
def test_every_frequency_becomes_a_valid_schedule(num: int, den: int):
    """Issue 5 / D3: whatever Loop holds, the result is a schedule Habitus accepts, and
    its rate is within half a unit (per week or month) of Loop's, else it is reported."""
    schedule, note = schedule_for("H", num, den)
    SCHEDULE.validate_python(schedule)
    if num >= 1 and den >= 1 and note is None:
        rate = num / den
        kind = schedule["type"]
        if kind == "daily":
            assert rate == 1
        elif kind == "every_n_days":
            assert rate == 1 / schedule["n"]
        else:
            length = 7 if schedule["period"] == "week" else 30
            assert schedule["times"] / length == rate
