"""D8.2: the habit-strength score, against docs/SCORE.md's vectors and Loop's own export."""

from __future__ import annotations

import csv
import math
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from habitus.core.evaluate import evaluate_from_scratch, window_timeline
from habitus.core.habits import Break, EntryFact, HabitRules
from habitus.core.outcomes import Unit
from habitus.core.schedule import (
    Daily,
    Dates,
    Schedule,
    ScheduleVersion,
    TimesPerPeriod,
    Weekdays,
)
from habitus.core.scores import (
    ScoreRule,
    completion_rate,
    completion_ratio,
    initial_score,
    moving_rates,
    multiplier,
    raw_completion_rate,
    score_series,
    step,
    step_days,
)
from tests.core.test_properties import Case, cases
from tests.fixtures.files import LOOP_FIXTURES, required

LOOP_EXPORT = LOOP_FIXTURES / "csv_export"
DAILY_M = 0.5 ** (1 / 13)
DONE = EntryFact("done")
SKIP = EntryFact("skipped")


def days(k: int) -> timedelta:
    return timedelta(days=k)


def habit(
    schedule: Schedule,
    start: date,
    *,
    kind: str = "boolean",
    polarity: str = "build",
    target: float | None = None,
    direction: str = "at_least",
    end: date | None = None,
) -> HabitRules:
    return HabitRules(
        kind,  # type: ignore[arg-type]
        polarity,  # type: ignore[arg-type]
        target,
        direction,  # type: ignore[arg-type]
        start,
        end,
        (ScheduleVersion(start, schedule),),
    )


def score(
    rules: HabitRules,
    entries: dict[date, EntryFact],
    today: date,
    breaks: tuple[Break, ...] = (),
) -> float:
    return evaluate_from_scratch(rules, entries, breaks, today).score


# --- docs/SCORE.md "Constants and known values" ------------------------------------------------


def test_daily_multiplier() -> None:
    """D8.2 (SCORE.md rule 2): the daily multiplier is 0.5 ** (1/13) = 0.948078."""
    assert multiplier(1, 1) == pytest.approx(0.948078, abs=1e-6)
    assert multiplier(1, 1) == pytest.approx(DAILY_M, abs=1e-15)


def test_multiplier_follows_the_frequency() -> None:
    """D8.2 (SCORE.md rule 2): m = 0.5 ** (sqrt(num/den) / 13) for less-than-daily habits too."""
    assert multiplier(3, 7) == pytest.approx(0.5 ** (math.sqrt(3 / 7) / 13), abs=1e-15)
    assert multiplier(1, 30) > multiplier(1, 7) > multiplier(1, 1)


def test_one_perfect_day_from_zero() -> None:
    """D8.2 (SCORE.md vector): one perfect day from 0 scores 0.051922."""
    assert step(0.0, 1.0, multiplier(1, 1)) == pytest.approx(0.051922, abs=1e-6)


def test_perfect_day_from_half() -> None:
    """D8.2 (SCORE.md vector): from 0.5 with p = 1 the score is 0.525961."""
    assert step(0.5, 1.0, multiplier(1, 1)) == pytest.approx(0.525961, abs=1e-6)


def test_empty_day_from_three_quarters() -> None:
    """D8.2 (SCORE.md vector): from 0.75 with p = 0 the score is 0.711058."""
    assert step(0.75, 0.0, multiplier(1, 1)) == pytest.approx(0.711058, abs=1e-6)


TODAY = date(2024, 6, 30)


def twenty_days() -> tuple[HabitRules, dict[date, EntryFact]]:
    start = TODAY - days(19)
    return habit(Daily(), start), {start + days(k): DONE for k in range(20)}


def test_twenty_days_today() -> None:
    """D8.2 (SCORE.md vector): a daily habit done on offsets 0..19 scores 0.655747 today."""
    rules, entries = twenty_days()
    assert score(rules, entries, TODAY) == pytest.approx(0.655747, abs=1e-6)


