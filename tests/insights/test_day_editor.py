"""The day editor (issue 13, bug 1) and the habit page's list by D5 outcome (bug 2).

The clock stands at Sat 2026-11-21 12:00 UTC (tests/insights/conftest.py). Habits are
created through the API (one call each); their days through the habit service the API's
entry routes use (`seed`), so no test depends on many HTTP calls.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import date
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.habits import service as habit_service
from habitus.models import Entry, Event, User
from tests.fixtures.personas import Persona
from tests.fixtures.web import form_csrf_token, web_login
from tests.habits.helpers import create_habit

_CELL = re.compile(r'data-date="(\d{4}-\d{2}-\d{2})" data-state="([a-z0-9_]+)"')
_ROW = re.compile(r'data-day="(\d{4}-\d{2}-\d{2})" data-outcome="([a-z0-9_]+)"')


async def seed(
    session: AsyncSession,
    persona: Persona,
    habit_id: str,
    days: dict[str, tuple[str, float | None]],
    notes: dict[str, str] | None = None,
) -> None:
    """Writes each day's (status, value) through the API's service, then commits."""
    user = await session.get(User, persona.id)
    assert user is not None
    for day, (status, value) in days.items():
        await habit_service.set_entry(
            session,
            user,
            uuid.UUID(habit_id),
            day=date.fromisoformat(day),
            status=status,
            value=value,
            note=(notes or {}).get(day),
            source="test",
        )
    await session.commit()


async def entry_of(session: AsyncSession, habit_id: str, day: str) -> Entry | None:
    session.expire_all()
    found: Entry | None = await session.scalar(
        select(Entry).where(
            Entry.habit_id == uuid.UUID(habit_id), Entry.local_date == date.fromisoformat(day)
        )
    )
    return found


def list_states(page: str) -> dict[str, str]:
    """{date: state} of the habit page's history list."""
    history = page[page.index('id="history"') :]
    return dict(_ROW.findall(history))


def calendar_states(page: str) -> dict[str, str]:
    calendar = page[page.index('id="calendar"') : page.index('id="history"')]
    return dict(_CELL.findall(calendar))


