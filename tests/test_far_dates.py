"""Issue 11 item 7: dates at the edges of the calendar are a 422 naming the field, never
a 500. Every date the API accepts lies in 1900-01-01..2199-12-31 (the range habits
already had), so date arithmetic (a week's end, a month after a window, the day after a
break) never leaves Python's date range."""

from __future__ import annotations

import pytest

from tests.habits.helpers import API, PROBLEM_JSON, create_habit


def _names_field(response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    fields = [error["field"] for error in response.json()["errors"]]
    assert field in fields, response.json()


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/reports/weekly?week=9999-W52", "week"),
        ("/reports/weekly?week=0001-W01", "week"),
        ("/reports/monthly?month=9999-12", "month"),
        ("/reports/monthly?month=0001-01", "month"),
        ("/reports/yearly?year=2201", "year"),
        ("/heatmap?from=9999-12-25&to=9999-12-31", "from"),
        ("/heatmap?from=0001-01-01&to=0001-01-07", "from"),
        ("/stats?from=9999-12-01&to=9999-12-31", "from"),
        ("/export/entries.csv?from=9999-12-25&to=9999-12-31", "from"),
    ],
)
async def test_reads_refuse_far_dates(client, alice, path, field):
    """Issue 11 item 7: the reads that answered 500 for year 9999."""
    response = await client.get(API + path, headers=alice.headers)
    _names_field(response, field)


async def test_habit_reads_refuse_far_dates(client, alice):
    """Issue 11 item 7 (D4.3): per-habit windows too."""
    habit = await create_habit(client, alice)
    for path in ("entries", "days", "stats"):
        response = await client.get(
            f"{API}/habits/{habit['id']}/{path}?from=9999-12-25&to=9999-12-31",
            headers=alice.headers,
        )
        _names_field(response, "from")


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [("9999-12-30", "9999-12-31", "start_date"), ("2026-01-01", "9999-12-31", "end_date")],
)
async def test_breaks_refuse_far_dates_and_the_calendar_keeps_working(
    client, alice, start, end, field
):
    """Issue 11 item 7 (D3.2): a break at 9999-12-30..31 used to be stored and then made
    the schedule calendar 500 until it was removed."""
    await create_habit(client, alice)
    response = await client.post(
        f"{API}/breaks", json={"start_date": start, "end_date": end}, headers=alice.headers
    )
    _names_field(response, field)
    calendar = await client.get(f"{API}/export/calendar.ics?kind=schedule", headers=alice.headers)
    assert calendar.status_code == 200


async def test_a_break_at_the_last_supported_day_exports(client, alice):
    """Issue 11 item 7: the edge itself is fine: 2199-12-31 is accepted and exports."""
    await create_habit(client, alice)
    response = await client.post(
        f"{API}/breaks",
        json={"start_date": "2199-12-30", "end_date": "2199-12-31"},
        headers=alice.headers,
    )
    assert response.status_code == 201, response.text
    calendar = await client.get(f"{API}/export/calendar.ics?kind=schedule", headers=alice.headers)
    assert calendar.status_code == 200, calendar.text