def test_twenty_days_at_its_first_day() -> None:
    """D8.2 (SCORE.md vector): the same habit at offset 19, its first day, scores 0.051922."""
    rules, _ = twenty_days()
    first = TODAY - days(19)
    assert score(rules, {first: DONE}, first) == pytest.approx(0.051922, abs=1e-6)


def test_twenty_days_before_it_started() -> None:
    """D8.2 (SCORE.md vector, rule 4): at offset 20, before the start, the score is 0."""
    rules, _ = twenty_days()
    assert score(rules, {}, TODAY - days(20)) == 0.0


def test_series_of_twenty_days() -> None:
    """D8.2 (SCORE.md rule 3): each day of the twenty is 1 - m ** k."""
    rules, entries = twenty_days()
    start = rules.start_date
    timeline = window_timeline(rules, entries, (), start, TODAY, TODAY)
    series = score_series(
        timeline,
        start=timeline.index_of(start),
        stop=timeline.index_of(TODAY),
        initial=initial_score(rules),
    )
    assert series == pytest.approx([1 - DAILY_M**k for k in range(1, 21)], abs=1e-12)


def twice_a_week(start: date, today: date) -> dict[date, EntryFact]:
    """Done on Monday and Thursday of every week."""
    return {
        start + days(k): DONE
        for k in range((today - start).days + 1)
        if (start + days(k)).weekday() in (0, 3)
    }


def test_three_a_week_done_twice_converges_to_two_thirds() -> None:
    """D8.2 (SCORE.md vector): 3 times a week, done exactly twice every week, converges to 2/3."""
    start, today = date(2021, 1, 4), date(2024, 6, 30)
    rules = habit(TimesPerPeriod(3, "week"), start)
    assert score(rules, twice_a_week(start, today), today) == pytest.approx(2 / 3, abs=1e-6)


def test_the_same_data_as_four_a_week_converges_to_half() -> None:
    """D8.2 (SCORE.md vector): the same check-ins read as 4 times a week converge to 0.5."""
    start, today = date(2021, 1, 4), date(2024, 6, 30)
    rules = habit(TimesPerPeriod(4, "week"), start)
    assert score(rules, twice_a_week(start, today), today) == pytest.approx(0.5, abs=1e-6)


@pytest.mark.parametrize(("value", "expected"), [(1.0, 0.5), (0.5, 0.25)])
def test_measurable_at_least_half_the_target(value: float, expected: float) -> None:
    """D8.2 (SCORE.md vector): at least 2, one value every day for 500 days, scores value / 2."""
    start = TODAY - days(499)
    rules = habit(Daily(), start, kind="measurable", target=2.0)
    entries = {start + days(k): EntryFact("done", value) for k in range(500)}
    assert score(rules, entries, TODAY) == pytest.approx(expected, abs=1e-6)


def test_measurable_at_most_without_entries_is_perfect() -> None:
    """D8.2 (SCORE.md vector, rule 4): at most 2 with no entries at all stays at 1.0."""
    rules = habit(Daily(), TODAY - days(100), kind="measurable", target=2.0, direction="at_most")
    assert score(rules, {}, TODAY) == pytest.approx(1.0, abs=1e-12)


def test_measurable_at_most_over_twice_the_target_scores_nothing() -> None:
    """D8.2 (SCORE.md rule 3): at most 2, a value of 4 or more every day, decays to 0."""
    start = TODAY - days(499)
    rules = habit(Daily(), start, kind="measurable", target=2.0, direction="at_most")
    entries = {start + days(k): EntryFact("done", 4.0) for k in range(500)}
    assert score(rules, entries, TODAY) == pytest.approx(0.0, abs=1e-6)


def test_measurable_at_most_half_over_target() -> None:
    """D8.2 (SCORE.md rule 3): at most 2 with 3 every day: p = 2 - 3/2 = 0.5."""
    start = TODAY - days(499)
    rules = habit(Daily(), start, kind="measurable", target=2.0, direction="at_most")
    entries = {start + days(k): EntryFact("done", 3.0) for k in range(500)}
    assert score(rules, entries, TODAY) == pytest.approx(0.5, abs=1e-6)