async def editor_form(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return form_csrf_token(page.text)


async def test_day_editor_saves_status_amount_and_note_through_the_service(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """D4.1/D4.3: a day inside the backfill window is set (status, amount, note) through
    the API's service, so its events fire (entry_logged); the page then shows it."""
    habit = await create_habit(
        client,
        alice,
        name="Water",
        kind="measurable",
        target={"value": 8, "unit": "glasses", "direction": "at_least"},
        start_date="2026-11-01",
    )
    await web_login(client, alice.email, alice.password)
    path = f"/habits/{habit['id']}/days/2026-11-20"
    token = await editor_form(client, path)
    saved = await client.post(
        path, data={"csrf_token": token, "status": "done", "amount": "5", "note": "Hot day"}
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/habits/{habit['id']}?month=2026-11#calendar"
    entry = await entry_of(db_session, habit["id"], "2026-11-20")
    assert entry is not None
    assert (entry.status, entry.value, entry.note, entry.source) == ("done", 5.0, "Hot day", "web")
    kinds = [
        event.kind
        for event in await db_session.scalars(select(Event).where(Event.user_id == alice.id))
    ]
    assert "habit_logged" in kinds

    page = (await client.get(f"/habits/{habit['id']}")).text
    # D5: 5 of 8 is not met, in the list and on the calendar alike.
    assert list_states(page)["2026-11-20"] == calendar_states(page)["2026-11-20"] == "missed"
    assert "5 / 8 glasses" in page
    assert "Not met" in page
    assert "Hot day" in page

    # Clearing the day removes the entry (the API's DELETE).
    token = await editor_form(client, path)
    cleared = await client.post(path, data={"csrf_token": token, "status": "none", "note": ""})
    assert cleared.status_code == 303
    assert await entry_of(db_session, habit["id"], "2026-11-20") is None


async def test_day_outside_the_backfill_window_or_in_the_future_is_refused(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """D4.3: outside the window (default 2 days) and in the future the editor answers
    422 with the window in plain words, and nothing is written."""
    habit = await create_habit(client, alice, name="Read", start_date="2026-11-01")
    await web_login(client, alice.email, alice.password)
    token = await editor_form(client, f"/habits/{habit['id']}/days/2026-11-21")

    old = f"/habits/{habit['id']}/days/2026-11-10"
    shown = await client.get(old)
    assert shown.status_code == 200
    assert "outside the habit&#39;s backfill window of 2 days" in shown.text
    assert "from Thu 19 Nov to today" in shown.text
    assert 'name="status"' not in shown.text
    refused = await client.post(old, data={"csrf_token": token, "status": "done"})
    assert refused.status_code == 422
    assert "backfill window" in refused.text
    assert await entry_of(db_session, habit["id"], "2026-11-10") is None

    future = await client.post(
        f"/habits/{habit['id']}/days/2026-11-22", data={"csrf_token": token, "status": "done"}
    )
    assert future.status_code == 422
    assert "has not happened yet" in future.text
    assert await entry_of(db_session, habit["id"], "2026-11-22") is None


async def test_day_editor_names_each_bad_field(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Bad input: every field's problem at once, in plain words, 422, nothing written."""
    habit = await create_habit(
        client,
        alice,
        name="Water",
        kind="measurable",
        target={"value": 8, "unit": "glasses", "direction": "at_least"},
        start_date="2026-11-01",
    )
    await web_login(client, alice.email, alice.password)
    path = f"/habits/{habit['id']}/days/2026-11-21"
    token = await editor_form(client, path)
    answer = await client.post(
        path,
        data={"csrf_token": token, "status": "maybe", "amount": "lots", "note": "x" * 1001},
    )
    assert answer.status_code == 422
    html = answer.text
    assert 'id="status-error"' in html
    assert "Choose one of: Logged an amount, Skipped, Nothing logged." in html
    assert 'id="amount-error"' in html
    assert "Enter a number, like 5 or 2.5." in html
    assert 'id="note-error"' in html
    assert "Keep the note to 1000 characters (it has 1001)." in html
    missing = await client.post(path, data={"csrf_token": token, "status": "done", "amount": ""})
    assert missing.status_code == 422
    assert "Enter the amount for this day." in missing.text
    assert await entry_of(db_session, habit["id"], "2026-11-21") is None


async def test_day_editor_is_owner_only_checks_csrf_and_rejects_bad_dates(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona, db_session: AsyncSession
) -> None:
    """Another user's habit is a 404 (read and write), a malformed date is a 404, and a
    POST without the CSRF token is refused."""
    habit = await create_habit(client, alice, name="Read", start_date="2026-11-01")
    await web_login(client, charlie.email, charlie.password)
    token = await editor_form(client, "/history")
    path = f"/habits/{habit['id']}/days/2026-11-21"
    assert (await client.get(path)).status_code == 404
    stolen = await client.post(path, data={"csrf_token": token, "status": "done"})
    assert stolen.status_code == 404
    assert await entry_of(db_session, habit["id"], "2026-11-21") is None

    client.cookies.clear()
    await web_login(client, alice.email, alice.password)
    assert (await client.get(f"/habits/{habit['id']}/days/2026-13-40")).status_code == 404
    assert (await client.get(f"/habits/{habit['id']}/days/yesterday")).status_code == 404
    no_token = await client.post(path, data={"status": "done"})
    assert no_token.status_code in (400, 403)
    assert await entry_of(db_session, habit["id"], "2026-11-21") is None


async def test_htmx_editor_is_a_fragment_and_saving_reloads_the_page(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """The calendar's dialog: htmx gets the editor alone, a 422 fragment for errors, and
    an HX-Redirect back to the month after a save (History's days return to History)."""
    habit = await create_habit(client, alice, name="Read", start_date="2026-11-01")
    await web_login(client, alice.email, alice.password)
    path = f"/habits/{habit['id']}/days/2026-11-21?origin=history"
    fragment = await client.get(path, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'id="day-dialog-heading"' in fragment.text
    token = form_csrf_token(fragment.text)
    saved = await client.post(
        path,
        data={"csrf_token": token, "status": "done", "note": "Two chapters"},
        headers={"HX-Request": "true"},
    )
    assert saved.status_code == 200
    assert saved.headers["HX-Redirect"] == "/history?month=2026-11#calendar"
    entry = await entry_of(db_session, habit["id"], "2026-11-21")
    assert entry is not None
    assert (entry.status, entry.note) == ("done", "Two chapters")


async def test_list_and_calendar_agree_on_every_outcome(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """D5 (issue 13 bug 2): a measurable day short of its target is "not met" in the list
    (not "Done"), met days are done, a skip is skipped, and list and calendar agree on
    every day; a quit habit's slip reads "Slipped" and is counted for the month."""
    water = await create_habit(
        client,
        alice,
        name="Water",
        kind="measurable",
        target={"value": 8, "unit": "glasses", "direction": "at_least"},
        start_date="2026-11-01",
        backfill_days=None,
    )
    days: dict[str, tuple[str, float | None]] = {
        "2026-11-15": ("done", 5.0),
        "2026-11-16": ("done", 8.0),
        "2026-11-17": ("skipped", None),
        "2026-11-18": ("failed", 2.0),
        "2026-11-19": ("done", 12.0),
        "2026-11-21": ("done", 3.0),
    }
    await seed(db_session, alice, water["id"], days)
    smoking = await create_habit(
        client,
        alice,
        name="No smoking",
        polarity="quit",
        start_date="2026-11-01",
        backfill_days=None,
    )
    await seed(
        db_session,
        alice,
        smoking["id"],
        {"2026-11-10": ("failed", None), "2026-11-12": ("failed", None)},
    )
    await web_login(client, alice.email, alice.password)

    page = (await client.get(f"/habits/{water['id']}")).text
    listed, shown = list_states(page), calendar_states(page)
    assert listed == {day: shown[day] for day in listed}
    assert listed == {
        "2026-11-15": "missed",
        "2026-11-16": "done",
        "2026-11-17": "skipped",
        "2026-11-18": "missed",
        "2026-11-19": "done",
        "2026-11-21": "pending",
    }
    history = page[page.index('id="history"') :]
    assert "✓ Done" not in history
    assert "5 / 8 glasses" in history
    assert "Not met" in history
    assert "Target met" in history
    # Amounts in the calendar cells, and the amounts chart's data island with its target.
    assert '<span class="cal-amount" aria-hidden="true">5/8</span>' in page
    assert '<script type="application/json" id="amounts-data">' in page
    assert '"target": 8.0' in page

    quit_page = (await client.get(f"/habits/{smoking['id']}")).text
    assert list_states(quit_page)["2026-11-10"] == "missed"
    assert "Slipped" in quit_page
    assert "2 slips in November 2026." in quit_page


async def test_history_day_lists_each_habit_and_opens_its_editor(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona, db_session: AsyncSession
) -> None:
    """History days open the day: each habit's state (D5) and note, linking to the day
    editor; a day to come or a malformed one is a 404; another user sees only theirs."""
    habit = await create_habit(client, alice, name="Read", start_date="2026-11-01")
    await seed(
        db_session, alice, habit["id"], {"2026-11-20": ("done", None)}, {"2026-11-20": "Ch. 4"}
    )
    await web_login(client, alice.email, alice.password)
    history = (await client.get("/history")).text
    assert 'href="/history/days/2026-11-20"' in history
    day = await client.get("/history/days/2026-11-20")
    assert day.status_code == 200
    assert f'href="/habits/{habit["id"]}/days/2026-11-20?origin=history"' in day.text
    assert "Ch. 4" in day.text
    assert (await client.get("/history/days/2026-11-22")).status_code == 404
    assert (await client.get("/history/days/nope")).status_code == 404
    client.cookies.clear()
    await web_login(client, charlie.email, charlie.password)
    assert "Ch. 4" not in (await client.get("/history/days/2026-11-20")).text


async def test_breaks_are_marked_on_history(client: httpx.AsyncClient, alice: Persona) -> None:
    """D3.2: a day in a break is marked on History (a ‖ and the words), as it is on the
    habit's calendar."""
    habit = await create_habit(client, alice, name="Read", start_date="2026-11-01")
    answer = await client.post(
        "/api/v1/breaks",
        json={"start_date": "2026-11-13", "end_date": "2026-11-14"},
        headers={**alice.headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert answer.status_code == 201, answer.text
    await web_login(client, alice.email, alice.password)
    history = (await client.get("/history")).text
    cell = history[
        history.index('data-date="2026-11-13"') - 200 : history.index('data-date="2026-11-14"')
    ]
    assert 'data-break="true"' in cell
    assert "a break for every habit" in cell
    calendar = (await client.get(f"/habits/{habit['id']}")).text
    assert calendar_states(calendar)["2026-11-13"] == "break"


async def test_charts_reach_back_to_the_first_year(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 13 "chart ranges": a habit started years ago offers each year since; the
    strength chart and the heatmap of a past year show that year, not a flat line."""
    habit = await create_habit(
        client, alice, name="Run", start_date="2024-03-01", backfill_days=None
    )
    await seed(
        db_session,
        alice,
        habit["id"],
        {f"2024-06-{day:02d}": ("done", None) for day in range(1, 29)},
    )
    await web_login(client, alice.email, alice.password)
    page = (await client.get(f"/habits/{habit['id']}")).text
    for year in (2024, 2025, 2026):
        assert f'href="/habits/{habit["id"]}?year={year}#range"' in page
    past = await client.get(f"/habits/{habit['id']}", params={"year": "2024"})
    assert past.status_code == 200
    html = past.text
    assert "Habit strength in 2024" in html
    assert "The year 2024" in html
    assert "<title>Sat 15 Jun 2024: done</title>" in html
    data = re.search(r'id="score-data">(.*?)</script>', html)
    assert data is not None
    values: list[Any] = json.loads(data[1])["values"]
    assert max(values) > 20  # the June run shows as a rise, not a flat line
    bad = await client.get(f"/habits/{habit['id']}", params={"year": "20x4"})
    assert bad.status_code == 422
