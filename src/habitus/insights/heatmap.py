"""A year of one habit as a GitHub-style heatmap: 53 week columns of 7 day rows, drawn
as server-rendered SVG (no script, so the CSP has nothing to say). Pure.

Rows follow the user's week start (D3.1); the last column holds today. Each cell has
a class for its state and intensity (colours come from the stylesheet's variables) and
a `<title>` tooltip such as "Sat 21 Nov: done".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from habitus.insights.calendar import MONTH_SHORT, WEEKDAY_SHORT, week_start_of

WEEKS = 53
CELL = 11
GAP = 3
STEP = CELL + GAP
LEFT = 30  # room for weekday labels
TOP = 18  # room for month labels


@dataclass(frozen=True, slots=True)
class HeatCell:
    day: date
    x: int
    y: int
    css: str  # "hm-done hm-l4", "hm-missed", ...
    title: str


@dataclass(frozen=True, slots=True)
class HeatLabel:
    x: int
    y: int
    text: str


@dataclass(frozen=True, slots=True)
class Heatmap:
    first: date
    last: date
    width: int
    height: int
    cells: list[HeatCell]
    months: list[HeatLabel]
    weekdays: list[HeatLabel]


def heatmap_first_day(today: date, week_start: int, weeks: int = WEEKS) -> date:
    """The first day of the first column: the start of today's week, `weeks - 1` weeks
    back."""
    return week_start_of(today, week_start) - timedelta(weeks=weeks - 1)


def intensity(state: str, ratio: float | None) -> int:
    """1..4 for a completed day, 0 otherwise: a boolean done day is 4; a measurable
    at-least day done (D4.2: value >= target) is 3, or 4 from one and a half times its
    target; an extra day (done, not required, D5) is 2."""
    if state == "extra":
        return 2
    if state != "done":
        return 0
    if ratio is None:
        return 4
    if ratio >= 1.5:
        return 4
    return 3 if ratio >= 1 else 2


def build(
    today: date,
    week_start: int,
    cell_of: Callable[[date], tuple[str, float | None, str]],
    *,
    weeks: int = WEEKS,
) -> Heatmap:
    """The heatmap of the `weeks` weeks that end with today's. `cell_of(day)` gives
    (state, value ratio or None, title) for each day up to today; later days of the
    last week are left out."""
    first = heatmap_first_day(today, week_start, weeks)
    cells: list[HeatCell] = []
    months: list[HeatLabel] = []
    last_label_column = -10
    previous_month = 0
    for column in range(weeks):
        column_start = first + timedelta(weeks=column)
        # A month's label sits over the first column whose first day is in it.
        if column_start.month != previous_month:
            previous_month = column_start.month
            # A first column late in its month leaves the room to the next month's label.
            late = column == 0 and column_start.day > 14
            if not late and column - last_label_column >= 3 and column < weeks - 1:
                months.append(
                    HeatLabel(LEFT + column * STEP, TOP - 6, MONTH_SHORT[column_start.month - 1])
                )
                last_label_column = column
        for row in range(7):
            day = column_start + timedelta(days=row)
            if day > today:
                break
            state, ratio, title = cell_of(day)
            level = intensity(state, ratio)
            css = f"hm-{state.replace('_', '-')}" + (f" hm-l{level}" if level else "")
            cells.append(HeatCell(day, LEFT + column * STEP, TOP + row * STEP, css, title))
    weekdays = [
        HeatLabel(0, TOP + row * STEP + CELL - 1, WEEKDAY_SHORT[(week_start + row) % 7])
        for row in (0, 2, 4, 6)
    ]
    return Heatmap(
        first=first,
        last=today,
        width=LEFT + weeks * STEP,
        height=TOP + 7 * STEP,
        cells=cells,
        months=months,
        weekdays=weekdays,
    )


def svg(heatmap: Heatmap, *, labelled_by: str) -> str:
    """The heatmap as an `<svg>` element (escaped text; ~370 cells, so it is built here
    rather than in a template loop). `labelled_by`: the id of its text summary."""
    parts = [
        f'<svg class="heatmap" viewBox="0 0 {heatmap.width} {heatmap.height}" '
        f'width="{heatmap.width}" height="{heatmap.height}" role="img" '
        f'aria-labelledby="{escape(labelled_by)}">'
    ]
    for label in (*heatmap.months, *heatmap.weekdays):
        parts.append(
            f'<text class="hm-label" x="{label.x}" y="{label.y}">{escape(label.text)}</text>'
        )
    for cell in heatmap.cells:
        parts.append(
            f'<rect x="{cell.x}" y="{cell.y}" width="{CELL}" height="{CELL}" rx="2" '
            f'class="{escape(cell.css)}" data-date="{cell.day.isoformat()}">'
            f"<title>{escape(cell.title)}</title></rect>"
        )
    parts.append("</svg>")
    return "".join(parts)
