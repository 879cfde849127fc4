"""Issue 21 on the web: the Reminders page (/reminders), every habit reminder in one
list grouped by habit, switched on and off and edited in place (HTMX, and plain forms
without script), with the next firing in the user's zone. DOMAIN D9; API.md
"Reminders, channels and notifications"."""

from __future__ import annotations

import html
import re
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import Reminder
from tests.auth.pages import follow, post_form
from tests.conftest import PersonaFactory
from tests.fixtures.personas import Persona
from tests.fixtures.web import browser, meta_csrf_token, web_login

API = "/api/v1"
PAGE = "/reminders"
TOKYO = ZoneInfo("Asia/Tokyo")


async def habit(client: httpx.AsyncClient, persona: Persona, name: str) -> str:
    created = await client.post(
        f"{API}/habits", json={"name": name, "schedule": {"type": "daily"}}, headers=persona.headers
    )
    assert created.status_code == 201, created.text
    habit_id: str = created.json()["id"]
    return habit_id


async def reminder(
    client: httpx.AsyncClient, persona: Persona, habit_id: str, **body: Any
) -> dict[str, Any]:
    created = await client.post(
        f"{API}/habits/{habit_id}/reminders", json=body, headers=persona.headers
    )
    assert created.status_code == 201, created.text
    found: dict[str, Any] = created.json()
    return found


async def row(db_session: AsyncSession, reminder_id: str) -> Reminder:
    db_session.expire_all()
    found = await db_session.scalar(select(Reminder).where(Reminder.id == uuid.UUID(reminder_id)))
    assert found is not None
    return found


def item_of(page: str, reminder_id: str) -> str:
    """The reminder's <li> on the page."""
    start = page.index(f'id="reminder-{reminder_id}"')
    return page[start : page.index("</li>", start)]


def local(moment: datetime) -> str:
    """How the page shows an instant (kit.templating.LOCAL_TIME_FORMAT) in Tokyo."""
    return f"{moment.astimezone(TOKYO):%a %d %b, %H:%M}"


async def tokyo_persona(new_persona: PersonaFactory, email: str) -> Persona:
    return await new_persona(email, display_name="Kei", timezone="Asia/Tokyo")


async def test_page_lists_every_reminder_by_habit_with_the_next_firing_in_her_zone(
    client: httpx.AsyncClient, new_persona: PersonaFactory, db_session: AsyncSession
) -> None:
    """D9.1: every habit reminder, grouped under its habit (a link to the habit's own
    reminder page), with the next firing the worker will use (`next_fire_at`, computed
    by reminders.schedule) shown in the user's zone; an off reminder says so."""
    kei = await tokyo_persona(new_persona, "kei@example.org")
    read = await habit(client, kei, "Read")
    walk = await habit(client, kei, "Walk")
    morning = await reminder(client, kei, read, time="07:30")
    evening = await reminder(client, kei, walk, time="21:05", days=["sat", "sun"])
    off = await reminder(client, kei, walk, time="12:00", enabled=False)
    await web_login(client, kei.email, kei.password)

    page = (await client.get(PAGE)).text
    assert f'href="/habits/{read}/reminders">Read</a>' in page
    assert f'href="/habits/{walk}/reminders">Walk</a>' in page
    assert page.index(">Read</a>") < page.index(">Walk</a>")  # the user's habit order
    for made in (morning, evening):
        shown = item_of(page, made["id"])
        stored = (await row(db_session, made["id"])).next_fire_at
        assert stored is not None
        expected = local(datetime.fromisoformat(made["next_fire_at"]))
        assert expected == local(stored.replace(tzinfo=stored.tzinfo or ZoneInfo("UTC")))
        assert "Next: <time" in shown
        assert expected in shown
        assert expected.endswith(made["time"])  # the wall clock of Tokyo, not UTC
    assert "on Sat, Sun" in item_of(page, evening["id"])
    assert "on the habit&#39;s days" in item_of(page, morning["id"])
    off_item = item_of(page, off["id"])
    assert 'aria-checked="false"' in off_item
    assert "Next:" not in off_item


async def test_an_empty_list_says_how_to_add_one(client: httpx.AsyncClient, alice: Persona) -> None:
    """No reminder yet: the page says where reminders are added; signed out, /login."""
    signed_out = await client.get(PAGE)
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/login")
    await web_login(client, alice.email, alice.password)
    page = (await client.get(PAGE)).text
    assert "No reminders yet" in page


