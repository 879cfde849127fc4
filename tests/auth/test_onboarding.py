"""Issue 4 "Onboarding (first sign-in)": time zone from the browser, morning or evening,
day_start_hour, and three starter habits accepted or changed in one tap."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.auth.onboarding import STARTER_HABITS
from habitus.models import Habit, User
from tests.auth.helpers import API, count
from tests.auth.pages import error_sits_by_its_field, field_errors, follow, post_form
from tests.fixtures.personas import Persona
from tests.fixtures.web import browser, web_login


async def onboarded_at(db_session: AsyncSession, user_id: Any) -> Any:
    value = await db_session.scalar(select(User.onboarded_at).where(User.id == user_id))
    await db_session.commit()
    return value


async def finish(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    return await post_form(client, "/onboarding", "/onboarding", {"action": "finish", **fields})


async def test_sign_in_sends_a_new_user_to_onboarding_until_done(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 4: onboarding comes after a sign-in while onboarded_at is null; not after."""
    first = await web_login(client, alice.email, alice.password)
    assert first.headers["location"] == "/onboarding"
    skipped = await post_form(client, "/onboarding", "/onboarding", {"action": "skip"})
    assert skipped.headers["location"] == "/today"
    async with browser(client) as phone:
        again = await web_login(phone, alice.email, alice.password)
        assert again.headers["location"] == "/"
    # Done is done: the page itself sends the user on.
    page = await client.get("/onboarding")
    assert page.status_code == 303
    assert page.headers["location"] == "/today"


async def test_sign_up_continues_to_onboarding(client: httpx.AsyncClient) -> None:
    """Issue 4: onboarding is shown after sign-up."""
    response = await post_form(
        client,
        "/register",
        "/register",
        {
            "email": "dora@example.org",
            "password": "a long and quiet meadow",
            "timezone": "Asia/Tokyo",
        },
    )
    assert response.headers["location"] == "/onboarding"
    page = (await follow(client, response)).text
    assert 'value="Asia/Tokyo"' in page  # the zone the browser sent at sign-up
    assert 'id="onboarding-skip"' in page


async def test_the_page_offers_the_browser_zone_and_three_starters(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 4: the time zone is detected by the browser (an empty input the page's script
    fills) when the account has none yet; three suggested habits, pre-checked, editable."""
    await web_login(client, alice.email, alice.password)
    page = (await client.get("/onboarding")).text
    tag = page[page.index('id="timezone"') :]
    tag = tag[: tag.index(">")]
    assert 'value=""' in tag  # alice signed up through the API without a zone (UTC)
    assert "data-detect-timezone" in tag
    assert '<option value="Europe/London">' in page  # the datalist of zones
    for index, name in enumerate(STARTER_HABITS[""]):
        assert f'name="habit_pick_{index}" value="1" checked' in page
        assert f'value="{name}"' in page
    assert "At 3 am" in page


async def test_finishing_saves_the_answers_and_creates_the_chosen_habits(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 4: onboarding creates the chosen habits (through the habits service), saves
    zone, preference and day start, sets onboarded_at, and lands on /today with a flash."""
    await web_login(client, alice.email, alice.password)
    response = await finish(
        client,
        timezone="America/New_York",
        day_part="evening",
        day_start_hour="3",
        habit_pick_0="1",
        habit_name_0="Read 20 pages",
        habit_name_1="Walk 20 minutes",
        habit_pick_2="1",
        habit_name_2="Write down one good thing",
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/today"
    me = (await client.get(f"{API}/me", headers=alice.headers)).json()
    assert me["timezone"] == "America/New_York"
    assert me["day_start_hour"] == 3
    assert me["day_part"] == "evening"
    habits = (await client.get(f"{API}/habits", headers=alice.headers)).json()["items"]
    assert [h["name"] for h in habits] == ["Read 20 pages", "Write down one good thing"]
    assert all(h["schedule"] == {"type": "daily"} for h in habits)
    assert await onboarded_at(db_session, alice.id) is not None
    landing = await client.get("/settings")  # any page shows the flash once
    assert "all set: 2 habits" in landing.text


async def test_skipping_marks_onboarding_done_and_creates_nothing(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 4: "Skip for now" marks onboarding done and goes to /today."""
    await web_login(client, alice.email, alice.password)
    page = (await client.get("/onboarding")).text
    assert 'id="onboarding-skip"' in page
    response = await post_form(
        client, "/onboarding", "/onboarding", {"action": "skip", "timezone": "Nowhere/Land"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/today"
    assert await onboarded_at(db_session, alice.id) is not None
    assert await count(db_session, Habit) == 0
    me = (await client.get(f"{API}/me", headers=alice.headers)).json()
    assert me["timezone"] == "UTC"


async def test_bad_answers_show_next_to_their_field_and_change_nothing(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 4 forms: errors next to the field, what was typed kept, 422, nothing saved."""
    await web_login(client, alice.email, alice.password)
    response = await finish(
        client,
        timezone="Mars/Olympus_Mons",
        day_part="morning",
        day_start_hour="0",
        habit_pick_0="1",
        habit_name_0="Drink a glass of water",
        habit_pick_1="1",
        habit_name_1="   ",
    )
    assert response.status_code == 422
    errors = field_errors(response.text)
    assert "IANA time zone" in errors["timezone"]
    assert errors["habit_name_1"] == "needs a name (or untick it)"
    error_sits_by_its_field(response.text, "timezone")
    error_sits_by_its_field(response.text, "habit_name_1")
    assert 'value="Mars/Olympus_Mons"' in response.text
    assert 'name="habit_pick_2" value="1" checked' not in response.text  # unticked stays so
    assert await count(db_session, Habit) == 0
    assert await onboarded_at(db_session, alice.id) is None

    hour = await finish(client, timezone="Europe/Paris", day_start_hour="9")
    assert hour.status_code == 422
    assert "between midnight and 6 am" in field_errors(hour.text)["day_start_hour"]
    error_sits_by_its_field(hour.text, "day_start_hour")


async def test_onboarding_needs_a_signed_in_browser(client: httpx.AsyncClient) -> None:
    """Issue 4: onboarding is a page of the signed-in user (PageUser)."""
    page = await client.get("/onboarding")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login")
