"""The habit page and the History page, server side (issue 4 "Habit page", "History").

Histories are built through the API with past days (backfill_days null) while the clock
stands at Sat 2026-11-21 12:00 UTC; the pages are read with a browser's session cookie.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import time_machine
from sqlalchemy import event

from tests.fixtures.personas import Persona
from tests.fixtures.web import web_login
from tests.habits.helpers import (
    API,
    create_habit,
    entry_put,
    patch_habit,
    patch_me,
    stats_of,
    travel,
)

_CELL = re.compile(r'data-date="(\d{4}-\d{2}-\d{2})" data-state="([a-z0-9_]+)"')
_TITLE = re.compile(r'title="([^"]*)" data-date="(\d{4}-\d{2}-\d{2})"')


def cells(page: str) -> dict[str, str]:
    """{date: state} of the month calendar."""
    return dict(_CELL.findall(page))


def titles(page: str) -> dict[str, str]:
    return {day: title for title, day in _TITLE.findall(page)}


def text_of(page: str, element_id: str) -> str:
    """The text inside the element with this id (tags dropped, spaces squeezed)."""
    start = page.index(f'id="{element_id}"')
    end = page.index("</article>", start)
    return " ".join(re.sub(r"<[^>]+>", " ", page[page.index(">", start) + 1 : end]).split())


@contextmanager
def counting(app: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def days(first: str, last: str) -> list[str]:
    start, stop = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=n)).isoformat() for n in range((stop - start).days + 1)]


async def reading_habit(client: httpx.AsyncClient, alice: Persona) -> dict[str, Any]:
    """Daily since Mon 26 Oct: done to Tue 10 Nov (16 days), Wed 11 Nov missed, Thu 12
    skipped, a break on 13-14 Nov, done from Sun 15 Nov to today (7 days)."""
    habit = await create_habit(
        client, alice, name="Read", start_date="2026-10-26", backfill_days=None, color="#0ea5e9"
    )
    for day in [*days("2026-10-26", "2026-11-10"), *days("2026-11-15", "2026-11-21")]:
        note = "Finished the novel" if day == "2026-11-20" else None
        await entry_put(client, alice, habit["id"], day, status="done", note=note)
    await entry_put(client, alice, habit["id"], "2026-11-12", status="skipped")
    answer = await client.post(
        f"{API}/breaks",
        json={"start_date": "2026-11-13", "end_date": "2026-11-14", "habit_id": habit["id"]},
        headers={**alice.headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert answer.status_code == 201, answer.text
    return habit


async def test_habit_page_shows_streaks_score_rate_and_calendar(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 4 Habit page: current and longest streak with dates (D7.2: the skip and the
    break are transparent, the missed day stops it), completion rate (D8.1), score as
    the API reports it (D8.2), and a calendar of outcomes (D5, D3.2 break, D3.3 skip)."""
    habit = await reading_habit(client, alice)
    await web_login(client, alice.email, alice.password)
    page = await client.get(f"/habits/{habit['id']}")
    assert page.status_code == 200, page.text
    html = page.text

    assert text_of(html, "stat-current") == "Current streak 7 days since Sun 15 Nov"
    assert text_of(html, "stat-longest") == "Longest streak 16 days Mon 26 Oct to Tue 10 Nov"
    rate = text_of(html, "stat-rate")
    assert "96% last 30 days (23 of 24)" in rate
    assert "All time: 96% (23 of 24)" in rate
    stats = await stats_of(client, alice, habit["id"])
    assert f"{round(stats['score'] * 100)}%" in text_of(html, "stat-score")
    assert stats["current_streak"] == 7
    assert stats["longest_streak"] == 16

    month = cells(html)
    assert month["2026-11-01"] == "done"
    assert month["2026-11-11"] == "missed"
    assert month["2026-11-12"] == "skipped"
    assert month["2026-11-13"] == month["2026-11-14"] == "break"
    assert month["2026-11-21"] == "done"
    assert month["2026-11-22"] == "future"
    assert titles(html)["2026-11-11"] == "Wed 11 Nov: missed"
    assert "Every day" in html
    assert 'href="/habits/{}/edit"'.format(habit["id"]) in html
    assert "Check in on Today" in html
    # The heatmap: one tooltip per day up to today, and the score chart's data island.
    assert "<title>Sat 21 Nov: done</title>" in html
    assert "<title>Wed 11 Nov: missed</title>" in html
    assert '<script type="application/json" id="score-data">' in html
    # History with notes, newest first.
    history = html[html.index('id="history"') :]
    assert history.index("Sat 21 Nov") < history.index("Fri 20 Nov")
    assert "Finished the novel" in history


