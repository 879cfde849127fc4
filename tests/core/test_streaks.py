"""D7 (streaks), D8.1 (completion rate) and D8.3 (best weekday and hour).

June 2024 starts on a Saturday: Mondays are the 3rd, 10th, 17th and 24th.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from habitus.core.habits import Break, EntryFact
from habitus.core.outcomes import U_DONE, U_MISSED, U_PENDING
from habitus.core.schedule import Daily, EveryNDays, TimesPerPeriod, Weekdays
from habitus.core.scores import Logged, Rate, best_times, completion_rate
from habitus.core.streaks import Run, StreakState, fold
from tests.core.build import DONE, FAILED, SKIPPED, d, evaluate, facts, habit, span, units

MWF = Weekdays(frozenset({0, 2, 4}))


def run(length: int, first: str | None = None, last: str | None = None) -> Run:
    return Run(length, d(first) if first else None, d(last) if last else None)


# --- D7.1 units --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "unit"),
    [
        (Daily(), "day"),
        (MWF, "day"),
        (EveryNDays(3), "day"),
        (TimesPerPeriod(3, "week"), "week"),
        (TimesPerPeriod(5, "month"), "month"),
    ],
)
def test_unit_name(schedule, unit: str) -> None:  # type: ignore[no-untyped-def]
    """D7.1: the unit is a day for day-based schedules, the period for times_per_period."""
    assert evaluate(habit(schedule, "2024-06-01"), {}, "2024-06-10").unit == unit


def test_unit_follows_the_version_of_today() -> None:
    """D7.1 / N5: after a change to a weekly schedule the unit is the week."""
    rules = habit(Daily(), "2024-05-01", changes=[("2024-06-10", TimesPerPeriod(2, "week"))])
    assert evaluate(rules, {}, "2024-06-09").unit == "day"
    assert evaluate(rules, {}, "2024-06-10").unit == "week"


# --- D7.2 current streak -------------------------------------------------------------------------


def test_current_streak_counts_consecutive_done_days() -> None:
    """D7.2: consecutive done units up to today, with their first and last dates."""
    rules = habit(Daily(), "2024-06-01")
    now = evaluate(rules, facts(span("2024-06-05", "2024-06-10")), "2024-06-10")
    assert now.current == run(6, "2024-06-05", "2024-06-10")


def test_pending_newest_unit_is_skipped() -> None:
    """D7.2: a pending newest unit is skipped, not counted as missed."""
    rules = habit(Daily(), "2024-06-01")
    now = evaluate(rules, facts(span("2024-06-05", "2024-06-09")), "2024-06-10")
    assert now.outcome == "pending"
    assert now.current == run(5, "2024-06-05", "2024-06-09")


def test_missed_unit_stops_the_streak() -> None:
    """D7.2: the walk stops at the first missed unit."""
    rules = habit(Daily(), "2024-06-01")
    entries = facts([*span("2024-06-01", "2024-06-04"), *span("2024-06-06", "2024-06-10")])
    assert evaluate(rules, entries, "2024-06-10").current == run(5, "2024-06-06", "2024-06-10")


def test_missed_today_ends_the_streak() -> None:
    """D7.2: a unit missed today (a failed entry) is not pending: the current streak is 0."""
    rules = habit(Daily(), "2024-06-01")
    entries = {**facts(span("2024-06-01", "2024-06-09")), d("2024-06-10"): FAILED}
    now = evaluate(rules, entries, "2024-06-10")
    assert (now.outcome, now.current) == ("missed", Run())
    assert now.longest == run(9, "2024-06-01", "2024-06-09")


def test_yesterday_missed_means_no_current_streak() -> None:
    """D7.2: a pending today after a missed yesterday leaves the current streak at 0."""
    rules = habit(Daily(), "2024-06-01")
    now = evaluate(rules, facts(span("2024-06-01", "2024-06-08")), "2024-06-10")
    assert now.current == Run()


def test_not_required_days_are_transparent() -> None:
    """D7.2: days a weekdays schedule does not require neither break nor extend the streak."""
    rules = habit(MWF, "2024-06-01")
    entries = facts(["2024-06-03", "2024-06-05", "2024-06-07", "2024-06-10"])
    now = evaluate(rules, entries, "2024-06-11")  # a Tuesday: not required
    assert now.outcome == "not_required"
    assert now.current == run(4, "2024-06-03", "2024-06-10")


def test_extra_day_does_not_extend_the_streak() -> None:
    """D5 / D7.2: a done day that was not required is an extra, never in a streak."""
    rules = habit(MWF, "2024-06-01")
    entries = facts(["2024-06-03", "2024-06-04", "2024-06-05"])
    assert evaluate(rules, entries, "2024-06-05").current == run(2, "2024-06-03", "2024-06-05")


def test_skips_and_breaks_are_transparent() -> None:
    """D7.2 / D3.2 / D3.3: a skipped day and a break neither break nor extend the streak."""
    rules = habit(Daily(), "2024-06-01")
    entries = {**facts(span("2024-06-01", "2024-06-10")), d("2024-06-04"): SKIPPED}
    for day in span("2024-06-06", "2024-06-08"):
        entries.pop(day)
    pause = [Break(d("2024-06-06"), d("2024-06-08"))]
    now = evaluate(rules, entries, "2024-06-10", breaks=pause)
    assert now.current == run(6, "2024-06-01", "2024-06-10")


def test_quit_habit_streak_counts_clean_days() -> None:
    """D7.2 / D2.2: a quit habit's streak counts the clean days that ended; today is pending."""
    rules = habit(Daily(), "2024-06-01", polarity="quit")
    now = evaluate(rules, facts({"2024-06-04": FAILED}), "2024-06-10")
    assert now.outcome == "pending"
    assert now.current == run(5, "2024-06-05", "2024-06-09")
    assert now.longest == run(5, "2024-06-05", "2024-06-09")


