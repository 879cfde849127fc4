"""D2.2, D2.3, D3, D4.2, D5 and D6: the outcome of each day and of each period.

June 2024 starts on a Saturday: Mondays are the 3rd, 10th, 17th and 24th.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from habitus.core.evaluate import timeline_end, unit_name, unit_start
from habitus.core.habits import Break, EntryFact
from habitus.core.outcomes import Timeline
from habitus.core.schedule import Daily, Dates, EveryNDays, TimesPerPeriod, Weekdays
from tests.core.build import (
    DONE,
    FAILED,
    SKIPPED,
    d,
    days,
    evaluate,
    facts,
    habit,
    outcome,
    outcomes,
    span,
    units,
)

MWF = Weekdays(frozenset({0, 2, 4}))
THREE_A_WEEK = TimesPerPeriod(3, "week")


def quit_habit(start: str = "2024-06-01"):  # type: ignore[no-untyped-def]
    return habit(Daily(), start, polarity="quit")


def at_most(target: float = 2.0, start: str = "2024-06-01"):  # type: ignore[no-untyped-def]
    return habit(Daily(), start, kind="measurable", target=target, direction="at_most")


def at_least(target: float = 2.0, start: str = "2024-06-01"):  # type: ignore[no-untyped-def]
    return habit(Daily(), start, kind="measurable", target=target, direction="at_least")


# --- D2.2 / N1: quit and at-most habits ------------------------------------------------------


def test_quit_day_that_ended_without_a_slip_is_done() -> None:
    """D2.2: a required day of a quit habit that has ended with no slip is complete."""
    assert outcome(quit_habit(), {}, "2024-06-09", "2024-06-10") == "done"


def test_quit_today_without_a_slip_is_pending() -> None:
    """D2.2 / N1: a quit habit's today is pending until it ends."""
    assert outcome(quit_habit(), {}, "2024-06-10", "2024-06-10") == "pending"
    assert evaluate(quit_habit(), {}, "2024-06-10").outcome == "pending"


def test_quit_today_with_a_slip_is_missed() -> None:
    """D2.2 / D5 / N1: a slip today makes it missed at once."""
    entries = facts({"2024-06-10": FAILED})
    assert outcome(quit_habit(), entries, "2024-06-10", "2024-06-10") == "missed"


def test_quit_day_with_a_slip_is_missed() -> None:
    """D2.2 / D5: a past day holding a slip is missed."""
    entries = facts({"2024-06-05": FAILED})
    assert outcome(quit_habit(), entries, "2024-06-05", "2024-06-10") == "missed"


def test_quit_today_marked_done_is_done_early() -> None:
    """N1: a quit habit's today is done early only when the user marks it done."""
    entries = facts({"2024-06-10": DONE})
    assert outcome(quit_habit(), entries, "2024-06-10", "2024-06-10") == "done"


def test_at_most_day_without_entry_is_done_once_ended() -> None:
    """D2.2: at most, no entry is a value of 0: a day that has ended is complete."""
    assert outcome(at_most(), {}, "2024-06-09", "2024-06-10") == "done"


@pytest.mark.parametrize(
    ("value", "expected"), [(0.0, "pending"), (2.0, "pending"), (2.5, "missed")]
)
def test_at_most_today(value: float, expected: str) -> None:
    """N1 / D5: at most, today never completes early; over the target it is missed at once."""
    entries = facts({"2024-06-10": EntryFact("done", value)})
    assert outcome(at_most(), entries, "2024-06-10", "2024-06-10") == expected


@pytest.mark.parametrize(("value", "expected"), [(2.0, "done"), (2.01, "missed"), (0.5, "done")])
def test_at_most_past_day(value: float, expected: str) -> None:
    """D4.2 / D2.2: at most, a past day is complete when its value is within the target."""
    entries = facts({"2024-06-05": EntryFact("done", value)})
    assert outcome(at_most(), entries, "2024-06-05", "2024-06-10") == expected


def test_at_most_zero_target() -> None:
    """D2.2: at most 0: a day with nothing is complete, any amount is missed."""
    rules = at_most(0.0)
    entries = facts({"2024-06-05": EntryFact("done", 0.5), "2024-06-06": EntryFact("done", 0.0)})
    got = outcomes(rules, entries, "2024-06-05", "2024-06-07", "2024-06-10")
    assert list(got.values()) == ["missed", "done", "done"]