async def test_month_navigation(client: httpx.AsyncClient, alice: Persona) -> None:
    """Issue 4: month navigation (?month=2026-10), back to the habit's first month and no
    further than this month; days before the start are shown as such (D2.3)."""
    habit = await reading_habit(client, alice)
    await web_login(client, alice.email, alice.password)
    path = f"/habits/{habit['id']}"
    november = (await client.get(path)).text
    assert f'href="{path}?month=2026-10#calendar" rel="prev"' in november
    assert 'rel="next"' not in november

    october = await client.get(path, params={"month": "2026-10"})
    assert october.status_code == 200
    month = cells(october.text)
    assert "October 2026" in october.text
    assert month["2026-10-25"] == "before_start"
    assert month["2026-10-26"] == "done"
    assert "2026-11-01" not in month
    assert 'rel="prev"' not in october.text
    assert f'href="{path}?month=2026-11#calendar" rel="next"' in october.text

    earlier = await client.get(path, params={"month": "2020-02"})
    assert earlier.status_code == 200
    assert set(cells(earlier.text).values()) == {"before_start"}

    bad = await client.get(path, params={"month": "2026-13"})
    assert bad.status_code == 422
    assert "month" in bad.text


async def test_week_start_orders_the_calendar(client: httpx.AsyncClient, alice: Persona) -> None:
    """D3.1: the calendar's weeks start on the user's week start."""
    habit = await reading_habit(client, alice)
    await patch_me(client, alice, week_start="sun")
    await web_login(client, alice.email, alice.password)
    html = (await client.get(f"/habits/{habit['id']}")).text
    calendar = html[html.index('id="calendar"') :]
    headers = re.findall(r'<abbr title="(\w+)">', calendar)
    assert headers[:2] == ["Sunday", "Monday"]
    # Sunday 1 November opens the first week: no empty cell before it.
    first_row = calendar[
        calendar.index("<tbody>") : calendar.index("</tr>", calendar.index("<tbody>"))
    ]
    assert "cal-empty" not in first_row