def test_quit_habit_made_it_today() -> None:
    """N1: marking today done on a quit habit adds today to the streak."""
    rules = habit(Daily(), "2024-06-01", polarity="quit")
    now = evaluate(rules, facts({"2024-06-10": DONE}), "2024-06-10")
    assert now.current == run(10, "2024-06-01", "2024-06-10")


def test_weekly_streak_skips_the_pending_week() -> None:
    """D7.2 / D7.1: a weekly streak counts done weeks; the pending week is skipped."""
    rules = habit(TimesPerPeriod(2, "week"), "2024-06-03")
    entries = facts(["2024-06-03", "2024-06-05", "2024-06-11", "2024-06-12", "2024-06-17"])
    now = evaluate(rules, entries, "2024-06-19")
    assert (now.outcome, now.unit) == ("pending", "week")
    assert now.current == run(2, "2024-06-03", "2024-06-16")


def test_weekly_streak_includes_a_week_done_early() -> None:
    """D7.2 / D6.2: the current week counts as soon as it is done."""
    rules = habit(TimesPerPeriod(2, "week"), "2024-06-03")
    entries = facts(["2024-06-03", "2024-06-05", "2024-06-17", "2024-06-18"])
    now = evaluate(rules, entries, "2024-06-19")
    assert now.current == run(1, "2024-06-17", "2024-06-23")
    assert now.longest == run(1, "2024-06-17", "2024-06-23")  # the tie goes to the newer


def test_week_in_a_break_is_transparent() -> None:
    """D7.2 / D6.1: a week with no available day neither breaks nor extends a weekly streak."""
    rules = habit(TimesPerPeriod(1, "week"), "2024-06-03")
    pause = [Break(d("2024-06-10"), d("2024-06-16"))]
    entries = facts(["2024-06-03", "2024-06-17"])
    now = evaluate(rules, entries, "2024-06-18", breaks=pause)
    assert now.current == run(2, "2024-06-03", "2024-06-23")


