"""The Today page (issue 4 "Today") and the installable app's files (issue 4 "PWA").

A browser of its own signs in through /login; check-ins are posted as the page's
script sends them: HTMX-style (`HX-Request`), the CSRF token in `X-CSRF-Token`, an
`Idempotency-Key` made at tap time, the form fields without the token.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from habitus.models import Entry
from tests.admin.test_web import element
from tests.fixtures.personas import Persona
from tests.fixtures.web import browser, meta_csrf_token, web_login
from tests.habits.helpers import API, TODAY, create_habit, entry_put, get_habit
from tests.habits.test_queries import counting, without_sign_in

DAY = TODAY.isoformat()


@dataclass
class Web:
    """A signed-in browser and its page's CSRF token."""

    client: httpx.AsyncClient
    token: str

    async def tap(
        self,
        habit_id: object,
        action: str,
        *,
        key: str | None = None,
        with_key: bool = True,
        **fields: Any,
    ) -> httpx.Response:
        headers = {
            "HX-Request": "true",
            "HX-Current-URL": "http://testserver/today",
            "X-CSRF-Token": self.token,
        }
        if with_key:
            headers["Idempotency-Key"] = key or f"tap-{uuid.uuid4()}"
        data = {"date": DAY, **fields}
        return await self.client.post(f"/today/{habit_id}/{action}", data=data, headers=headers)

    async def page(self) -> str:
        response = await self.client.get("/today")
        assert response.status_code == 200, response.text
        return response.text


@pytest.fixture
async def web(client: httpx.AsyncClient, alice: Persona) -> AsyncIterator[Web]:
    async with browser(client) as other:
        await web_login(other, alice.email, alice.password)
        page = await other.get("/today")
        yield Web(other, meta_csrf_token(page.text))


def text_of(html: str, element_id: str) -> str:
    found = element(html, element_id)
    assert found is not None, f"no #{element_id} in the page"
    return found[0]


def attrs_of(html: str, element_id: str) -> dict[str, str | None]:
    found = element(html, element_id)
    assert found is not None, f"no #{element_id} in the page"
    return found[1]


def due_and_later(html: str) -> tuple[str, str]:
    """The page split at the folded "Not due today" section."""
    due, _, later = html.partition('<details class="today-later"')
    return due, later


async def entry_of(db_session, habit_id: str) -> Entry | None:
    await db_session.rollback()
    found: Entry | None = await db_session.scalar(
        select(Entry).where(Entry.habit_id == uuid.UUID(habit_id), Entry.local_date == TODAY)
    )
    await db_session.commit()
    return found


# --- the page ------------------------------------------------------------------------------


async def test_page_greets_and_shows_due_habits_with_ring(client, alice, web):
    """Issue 4 Today: greeting with the date in the user's zone, a ring for the day, every
    habit required today as a card (streak, score); the others folded below."""
    read = await create_habit(client, alice, name="Read", color="#dc2626")
    water = await create_habit(
        client, alice, name="Water", kind="measurable", target={"value": 2, "unit": "L"}
    )
    gym = await create_habit(
        client, alice, name="Gym", schedule={"type": "weekdays", "days": ["mon"]}
    )
    page = await web.page()
    assert "Hello, Alice" in page
    assert "Saturday 21 November" in page
    ring = attrs_of(page, "today-ring")
    assert ring["aria-label"] == "0 of 2 habits done today"
    due, later = due_and_later(page)
    assert f'id="habit-{read["id"]}"' in due
    assert f'id="habit-{water["id"]}"' in due
    assert f'id="habit-{gym["id"]}"' in later
    assert f'id="habit-{gym["id"]}"' not in due
    card = text_of(page, f"habit-{read['id']}")
    assert "No streak yet" in card
    assert "Score 0%" in card
    assert f'href="/habits/{read["id"]}"' in page
    assert 'fill="#dc2626"' in page
    assert "0 / 2 L" in text_of(page, f"habit-{water['id']}")


async def test_empty_state_links_to_a_new_habit(web):
    """Issue 4 Today: with no habit yet the page says so and links to creating one."""
    page = await web.page()
    assert "No habits yet" in page
    assert 'href="/habits/new"' in page
    assert 'id="today-ring"' not in page


async def test_signed_out_visitor_is_sent_to_sign_in(client):
    """Issue 4 pages: Today is for signed-in people (PageUser)."""
    response = await client.get("/today")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/today"