@pytest.mark.parametrize(("count", "expected"), [(30, 0.798), (60, 0.959), (90, 0.992)])
def test_perfect_daily_days(count: int, expected: float) -> None:
    """D8.2 (SCORE.md vector): 30, 60, 90 perfect daily days score 0.798, 0.959, 0.992."""
    start = TODAY - days(count - 1)
    value = score(habit(Daily(), start), {start + days(k): DONE for k in range(count)}, TODAY)
    assert round(value, 3) == expected
    assert value == pytest.approx(1 - 0.5 ** (count / 13), abs=1e-12)


def test_weekdays_of_all_seven_days_score_as_daily() -> None:
    """D8.2 (SCORE.md rule 1): weekdays with all 7 days reduce to 1/1 and score like daily."""
    start = TODAY - days(40)
    entries = {start + days(k): DONE for k in range(41) if k % 3}
    every_day = Weekdays(frozenset(range(7)))
    assert score(habit(every_day, start), entries, TODAY) == pytest.approx(
        score(habit(Daily(), start), entries, TODAY), abs=1e-15
    )


# --- days that are not stepped (SCORE.md rule 5) ----------------------------------------------


def test_skipped_day_keeps_the_score() -> None:
    """D8.2 (SCORE.md rule 5), D3.3: a skipped day is not stepped; the score stays."""
    start = TODAY - days(10)
    rules = habit(Daily(), start)
    entries = {start + days(k): DONE for k in range(10)}
    before = score(rules, entries, TODAY - days(1))
    assert score(rules, {**entries, TODAY: SKIP}, TODAY) == before
    assert score(rules, entries, TODAY) != before  # an empty day would have decayed it


def test_break_day_keeps_the_score() -> None:
    """D8.2 (SCORE.md rule 5), D3.2: break days are not stepped; the score stays."""
    start = TODAY - days(20)
    rules = habit(Daily(), start)
    entries = {start + days(k): DONE for k in range(10)}
    at_break = score(rules, entries, start + days(9))
    pause = (Break(start + days(10), TODAY),)
    assert score(rules, entries, TODAY, pause) == at_break
    assert score(rules, entries, TODAY) < at_break


def test_days_after_the_end_freeze_the_score() -> None:
    """D8.2 (SCORE.md rule 5), D2.3: after end_date the score stands still."""
    start, end = TODAY - days(60), TODAY - days(30)
    rules = habit(Daily(), start, end=end)
    entries = {start + days(k): DONE for k in range(31)}
    at_end = score(rules, entries, end)
    assert score(rules, entries, TODAY) == at_end
    assert score(rules, entries, end + days(1)) == at_end


def test_unrequired_weekday_is_stepped_from_the_window() -> None:
    """D8.2 (SCORE.md rule 5): days a weekdays schedule skips are stepped, p from the window."""
    start = date(2024, 6, 3)  # a Monday
    rules = habit(Weekdays(frozenset({0, 2, 4})), start)  # 3/7: window 14, need 6
    entries = {date(2024, 6, 3): DONE}
    tuesday = date(2024, 6, 4)
    m = multiplier(3, 7)
    monday = 1 / 6 * (1 - m)
    assert score(rules, entries, start) == pytest.approx(monday, abs=1e-12)
    assert score(rules, entries, tuesday) == pytest.approx(monday * m + 1 / 6 * (1 - m), abs=1e-12)


def test_quit_habit_scores_clean_days() -> None:
    """D8.2 (SCORE.md rule 3): a quit habit's day is a repetition unless it holds a slip."""
    start = TODAY - days(29)
    rules = habit(Daily(), start, polarity="quit", direction="at_most")
    assert score(rules, {}, TODAY) == pytest.approx(1 - DAILY_M**30, abs=1e-12)
    slipped = score(rules, {TODAY: EntryFact("failed")}, TODAY)
    assert slipped == pytest.approx((1 - DAILY_M**29) * DAILY_M, abs=1e-12)