def test_streak_ended_by_the_end_date_stays() -> None:
    """D7.2 / D2.3: after end_date no unit is required: the last streak remains current."""
    rules = habit(Daily(), "2024-06-01", end="2024-06-05")
    now = evaluate(rules, facts(span("2024-06-01", "2024-06-05")), "2024-06-20")
    assert (now.outcome, now.current) == ("not_required", run(5, "2024-06-01", "2024-06-05"))


# --- D7.3 longest streak -------------------------------------------------------------------------


def test_longest_streak_with_dates() -> None:
    """D7.3: the longest run of done units over the history, with its first and last dates."""
    rules = habit(Daily(), "2024-06-01")
    entries = facts([*span("2024-06-01", "2024-06-07"), *span("2024-06-10", "2024-06-12")])
    now = evaluate(rules, entries, "2024-06-12")
    assert now.longest == run(7, "2024-06-01", "2024-06-07")
    assert now.current == run(3, "2024-06-10", "2024-06-12")


def test_longest_tie_goes_to_the_more_recent_run() -> None:
    """D7.3 / N13: two runs of the same length: the more recent wins."""
    rules = habit(Daily(), "2024-06-01")
    entries = facts([*span("2024-06-01", "2024-06-03"), *span("2024-06-06", "2024-06-08")])
    now = evaluate(rules, entries, "2024-06-10")
    assert now.longest == run(3, "2024-06-06", "2024-06-08")
    assert now.current == Run()


def test_longest_tie_with_today_goes_to_the_current_run() -> None:
    """D7.3 / N13: today's done unit makes the current run the longest on a tie."""
    rules = habit(Daily(), "2024-06-01")
    entries = facts([*span("2024-06-01", "2024-06-03"), *span("2024-06-08", "2024-06-10")])
    now = evaluate(rules, entries, "2024-06-10")
    assert now.longest == now.current == run(3, "2024-06-08", "2024-06-10")


def test_longest_runs_across_unrequired_days() -> None:
    """D7.3: the longest run spans not-required days (same rules as D7.2)."""
    rules = habit(MWF, "2024-06-01")
    entries = facts(["2024-06-03", "2024-06-05", "2024-06-07", "2024-06-10"])
    now = evaluate(rules, entries, "2024-06-14")
    assert now.longest == run(4, "2024-06-03", "2024-06-10")
    assert now.current == Run()


def test_longest_of_weeks() -> None:
    """D7.3 / D7.1: a weekly habit's longest streak is dated by its weeks."""
    rules = habit(TimesPerPeriod(1, "week"), "2024-06-03")
    entries = facts(["2024-06-04", "2024-06-12", "2024-06-26"])
    now = evaluate(rules, entries, "2024-07-03")
    assert now.longest == run(2, "2024-06-03", "2024-06-16")


def test_no_streak_at_all() -> None:
    """D7.2 / D7.3: with no done unit both streaks are 0 without dates."""
    now = evaluate(habit(Daily(), "2024-06-01"), {}, "2024-06-10")
    assert (now.current, now.longest) == (Run(), Run())


# --- the fold is incremental ---------------------------------------------------------------------


def raw(first: str, outcome: int) -> tuple[int, int, int, int, int]:
    ordinal = d(first).toordinal()
    return (ordinal, ordinal, outcome, int(outcome == U_DONE), 1)


def test_fold_in_two_parts_equals_fold_at_once() -> None:
    """D7.2 / D7.3: folding units in two parts gives the same state as folding them at once."""
    units_ = [
        raw("2024-06-01", U_DONE),
        raw("2024-06-02", U_DONE),
        raw("2024-06-03", U_MISSED),
        raw("2024-06-04", U_DONE),
        raw("2024-06-05", U_DONE),
        raw("2024-06-06", U_PENDING),
    ]
    whole = fold(StreakState(), units_)
    for cut in range(len(units_)):
        assert fold(fold(StreakState(), units_[:cut]), units_[cut:]) == whole
    assert whole.current == run(2, "2024-06-04", "2024-06-05")
    assert whole.longest == run(2, "2024-06-04", "2024-06-05")


# --- D8.1 completion rate -------------------------------------------------------------------------


