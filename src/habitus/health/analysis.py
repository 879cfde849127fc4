"""The offline health analysis (issue 19, D15): what a window of logs says, in plain
words, with no model. Pure: no database, no clock; the same input gives the same answer.

Four kinds of finding, each a dict with `kind` and `text` (plus what the text was made of):

- `trend` (per field with at least `MIN_POINTS` dates): the least-squares slope per week
  and the change from the first to the last reading. Reported only when it means
  something: the fitted change over the window reaches the field's threshold (2% of its
  average, at least the scale's own scatter: 0.5 kg, 1 point of a percentage, 1 cm ...,
  `ABSOLUTE_CHANGE`) AND the line explains at least 30% of the variation (R²), so a
  flat series with one odd reading is not a trend.
- `warning` (plausibility, `rule` names which): a weight moving more than 2 kg a day
  between consecutive readings (water and food swing a weight by a kilogram or so in a
  day, not more); a BMI that implies a different height from the user's other readings
  (a scale computes BMI from one stored height; more than 2% apart is another height or
  a mistyped value); fat or water mass that disagrees with percentage times weight, and fat
  plus fat-free mass that does not add up to the weight (by more than 1 kg, or 5% of
  the part, 2% of the weight: well above the scales' rounding).
- `goal`: where the latest weight stands against the weight goal, how much of the way
  from the window's first weight is covered, and at the recent pace how long the rest
  may take.
- `habit_link`: for each habit with enough weeks, the weekly weight change against the
  habit's completion rate that week (Pearson's r over weekly points); reported only when
  |r| >= 0.5 over at least 6 weeks, and worded as "goes together with", never as a cause.

The summary is one to three sentences built from the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from statistics import median
from typing import Any, Literal

from habitus.health import metrics

Finding = dict[str, Any]
Direction = Literal["lose", "gain"]

# A trend needs at least this many dates with a reading of the field.
MIN_POINTS = 3
# A trend is meaningful when its fitted change over the window reaches this share of the
# field's average ...
RELATIVE_CHANGE = 0.02
# ... and at least this much, by unit (what a home scale or a tape scatters by).
ABSOLUTE_CHANGE: Mapping[str, float] = {
    "kg": 0.5,
    "%": 1.0,
    "cm": 1.0,
    "bpm": 3.0,
    "kcal": 30.0,
    "years": 1.0,
    "": 0.5,
}
# ... and the line explains at least this share of the variation (R²).
MIN_R_SQUARED = 0.3

# D15 plausibility: no more than this many kilograms a day between two weight readings
# (two readings on one date count as a day apart).
MAX_KG_PER_DAY = 2.0
# Heights implied by BMI and weight that differ from their median by more than this share.
BMI_HEIGHT_TOLERANCE = 0.02
# A part of the weight (fat, water) off its percentage times weight by more than this many
# kilograms and this share of the part.
PART_TOLERANCE_KG = 1.0
PART_TOLERANCE_SHARE = 0.05
# Fat plus fat-free mass off the weight by more than this many kilograms and this share.
SUM_TOLERANCE_SHARE = 0.02
# At most this many dates are named in one warning's text.
DATES_NAMED = 3

# Habit links: weeks need this many counted days of the habit to give a rate ...
MIN_HABIT_DAYS_PER_WEEK = 3
# ... and a link needs this many weeks and this strong a correlation.
MIN_LINK_WEEKS = 6
MIN_LINK_R = 0.5
MAX_LINKS = 5


@dataclass(frozen=True, slots=True)
class Reading:
    """One health log: its local date and time and the fields it holds."""

    day: date
    at: time
    values: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Goal:
    weight_kg: float
    direction: Direction


@dataclass(frozen=True, slots=True)
class HabitRecord:
    """A habit's counted days (required and not in a break): date -> done."""

    habit_id: str
    name: str
    days: Mapping[date, bool]


@dataclass(frozen=True, slots=True)
class Analysis:
    summary: str
    findings: list[Finding]


# --- numbers --------------------------------------------------------------------------------