def test_at_most_failed_entry_is_a_slip() -> None:
    """D5: an at-most day marked failed is missed, whatever its value."""
    entries = facts({"2024-06-05": FAILED, "2024-06-10": FAILED})
    got = outcomes(at_most(), entries, "2024-06-05", "2024-06-10", "2024-06-10")
    assert got[d("2024-06-05")] == "missed"
    assert got[d("2024-06-10")] == "missed"


# --- D2.3: the active range ------------------------------------------------------------------


def test_days_outside_start_and_end_are_not_required() -> None:
    """D2.3: before start_date and after end_date (inclusive range) days are never required."""
    rules = habit(Daily(), "2024-06-05", end="2024-06-07")
    got = outcomes(rules, {}, "2024-06-03", "2024-06-09", "2024-06-20")
    assert [got[day] for day in span("2024-06-03", "2024-06-09")] == [
        "not_required",
        "not_required",
        "missed",
        "missed",
        "missed",
        "not_required",
        "not_required",
    ]


def test_quit_habit_after_its_end_is_not_required() -> None:
    """D2.3: a quit habit's clean days after end_date are not required (not done)."""
    rules = habit(Daily(), "2024-06-01", polarity="quit", end="2024-06-05")
    assert outcome(rules, {}, "2024-06-06", "2024-06-10") == "not_required"
    assert outcome(rules, {}, "2024-06-05", "2024-06-10") == "done"


def test_habit_that_has_not_started() -> None:
    """D2.3: before the start, today is not required, streaks are empty, the score is 0."""
    now = evaluate(habit(Daily(), "2024-07-01"), {}, "2024-06-20")
    assert (now.outcome, now.required, now.current.length, now.score) == (
        "not_required",
        False,
        0,
        0.0,
    )


# --- D3: schedules ---------------------------------------------------------------------------


def required_days(rules, first: str, last: str, today: str = "2024-12-31") -> list[str]:  # type: ignore[no-untyped-def]
    got = outcomes(rules, {}, first, last, today)
    return [day.isoformat() for day, value in got.items() if value != "not_required"]


def test_daily_requires_every_day() -> None:
    """D3 (daily): every day is required."""
    rules = habit(Daily(), "2024-06-01")
    assert len(required_days(rules, "2024-06-01", "2024-06-30")) == 30


def test_weekdays_require_those_weekdays() -> None:
    """D3 (weekdays): Mon, Wed and Fri only."""
    rules = habit(MWF, "2024-06-01")
    assert required_days(rules, "2024-06-01", "2024-06-09") == [
        "2024-06-03",
        "2024-06-05",
        "2024-06-07",
    ]


def test_every_n_days_anchored_on_start_date() -> None:
    """D3 (every_n_days): start_date + k*n."""
    rules = habit(EveryNDays(3), "2024-06-02")
    assert required_days(rules, "2024-06-01", "2024-06-12") == [
        "2024-06-02",
        "2024-06-05",
        "2024-06-08",
        "2024-06-11",
    ]


def test_every_n_days_version_anchored_on_its_first_day() -> None:
    """N5: a later every_n_days version counts from its own first day, not the habit's start."""
    rules = habit(Daily(), "2024-06-01", changes=[("2024-06-10", EveryNDays(4))])
    assert required_days(rules, "2024-06-08", "2024-06-20") == [
        "2024-06-08",
        "2024-06-09",
        "2024-06-10",
        "2024-06-14",
        "2024-06-18",
    ]


def test_every_n_days_version_not_before_the_start() -> None:
    """N5: a version in effect before the start (start moved later) counts from the start."""
    rules = habit(Daily(), "2024-06-01", changes=[("2024-06-03", EveryNDays(2))])
    assert required_days(rules, "2024-06-01", "2024-06-08") == [
        "2024-06-01",
        "2024-06-02",
        "2024-06-03",
        "2024-06-05",
        "2024-06-07",
    ]
    later_start = replace(rules, start_date=d("2024-06-06"))
    assert required_days(later_start, "2024-06-01", "2024-06-10") == [
        "2024-06-06",
        "2024-06-08",
        "2024-06-10",
    ]


def test_dates_require_those_dates() -> None:
    """D3 (dates): exactly the listed dates."""
    rules = habit(Dates(frozenset({d("2024-06-04"), d("2024-06-20")})), "2024-06-01")
    assert required_days(rules, "2024-06-01", "2024-06-30") == ["2024-06-04", "2024-06-20"]


