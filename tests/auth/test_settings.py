"""Issue 4 "Settings": profile, time zone, day start, week start, theme (light / dark /
system), export my data, delete my account (with password); theme and day part on /me."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import AuthSession, User
from tests.auth.helpers import API, count, fields, problem, try_login
from tests.auth.pages import error_sits_by_its_field, field_errors, follow, post_form
from tests.fixtures.personas import Persona
from tests.fixtures.web import SESSION_COOKIE, browser, web_login


async def save(client: httpx.AsyncClient, section: str, **values: str) -> httpx.Response:
    return await post_form(client, "/settings", "/settings", {"section": section, **values})


async def me(client: httpx.AsyncClient, persona: Persona) -> dict[str, object]:
    response = await client.get(f"{API}/me", headers=persona.headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_settings_show_the_current_values(client: httpx.AsyncClient, alice: Persona) -> None:
    """Issue 4 Settings: the page shows name, email (read-only), zone, day start, week start
    and theme as they are."""
    await web_login(client, alice.email, alice.password)
    page = await client.get("/settings")
    assert page.status_code == 200
    text = page.text
    assert 'value="Alice"' in text
    assert f'value="{alice.email}" readonly' in text
    assert 'value="UTC"' in text
    assert '<option value="mon" selected>' in text
    assert 'name="theme" value="system" checked' in text
    assert 'href="/api/v1/me/export"' in text


async def test_each_setting_is_saved(client: httpx.AsyncClient, alice: Persona) -> None:
    """Issue 4 Settings: each field changes through its form (303 + flash)."""
    await web_login(client, alice.email, alice.password)
    named = await save(client, "profile", display_name="Alice Liddell")
    assert named.status_code == 303
    assert "Your name is saved." in (await follow(client, named)).text
    calendar = await save(
        client, "calendar", timezone="Europe/Berlin", day_start_hour="4", week_start="sun"
    )
    assert calendar.status_code == 303, calendar.text
    themed = await save(client, "appearance", theme="dark")
    assert themed.status_code == 303
    body = await me(client, alice)
    assert body["display_name"] == "Alice Liddell"
    assert body["timezone"] == "Europe/Berlin"
    assert body["day_start_hour"] == 4
    assert body["week_start"] == "sun"
    assert body["theme"] == "dark"
    cleared = await save(client, "profile", display_name="")
    assert cleared.status_code == 303
    assert (await me(client, alice))["display_name"] is None


async def test_the_page_renders_in_the_chosen_theme(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 4 Settings: theme light / dark / system; pages carry it as html[data-theme]."""
    await web_login(client, alice.email, alice.password)
    assert '<html lang="en" data-theme="system">' in (await client.get("/settings")).text
    for theme in ("dark", "light", "system"):
        response = await save(client, "appearance", theme=theme)
        page = (await follow(client, response)).text
        assert f'<html lang="en" data-theme="{theme}">' in page
        assert f'name="theme" value="{theme}" checked' in page
    refused = await save(client, "appearance", theme="sepia")
    assert refused.status_code == 422
    assert "theme" in field_errors(refused.text)