def test_schedule_change_steps_each_day_with_its_version() -> None:
    """D8.2 (SCORE.md rule 6): each day is stepped with the frequency of the version in effect."""
    start, change = TODAY - days(9), TODAY - days(4)
    rules = HabitRules(
        "boolean",
        "build",
        None,
        "at_least",
        start,
        None,
        (ScheduleVersion(start, Daily()), ScheduleVersion(change, TimesPerPeriod(1, "week"))),
    )
    entries = {start + days(k): DONE for k in range(10)}
    expected = 1 - DAILY_M**5
    m = multiplier(1, 7)
    for _ in range(5):  # window 14 days, need 2: always full
        expected = expected * m + (1 - m)
    assert score(rules, entries, TODAY) == pytest.approx(expected, abs=1e-12)


# --- Loop Habit Tracker's own export as an oracle -------------------------------------------


def loop_export() -> Path:
    """A skip where the shared fixtures are not found (tests/fixtures/files.py)."""
    return required(LOOP_EXPORT, "Loop's CSV export")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def loop_habit(folder: Path, name: str) -> tuple[dict[str, str], Path]:
    rows = {row["Name"]: row for row in read_csv(folder / "Habits.csv")}
    row = rows[name]
    return row, folder / f"{row['Position']} {name}"


def test_loop_export_wake_up_early_day_by_day() -> None:
    """D8.2 (SCORE.md): each day of Loop's "Wake up early" (2 of 3) matches its Scores.csv."""
    folder = loop_export()
    row, habit_dir = loop_habit(folder, "Wake up early")
    num, den = int(row["FrequencyNumerator"]), int(row["FrequencyDenominator"])
    assert (num, den) == (2, 3)
    checks = {
        date.fromisoformat(check["Date"]): check["Value"]
        for check in read_csv(habit_dir / "Checkmarks.csv")
    }
    expected = {
        date.fromisoformat(line["Date"]): float(line["Score"])
        for line in read_csv(habit_dir / "Scores.csv")
    }
    first, last = min(checks), max(checks)
    dates = [first + days(k) for k in range((last - first).days + 1)]
    # Only a manual check counts in Loop's score; YES_AUTO and NO do not. None is a skip.
    contributions = [1.0 if checks.get(day) == "YES_MANUAL" else 0.0 for day in dates]
    stepped = [1] * len(dates)
    prefix = [0.0, *accumulate(contributions)]
    scores: list[float] = []
    step_days(ScoreRule(num, den), contributions, stepped, prefix, 0, len(dates), 0.0, scores)
    assert len(expected) == len(dates) == 10
    for day, value in zip(dates, scores, strict=True):
        assert value == pytest.approx(expected[day], abs=5e-5), day


def test_loop_export_wake_up_early_through_evaluate() -> None:
    """D8.2 (SCORE.md rules 1, 5): a dates schedule of frequency 2/3 scores as Loop does."""
    folder = loop_export()
    _, habit_dir = loop_habit(folder, "Wake up early")
    entries = {
        date.fromisoformat(check["Date"]): DONE
        for check in read_csv(habit_dir / "Checkmarks.csv")
        if check["Value"] == "YES_MANUAL"
    }
    expected = {
        date.fromisoformat(line["Date"]): float(line["Score"])
        for line in read_csv(habit_dir / "Scores.csv")
    }
    first = min(expected)
    # Two dates two days apart: 2 dates over a span of 3 days, Loop's 2/3. Every day is
    # stepped, required or not (rule 5), exactly as in Loop.
    rules = habit(Dates(frozenset({first, first + days(2)})), first)
    for day, value in expected.items():
        assert score(rules, entries, day) == pytest.approx(value, abs=5e-5), day


