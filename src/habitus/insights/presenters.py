"""Shaping the insights into what the templates and the chart script read."""

from __future__ import annotations

import itertools
from typing import Any

from markupsafe import Markup

from habitus.habits import describe
from habitus.insights import calendar, heatmap
from habitus.insights.calendar import MONTH_SHORT, date_with_year
from habitus.insights.service import HabitInsights, HistoryMonth, ScorePoint

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