def test_schedule_versions_judge_past_days_by_the_old_version() -> None:
    """D3 / N5: each day is judged by the version in effect on it; a change keeps the past."""
    rules = habit(MWF, "2024-06-01", changes=[("2024-06-10", Daily())])
    got = outcomes(rules, {}, "2024-06-03", "2024-06-12", "2024-06-12")
    assert got[d("2024-06-04")] == "not_required"  # a Tuesday under Mon/Wed/Fri
    assert got[d("2024-06-03")] == "missed"
    assert got[d("2024-06-11")] == "missed"  # a Tuesday under daily
    assert got[d("2024-06-12")] == "pending"


def test_days_before_every_version_use_the_first() -> None:
    """D3 (schedule.py): days before the first version's effective date use the first version."""
    rules = replace(habit(MWF, "2024-06-01"), start_date=d("2024-05-27"))
    assert required_days(rules, "2024-05-27", "2024-05-31") == [
        "2024-05-27",
        "2024-05-29",
        "2024-05-31",
    ]


def test_periodic_days_show_done_or_not_required() -> None:
    """N3: a periodic habit's complete day is done, every other past or present day not_required."""
    rules = habit(THREE_A_WEEK, "2024-06-03")
    got = outcomes(rules, facts(["2024-06-04"]), "2024-06-03", "2024-06-07", "2024-06-05")
    assert list(got.values()) == ["not_required", "done", "not_required", "future", "future"]


# --- D3.2 breaks, D3.3 skips -----------------------------------------------------------------


def test_break_days_are_not_required() -> None:
    """D3.2: days in a break are not required, at either end inclusive."""
    pause = [Break(d("2024-06-04"), d("2024-06-06"))]
    got = outcomes(
        habit(Daily(), "2024-06-01"), {}, "2024-06-03", "2024-06-07", "2024-06-10", breaks=pause
    )
    assert list(got.values()) == [
        "missed",
        "not_required",
        "not_required",
        "not_required",
        "missed",
    ]


def test_break_today_is_not_required() -> None:
    """D3.2: a break covering today makes today not required, for a quit habit too."""
    pause = [Break(d("2024-06-10"), d("2024-06-12"))]
    assert (
        evaluate(habit(Daily(), "2024-06-01"), {}, "2024-06-10", breaks=pause).outcome
        == "not_required"
    )
    assert evaluate(quit_habit(), {}, "2024-06-10", breaks=pause).required is False


def test_break_day_of_a_quit_habit_is_not_done() -> None:
    """D3.2: a quit habit's clean day in a break is not required, so not done."""
    pause = [Break(d("2024-06-05"), d("2024-06-05"))]
    assert outcome(quit_habit(), {}, "2024-06-05", "2024-06-10", breaks=pause) == "not_required"


@pytest.mark.parametrize(
    "rules",
    [habit(Daily(), "2024-06-01"), quit_habit(), at_least(), at_most()],
    ids=["boolean", "quit", "at_least", "at_most"],
)
def test_skipped_day_is_not_required(rules) -> None:  # type: ignore[no-untyped-def]
    """D3.3: a skipped day is not required, past or today."""
    entries = facts({"2024-06-05": SKIPPED, "2024-06-10": SKIPPED})
    got = outcomes(rules, entries, "2024-06-05", "2024-06-10", "2024-06-10")
    assert got[d("2024-06-05")] == got[d("2024-06-10")] == "not_required"


# --- D4.2 completeness per kind ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "expected"),
    [(DONE, "done"), (FAILED, "missed"), (None, "missed")],
    ids=["done", "failed", "no-entry"],
)
def test_boolean_build_is_complete_when_done(entry: EntryFact | None, expected: str) -> None:
    """D4.2: boolean build: complete when the status is done."""
    entries = facts({"2024-06-05": entry}) if entry else {}
    assert outcome(habit(Daily(), "2024-06-01"), entries, "2024-06-05", "2024-06-10") == expected


@pytest.mark.parametrize(
    ("value", "past", "today"),
    [
        (2.0, "done", "done"),
        (3.5, "done", "done"),
        (1.99, "missed", "pending"),
        (None, "missed", "pending"),
    ],
)
def test_at_least_is_complete_at_the_target(value: float | None, past: str, today: str) -> None:
    """D4.2: at least: complete when value >= target; below it, today is still pending."""
    entries = facts(
        {"2024-06-05": EntryFact("done", value), "2024-06-10": EntryFact("done", value)}
    )
    got = outcomes(at_least(), entries, "2024-06-05", "2024-06-10", "2024-06-10")
    assert (got[d("2024-06-05")], got[d("2024-06-10")]) == (past, today)


