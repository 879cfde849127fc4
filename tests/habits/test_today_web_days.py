"""Issue 13 on the Today page, through its web routes (the clock is frozen at Sat
2026-11-21, tests/habits/conftest.py): the week strip's day route, notes, exact amounts,
quit habits in the ring, weekly targets explained and the view options."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from habitus.models import Entry, Event
from tests.fixtures.personas import Persona
from tests.fixtures.web import browser, meta_csrf_token, web_login
from tests.habits.helpers import API, checked_in, create_habit, entry_put, put_entry
from tests.today.test_web import Web, text_of

START = "2026-11-01"


@pytest.fixture
async def web(client: httpx.AsyncClient, alice: Persona) -> AsyncIterator[Web]:
    """Alice's browser, signed in through /login, with the page's CSRF token."""
    async with browser(client) as other:
        await web_login(other, alice.email, alice.password)
        page = await other.get("/today")
        yield Web(other, meta_csrf_token(page.text))


async def entries_of(db_session, habit_id: str) -> dict[str, tuple[str, float | None, str | None]]:
    await db_session.rollback()
    rows = await db_session.scalars(select(Entry).where(Entry.habit_id == uuid.UUID(habit_id)))
    found = {row.local_date.isoformat(): (row.status, row.value, row.note) for row in rows}
    await db_session.commit()
    return found


def card_html(page: str, habit_id: str) -> str:
    """The raw markup of one card (up to its closing tag)."""
    start = page.index(f'id="habit-{habit_id}"')
    return page[start : page.index("</li>", start)]


async def tap_day(web: Web, habit_id: str, day: str, status: str):
    return await web.tap(habit_id, f"days/{day}", status=status)


# --- the week strip (D4.3) ------------------------------------------------------------------


async def test_the_strip_shows_seven_days_and_a_tap_cycles_a_past_day(
    client, alice, web, db_session
):
    """D4.3, issue 13 bug 1: inside the backfill window a tap sets done, then skipped,
    then clears the day, through the entries service (its events fire)."""
    read = await create_habit(client, alice, name="Read", start_date=START)
    page = await web.page()
    card = card_html(page, read["id"])
    assert len(re.findall(r'class="day is-', card)) == 7
    assert 'aria-label="Friday 20 November: missed; tap to mark done"' in page
    assert 'aria-label="Today: to do"' in page

    response = await tap_day(web, read["id"], "2026-11-20", "done")
    assert response.status_code == 200, response.text
    assert "Friday 20 November: done; tap to mark skipped" in response.text
    assert (await entries_of(db_session, read["id"]))["2026-11-20"][0] == "done"
    # The streak counts the backfilled day (the same write path as the API's PUT).
    assert "1 day" in text_of(response.text, f"habit-{read['id']}")

    await tap_day(web, read["id"], "2026-11-20", "skipped")
    assert (await entries_of(db_session, read["id"]))["2026-11-20"][0] == "skipped"
    response = await tap_day(web, read["id"], "2026-11-20", "clear")
    assert response.status_code == 200
    assert "2026-11-20" not in await entries_of(db_session, read["id"])
    kinds = (await db_session.scalars(select(Event.kind))).all()
    await db_session.commit()
    assert "habit_logged" in kinds
    assert "entry_removed" in kinds


async def test_a_day_outside_the_window_says_the_d43_message_and_writes_nothing(
    client, alice, web, db_session
):
    """D4.3: outside the window the tap only shows the API's 422 message."""
    read = await create_habit(client, alice, name="Read", start_date=START)
    page = await web.page()
    assert "Sunday 15 November: missed (outside the backfill window)" in page
    api = await put_entry(client, alice, read["id"], "2026-11-15", status="done")
    assert api.status_code == 422
    api_message = api.json()["errors"][0]["message"]
    response = await tap_day(web, read["id"], "2026-11-15", "done")
    assert response.status_code == 422
    assert response.headers["hx-retarget"] == "#toasts"
    assert f"Date {api_message}" in response.text
    assert "entries can be changed for 2026-11-19 to 2026-11-21" in response.text
    assert await entries_of(db_session, read["id"]) == {}


async def test_a_measurable_day_from_the_strip_gets_its_target(client, alice, web, db_session):
    """D5: a measurable day marked done from the strip stores the target amount, so it
    is complete; an at-most (slip-counting) habit's first tap records a miss."""
    water = await create_habit(
        client,
        alice,
        name="Water",
        kind="measurable",
        target={"value": 8, "unit": "glasses"},
        start_date=START,
    )
    response = await tap_day(web, water["id"], "2026-11-20", "done")
    assert response.status_code == 200, response.text
    assert (await entries_of(db_session, water["id"]))["2026-11-20"][:2] == ("done", 8.0)
    await create_habit(client, alice, name="No smoking", polarity="quit", start_date=START)
    page = await web.page()
    assert "Friday 20 November: done; tap to record a slip" in page


