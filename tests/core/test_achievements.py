"""D10: the achievement table and the pure parts of its facts."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from habitus.core.achievements import (
    ACHIEVEMENTS,
    BY_ID,
    CATEGORIES,
    Facts,
    longest_comeback,
    longest_run_of_days,
    month_percent,
    newly_earned,
    perfect_days,
)

D0 = date(2026, 3, 1)


def test_fifteen_achievements_in_five_categories() -> None:
    """D10.1: fifteen, three per category, ids as the table names them."""
    assert len(ACHIEVEMENTS) == 15 == len(BY_ID)
    for category in CATEGORIES:
        assert len([a for a in ACHIEVEMENTS if a.category == category]) == 3
    assert set(BY_ID) == {
        "streak_7", "streak_21", "streak_100", "perfect_day", "perfect_week", "month_80",
        "first_checkin", "checkins_100", "checkins_1000", "habits_3", "categories_3",
        "comeback", "first_metric", "metrics_30", "weight_goal",
    }  # fmt: skip


def test_streak_badges_at_7_21_100() -> None:
    """D10.1 streaks: any habit's current streak reaching 7, 21, 100."""
    earned = {a.id for a in newly_earned(Facts(best_current_streak=21), [])}
    assert {"streak_7", "streak_21"} <= earned
    assert "streak_100" not in earned
    assert BY_ID["streak_100"].progress(Facts(best_current_streak=21)) == 21
    assert not BY_ID["streak_7"].earned(Facts(best_current_streak=6))


def test_earned_is_never_earned_again() -> None:
    """D10.2: what is earned is not offered again (and nothing takes it back)."""
    facts = Facts(done_days=150)
    first = {a.id for a in newly_earned(facts, [])}
    assert first == {"first_checkin", "checkins_100"}
    assert newly_earned(facts, first) == []
    # Fewer facts later (an undo) neither earns nor revokes: the stored row stays.
    assert newly_earned(Facts(done_days=0), first) == []


def test_progress_is_capped_at_the_target() -> None:
    """Progress "4 of 7": the measure, never beyond the target nor below 0."""
    assert BY_ID["perfect_week"].progress(Facts(perfect_days_in_a_row=4)) == 4
    assert BY_ID["perfect_week"].progress(Facts(perfect_days_in_a_row=40)) == 7


def test_a_perfect_day_needs_one_required_habit_and_every_required_one_done() -> None:
    """D10.1 perfect_day."""
    rows = [
        (D0, True, True), (D0, False, False),  # one required and done, one not required
        (D0 + timedelta(1), True, True), (D0 + timedelta(1), True, False),  # one missed
        (D0 + timedelta(2), False, False),  # nothing required
    ]  # fmt: skip
    assert perfect_days(rows) == {D0}


@given(
    st.lists(
        st.tuples(st.integers(0, 9), st.integers(0, 3), st.booleans(), st.booleans()),
        max_size=60,
    )
)
def test_perfect_days_equals_the_definition(cells: list[tuple[int, int, bool, bool]]) -> None:
    """D10.1 perfect_day, against the rule read literally (one row per habit and day)."""
    table = {(day, habit): (required, done) for day, habit, required, done in cells}
    rows = [(D0 + timedelta(day), r, d) for (day, _), (r, d) in table.items()]
    expected = set()
    for day in {day for day, _ in table}:
        of_day = [v for (d, _), v in table.items() if d == day]
        required = [done for r, done in of_day if r]
        if required and all(required):
            expected.add(D0 + timedelta(day))
    assert perfect_days(rows) == expected


@given(st.sets(st.integers(0, 40)))
def test_longest_run_of_days(offsets: set[int]) -> None:
    days = [D0 + timedelta(o) for o in offsets]
    expected = 0
    for start in offsets:
        length = 0
        while start + length in offsets:
            length += 1
        expected = max(expected, length)
    assert longest_run_of_days(days) == expected


def test_comeback_after_three_missed() -> None:
    """D10.1 comeback: a done unit right after 3 or more consecutive missed units."""
    assert longest_comeback([True, False, False, True]) == 2
    assert longest_comeback([False, False, False, True]) == 3
    assert longest_comeback([True, False, False, False, False]) == 0  # not back yet
    facts = Facts(comeback_after=longest_comeback([False] * 4 + [True]))
    assert "comeback" in {a.id for a in newly_earned(facts, [])}


def test_month_80_needs_20_required_units_and_80_percent() -> None:
    """D10.1 month_80: rounded down, and a small month never qualifies."""
    assert month_percent(20, 16) == 80
    assert month_percent(100, 79) == 79
    assert month_percent(19, 19) == 0
    assert BY_ID["month_80"].earned(Facts(best_month_percent=month_percent(25, 20)))
    assert not BY_ID["month_80"].earned(Facts(best_month_percent=month_percent(1000, 799)))


def test_health_and_explorer_conditions() -> None:
    """D10.1 health and explorer rows."""
    facts = Facts(
        health_logs=3, health_log_days=30, weight_goal_reached=True,
        active_habits=3, active_categories=2,
    )  # fmt: skip
    earned = {a.id for a in newly_earned(facts, [])}
    assert {"first_metric", "metrics_30", "weight_goal", "habits_3"} <= earned
    assert "categories_3" not in earned