def test_at_least_exactly_the_target_extends_the_streak() -> None:
    """D4.2 / D7.2: at least 2, a value of exactly 2 each day is a streak of done days."""
    entries = facts({day: EntryFact("done", 2.0) for day in span("2024-06-01", "2024-06-10")})
    now = evaluate(at_least(), entries, "2024-06-10")
    assert (now.outcome, now.current.length, now.longest.length) == ("done", 10, 10)


def test_at_least_failed_today_is_missed() -> None:
    """D5: a failed entry today means the day can no longer be completed."""
    entries = facts({"2024-06-10": EntryFact("failed")})
    assert evaluate(at_least(), entries, "2024-06-10").outcome == "missed"


# --- D5 every outcome --------------------------------------------------------------------------


def test_every_day_outcome() -> None:
    """D5: done, missed, pending, not_required and future, on one habit."""
    rules = habit(MWF, "2024-06-01")
    entries = facts({"2024-06-03": DONE})
    got = outcomes(rules, entries, "2024-06-03", "2024-06-10", "2024-06-07")
    assert list(got.values()) == [
        "done",  # Mon
        "not_required",  # Tue
        "missed",  # Wed
        "not_required",  # Thu
        "pending",  # Fri, today
        "future",
        "future",
        "future",  # next Monday
    ]


def test_future_before_not_required() -> None:
    """D5: a day after today is future even when it would not be required (see the report)."""
    rules = habit(MWF, "2024-06-01", end="2024-06-05")
    assert outcome(rules, {}, "2024-06-09", "2024-06-07") == "future"


def test_complete_day_that_was_not_required_is_an_extra() -> None:
    """D5: a done entry on a day that is not required is an extra: not_required, not a unit."""
    rules = habit(MWF, "2024-06-01")
    entries = facts(["2024-06-04"])
    assert outcome(rules, entries, "2024-06-04", "2024-06-10") == "not_required"
    assert [u.first for u in units(rules, entries, "2024-06-03", "2024-06-05")] == [
        d("2024-06-03"),
        d("2024-06-05"),
    ]


def test_pending_only_today() -> None:
    """D5: pending is for today; the same empty day in the past is missed."""
    rules = habit(Daily(), "2024-06-01")
    assert outcome(rules, {}, "2024-06-10", "2024-06-10") == "pending"
    assert outcome(rules, {}, "2024-06-10", "2024-06-11") == "missed"


# --- D6: period outcomes -----------------------------------------------------------------------


def period(rules, entries, today: str, *, breaks=(), week_start: int = 0):  # type: ignore[no-untyped-def]
    """The unit that contains today (the current period)."""
    now = evaluate(rules, entries, today, breaks=breaks, week_start=week_start)
    return now.current_unit


def test_full_week_target_is_times() -> None:
    """D6.1: a whole week with 7 available days needs ceil(3*7/7) = 3."""
    unit = period(
        habit(THREE_A_WEEK, "2024-05-01"), facts(["2024-06-03", "2024-06-04"]), "2024-06-05"
    )
    assert (unit.first, unit.last, unit.target, unit.done_days, unit.outcome) == (
        d("2024-06-03"),
        d("2024-06-09"),
        3,
        2,
        "pending",
    )


def test_partial_first_week() -> None:
    """D6.1 / N4: a habit starting on Thursday has 4 available days: target ceil(3*4/7) = 2."""
    rules = habit(THREE_A_WEEK, "2024-06-06")
    unit = period(rules, facts(["2024-06-06", "2024-06-07"]), "2024-06-07")
    assert (unit.target, unit.done_days, unit.outcome) == (2, 2, "done")


def test_break_shrinks_the_target() -> None:
    """D6.1: break days are not available: 4 of 7 days left, target 2."""
    pause = [Break(d("2024-06-03"), d("2024-06-05"))]
    unit = period(habit(THREE_A_WEEK, "2024-05-01"), {}, "2024-06-06", breaks=pause)
    assert unit.target == 2


def test_skips_shrink_the_target() -> None:
    """D6.1 / D3.3: skipped days are not available: 5 of 7 left needs 3, 3 of 7 left needs 2."""
    entries = facts({"2024-06-03": SKIPPED, "2024-06-04": SKIPPED})
    assert period(habit(THREE_A_WEEK, "2024-05-01"), entries, "2024-06-05").target == 3
    four_skips = facts({f"2024-06-0{k}": SKIPPED for k in range(3, 7)})
    assert period(habit(THREE_A_WEEK, "2024-05-01"), four_skips, "2024-06-07").target == 2