async def test_the_day_route_checks_status_owner_and_csrf(client, alice, charlie, web, db_session):
    """Bad input is a 422 naming the field; another user's habit is 404; no CSRF, 403."""
    read = await create_habit(client, alice, name="Read", start_date=START)
    response = await tap_day(web, read["id"], "2026-11-20", "sometimes")
    assert response.status_code == 422
    assert "Status must be one of" in response.text
    response = await web.tap(read["id"], "days/2026-13-40", status="done")
    assert response.status_code in (404, 422)
    async with browser(client) as other:
        await web_login(other, charlie.email, charlie.password)
        token = meta_csrf_token((await other.get("/today")).text)
        response = await tap_day(Web(other, token), read["id"], "2026-11-20", "done")
        assert response.status_code == 404
    bare = await web.client.post(
        f"/today/{read['id']}/days/2026-11-20",
        data={"status": "done"},
        headers={"HX-Request": "true"},
    )
    assert bare.status_code == 403
    assert await entries_of(db_session, read["id"]) == {}


async def test_without_script_a_day_tap_redirects_back_to_today(client, alice, web, db_session):
    """The strip is a plain form: without JavaScript the post redirects with a flash."""
    read = await create_habit(client, alice, name="Read", start_date=START)
    response = await web.client.post(
        f"/today/{read['id']}/days/2026-11-20",
        data={"csrf_token": web.token, "status": "done"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/today"
    assert (await entries_of(db_session, read["id"]))["2026-11-20"][0] == "done"


# --- notes (D4.1) ------------------------------------------------------------------------


async def test_a_note_is_offered_after_done_and_saved_on_todays_entry(
    client, alice, web, db_session
):
    """D4.1: after Done the card offers "Add a note"; the note lands on today's entry,
    the status stays; more than 1000 characters is a 422 naming the note."""
    read = await create_habit(client, alice, name="Read")
    page = await web.page()
    assert "Add a note" not in text_of(page, f"habit-{read['id']}")
    response = await web.tap(read["id"], "note", note="too early")
    assert response.status_code == 422
    assert "Note can be added once the day is checked in" in response.text

    response = await web.tap(read["id"], "done")
    assert "Add a note" in text_of(response.text, f"habit-{read['id']}")
    response = await web.tap(read["id"], "note", note="  Chapter 3, on the train ")
    assert response.status_code == 200, response.text
    assert "Chapter 3, on the train" in text_of(response.text, f"habit-{read['id']}")
    assert "Edit note" in response.text
    assert (await entries_of(db_session, read["id"]))["2026-11-21"] == (
        "done",
        None,
        "Chapter 3, on the train",
    )
    response = await web.tap(read["id"], "note", note="x" * 1001)
    assert response.status_code == 422
    assert "Note is too long: at most 1000 characters" in response.text
    assert (await entries_of(db_session, read["id"]))["2026-11-21"][2] == "Chapter 3, on the train"


# --- measurable amounts (D5) --------------------------------------------------------------


async def test_web_amounts_store_exactly_what_the_api_stores(client, alice, web, db_session):
    """D5, issue 13 bug 2: +/- and a typed amount store what the API stores for the same
    amount (5 of 8 glasses: status done with value 5, outcome still pending)."""
    target = {"value": 8, "unit": "glasses"}
    by_web = await create_habit(client, alice, name="Web", kind="measurable", target=target)
    by_api = await create_habit(client, alice, name="Api", kind="measurable", target=target)
    for _ in range(5):
        await web.tap(by_web["id"], "add", amount="1")
    for _ in range(5):
        await checked_in(client, alice, by_api["id"], value=1)
    web_rows, api_rows = (
        await entries_of(db_session, by_web["id"]),
        await entries_of(db_session, by_api["id"]),
    )
    assert web_rows == api_rows == {"2026-11-21": ("done", 5.0, None)}

    response = await web.tap(by_web["id"], "amount", amount="6.5")
    assert response.status_code == 200, response.text
    await entry_put(client, alice, by_api["id"], "2026-11-21", status="done", value=6.5)
    assert await entries_of(db_session, by_web["id"]) == await entries_of(db_session, by_api["id"])
    card = text_of(response.text, f"habit-{by_web['id']}")
    assert "6.5 / 8 glasses" in card
    assert "To do" in card  # D5: short of the target is not done
    today = (await client.get(f"{API}/today", headers=alice.headers)).json()
    assert {item["outcome"] for item in today["items"]} == {"pending"}


@pytest.mark.parametrize("amount", ["", "lots", "-1", "nan", "1e12"])
async def test_a_typed_amount_that_is_not_a_number_is_422(client, alice, web, db_session, amount):
    """Bad input: a clear 422 naming the amount, nothing written."""
    water = await create_habit(client, alice, name="Water", kind="measurable", target={"value": 2})
    response = await web.tap(water["id"], "amount", amount=amount)
    assert response.status_code == 422
    assert "Amount must be a number, 0 or more" in response.text
    assert await entries_of(db_session, water["id"]) == {}


async def test_plus_wording_reads_right_and_skip_stays_until_complete(client, alice, web):
    """Issue 13 bug 10: "Add 1 (glasses)", never "Add 1 glasses"; Skip stays after an
    amount is logged and goes once the day is complete."""
    water = await create_habit(
        client, alice, name="Water", kind="measurable", target={"value": 2, "unit": "glasses"}
    )
    await web.tap(water["id"], "add", amount="0.5")
    response = await web.tap(water["id"], "add", amount="0.5")
    card = text_of(response.text, f"habit-{water['id']}")
    assert "Add 0.5 (glasses): Water" in card
    assert "Take away 0.5 (glasses): Water" in card
    assert "Add 0.5 glasses" not in card
    assert "Skip today: Water" in card
    response = await web.tap(water["id"], "amount", amount="2")
    assert "Skip today: Water" not in text_of(response.text, f"habit-{water['id']}")


# --- quit habits in the ring (D2.2) ------------------------------------------------------


async def test_a_clean_quit_habit_is_on_track_in_the_ring(client, alice, web):
    """D2.2, issue 13 bug 5: a quit habit clean so far counts as on track; a slip makes
    it not, and the card says how many slips today."""
    read = await create_habit(client, alice, name="Read")
    smoke = await create_habit(client, alice, name="No smoking", polarity="quit")
    await web.tap(read["id"], "done")
    page = await web.page()
    assert 'aria-label="2 of 2 habits on track today · 1 clean so far"' in page
    assert "<strong>2</strong><span>of 2</span>" in page
    assert "1 clean so far" in text_of(page, "today-ring-note")
    response = await web.tap(smoke["id"], "slip")
    assert 'aria-label="1 of 2 habits done today"' in response.text
    assert "1 slip today" in text_of(response.text, f"habit-{smoke['id']}")


# --- weekly targets explained (D6.1) -----------------------------------------------------


async def test_weekly_targets_say_pro_rated_or_no_longer_reachable(client, alice, web):
    """D6.1: a habit created on Saturday has a pro-rated target (1 of 3); one that has
    had the whole week with none done cannot reach 3 with 2 days left."""
    weekly = {"type": "times_per_period", "times": 3, "period": "week"}
    fresh = await create_habit(client, alice, name="Gym", schedule=weekly)
    old = await create_habit(client, alice, name="Swim", schedule=weekly, start_date=START)
    page = await web.page()
    fresh_card = text_of(page, f"habit-{fresh['id']}")
    assert "0 of 1 this week" in fresh_card
    assert "Pro-rated: 1 this week instead of 3" in fresh_card
    old_card = text_of(page, f"habit-{old['id']}")
    assert "0 of 3 this week" in old_card
    assert "No longer reachable this week: 2 days left for 3 more" in old_card


# --- view options -------------------------------------------------------------------------


async def test_view_options_are_kept_in_a_cookie(client, alice, web):
    """Issue 13 Compact Today: the compact list, sorted by name, completed hidden; the
    choice stays (cookie) and a bad value is a 422 naming it."""
    zebra = await create_habit(client, alice, name="Zebra")
    apple = await create_habit(client, alice, name="Apple")
    done = await create_habit(client, alice, name="Mango")
    await web.tap(done["id"], "done")
    response = await web.client.get("/today?layout=compact&sort=name&completed=hide")
    assert response.status_code == 200
    assert "habitus_today=compact.name.hide" in response.headers["set-cookie"]
    page = (await web.client.get("/today")).text
    assert 'class="today is-compact"' in page
    assert page.index(f"habit-{apple['id']}") < page.index(f"habit-{zebra['id']}")
    assert f"habit-{done['id']}" not in page
    assert "1 completed habit hidden" in page
    response = await web.client.get("/today?layout=tiny")
    assert response.status_code == 422
    assert "<strong>layout</strong>: must be one of: cards, compact" in response.text