async def test_the_page_in_another_zone_shows_that_zone_s_date(client, web, alice):
    """D1.3: "today" is the user's local day: at 12:00 UTC it is already Sunday in Tokyo+13."""
    response = await client.patch(
        f"{API}/me", json={"timezone": "Pacific/Kiritimati"}, headers=alice.headers
    )
    assert response.status_code == 200
    page = await web.page()
    assert "Sunday 22 November" in page


# --- check-ins in place ------------------------------------------------------------------------


async def test_done_updates_the_card_and_ring_then_undo(client, alice, web, db_session):
    """Issue 4 Today: one-tap done updates the card and the ring in place; undo removes it
    (API.md check-in and DELETE entry, through the same services)."""
    read = await create_habit(client, alice, name="Read")
    await create_habit(client, alice, name="Walk")
    response = await web.tap(read["id"], "done")
    assert response.status_code == 200, response.text
    html = response.text
    card = text_of(html, f"habit-{read['id']}")
    assert "Done today" in card
    assert "1 day" in card
    assert "Undo" in card
    assert 'hx-swap-oob="true"' in html
    assert attrs_of(html, "today-ring")["aria-label"] == "1 of 2 habits done today"
    assert "Read: done. 1 of 2 habits done today." in text_of(html, "today-status")
    habit = await get_habit(client, alice, read["id"])
    assert habit["today"]["status"] == "done"
    assert habit["streak"]["current"] == 1

    undone = await web.tap(read["id"], "undo")
    assert undone.status_code == 200, undone.text
    assert "Done today" not in text_of(undone.text, f"habit-{read['id']}")
    assert attrs_of(undone.text, "today-ring")["aria-label"] == "0 of 2 habits done today"
    assert await entry_of(db_session, read["id"]) is None


async def test_skip_makes_the_day_not_required(client, alice, web, db_session):
    """D3.3 via Today: a skipped day is not required; the card stays, with Undo."""
    read = await create_habit(client, alice, name="Read")
    response = await web.tap(read["id"], "skip")
    assert response.status_code == 200, response.text
    card = text_of(response.text, f"habit-{read['id']}")
    assert "Skipped today" in card
    assert "Undo" in card
    assert attrs_of(response.text, "today-ring")["aria-label"] == "Nothing due today"
    entry = await entry_of(db_session, read["id"])
    assert entry is not None
    assert entry.status == "skipped"
    due, _ = due_and_later(await web.page())
    assert f'id="habit-{read["id"]}"' in due


async def test_quit_habit_slip_is_a_failed_entry(client, alice, web, db_session):
    """D2.2 via Today: a quit habit offers "Slipped"; the day becomes missed."""
    smoke = await create_habit(client, alice, name="No smoking", polarity="quit")
    page = await web.page()
    card = text_of(page, f"habit-{smoke['id']}")
    assert "Slipped" in card
    assert "Clean so far today" in card
    assert "Done" not in card
    response = await web.tap(smoke["id"], "slip")
    assert response.status_code == 200, response.text
    assert "Slipped today" in text_of(response.text, f"habit-{smoke['id']}")
    entry = await entry_of(db_session, smoke["id"])
    assert entry is not None
    assert entry.status == "failed"
    habit = await get_habit(client, alice, smoke["id"])
    assert habit["today"]["status"] == "missed"


async def test_measurable_plus_minus_shows_progress(client, alice, web, db_session):
    """Issue 4 Today: +/- for measurable habits with the unit and progress toward the target."""
    water = await create_habit(
        client, alice, name="Water", kind="measurable", target={"value": 2, "unit": "L"}
    )
    for _ in range(3):
        response = await web.tap(water["id"], "add", amount="0.5")
        assert response.status_code == 200, response.text
    card_html = response.text
    assert "1.5 / 2 L" in text_of(card_html, f"habit-{water['id']}")
    assert re.search(r'<progress max="2.0" value="1.5"', card_html)
    response = await web.tap(water["id"], "add", amount="-0.5")
    assert "1 / 2 L" in text_of(response.text, f"habit-{water['id']}")
    response = await web.tap(water["id"], "add", amount="1")
    card = text_of(response.text, f"habit-{water['id']}")
    assert "2 / 2 L" in card
    assert "Target reached" in card
    entry = await entry_of(db_session, water["id"])
    assert entry is not None
    assert entry.value == 2.0