def test_week_without_available_days_is_not_required() -> None:
    """D6.1: with 0 available days the period is not_required and is no unit."""
    pause = [Break(d("2024-06-03"), d("2024-06-09"))]
    rules = habit(THREE_A_WEEK, "2024-05-01")
    now = evaluate(rules, {}, "2024-06-05", breaks=pause)
    assert (now.outcome, now.required, now.current_unit) == ("not_required", False, None)
    got = units(rules, {}, "2024-05-27", "2024-06-16", breaks=pause)
    assert [u.first for u in got] == [d("2024-05-27"), d("2024-06-10")]


def test_current_period_not_yet_done_is_pending() -> None:
    """D6.2: the current period is pending until done, even on its last day."""
    rules = habit(THREE_A_WEEK, "2024-05-01")
    assert period(rules, facts(["2024-06-03"]), "2024-06-09").outcome == "pending"


def test_current_period_done_early() -> None:
    """D6.2: the current period is done as soon as complete days reach the target."""
    rules = habit(THREE_A_WEEK, "2024-05-01")
    entries = facts(["2024-06-03", "2024-06-04", "2024-06-05"])
    assert evaluate(rules, entries, "2024-06-05").outcome == "done"


def test_past_period_under_target_is_missed() -> None:
    """D6.2: a past period with fewer complete days than its target is missed."""
    rules = habit(THREE_A_WEEK, "2024-05-27")
    got = units(
        rules, facts(["2024-05-27", "2024-05-28", "2024-06-03"]), "2024-05-27", "2024-06-10"
    )
    assert [(u.first, u.outcome, u.done_days) for u in got] == [
        (d("2024-05-27"), "missed", 2),
        (d("2024-06-03"), "missed", 1),
        (d("2024-06-10"), "pending", 0),
    ]


def test_extra_days_beyond_the_target_count_once() -> None:
    """D6.2: five complete days in a 3-a-week period: done, with 5 days of progress."""
    rules = habit(THREE_A_WEEK, "2024-05-27")
    got = units(rules, facts(span("2024-06-03", "2024-06-07")), "2024-06-03", "2024-06-10")
    assert (got[0].outcome, got[0].done_days, got[0].target) == ("done", 5, 3)


def test_periodic_quit_habit_counts_clean_days() -> None:
    """D6 / D2.2: a quit habit's clean days that ended count toward the period; today not yet."""
    rules = habit(THREE_A_WEEK, "2024-05-27", polarity="quit")
    unit = period(rules, facts({"2024-06-04": FAILED}), "2024-06-06")
    assert (unit.done_days, unit.outcome) == (2, "pending")  # Mon and Wed; Tue slipped
    assert period(rules, facts({"2024-06-04": FAILED}), "2024-06-07").outcome == "done"


def test_period_cut_by_a_schedule_change() -> None:
    """N4 / N5: a period cut by a schedule change counts only its days under that version."""
    rules = habit(Daily(), "2024-05-01", changes=[("2024-06-06", THREE_A_WEEK)])
    unit = period(rules, facts(["2024-06-06", "2024-06-07"]), "2024-06-07")
    assert (unit.first, unit.last, unit.target, unit.outcome) == (
        d("2024-06-06"),
        d("2024-06-09"),
        2,  # 4 days of a 7-day week: ceil(12/7)
        "done",
    )


@pytest.mark.parametrize(
    ("month", "length"),
    [("2023-02", 28), ("2024-02", 29), ("2024-06", 30), ("2024-07", 31)],
)
def test_month_length_is_the_calendar_month(month: str, length: int) -> None:
    """N4: a month's period_length is its calendar length: target ceil(31 * 28 / length)."""
    first = d(f"{month}-01")
    start = first + days(length - 28)
    rules = habit(TimesPerPeriod(31, "month"), start)
    unit = period(rules, {}, start.isoformat())
    expected = {28: 31, 29: 30, 30: 29, 31: 28}[length]
    assert (unit.first, unit.target) == (first, expected)


def test_monthly_period_done() -> None:
    """D6.2: twice a month, done with two complete days; the next month starts a new unit."""
    rules = habit(TimesPerPeriod(2, "month"), "2024-05-01")
    got = units(
        rules, facts(["2024-05-03", "2024-05-20", "2024-06-02"]), "2024-05-01", "2024-06-10"
    )
    assert [(u.first, u.last, u.outcome, u.target) for u in got] == [
        (d("2024-05-01"), d("2024-05-31"), "done", 2),
        (d("2024-06-01"), d("2024-06-30"), "pending", 2),
    ]


