"""Streak + score + 30-day rate of one habit with 10 years of daily entries (`core/` only).

For each schedule type, 3653 days of entries (85% of days logged, seeded RNG) are
evaluated three ways, each timed with `time.perf_counter` over many repetitions after a
warm-up:

- `scratch`: `evaluate_from_scratch` (the whole history walked: streaks and score);
- `rate30`: the 30-day completion rate as `service.stats` computes it
  (`window_timeline(...).units()` over the window's entries, then `completion_rate`);
- `total`: both, what one habit costs when nothing is kept (the 2 ms target);
- `advance`: `advance` from the state kept yesterday with the entries it needs
  (`entries_needed_from`), the common read path of /today and every habit object.

Exit status 1 when the daily habit's `total` median exceeds the target (2 ms), so it
can gate a CI job; it is not part of the test suite.

    .venv/bin/python bench/core_bench.py [--reps 300] [--json out.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from habitus.core.evaluate import (
    HabitState,
    advance,
    entries_needed_from,
    evaluate_from_scratch,
    window_timeline,
)
from habitus.core.habits import EntryFact, HabitRules
from habitus.core.schedule import (
    Daily,
    EveryNDays,
    Schedule,
    ScheduleVersion,
    TimesPerPeriod,
    Weekdays,
)
from habitus.core.scores import completion_rate

TARGET_MS = 2.0
YEARS_DAYS = 3653  # 10 years, with their leap days
DONE_SHARE = 0.85
TODAY = date(2026, 11, 21)  # a Saturday, mid-month and mid-week
WEEK_START = 0  # Monday


@dataclass(frozen=True)
class Case:
    name: str
    rules: HabitRules
    entries: dict[date, EntryFact]


def _rules(schedule: Schedule, *, measurable: bool = False, at_most: bool = False) -> HabitRules:
    start = TODAY - timedelta(days=YEARS_DAYS - 1)
    return HabitRules(
        kind="measurable" if measurable else "boolean",
        polarity="build",
        target=2.0 if measurable else None,
        direction="at_most" if at_most else "at_least",
        start_date=start,
        end_date=None,
        versions=(ScheduleVersion(start, schedule),),
    )


def _entries(rules: HabitRules, seed: int) -> dict[date, EntryFact]:
    """A logged entry on 85% of days; measurable values 1..3 around a target of 2."""
    rng = random.Random(seed)
    entries: dict[date, EntryFact] = {}
    day = rules.start_date
    while day <= TODAY:
        if rng.random() < DONE_SHARE:
            value = float(rng.randint(1, 3)) if rules.kind == "measurable" else None
            entries[day] = EntryFact("done", value)
        day += timedelta(days=1)
    return entries


def cases() -> list[Case]:
    specs: list[tuple[str, HabitRules]] = [
        ("daily", _rules(Daily())),
        ("weekdays (mon-fri)", _rules(Weekdays(frozenset({0, 1, 2, 3, 4})))),
        ("every_n_days (3)", _rules(EveryNDays(3))),
        ("times_per_period 3/week", _rules(TimesPerPeriod(3, "week"))),
        ("times_per_period 12/month", _rules(TimesPerPeriod(12, "month"))),
        ("measurable at_least 2/day", _rules(Daily(), measurable=True)),
        ("measurable at_most 2/day", _rules(Daily(), measurable=True, at_most=True)),
    ]
    return [Case(name, rules, _entries(rules, seed)) for seed, (name, rules) in enumerate(specs)]


def measure(run: Callable[[], object], reps: int, warmup: int) -> list[float]:
    """Milliseconds of each of `reps` calls, after `warmup` untimed ones."""
    for _ in range(warmup):
        run()
    gc.collect()
    samples = []
    for _ in range(reps):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": statistics.median(ordered),
        "p95_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
        "min_ms": ordered[0],
    }


def bench_case(case: Case, reps: int, warmup: int) -> dict[str, dict[str, float]]:
    rules, entries = case.rules, case.entries
    first = TODAY - timedelta(days=29)

    def scratch() -> object:
        return evaluate_from_scratch(rules, entries, [], TODAY, WEEK_START)

    # service.stats reads only the window's entries (from the first unit's start to
    # 31 days after the window), not the whole history.
    window_entries = {
        day: fact
        for day, fact in entries.items()
        if first - timedelta(days=31) <= day <= TODAY + timedelta(days=31)
    }

    def rate30() -> object:
        timeline = window_timeline(rules, window_entries, [], first, TODAY, TODAY, WEEK_START)
        return completion_rate(timeline.units(), first, TODAY)

    def total() -> object:
        scratch()
        return rate30()

    # The state a read kept yesterday, and the entries a read today fetches for it.
    yesterday = TODAY - timedelta(days=1)
    kept: HabitState = evaluate_from_scratch(rules, entries, [], yesterday, WEEK_START).state
    since = entries_needed_from(kept, rules)
    recent = {day: fact for day, fact in entries.items() if day >= since}

    def advance_one_day() -> object:
        return advance(kept, rules, recent, [], TODAY, WEEK_START)

    # The shortcut must agree with the full walk, or the figures mean nothing.
    walked, continued = scratch(), advance_one_day()
    assert isinstance(walked, type(continued))
    assert (walked.current, walked.longest) == (continued.current, continued.longest), case.name
    assert abs(walked.score - continued.score) < 1e-9, case.name

    return {
        "scratch": summary(measure(scratch, reps, warmup)),
        "rate30": summary(measure(rate30, reps * 4, warmup)),
        "total": summary(measure(total, reps, warmup)),
        "advance": summary(measure(advance_one_day, reps * 4, warmup)),
        "entries": {"count": len(entries), "advance_reads": len(recent)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=300, help="timed runs per case")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)

    print(
        f"core_bench: {YEARS_DAYS} days ({DONE_SHARE:.0%} logged), today {TODAY}, "
        f"{args.reps} reps after {args.warmup} warm-up; Python {platform.python_version()} "
        f"on {platform.machine()}"
    )
    header = (
        f"{'case':<27} {'scratch med/p95':>16} {'rate30 med/p95':>15} "
        f"{'total med/p95':>15} {'advance med/p95':>16}  (ms)"
    )
    print(header)
    print("-" * len(header))
    results: dict[str, dict[str, dict[str, float]]] = {}
    for case in cases():
        figures = bench_case(case, args.reps, args.warmup)
        results[case.name] = figures

        def cell(name: str, width: int, figures: dict[str, dict[str, float]] = figures) -> str:
            part = figures[name]
            return f"{part['median_ms']:.3f} / {part['p95_ms']:.3f}".rjust(width)

        print(
            f"{case.name:<27} {cell('scratch', 16)} {cell('rate30', 15)} "
            f"{cell('total', 15)} {cell('advance', 16)}"
        )
    daily = results["daily"]["total"]["median_ms"]
    ok = daily <= TARGET_MS
    worst = max(figures["total"]["median_ms"] for figures in results.values())
    print(
        f"\ntarget: daily habit, streak + score + 30-day rate under {TARGET_MS} ms: "
        f"median {daily:.3f} ms = {daily / TARGET_MS:.2f} of the budget -> "
        f"{'MET' if ok else 'MISSED'} (slowest case {worst:.3f} ms)"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump({"target_ms": TARGET_MS, "ok": ok, "cases": results}, file, indent=2)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