async def test_a_replayed_key_does_not_count_twice(client, alice, web, db_session):
    """D4.4, issue 4 PWA: the same tap sent again with its Idempotency-Key counts once, and
    gets the first answer back."""
    water = await create_habit(
        client, alice, name="Water", kind="measurable", target={"value": 2, "unit": "L"}
    )
    first = await web.tap(water["id"], "add", key="tap-1", amount="0.5")
    again = await web.tap(water["id"], "add", key="tap-1", amount="0.5")
    assert first.status_code == again.status_code == 200
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.text == first.text
    entry = await entry_of(db_session, water["id"])
    assert entry is not None
    assert entry.value == 0.5
    # The same key for another tap is refused, with a toast, and changes nothing.
    other = await web.tap(water["id"], "add", key="tap-1", amount="1")
    assert other.status_code == 422
    assert 'class="toast error"' in other.text
    entry = await entry_of(db_session, water["id"])
    assert entry is not None
    assert entry.value == 0.5


async def test_a_check_in_made_offline_counts_for_its_own_day(client, alice, web, db_session):
    """D1.4, issue 4 PWA: a queued tap carries the page's date; sent the next day it still
    counts for the day it was made (within the backfill window, D4.3)."""
    read = await create_habit(client, alice, name="Read", start_date="2026-11-19")
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    response = await web.tap(read["id"], "done", date=yesterday)
    assert response.status_code == 200, response.text
    await db_session.rollback()
    entry = await db_session.scalar(select(Entry).where(Entry.habit_id == uuid.UUID(read["id"])))
    assert entry is not None
    assert entry.local_date == date(2026, 11, 20)


async def test_milestone_shows_a_celebration(client, alice, web):
    """D7.4, issue 4 Today: the check-in that makes a 7-day streak is celebrated."""
    read = await create_habit(
        client, alice, name="Read", start_date="2026-11-15", backfill_days=None
    )
    for offset in range(1, 7):
        day = (TODAY - timedelta(days=offset)).isoformat()
        await entry_put(client, alice, read["id"], day, status="done")
    response = await web.tap(read["id"], "done")
    assert response.status_code == 200, response.text
    card = attrs_of(response.text, f"habit-{read['id']}")
    assert card["data-celebrate"] == "7-day streak!"
    assert "Read: 7-day streak!" in text_of(response.text, "today-status")
    # Undo and done again: 7 is reached again, and celebrated again (the event is).
    await web.tap(read["id"], "undo")
    plain = await web.tap(read["id"], "done")
    assert "data-celebrate" in plain.text
    # A day that does not reach a milestone is not celebrated.
    other = await create_habit(client, alice, name="Walk")
    quiet = await web.tap(other["id"], "done")
    assert "data-celebrate" not in quiet.text


# --- bad input and access ------------------------------------------------------------------------


async def test_unknown_habit_is_404_with_a_toast(web):
    """Issue 4: a failed HTMX request gets a small toast, not a whole error page."""
    response = await web.tap(uuid.uuid4(), "done")
    assert response.status_code == 404
    assert response.headers["hx-retarget"] == "#toasts"
    assert response.text == '<div class="toast error" role="alert">No such habit.</div>'


async def test_charlie_cannot_check_in_alices_habit(client, alice, charlie, db_session):
    """Access control: another user's habit is 404 on the Today routes too."""
    read = await create_habit(client, alice, name="Read")
    async with browser(client) as other:
        await web_login(other, charlie.email, charlie.password)
        token = meta_csrf_token((await other.get("/today")).text)
        web = Web(other, token)
        for action in ("done", "skip", "undo", "slip"):
            response = await web.tap(read["id"], action)
            assert response.status_code == 404, action
        assert (await web.tap(read["id"], "add", amount="1")).status_code == 404
    assert await entry_of(db_session, read["id"]) is None


@pytest.mark.parametrize("amount", ["", "lots", "nan", "inf", "0", "1e12"])
async def test_an_amount_that_is_not_a_number_is_422(client, alice, web, db_session, amount):
    """Issue 4 forms: bad input is a clear 422, never a 500, and writes nothing."""
    water = await create_habit(client, alice, name="Water", kind="measurable", target={"value": 2})
    response = await web.tap(water["id"], "add", amount=amount)
    assert response.status_code == 422
    assert "Amount must be a number" in response.text
    assert await entry_of(db_session, water["id"]) is None


async def test_a_bad_date_or_one_outside_the_window_is_422(client, alice, web, db_session):
    """D4.3 via Today: the date is checked like the API does; the toast says why."""
    read = await create_habit(client, alice, name="Read", start_date="2026-11-01")
    bad = await web.tap(read["id"], "done", date="yesterday")
    assert bad.status_code == 422
    assert "Date must be a date like 2026-11-21" in bad.text
    old = await web.tap(read["id"], "done", date="2026-11-10")
    assert old.status_code == 422
    assert "backfill window" in old.text
    future = await web.tap(read["id"], "done", date="2026-11-22")
    assert future.status_code == 422
    assert await entry_of(db_session, read["id"]) is None