@pytest.mark.parametrize(
    ("week_start", "expected"),
    [(0, [("2024-06-03", "done")]), (6, [("2024-06-02", "missed"), ("2024-06-09", "missed")])],
    ids=["monday", "sunday"],
)
def test_week_start_decides_the_weekly_period(
    week_start: int, expected: list[tuple[str, str]]
) -> None:
    """D3.1: with weeks from Monday, Sat+Sun are one week; from Sunday, they fall in two."""
    rules = habit(TimesPerPeriod(2, "week"), "2024-05-01")
    entries = facts(["2024-06-08", "2024-06-09"])  # Saturday and Sunday
    got = units(rules, entries, "2024-06-03", "2024-06-16", week_start=week_start)
    by_first = {u.first.isoformat(): u.outcome for u in got}
    for first, value in expected:
        assert by_first[first] == value


def test_week_start_sunday_period_bounds() -> None:
    """D3.1: with week_start Sunday, the week of Wed 2024-06-05 runs Sun 2nd to Sat 8th."""
    now = evaluate(habit(THREE_A_WEEK, "2024-05-01"), {}, "2024-06-05", week_start=6)
    assert (now.current_unit.first, now.current_unit.last) == (d("2024-06-02"), d("2024-06-08"))


# --- helpers of the evaluation -----------------------------------------------------------------


def test_unit_start_and_timeline_end() -> None:
    """D7.1: the unit of a day is the day, or its period (cut by a version's first day)."""
    rules = habit(Daily(), "2024-05-01", changes=[("2024-06-06", THREE_A_WEEK)])
    assert unit_start(rules, d("2024-06-05"), 0) == d("2024-06-05")
    assert unit_start(rules, d("2024-06-07"), 0) == d("2024-06-06")
    assert unit_start(rules, d("2024-06-12"), 0) == d("2024-06-10")
    assert timeline_end(rules, d("2024-06-12"), 0) == d("2024-06-16")
    assert unit_name(rules, d("2024-06-05")) == "day"
    assert unit_name(rules, d("2024-06-06")) == "week"


def test_timeline_complete_and_lost() -> None:
    """D4.2 / D5: the single-day helpers agree with the whole-range flags."""
    rules = at_most()
    entries = facts({"2024-06-08": EntryFact("done", 3.0), "2024-06-10": EntryFact("done", 1.0)})
    timeline = Timeline(rules, entries, (), d("2024-06-01"), d("2024-06-10"), d("2024-06-10"))
    flags = timeline.complete_flags()
    assert [timeline.complete(i) for i in range(timeline.n)] == [bool(f) for f in flags]
    assert timeline.lost(timeline.index_of(d("2024-06-08"))) is True
    assert timeline.lost(timeline.index_of(d("2024-06-10"))) is False


def test_timeline_codes_are_read_by_name() -> None:
    """D2.3, D3.2, D3.3, D4.1: a skip and a break are both 2 in the timeline's arrays
    (`S_SKIPPED` in `status`, `B_BREAK` in `blocked`); the named reads keep them apart."""
    rules = habit(Daily(), "2024-06-03", end="2024-06-08")
    entries = {d("2024-06-04"): SKIPPED, d("2024-06-05"): DONE, d("2024-06-06"): FAILED}
    breaks = [Break(d("2024-06-05"), d("2024-06-07"))]
    timeline = Timeline(rules, entries, breaks, d("2024-06-01"), d("2024-06-10"), d("2024-06-10"))
    rows = {
        day.isoformat()[5:]: (
            timeline.entry_status(timeline.index_of(day)),
            timeline.in_break(timeline.index_of(day)),
            timeline.active(timeline.index_of(day)),
        )
        for day in span("2024-06-02", "2024-06-09")
    }
    assert rows == {
        "06-02": (None, False, False),  # before the start
        "06-03": (None, False, True),
        "06-04": ("skipped", False, True),
        "06-05": ("done", True, True),  # done inside the break: an extra (D5)
        "06-06": ("failed", True, True),
        "06-07": (None, True, True),
        "06-08": (None, False, True),  # the end date is inclusive
        "06-09": (None, False, False),  # after the end
    }
    available = [
        timeline.available(timeline.index_of(day)) for day in span("2024-06-03", "2024-06-08")
    ]
    # Skipped (D3.3) on the 4th, a break (D3.2) from the 5th to the 7th.
    assert available == [True, False, False, False, False, True]