async def test_edit_in_place_with_htmx_persists_and_moves_the_next_firing(
    client: httpx.AsyncClient, new_persona: PersonaFactory, db_session: AsyncSession
) -> None:
    """D9.1, D9.3: time, weekdays, only-if-pending and a channel saved from the item's
    form (htmx: the X-CSRF-Token header); the answer is the item alone, re-rendered,
    and the stored next firing is the new time on one of the new days, in her zone."""
    kei = await tokyo_persona(new_persona, "kei@example.org")
    read = await habit(client, kei, "Read")
    made = await reminder(client, kei, read, time="07:30")
    channel = await client.post(
        f"{API}/channels",
        json={"type": "webhook", "name": "Phone", "config": {"url": "https://example.org/h"}},
        headers=kei.headers,
    )
    assert channel.status_code == 201, channel.text
    channel_id = channel.json()["id"]
    await web_login(client, kei.email, kei.password)
    page = (await client.get(PAGE)).text
    assert f'name="channel_{channel_id}"' in item_of(page, made["id"])

    answer = await client.post(
        f"{PAGE}/{made['id']}",
        data={"time": "21:15", "day_mon": "on", "day_wed": "on", f"channel_{channel_id}": "on"},
        headers={"HX-Request": "true", "X-CSRF-Token": meta_csrf_token(page)},
    )
    assert answer.status_code == 200, answer.text
    assert answer.text.lstrip().startswith(f'<li class="rp-item" id="reminder-{made["id"]}"')
    assert "<html" not in answer.text
    assert "Saved: 21:15 on Mon, Wed." in answer.text
    stored = await row(db_session, made["id"])
    assert (stored.time, stored.days, stored.only_if_pending) == ("21:15", ["mon", "wed"], False)
    assert stored.channel_ids == [channel_id]
    assert stored.next_fire_at is not None
    fires = stored.next_fire_at.replace(tzinfo=stored.next_fire_at.tzinfo or ZoneInfo("UTC"))
    assert fires.astimezone(TOKYO).strftime("%a %H:%M") in {"Mon 21:15", "Wed 21:15"}
    assert local(fires) in answer.text
    assert "1 channel" in answer.text

    # None ticked again: the habit's days and every enabled channel (D9.1).
    again = await client.post(
        f"{PAGE}/{made['id']}",
        data={"time": "21:15", "only_if_pending": "on"},
        headers={"HX-Request": "true", "X-CSRF-Token": meta_csrf_token(page)},
    )
    assert again.status_code == 200, again.text
    stored = await row(db_session, made["id"])
    assert (stored.days, stored.channel_ids, stored.only_if_pending) == (None, [], True)


async def test_toggle_without_script_redirects_back_and_persists(
    client: httpx.AsyncClient, new_persona: PersonaFactory, db_session: AsyncSession
) -> None:
    """A plain form post (no script): off, then on again, each back on the page at the
    item with a message; off has no next firing, on has one again."""
    kei = await tokyo_persona(new_persona, "kei@example.org")
    read = await habit(client, kei, "Read")
    made = await reminder(client, kei, read, time="07:30")
    await web_login(client, kei.email, kei.password)

    off = await post_form(client, PAGE, f"{PAGE}/{made['id']}/enabled", {"enabled": "false"})
    assert off.status_code == 303, off.text
    assert off.headers["location"] == f"{PAGE}#reminder-{made['id']}"
    page = (await follow(client, off)).text
    assert "The reminder at 07:30 is off." in page
    assert 'aria-checked="false"' in item_of(page, made["id"])
    stored = await row(db_session, made["id"])
    assert (stored.enabled, stored.next_fire_at) == (False, None)

    on = await post_form(client, PAGE, f"{PAGE}/{made['id']}/enabled", {"enabled": "true"})
    page = (await follow(client, on)).text
    assert "The reminder at 07:30 is on." in page
    stored = await row(db_session, made["id"])
    assert stored.enabled is True
    assert stored.next_fire_at is not None


