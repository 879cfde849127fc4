"""Shaping the insights into what the templates and the chart script read."""

from __future__ import annotations

import itertools
from typing import Any

from markupsafe import Markup

from habitus.habits import describe
from habitus.insights import calendar, heatmap
from habitus.insights.calendar import MONTH_SHORT, date_with_year, format_value
from habitus.insights.day_editor import DayEditor
from habitus.insights.service import (
    AmountPoint,
    HabitInsights,
    HistoryDay,
    HistoryMonth,
    ScorePoint,
)

STATUS_WORDS = {"done": "Done", "skipped": "Skipped", "failed": "Missed"}
STATUS_MARKS = {"done": "✓", "skipped": "↷", "failed": "✕"}


def chart_data(points: list[ScorePoint], today_year: int) -> dict[str, Any]:
    """The data island of the score chart (static/js/charts.js): one label per day for
    the tooltip, a short one for the axis, and the score in percent."""
    return {
        "label": "Habit strength",
        "labels": [
            calendar.short_date(point.day)
            + ("" if point.day.year == today_year else f" {point.day.year}")
            for point in points
        ],
        "ticks": [f"{point.day.day} {MONTH_SHORT[point.day.month - 1]}" for point in points],
        "values": [round(point.score * 100, 1) for point in points],
    }


def amounts_data(insights: HabitInsights) -> dict[str, Any] | None:
    """The data island of a measurable habit's amounts chart: one bar a day (null when
    nothing was logged) and the target as a line."""
    points: list[AmountPoint] = insights.amounts
    head = insights.header
    if not points:
        return None
    today_year = insights.today.year
    target = head.target_value
    return {
        "kind": "amounts",
        "label": head.unit.capitalize() if head.unit else "Amount",
        "unit": head.unit or "",
        "labels": [
            calendar.short_date(point.day)
            + ("" if point.day.year == today_year else f" {point.day.year}")
            for point in points
        ],
        "ticks": [f"{point.day.day} {MONTH_SHORT[point.day.month - 1]}" for point in points],
        "values": [point.value for point in points],
        "target": target,
        "targetLabel": "Limit" if head.direction == "at_most" else "Target",
    }


def amount_summary(insights: HabitInsights) -> str:
    """The amounts chart's text alternative: days logged, average, days on target."""
    logged = [point.value for point in insights.amounts if point.value is not None]
    if not logged:
        return "Nothing logged in this range yet."
    unit = insights.header.unit or ""
    average = sum(logged) / len(logged)
    words = (
        f"{len(logged)} day{'' if len(logged) == 1 else 's'} logged, "
        f"{format_value(round(average, 1), unit)} a day on average"
    )
    target = insights.header.target_value
    if target is not None:
        at_most = insights.header.direction == "at_most"
        kept = sum(1 for value in logged if (value <= target if at_most else value >= target))
        words += f"; {'within the limit' if at_most else 'target met'} on {kept}"
    return words + "."


def month_ends(points: list[ScorePoint]) -> list[ScorePoint]:
    """The last point of each month, and the last point of all (the chart's text
    alternative)."""
    chosen = [
        point
        for point, following in itertools.pairwise(points)
        if following.day.month != point.day.month
    ]
    if points:
        chosen.append(points[-1])
    return chosen


def habit_page(insights: HabitInsights) -> dict[str, Any]:
    return {
        "h": insights,
        "calendar_fmt": calendar,
        "streak_words": describe.streak_in_words,
        "chart_data": chart_data(insights.chart, insights.today.year),
        "amounts_data": amounts_data(insights),
        "amount_summary": amount_summary(insights),
        "chart_table": month_ends(insights.chart),
        "legend": calendar.LEGEND,
        "labels": calendar.STATE_LABELS,
        "marks": calendar.STATE_MARKS,
        "status_words": STATUS_WORDS,
        "status_marks": STATUS_MARKS,
        "date_with_year": date_with_year,
        "heatmap_svg": Markup(heatmap.svg(insights.heatmap, labelled_by="year-summary")),
    }


def history_page(result: HistoryMonth) -> dict[str, Any]:
    return {"m": result, "calendar_fmt": calendar}


def day_editor_page(
    editor: DayEditor, *, back: str, origin: str | None, errors: dict[str, str] | None
) -> dict[str, Any]:
    query = "?origin=history" if origin == "history" else ""
    return {
        "e": editor,
        "back": back,
        "action": f"/habits/{editor.habit_id}/days/{editor.day.isoformat()}{query}",
        "errors": errors or {},
    }


def history_day_page(result: HistoryDay) -> dict[str, Any]:
    return {"d": result, "labels": calendar.STATE_LABELS}