async def test_history_pages_through_older_entries(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 4: history with notes, a page at a time ("Older entries")."""
    habit = await reading_habit(client, alice)
    await web_login(client, alice.email, alice.password)
    html = (await client.get(f"/habits/{habit['id']}")).text
    more = re.search(r'href="(/habits/[^"?]+\?before=([0-9-]+))#history"', html)
    assert more is not None
    older = (await client.get(more[1])).text
    history = older[older.index('id="history"') :]
    listed = re.findall(r'<time datetime="([0-9-]+)">', history)
    assert listed
    assert all(day < more[2] for day in listed)
    assert "Newest entries" in history


async def test_another_users_habit_is_not_found(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """Access control in the query: charlie gets a 404 page for alice's habit, as for an
    id that does not exist."""
    habit = await reading_habit(client, alice)
    await web_login(client, charlie.email, charlie.password)
    for habit_id in (habit["id"], str(uuid.uuid4())):
        answer = await client.get(f"/habits/{habit_id}")
        assert answer.status_code == 404
        assert "text/html" in answer.headers["content-type"]
        assert "Read" not in re.sub(r"<[^>]+>", "", answer.text.split("<main", 1)[1])


async def test_signed_out_visitor_is_sent_to_sign_in(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    habit = await reading_habit(client, alice)
    for path in (f"/habits/{habit['id']}", "/history"):
        answer = await client.get(path, headers={"accept": "text/html"})
        assert answer.status_code in (303, 307), answer.text
        assert answer.headers["location"].startswith("/login")


async def test_archived_habit_is_still_viewable(client: httpx.AsyncClient, alice: Persona) -> None:
    """D2.4: an archived habit keeps its history; its page says it is archived."""
    habit = await reading_habit(client, alice)
    assert (await patch_habit(client, alice, habit["id"], archived=True)).status_code == 200
    await web_login(client, alice.email, alice.password)
    html = (await client.get(f"/habits/{habit['id']}")).text
    assert 'id="archived-badge"' in html
    assert "Check in on Today" not in html
    assert cells(html)["2026-11-11"] == "missed"


async def four_habits(client: httpx.AsyncClient, alice: Persona, count: int = 4) -> list[str]:
    """`count` daily habits from 1 Nov: all done on Thu 19 Nov, all but the last on Fri
    20 Nov, none on the other days."""
    ids = []
    for n in range(count):
        habit = await create_habit(
            client, alice, name=f"Habit {n}", start_date="2026-11-01", backfill_days=None
        )
        ids.append(habit["id"])
        await entry_put(client, alice, habit["id"], "2026-11-19", status="done")
        if n < count - 1:
            await entry_put(client, alice, habit["id"], "2026-11-20", status="done")
    return ids


async def test_history_month_shares_and_a_gold_perfect_day(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 4 History: each day shows the share of required habits completed as
    "3 of 4 (75%)", a perfect day is gold, future days are neutral; a per-habit table
    gives done, required and rate for the month (D8.1)."""
    ids = await four_habits(client, alice)
    await web_login(client, alice.email, alice.password)
    page = await client.get("/history")
    assert page.status_code == 200, page.text
    html = page.text
    month = cells(html)
    said = titles(html)
    assert said["2026-11-20"] == "Fri 20 Nov: 3 of 4 (75%)"
    assert month["2026-11-20"] == "s3"
    assert said["2026-11-19"] == "Thu 19 Nov: 4 of 4 (100%), a perfect day"
    assert month["2026-11-19"] == "perfect"
    assert said["2026-11-18"] == "Wed 18 Nov: 0 of 4 (0%)"
    assert month["2026-11-22"] == "future"
    assert said["2026-11-22"] == "Sun 22 Nov: Upcoming"
    # The same words are in the cell for screen readers.
    assert '<span class="visually-hidden">Fri 20 Nov: 3 of 4 (75%)</span>' in html

    row = html[html.index(f'id="month-row-{ids[0]}">') + len(f'id="month-row-{ids[0]}">') :]
    row = " ".join(re.sub(r"<[^>]+>", " ", row[: row.index("</tr>")]).split())
    # 21 required days so far (today still open), 2 done, 2 of 20 decided.
    assert row.startswith("Habit 0 2 21 days")
    assert row.endswith("10%")

    october = await client.get("/history", params={"month": "2026-10"})
    assert set(cells(october.text).values()) == {"none"}
    assert 'href="/history?month=2026-11#calendar" rel="next"' in october.text


async def test_pages_cost_a_bounded_number_of_queries(
    client: httpx.AsyncClient, app: Any, alice: Persona
) -> None:
    """Issue 4 speed: the habit page reads the same number of statements for 27 days of
    history as for 400; History the same for 2 habits as for 8 (never one per day)."""
    await web_login(client, alice.email, alice.password)
    young = await reading_habit(client, alice)
    old = await create_habit(client, alice, name="Old", start_date="2025-10-17", backfill_days=None)
    for n in range(0, 400, 3):
        day = (date(2025, 10, 17) + timedelta(days=n)).isoformat()
        await entry_put(client, alice, old["id"], day, status="done", note=f"day {n}")

    counts = []
    for habit in (young, old):
        with counting(app) as statements:
            answer = await client.get(f"/habits/{habit['id']}")
        assert answer.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
    assert counts[0] <= 9, counts  # 8, and the chat badge (issue 16)

    history_counts = []
    for extra in (0, 6):
        if extra:
            await four_habits(client, alice, extra)
        with counting(app) as statements:
            answer = await client.get("/history")
        assert answer.status_code == 200
        history_counts.append(len(statements))
    assert history_counts[0] == history_counts[1]
    assert history_counts[0] <= 8, history_counts  # 7, and the chat badge


async def test_every_kind_of_habit_renders(client: httpx.AsyncClient, alice: Persona) -> None:
    """D3 schedules (a weekly count has no required day, D6), measurable and quit habits
    (D2.1, D2.2), and a habit that starts later (D2.3) all have a page, and History
    counts a periodic habit in its table, never in a day's share."""
    made = [
        await create_habit(
            client,
            alice,
            name="Gym",
            schedule={"type": "times_per_period", "times": 3, "period": "week"},
            start_date="2026-10-01",
            backfill_days=None,
        ),
        await create_habit(
            client,
            alice,
            name="Water",
            kind="measurable",
            target={"value": 2, "unit": "L"},
            start_date="2026-11-01",
            backfill_days=None,
        ),
        await create_habit(
            client,
            alice,
            name="No sugar",
            polarity="quit",
            schedule={"type": "weekdays", "days": ["mon", "wed", "fri"]},
            start_date="2026-11-01",
            backfill_days=None,
        ),
        await create_habit(client, alice, name="Later", start_date="2026-12-05"),
    ]
    await entry_put(client, alice, made[0]["id"], "2026-11-16", status="done")
    await entry_put(client, alice, made[1]["id"], "2026-11-20", status="done", value=3.5)
    await entry_put(client, alice, made[2]["id"], "2026-11-18", status="failed", note="cake")
    await web_login(client, alice.email, alice.password)
    pages = {}
    for habit in made:
        answer = await client.get(f"/habits/{habit['id']}")
        assert answer.status_code == 200, answer.text
        pages[habit["name"]] = answer.text
    assert cells(pages["Gym"])["2026-11-16"] == "done"
    assert cells(pages["Gym"])["2026-11-17"] == "not_required"
    assert titles(pages["Water"])["2026-11-20"] == "Fri 20 Nov: done, 3.5 L"
    assert cells(pages["No sugar"])["2026-11-18"] == "missed"
    assert cells(pages["No sugar"])["2026-11-16"] == "done"
    assert set(cells(pages["Later"]).values()) <= {"before_start", "future"}
    assert "The chart starts on the habit's first day." in pages["Later"]

    history = (await client.get("/history")).text
    # Fri 20 Nov: Water done, No sugar (Mon/Wed/Fri, clean) done; Gym has no day.
    assert titles(history)["2026-11-20"] == "Fri 20 Nov: 2 of 2 (100%), a perfect day"
    gym = history[history.index(f'id="month-row-{made[0]["id"]}">') :]
    assert "week" in gym[: gym.index("</tr>")]


async def test_best_times_count_complete_break_days_but_never_skipped_ones(
    client: httpx.AsyncClient, alice: Persona, frozen_clock: time_machine.Coordinates
) -> None:
    """D8.3: best times come from complete days only (D4.2). A day done inside a break is
    complete, an extra (D3.2, D5), so it counts; a skipped day (D3.3) never does. The
    habit page agrees with the API's stats. (Timeline codes: a skip is `S_SKIPPED` in
    `status`, a break `B_BREAK` in `blocked`; both are 2, which this test tells apart.)"""
    await travel(frozen_clock, client, alice, datetime(2026, 11, 9, 8, 0, tzinfo=UTC))
    habit = await create_habit(client, alice, start_date="2026-11-09", backfill_days=None)
    answer = await client.post(
        f"{API}/breaks",
        json={"start_date": "2026-11-11", "end_date": "2026-11-12", "habit_id": habit["id"]},
        headers={**alice.headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert answer.status_code == 201, answer.text
    logged = [
        ("2026-11-09", "done", 8),  # Mon 08:00, a required day
        ("2026-11-11", "done", 21),  # Wed 21:00, in the break
        ("2026-11-12", "done", 21),  # Thu 21:00, in the break
        ("2026-11-13", "skipped", 9),
        ("2026-11-14", "skipped", 9),
        ("2026-11-15", "skipped", 9),
    ]
    for day, status, hour in logged:
        when = datetime.combine(date.fromisoformat(day), time(hour), tzinfo=UTC)
        await travel(frozen_clock, client, alice, when)
        await entry_put(client, alice, habit["id"], day, status=status)
    await travel(frozen_clock, client, alice, datetime(2026, 11, 21, 12, 0, tzinfo=UTC))

    stats = await stats_of(client, alice, habit["id"])
    assert (stats["best_weekday"], stats["best_hour"]) == ("mon", 21)
    await web_login(client, alice.email, alice.password)
    page = await client.get(f"/habits/{habit['id']}")
    assert page.status_code == 200, page.text
    assert "Mondays" in page.text
    assert "usually 21:00" in page.text