async def test_bad_zone_and_day_start_are_errors_next_to_the_field(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 4 forms: errors next to the field, values kept, 422, nothing saved."""
    await web_login(client, alice.email, alice.password)
    response = await save(
        client, "calendar", timezone="Europe/Atlantis", day_start_hour="2", week_start="mon"
    )
    assert response.status_code == 422
    assert "IANA time zone" in field_errors(response.text)["timezone"]
    error_sits_by_its_field(response.text, "timezone")
    assert 'value="Europe/Atlantis"' in response.text
    assert '<option value="2" selected>' in response.text
    response = await save(
        client, "calendar", timezone="Europe/Paris", day_start_hour="7", week_start="mon"
    )
    assert response.status_code == 422
    assert "between midnight and 6 am" in field_errors(response.text)["day_start_hour"]
    error_sits_by_its_field(response.text, "day_start_hour")
    assert 'value="Europe/Paris"' in response.text
    long_name = await save(client, "profile", display_name="A" * 101)
    assert long_name.status_code == 422
    error_sits_by_its_field(long_name.text, "display_name")
    body = await me(client, alice)
    assert (body["timezone"], body["day_start_hour"], body["display_name"]) == ("UTC", 0, "Alice")


async def test_changing_the_password_needs_the_current_one(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 4 Settings: change password (current + new); a wrong current one is an error
    by that field; a change ends the other sign-ins and keeps this one."""
    new = "a fresh and sunny orchard"
    await web_login(client, alice.email, alice.password)
    wrong = await save(client, "password", current_password="not my password", new_password=new)
    assert wrong.status_code == 422
    assert "not your current password" in field_errors(wrong.text)["current_password"]
    error_sits_by_its_field(wrong.text, "current_password")
    assert "not my password" not in wrong.text
    weak = await save(client, "password", current_password=alice.password, new_password="short")
    assert weak.status_code == 422
    error_sits_by_its_field(weak.text, "new_password")

    done = await save(client, "password", current_password=alice.password, new_password=new)
    assert done.status_code == 303
    assert (await client.get("/settings")).status_code == 200
    assert (await client.get(f"{API}/me", headers=alice.headers)).status_code == 401
    assert (await try_login(client, alice.email, new)).status_code == 200
    live = await db_session.scalar(
        select(AuthSession.id).where(
            AuthSession.user_id == alice.id,
            AuthSession.kind == "web",
            AuthSession.revoked_at.is_(None),
        )
    )
    await db_session.commit()
    assert live is not None


async def test_export_works_with_the_browser_session(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 4 Settings: "export my data" links to GET /api/v1/me/export, which answers the
    signed-in browser (cookie) with the account's JSON."""
    await web_login(client, alice.email, alice.password)
    response = await client.get("/api/v1/me/export")
    assert response.status_code == 200
    body = response.json()
    assert body["format"] == "habitus-export"
    assert body["user"]["email"] == alice.email
    assert body["user"]["theme"] == "system"


async def test_deleting_the_account_needs_the_password(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 4 Settings: delete my account (with password): a wrong one is refused next to
    the field; the right one deletes, signs out, and says so on the start page."""
    await web_login(client, alice.email, alice.password)
    page = (await client.get("/settings")).text
    assert "cannot be undone" in page
    wrong = await post_form(client, "/settings", "/settings/delete", {"password": "nope nope"})
    assert wrong.status_code == 422
    assert "not your current password" in field_errors(wrong.text)["delete_password"]
    error_sits_by_its_field(wrong.text, "delete_password")
    assert await count(db_session, User, User.id == alice.id) == 1

    gone = await post_form(client, "/settings", "/settings/delete", {"password": alice.password})
    assert gone.status_code == 303
    assert gone.headers["location"] == "/"
    assert not client.cookies.get(SESSION_COOKIE)
    home = (await follow(client, gone)).text
    assert "Your account and everything in it are deleted" in home
    assert await count(db_session, User, User.id == alice.id) == 0
    assert (await client.get("/settings")).status_code == 303


async def test_settings_are_the_users_own(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """Issue 4: each browser changes only its own account."""
    async with browser(client) as charlies:
        await web_login(charlies, charlie.email, charlie.password)
        await save(charlies, "profile", display_name="Mallory")
    assert (await me(client, alice))["display_name"] == "Alice"
    assert (await me(client, charlie))["display_name"] == "Mallory"


async def test_me_has_theme_and_day_part(client: httpx.AsyncClient, alice: Persona) -> None:
    """Issue 4: GET/PATCH /api/v1/me expose theme and day_part (additive, optional)."""
    body = await me(client, alice)
    assert body["theme"] == "system"
    assert body["day_part"] is None
    patched = await client.patch(
        f"{API}/me", json={"theme": "dark", "day_part": "morning"}, headers=alice.headers
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["theme"], patched.json()["day_part"]) == ("dark", "morning")
    cleared = await client.patch(f"{API}/me", json={"day_part": None}, headers=alice.headers)
    assert cleared.json()["day_part"] is None
    assert cleared.json()["theme"] == "dark"
    for bad in ({"theme": "sepia"}, {"theme": None}, {"day_part": "noon"}):
        refused = await client.patch(f"{API}/me", json=bad, headers=alice.headers)
        assert fields(problem(refused, 422)) == set(bad)
