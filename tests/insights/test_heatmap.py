"""The year heatmap: 53 weeks of 7 days in the user's week (D3.1), the last column
holding today, one tooltip per day, intensity by how complete a day was (D4.2)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from habitus.insights import heatmap

TODAY = date(2026, 11, 21)  # a Saturday


def plain(day: date) -> tuple[str, float | None, str]:
    return "done", None, f"{day.isoformat()}: done"


@pytest.mark.parametrize(
    ("week_start", "first"), [(0, date(2025, 11, 17)), (6, date(2025, 11, 16))]
)
def test_rows_follow_the_week_start(week_start: int, first: date) -> None:
    """D3.1: the first row is the user's first weekday; 52 whole weeks before today's."""
    built = heatmap.build(TODAY, week_start, plain)
    assert built.first == first
    assert built.first.weekday() == week_start
    top = [cell for cell in built.cells if cell.y == heatmap.TOP]
    assert all(cell.day.weekday() == week_start for cell in top)
    assert built.weekdays[0].text == ("Mon" if week_start == 0 else "Sun")


def test_53_columns_and_nothing_after_today() -> None:
    built = heatmap.build(TODAY, 0, plain)
    columns = {cell.x for cell in built.cells}
    assert len(columns) == heatmap.WEEKS
    assert built.cells[-1].day == TODAY
    # Monday weeks: today (a Saturday) is the 6th day of the last column.
    assert len(built.cells) == 52 * 7 + 6
    assert built.width == heatmap.LEFT + 53 * heatmap.STEP


def test_cells_carry_their_tooltip_and_state_class() -> None:
    def cell_of(day: date) -> tuple[str, float | None, str]:
        state = "missed" if day == TODAY - timedelta(days=1) else "not_required"
        return state, None, f"{day}: {state}"

    built = heatmap.build(TODAY, 0, cell_of)
    yesterday = next(cell for cell in built.cells if cell.day == TODAY - timedelta(days=1))
    assert yesterday.css == "hm-missed"
    assert yesterday.title.endswith(": missed")
    assert built.cells[0].css == "hm-not-required"


def test_month_labels_do_not_crowd() -> None:
    built = heatmap.build(TODAY, 0, plain)
    texts = [label.text for label in built.months]
    assert "Dec" in texts
    assert "Nov" in texts
    xs = [label.x for label in built.months]
    assert all(b - a >= 3 * heatmap.STEP for a, b in itertools.pairwise(xs))


@pytest.mark.parametrize(
    ("state", "ratio", "level"),
    [
        ("done", None, 4),  # a boolean done day
        ("done", 1.0, 3),  # a measurable day that met its target
        ("done", 1.5, 4),  # half as much again
        ("done", 0.5, 2),
        ("extra", None, 2),  # D5: done on a day that was not required
        ("missed", None, 0),
    ],
)
def test_intensity(state: str, ratio: float | None, level: int) -> None:
    assert heatmap.intensity(state, ratio) == level
