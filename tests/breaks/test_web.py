"""Issue 4 "Breaks: plan a vacation for all habits or one" (DOMAIN D3.2), on the web page."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import time_machine
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import HabitBreak
from tests.auth.helpers import API, count
from tests.auth.pages import error_sits_by_its_field, field_errors, follow, post_form
from tests.fixtures.personas import Persona
from tests.fixtures.web import browser, web_login

# The frozen clock: Saturday 21 November 2026, noon UTC (alice's zone is UTC).
DASH = " \N{EN DASH} "


async def habit(client: httpx.AsyncClient, persona: Persona, name: str) -> str:
    created = await client.post(
        f"{API}/habits", json={"name": name, "schedule": {"type": "daily"}}, headers=persona.headers
    )
    assert created.status_code == 201, created.text
    habit_id: str = created.json()["id"]
    return habit_id


async def plan(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    values = {"habit_id": "", "reason": "", **fields}
    return await post_form(client, "/breaks", "/breaks", values)


async def breaks_of(client: httpx.AsyncClient, persona: Persona) -> list[dict[str, Any]]:
    listed = await client.get(f"{API}/breaks", headers=persona.headers)
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


async def test_plan_a_break_for_all_habits_or_one(
    frozen_clock: time_machine.Coordinates, client: httpx.AsyncClient, alice: Persona
) -> None:
    """D3.2: a break is an inclusive date range for one habit or all; the page lists it
    with its dates in words."""
    reading = await habit(client, alice, "Read")
    await web_login(client, alice.email, alice.password)
    page = (await client.get("/breaks")).text
    assert f'<option value="{reading}">Read</option>' in page
    assert "No breaks planned" in page

    everything = await plan(
        client, start_date="2026-12-24", end_date="2026-12-31", reason="Holidays"
    )
    assert everything.status_code == 303, everything.text
    assert "8 days off for all your habits" in (await follow(client, everything)).text
    one = await plan(client, habit_id=reading, start_date="2026-11-21", end_date="2026-11-22")
    assert one.status_code == 303, one.text

    stored = {
        (b["habit_id"], b["start_date"], b["end_date"], b["reason"])
        for b in await breaks_of(client, alice)
    }
    assert stored == {
        (None, "2026-12-24", "2026-12-31", "Holidays"),
        (reading, "2026-11-21", "2026-11-22", None),
    }
    page = (await client.get("/breaks")).text
    assert f"Thu 24 Dec{DASH}Thu 31 Dec" in page
    assert f"Sat 21 Nov{DASH}Sun 22 Nov" in page
    assert "All habits" in page
    assert "2 left" in page  # the current one comes first
    assert page.index("Sat 21 Nov") < page.index("Thu 24 Dec")


async def test_bad_dates_are_422_next_to_the_field(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    alice: Persona,
    db_session: AsyncSession,
) -> None:
    """D3.2 and issue 4 forms: an end before the start, a start too far back or a date
    that is not one are 422 naming the field, with what was typed kept."""
    await web_login(client, alice.email, alice.password)
    backwards = await plan(client, start_date="2026-12-10", end_date="2026-12-01", reason="Trip")
    assert backwards.status_code == 422
    assert field_errors(backwards.text) == {"end_date": "must not be before the first day off"}
    error_sits_by_its_field(backwards.text, "end_date")
    assert 'value="2026-12-10"' in backwards.text
    assert 'value="Trip"' in backwards.text

    ancient = await plan(client, start_date="2026-01-01", end_date="2026-01-02")
    assert ancient.status_code == 422
    assert "30 days ago" in field_errors(ancient.text)["start_date"]

    garbled = await plan(client, start_date="next friday", end_date="")
    assert garbled.status_code == 422
    assert set(field_errors(garbled.text)) == {"start_date", "end_date"}
    error_sits_by_its_field(garbled.text, "start_date")

    foreign = await plan(
        client, habit_id=str(uuid.uuid4()), start_date="2026-12-01", end_date="2026-12-02"
    )
    assert foreign.status_code == 422
    assert "habit_id" in field_errors(foreign.text)
    assert await count(db_session, HabitBreak) == 0


async def test_delete_a_planned_break(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    alice: Persona,
    charlie: Persona,
) -> None:
    """Issue 4 Breaks: a planned break can be deleted; charlie cannot delete alice's."""
    await web_login(client, alice.email, alice.password)
    await plan(client, start_date="2026-12-24", end_date="2026-12-26")
    [planned] = await breaks_of(client, alice)
    page = (await client.get("/breaks")).text
    assert f'action="/breaks/{planned["id"]}/delete"' in page

    async with browser(client) as charlies:
        await web_login(charlies, charlie.email, charlie.password)
        response = await post_form(charlies, "/breaks", f"/breaks/{planned['id']}/delete", {})
        assert response.status_code == 303
        assert len(await breaks_of(client, alice)) == 1

    response = await post_form(client, "/breaks", f"/breaks/{planned['id']}/delete", {})
    assert response.status_code == 303
    assert "Break deleted." in (await follow(client, response)).text
    assert await breaks_of(client, alice) == []


async def test_past_breaks_are_folded_away(
    frozen_clock: time_machine.Coordinates, client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 4 Breaks: past breaks are kept, folded below (no delete button)."""
    await web_login(client, alice.email, alice.password)
    await plan(client, start_date="2026-11-01", end_date="2026-11-03", reason="Flu")
    page = (await client.get("/breaks")).text
    start = page.index('<details class="past-breaks">')
    details = page[start : page.index("</details>", start)]
    assert f"Sun 1 Nov{DASH}Tue 3 Nov" in details
    assert "Flu" in details
    assert "/delete" not in details
    assert "No breaks planned" in page


async def test_the_breaks_page_needs_a_signed_in_browser(client: httpx.AsyncClient) -> None:
    """Issue 4: pages of the signed-in user send visitors to sign in."""
    response = await client.get("/breaks")
    assert response.status_code == 303
    assert re.match(r"^/login\?next=/breaks", response.headers["location"])