async def test_a_value_on_a_yes_no_habit_is_422(client, alice, web):
    """API.md: only measurable habits take a value; the web route says so too."""
    read = await create_habit(client, alice, name="Read")
    response = await web.tap(read["id"], "add", amount="1")
    assert response.status_code == 422
    assert "only measurable habits take a value" in response.text


async def test_a_check_in_without_the_csrf_token_is_refused(client, alice, web, db_session):
    """Issue 4 forms: every state change is CSRF-checked."""
    read = await create_habit(client, alice, name="Read")
    response = await web.client.post(
        f"/today/{read['id']}/done", data={"date": DAY}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 403
    assert "toast" in response.text
    assert await entry_of(db_session, read["id"]) is None


async def test_signed_out_htmx_request_is_sent_to_sign_in(client, alice):
    """Issue 4: an HTMX request whose session ended sends the page (not the fragment) to
    sign in, coming back to the page it was on."""
    read = await create_habit(client, alice, name="Read")
    response = await client.post(
        f"/today/{read['id']}/done",
        data={"date": DAY},
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/today"},
    )
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/login?next=/today"


async def test_a_plain_form_post_redirects_with_a_flash(client, alice, web, db_session):
    """Issue 4 forms: without the page's script, a check-in is a normal form post that
    lands back on Today with a message."""
    read = await create_habit(client, alice, name="Read")
    response = await web.client.post(
        f"/today/{read['id']}/done", data={"date": DAY, "csrf_token": web.token}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/today"
    page = await web.page()
    assert "Read: done. 1 of 1 habits done today." in page
    entry = await entry_of(db_session, read["id"])
    assert entry is not None
    assert entry.status == "done"


# --- cost ----------------------------------------------------------------------------------------


async def test_page_queries_are_bounded_for_30_habits(client, alice, web):
    """DESIGN.md: a page issues a bounded number of queries whatever the number of habits."""
    await create_habit(client, alice, name="First")
    with counting(web.client._transport.app) as few:  # type: ignore[attr-defined]
        await web.page()
    for n in range(29):
        extra: dict[str, Any] = (
            {"kind": "measurable", "target": {"value": 3, "unit": "km"}} if n % 3 == 0 else {}
        )
        await create_habit(client, alice, name=f"Habit {n}", **extra)
    await web.page()  # the "Three at once" toast, shown (and marked seen) once
    with counting(web.client._transport.app) as many:  # type: ignore[attr-defined]
        page = await web.page()
    assert page.count('class="habit-card') == 30
    many, few = without_sign_in(many), without_sign_in(few)
    assert len(many) == len(few)
    # 8, the rewards strip's one (issue 14), the chat badge's one (16), (17) the coach's tasks
    assert len(many) <= 11, many


# --- the installable app -----------------------------------------------------------------------


async def test_manifest_names_the_app_and_its_icons(client):
    """Issue 4 PWA: a web app manifest with start_url /today, standalone, icons incl. maskable."""
    response = await client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["start_url"] == "/today"
    assert manifest["display"] == "standalone"
    assert manifest["short_name"] == "Habitus"
    assert manifest["theme_color"]
    assert manifest["background_color"]
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        fetched = await client.get(icon["src"])
        assert fetched.status_code == 200, icon
        assert fetched.headers["content-type"] == icon["type"]


async def test_service_worker_is_served_from_the_root_with_the_app_shell(client):
    """Issue 4 PWA: the worker's scope is the site; it caches the built stylesheet, the
    scripts, vendor htmx and confetti, the icons and the offline page."""
    response = await client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"
    config_line, _, code = response.text.partition("\n")
    config = json.loads(config_line.removeprefix("self.HABITUS_SW = ").removesuffix(";"))
    shell = config["shell"]
    for part in ("dist/app.css?v=", "js/app.js?v=", "js/today.js?v=", "js/offline.js?v=",
                 "vendor/htmx/htmx.min.js?v=", "vendor/confetti/confetti.browser.js?v=",
                 "icons/icon-192.png?v="):  # fmt: skip
        assert any(part in url for url in shell), part
    for url in shell:
        assert (await client.get(url)).status_code == 200, url
    assert config["offline"] == "/offline"
    assert "/api/" in code  # never cached
    offline = await client.get("/offline")
    assert offline.status_code == 200
    assert "You are offline" in offline.text