def test_loop_export_meditate_without_checks_is_zero() -> None:
    """D8.2 (SCORE.md rule 4): Loop's "Meditate" (daily, no check-ins) scores 0, as ours does."""
    folder = loop_export()
    row, habit_dir = loop_habit(folder, "Meditate")
    assert (row["FrequencyNumerator"], row["FrequencyDenominator"]) == ("1", "1")
    lines = read_csv(habit_dir / "Scores.csv")
    today = date.fromisoformat(lines[0]["Date"])
    assert float(lines[0]["Score"]) == 0.0
    assert score(habit(Daily(), today - days(9)), {}, today) == 0.0


# --- property -------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(max_span=200))
def test_score_always_between_zero_and_one(case: Case) -> None:
    """D8.2: the score is in [0, 1] on every day of any habit."""
    rules, today = case.rules, case.today
    first = rules.start_date - days(800)
    timeline = window_timeline(
        rules, case.entries, case.breaks, first, today, today, case.week_start
    )
    series = score_series(
        timeline,
        start=timeline.index_of(rules.start_date),
        stop=timeline.index_of(today),
        initial=initial_score(rules),
    )
    assert all(0.0 <= value <= 1.0 for value in series)


# --- D8.1 moving completion rates ------------------------------------------------------


def _unit(last: date, outcome: str) -> Unit:
    return Unit(first=last, last=last, outcome=outcome)  # type: ignore[arg-type]


def test_moving_rate_counts_units_ending_in_each_trailing_window() -> None:
    """D8.1: each day's 7-day rate is done / (done + missed) over the units that end in
    the 7 days ending that day; pending and not-required units are left out."""
    start = date(2026, 11, 1)
    outcomes = ["done", "missed", "done", "not_required", "done", "pending", "missed", "done"]
    units = [_unit(start + timedelta(days=i), kind) for i, kind in enumerate(outcomes)]
    rates = moving_rates(units, date(2026, 11, 7), date(2026, 11, 8), 7)
    # Nov 1-7: done 1, 3, 5 / missed 2, 7; Nov 2-8: done 3, 5, 8 / missed 2, 7.
    assert [(rate.done, rate.missed) for rate in rates] == [(3, 2), (3, 2)]
    assert rates[0].value == pytest.approx(0.6)
    # A day whose window holds no counted unit has no rate (null, not 0).
    assert moving_rates([], date(2026, 11, 7), date(2026, 11, 7), 30)[0].value is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_moving_rates_equal_completion_rate_of_each_window(case: Case) -> None:
    """D8.1: the one-pass moving rate equals completion_rate over each trailing window."""
    first = case.rules.start_date
    timeline = window_timeline(
        case.rules, case.entries, case.breaks, first, case.today, case.today, case.week_start
    )
    units = list(timeline.units())
    for width in (7, 30):
        found = moving_rates(units, first, case.today, width)
        for offset, rate in enumerate(found):
            day = first + timedelta(days=offset)
            expected = completion_rate(units, day - timedelta(days=width - 1), day)
            assert (rate.done, rate.missed) == (expected.done, expected.missed)


def test_completion_ratio_is_done_over_done_and_missed() -> None:
    """D8.1: done / (done + missed); no unit is null, not 0 (every rate uses this one)."""
    assert completion_ratio(3, 1) == 0.75
    assert completion_ratio(0, 2) == 0.0
    assert completion_ratio(0, 0) is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_raw_completion_rate_equals_completion_rate(case: Case) -> None:
    """D8.1 over raw units (the habit page's, no `Unit` built) counts what completion_rate
    counts."""
    timeline = window_timeline(
        case.rules,
        case.entries,
        case.breaks,
        case.rules.start_date,
        case.today,
        case.today,
        case.week_start,
    )
    raw = timeline.raw_units()
    units = [Unit.of(unit) for unit in raw]
    for first in (case.rules.start_date, case.today - timedelta(days=29), case.today):
        assert raw_completion_rate(raw, first, case.today) == completion_rate(
            units, first, case.today
        )