def number(field: str, value: float) -> str:
    """A value as people write it: the field's precision, no trailing zeros (80, 77.6)."""
    decimals = metrics.metric(field).decimals
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def with_unit(field: str, value: float) -> str:
    unit = metrics.metric(field).unit
    shown = number(field, value)
    if not unit:
        return shown
    return f"{shown}{unit}" if unit == "%" else f"{shown} {unit}"


def _label(field: str) -> str:
    return metrics.metric(field).label


@dataclass(frozen=True, slots=True)
class Line:
    slope_per_day: float
    r_squared: float


def fit(points: Sequence[tuple[date, float]]) -> Line | None:
    """Least squares over (days since the first point, value); None for fewer than two
    dates. R² is 1 for a series that does not vary (nothing left to explain)."""
    if len(points) < 2:
        return None
    origin = points[0][0]
    xs = [float((day - origin).days) for day, _ in points]
    ys = [value for _, value in points]
    mean_x = sum(xs) / len(xs)
    mean_y = sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return None
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    syy = sum((y - mean_y) ** 2 for y in ys)
    slope = sxy / sxx
    r_squared = 1.0 if syy == 0 else (sxy * sxy) / (sxx * syy)
    return Line(slope, r_squared)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r; None when either side does not vary."""
    n = len(xs)
    if n < 2 or n != len(ys):
        return None
    mean_x = sum(xs) / n
    mean_y = sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    return sxy / math.sqrt(sxx * syy)


# --- series ---------------------------------------------------------------------------------


def daily_series(readings: Iterable[Reading]) -> dict[str, list[tuple[date, float]]]:
    """Per field, one point a date (that date's last reading), oldest first, as
    GET /health/series gives them. `readings` in (date, time) order."""
    by_field: dict[str, dict[date, float]] = {}
    for reading in readings:
        for field, value in reading.values.items():
            by_field.setdefault(field, {})[reading.day] = float(value)
    return {
        field: sorted(by_field[field].items()) for field in metrics.FIELD_NAMES if field in by_field
    }


# --- trends ---------------------------------------------------------------------------------


def threshold(field: str, points: Sequence[tuple[date, float]]) -> float:
    """The fitted change a trend of `field` must reach to be reported (module docstring)."""
    average = sum(abs(value) for _, value in points) / len(points)
    return max(RELATIVE_CHANGE * average, ABSOLUTE_CHANGE.get(metrics.metric(field).unit, 0.5))


def trend_of(field: str, points: Sequence[tuple[date, float]]) -> Finding | None:
    """A `trend` finding for a meaningful trend of `field`, else None."""
    if len(points) < MIN_POINTS:
        return None
    line = fit(points)
    if line is None:
        return None
    span = (points[-1][0] - points[0][0]).days
    fitted_change = line.slope_per_day * span
    if abs(fitted_change) < threshold(field, points) or line.r_squared < MIN_R_SQUARED:
        return None
    (first_day, first), (last_day, last) = points[0], points[-1]
    per_week = line.slope_per_day * 7
    direction = "up" if per_week > 0 else "down"
    text = (
        f"{_label(field)} went {direction}: {with_unit(field, first)} on "
        f"{first_day.isoformat()}, {with_unit(field, last)} on {last_day.isoformat()} "
        f"({len(points)} readings), about {_per_week(field, per_week)} a week."
    )
    return {
        "kind": "trend",
        "field": field,
        "direction": direction,
        "slope_per_week": round(per_week, metrics.metric(field).decimals + 2),
        "change": round(last - first, metrics.metric(field).decimals),
        "first": {"date": first_day.isoformat(), "value": first},
        "last": {"date": last_day.isoformat(), "value": last},
        "points": len(points),
        "r_squared": round(line.r_squared, 2),
        "text": text,
    }


def _per_week(field: str, per_week: float) -> str:
    # One decimal more than the field's, at most two: 0.35 kg, 0.06 (BMI), 4.5 kcal.
    decimals = min(metrics.metric(field).decimals + 1, 2)
    shown = f"{abs(per_week):.{decimals}f}".rstrip("0").rstrip(".")
    unit = metrics.metric(field).unit
    if not unit:
        return shown
    return f"{shown}{unit}" if unit == "%" else f"{shown} {unit}"


# --- plausibility ---------------------------------------------------------------------------


def _dates_text(days: Sequence[date]) -> str:
    named = ", ".join(day.isoformat() for day in days[:DATES_NAMED])
    more = len(days) - DATES_NAMED
    return f"{named} and {more} more" if more > 0 else named


def _warning(rule: str, field: str, days: Sequence[date], what: str) -> Finding:
    unique = sorted(set(days))
    return {
        "kind": "warning",
        "rule": rule,
        "field": field,
        "dates": [day.isoformat() for day in unique],
        "text": f"{what} ({_dates_text(unique)}). Check those readings.",
    }


def weight_jumps(readings: Sequence[Reading]) -> Finding | None:
    """Rule `weight_jump`: consecutive weight readings more than MAX_KG_PER_DAY apart per
    day between them (a day at least). Names the later reading's date."""
    found: list[date] = []
    previous: Reading | None = None
    for reading in readings:
        weight = reading.values.get("weight_kg")
        if weight is None:
            continue
        if previous is not None:
            days = max(1, (reading.day - previous.day).days)
            if abs(weight - previous.values["weight_kg"]) / days > MAX_KG_PER_DAY:
                found.append(reading.day)
        previous = reading
    if not found:
        return None
    return _warning(
        "weight_jump",
        "weight_kg",
        found,
        f"Weight changed by more than {MAX_KG_PER_DAY:g} kg a day between consecutive "
        "readings, more than water and food explain",
    )


def bmi_inconsistent(readings: Sequence[Reading]) -> Finding | None:
    """Rule `bmi_inconsistent`: a reading whose BMI and weight imply a height (sqrt of
    weight / BMI) more than BMI_HEIGHT_TOLERANCE from the median of all such heights."""
    heights = [
        (reading.day, math.sqrt(reading.values["weight_kg"] / reading.values["bmi"]))
        for reading in readings
        if reading.values.get("weight_kg") is not None and reading.values.get("bmi")
    ]
    if len(heights) < 2:
        return None
    middle = median(height for _, height in heights)
    off = [day for day, height in heights if abs(height / middle - 1) > BMI_HEIGHT_TOLERANCE]
    if not off:
        return None
    return _warning(
        "bmi_inconsistent",
        "bmi",
        off,
        f"BMI does not fit the weight the way your other readings do (it implies a height "
        f"more than {BMI_HEIGHT_TOLERANCE:.0%} away from the usual {middle * 100:.0f} cm)",
    )


# (percentage field, mass field, rule): the mass should be percentage times weight.
PARTS: tuple[tuple[str, str, str], ...] = (
    ("body_fat_pct", "fat_mass_kg", "fat_mass_mismatch"),
    ("body_water_pct", "water_weight_kg", "water_mass_mismatch"),
)


def part_mismatches(readings: Sequence[Reading]) -> list[Finding]:
    """Rules `fat_mass_mismatch`, `water_mass_mismatch`: a reading whose mass and
    percentage disagree with its weight; `fat_free_mismatch`: fat mass plus fat-free
    weight off the weight."""
    findings: list[Finding] = []
    for share_field, mass_field, rule in PARTS:
        off = []
        for reading in readings:
            weight = reading.values.get("weight_kg")
            share = reading.values.get(share_field)
            mass = reading.values.get(mass_field)
            if weight is None or share is None or mass is None:
                continue
            expected = weight * share / 100
            if abs(expected - mass) > max(PART_TOLERANCE_KG, PART_TOLERANCE_SHARE * mass):
                off.append(reading.day)
        if off:
            findings.append(
                _warning(
                    rule,
                    mass_field,
                    off,
                    f"{_label(mass_field)} does not match "
                    f"{_label(share_field).lower()} times weight",
                )
            )
    off = []
    for reading in readings:
        weight = reading.values.get("weight_kg")
        fat = reading.values.get("fat_mass_kg")
        free = reading.values.get("fat_free_weight_kg")
        if weight is None or fat is None or free is None:
            continue
        if abs(fat + free - weight) > max(PART_TOLERANCE_KG, SUM_TOLERANCE_SHARE * weight):
            off.append(reading.day)
    if off:
        findings.append(
            _warning(
                "fat_free_mismatch",
                "fat_free_weight_kg",
                off,
                "Fat mass plus fat-free weight does not add up to the weight",
            )
        )
    return findings


# --- the goal -------------------------------------------------------------------------------


def goal_progress(goal: Goal, weights: Sequence[tuple[date, float]]) -> Finding:
    """Where the latest weight stands against the goal (D10 weight_goal's direction)."""
    target = with_unit("weight_kg", goal.weight_kg)
    base: Finding = {
        "kind": "goal",
        "field": "weight_kg",
        "goal": goal.weight_kg,
        "direction": goal.direction,
    }
    if not weights:
        return {
            **base,
            "reached": False,
            "text": f"Your goal is to {goal.direction} weight to {target}; no weight was "
            "logged in this window.",
        }
    (_, start), (last_day, latest) = weights[0], weights[-1]
    sign = 1 if goal.direction == "lose" else -1
    remaining = sign * (latest - goal.weight_kg)  # > 0: still to go
    reached = remaining <= 0
    found: Finding = {
        **base,
        "latest": latest,
        "latest_date": last_day.isoformat(),
        "reached": reached,
        "remaining": round(max(0.0, remaining), 2),
    }
    if reached:
        found["text"] = (
            f"Your latest weight, {with_unit('weight_kg', latest)} on {last_day.isoformat()}, "
            f"is at or past your goal of {target}."
        )
        return found
    way = sign * (start - goal.weight_kg)
    covered = sign * (start - latest)
    text = (
        f"You are {with_unit('weight_kg', remaining)} from your goal of {target} "
        f"({with_unit('weight_kg', latest)} on {last_day.isoformat()})."
    )
    if way > 0 and len(weights) > 1:
        share = max(0.0, min(1.0, covered / way))
        found["covered_share"] = round(share, 2)
        text += (
            f" Since {with_unit('weight_kg', start)} at the start of this window you have "
            f"covered {share:.0%} of the way."
        )
    line = fit(weights) if len(weights) >= MIN_POINTS else None
    if line is not None:
        per_week = -sign * line.slope_per_day * 7  # > 0: towards the goal
        if per_week > 0:
            weeks = math.ceil(remaining / per_week)
            found["weeks_at_pace"] = weeks
            text += (
                f" At the recent pace ({_per_week('weight_kg', per_week)} a week) that is "
                f"about {weeks} more week{'s' if weeks != 1 else ''}."
            )
        else:
            text += " Recently your weight has not been moving towards it."
    found["text"] = text
    return found


# --- habits ---------------------------------------------------------------------------------


def week_of(day: date, last: date) -> int:
    """0 for the 7 days ending on `last`, 1 for the 7 before, and so on."""
    return (last - day).days // 7


def weekly_weight_changes(
    weights: Sequence[tuple[date, float]], last: date, weeks: int
) -> dict[int, float]:
    """Week -> the change of the week's average weight from the week before's."""
    sums: dict[int, list[float]] = {}
    for day, value in weights:
        week = week_of(day, last)
        if week < weeks:
            sums.setdefault(week, []).append(value)
    means = {week: sum(values) / len(values) for week, values in sums.items()}
    return {week: means[week] - means[week + 1] for week in means if week + 1 in means}


def weekly_rates(habit: HabitRecord, last: date, weeks: int) -> dict[int, float]:
    """Week -> the habit's completion rate (done / counted days), for weeks with at
    least MIN_HABIT_DAYS_PER_WEEK counted days."""
    counted: dict[int, list[bool]] = {}
    for day, done in habit.days.items():
        if day > last:
            continue
        week = week_of(day, last)
        if week < weeks:
            counted.setdefault(week, []).append(done)
    return {
        week: sum(days) / len(days)
        for week, days in counted.items()
        if len(days) >= MIN_HABIT_DAYS_PER_WEEK
    }


def habit_links(
    habits: Sequence[HabitRecord],
    weights: Sequence[tuple[date, float]],
    first: date,
    last: date,
) -> list[Finding]:
    """`habit_link` findings: |r| >= MIN_LINK_R over >= MIN_LINK_WEEKS weekly points,
    strongest first (then by name), at most MAX_LINKS."""
    weeks = ((last - first).days + 1) // 7
    changes = weekly_weight_changes(weights, last, weeks)
    if len(changes) < MIN_LINK_WEEKS:
        return []
    found: list[tuple[float, str, Finding]] = []
    for habit in habits:
        rates = weekly_rates(habit, last, weeks)
        paired = sorted(week for week in changes if week in rates)
        if len(paired) < MIN_LINK_WEEKS:
            continue
        r = pearson([rates[week] for week in paired], [changes[week] for week in paired])
        if r is None or abs(r) < MIN_LINK_R:
            continue
        way = "down" if r < 0 else "up"
        text = (
            f"Weeks in which you completed “{habit.name}” more often go together with your "
            f"weight going {way} more (r = {r:.2f} over {len(paired)} weeks). The two moved "
            "together; that does not show that one causes the other."
        )
        found.append(
            (
                -abs(r),
                habit.name,
                {
                    "kind": "habit_link",
                    "habit_id": habit.habit_id,
                    "field": "weight_kg",
                    "r": round(r, 2),
                    "weeks": len(paired),
                    "text": text,
                },
            )
        )
    found.sort(key=lambda item: (item[0], item[1]))
    return [finding for _, _, finding in found[:MAX_LINKS]]


# --- all of it ------------------------------------------------------------------------------


def analyse(
    readings: Sequence[Reading],
    *,
    first: date,
    last: date,
    goal: Goal | None = None,
    habits: Sequence[HabitRecord] = (),
) -> Analysis:
    """The analysis of the readings dated `first`..`last` (in (date, time) order)."""
    readings = [reading for reading in readings if first <= reading.day <= last]
    window = f"{first.isoformat()} to {last.isoformat()}"
    if not readings:
        text = f"No health logs from {window}: log a few measurements to get an analysis."
        findings = [goal_progress(goal, [])] if goal is not None else []
        return Analysis(text, findings)
    series = daily_series(readings)
    trends = [found for field, points in series.items() if (found := trend_of(field, points))]
    warnings = [
        found for found in (weight_jumps(readings), bmi_inconsistent(readings)) if found
    ] + part_mismatches(readings)
    weights = series.get("weight_kg", [])
    goal_finding = goal_progress(goal, weights) if goal is not None else None
    links = habit_links(habits, weights, first, last)
    findings = [*trends, *warnings, *([goal_finding] if goal_finding else []), *links]
    days = len({reading.day for reading in readings})
    sentences = [
        f"From {window} you logged {len(readings)} health "
        f"reading{'s' if len(readings) != 1 else ''} on {days} day{'s' if days != 1 else ''}."
    ]
    sentences.append(_weight_sentence(weights, trends))
    sentences.append(_last_sentence(warnings, goal_finding, links))
    return Analysis(" ".join(sentence for sentence in sentences if sentence), findings)


def _weight_sentence(weights: Sequence[tuple[date, float]], trends: Sequence[Finding]) -> str:
    weight_trend = next((found for found in trends if found["field"] == "weight_kg"), None)
    others = len(trends) - (1 if weight_trend else 0)
    plural = "s" if others != 1 else ""
    tail = f", and {others} other measurement{plural} changed noticeably" if others else ""
    if weight_trend is not None:
        start = with_unit("weight_kg", weight_trend["first"]["value"])
        end = with_unit("weight_kg", weight_trend["last"]["value"])
        return f"Your weight went {weight_trend['direction']} ({start} to {end}){tail}."
    if len(weights) >= MIN_POINTS:
        middle = with_unit("weight_kg", median(value for _, value in weights))
        return f"Your weight held steady around {middle}{tail}."
    if others:
        return f"{others} measurement{plural} changed noticeably."
    return ""


def _last_sentence(
    warnings: Sequence[Finding], goal: Finding | None, links: Sequence[Finding]
) -> str:
    if warnings:
        count = len(warnings)
        return (
            f"{count} plausibility warning{'s' if count != 1 else ''}: some readings do not "
            "fit the others; check them."
        )
    if goal is not None and goal.get("reached"):
        return "You are at or past your weight goal."
    if links:
        count = len(links)
        return (
            f"{count} habit{'s' if count != 1 else ''} went together with your weight changes "
            "(see the findings)."
        )
    return ""