async def test_a_bad_time_is_shown_by_its_field_and_nothing_changes(
    client: httpx.AsyncClient, new_persona: PersonaFactory, db_session: AsyncSession
) -> None:
    """Bad input is a 422 naming the field, never a half-written change: without script
    the page comes back with the error under that reminder's time; with htmx the item
    with its form open and the error (200, so htmx swaps it)."""
    kei = await tokyo_persona(new_persona, "kei@example.org")
    read = await habit(client, kei, "Read")
    made = await reminder(client, kei, read, time="07:30")
    await web_login(client, kei.email, kei.password)

    plain = await post_form(
        client, PAGE, f"{PAGE}/{made['id']}", {"time": "25:00", "day_tue": "on"}
    )
    assert plain.status_code == 422, plain.text
    shown = item_of(plain.text, made["id"])
    error = re.search(rf'id="time-{made["id"]}-error">([^<]+)<', shown)
    assert error is not None
    assert "HH:MM" in html.unescape(error[1])
    assert 'value="25:00"' in shown  # what was typed stays in the field
    assert '<details class="rp-edit" open>' in shown
    page = (await client.get(PAGE)).text
    hx = await client.post(
        f"{PAGE}/{made['id']}",
        data={"time": ""},
        headers={"HX-Request": "true", "X-CSRF-Token": meta_csrf_token(page)},
    )
    assert hx.status_code == 200
    assert f'id="time-{made["id"]}-error"' in hx.text
    stored = await row(db_session, made["id"])
    assert (stored.time, stored.days) == ("07:30", None)


async def test_a_channel_of_someone_else_is_refused(
    client: httpx.AsyncClient,
    new_persona: PersonaFactory,
    charlie: Persona,
    db_session: AsyncSession,
) -> None:
    """A reminder's channels are the user's own: another user's channel id is refused
    by the field (`no such channel`), and the reminder keeps its channels."""
    kei = await tokyo_persona(new_persona, "kei@example.org")
    read = await habit(client, kei, "Read")
    made = await reminder(client, kei, read, time="07:30")
    theirs = await client.post(
        f"{API}/channels",
        json={"type": "webhook", "config": {"url": "https://example.org/c"}},
        headers=charlie.headers,
    )
    assert theirs.status_code == 201, theirs.text
    await web_login(client, kei.email, kei.password)
    answer = await post_form(
        client,
        PAGE,
        f"{PAGE}/{made['id']}",
        {"time": "08:00", f"channel_{theirs.json()['id']}": "on"},
    )
    assert answer.status_code == 422
    assert "no such channel" in item_of(answer.text, made["id"])
    stored = await row(db_session, made["id"])
    assert (stored.time, stored.channel_ids) == ("07:30", [])


async def test_charlie_neither_sees_nor_changes_her_reminders(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona, db_session: AsyncSession
) -> None:
    """D9 ownership: charlie's page does not list alice's reminders, and his posts to
    them answer 404 and change nothing."""
    read = await habit(client, alice, "Alice reads")
    made = await reminder(client, alice, read, time="07:30")
    async with browser(client) as other:
        await web_login(other, charlie.email, charlie.password)
        page = (await other.get(PAGE)).text
        assert "Alice reads" not in page
        assert made["id"] not in page
        edit = await post_form(other, PAGE, f"{PAGE}/{made['id']}", {"time": "09:00"})
        assert edit.status_code == 404
        switch = await post_form(other, PAGE, f"{PAGE}/{made['id']}/enabled", {"enabled": "false"})
        assert switch.status_code == 404
    stored = await row(db_session, made["id"])
    assert (stored.time, stored.enabled) == ("07:30", True)


async def test_every_change_needs_the_csrf_token(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """A post without the page's CSRF token (a form on another site) is refused (403)
    and changes nothing."""
    read = await habit(client, alice, "Read")
    made = await reminder(client, alice, read, time="07:30")
    await web_login(client, alice.email, alice.password)
    edit = await client.post(f"{PAGE}/{made['id']}", data={"time": "09:00"})
    switch = await client.post(f"{PAGE}/{made['id']}/enabled", data={"enabled": "false"})
    forged = await client.post(
        f"{PAGE}/{made['id']}/enabled",
        data={"enabled": "false"},
        headers={"HX-Request": "true", "X-CSRF-Token": "not-the-token"},
    )
    assert (edit.status_code, switch.status_code, forged.status_code) == (403, 403, 403)
    stored = await row(db_session, made["id"])
    assert (stored.time, stored.enabled) == ("07:30", True)


async def test_settings_links_to_the_page(client: httpx.AsyncClient, alice: Persona) -> None:
    """The page is found from Settings, next to Notification settings."""
    await web_login(client, alice.email, alice.password)
    assert 'href="/reminders"' in (await client.get("/settings")).text