def test_rate_is_none_without_units() -> None:
    """D8.1: no done or missed unit in the window: the rate is None, not 0."""
    rules = habit(MWF, "2024-06-01")
    assert (
        completion_rate(
            units(rules, {}, "2024-06-08", "2024-06-09"), d("2024-06-08"), d("2024-06-09")
        ).value
        is None
    )
    assert Rate(0, 0).value is None


def test_rate_is_done_over_done_and_missed() -> None:
    """D8.1: done / (done + missed); today's pending unit is left out."""
    rules = habit(Daily(), "2024-06-01")
    entries = facts(["2024-06-01", "2024-06-02", "2024-06-04"])
    got = completion_rate(
        units(rules, entries, "2024-06-01", "2024-06-05"), d("2024-06-01"), d("2024-06-05")
    )
    assert (got.done, got.missed, got.value) == (3, 1, 0.75)


def test_rate_leaves_out_not_required_and_extras() -> None:
    """D8.1 / D5: not-required days and extras are no units of the rate."""
    rules = habit(MWF, "2024-06-01")
    entries = facts(["2024-06-03", "2024-06-04", "2024-06-06"])
    got = completion_rate(
        units(rules, entries, "2024-06-03", "2024-06-09"), d("2024-06-03"), d("2024-06-09")
    )
    assert (got.done, got.missed) == (1, 2)


def test_rate_counts_periods_ending_in_the_window() -> None:
    """N11: a week that ends after the window is not counted; one ending inside is."""
    rules = habit(TimesPerPeriod(1, "week"), "2024-06-03")
    entries = facts(["2024-06-04", "2024-06-19"])
    all_units = units(rules, entries, "2024-06-03", "2024-06-30")
    got = completion_rate(all_units, d("2024-06-05"), d("2024-06-20"))
    assert (got.done, got.missed) == (1, 1)  # weeks ending 9th (done) and 16th (missed)


# --- D8.3 best weekday and hour -------------------------------------------------------------------


def test_best_times_in_the_zone_at_logging_time() -> None:
    """D8.3: weekday and hour come from logged_at in the zone the user was in when logging."""
    logs = [
        Logged(datetime(2024, 6, 3, 23, 30, tzinfo=UTC), "Asia/Tokyo"),  # Tue 08:30 in Tokyo
        Logged(datetime(2024, 6, 10, 23, 10, tzinfo=UTC), "Asia/Tokyo"),  # Tue 08:10
        Logged(datetime(2024, 6, 5, 15, 0, tzinfo=UTC), "America/Los_Angeles"),  # Wed 08:00
    ]
    assert best_times(logs) == ("tue", 8)


def test_best_times_same_instant_other_zone() -> None:
    """D8.3: the same instants read in another zone give another weekday and hour."""
    logs = [Logged(datetime(2024, 6, 3, 23, 30, tzinfo=UTC), "America/New_York")]  # Mon 19:30
    assert best_times(logs) == ("mon", 19)


def test_best_times_ties_go_to_the_earlier() -> None:
    """N12: ties go to the earlier weekday (Monday first) and the earlier hour."""
    logs = [
        Logged(datetime(2024, 6, 9, 20, 0, tzinfo=UTC), "UTC"),  # Sun 20
        Logged(datetime(2024, 6, 4, 7, 0, tzinfo=UTC), "UTC"),  # Tue 07
    ]
    assert best_times(logs) == ("tue", 7)
    monday = [*logs, Logged(datetime(2024, 6, 3, 21, 0, tzinfo=UTC), "UTC")]
    assert best_times(monday)[0] == "mon"


def test_best_times_without_logs() -> None:
    """D8.3: no complete day logged: no best weekday or hour."""
    assert best_times([]) == (None, None)


def test_entry_value_of_boolean_habit_is_ignored() -> None:
    """D4.2: a boolean habit is complete on status done; a stray value changes nothing."""
    rules = habit(Daily(), "2024-06-01")
    with_value = facts({"2024-06-10": EntryFact("done", 0.0)})
    assert evaluate(rules, with_value, "2024-06-10").outcome == "done"
