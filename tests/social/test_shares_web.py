"""D12.2 on the web: the habit page's Share section (create, show once, revoke), its
page without script, CSRF and owner checks, and the habit form's visibility select.
The clock is frozen at Sat 2026-11-21 12:00 UTC (tests/social/conftest.py)."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from tests.fixtures.personas import Persona
from tests.fixtures.web import meta_csrf_token
from tests.habits.helpers import API, create_habit
from tests.habits.test_web import error_of, page, post_form, signed_in
from tests.social.share_factories import make_share

HTMX = {"HX-Request": "true"}
_URL = re.compile(r'id="share-url" type="url" value="(http://testserver/s/[A-Za-z0-9_-]+)"')


async def _htmx_post(web: httpx.AsyncClient, path: str, token: str) -> httpx.Response:
    return await web.post(path, headers={**HTMX, "X-CSRF-Token": token}, data={})


async def test_the_habit_page_has_a_share_section(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """D12.2: the habit page offers share links (loaded into its Share section)."""
    habit = await create_habit(client, alice)
    async with signed_in(client, alice) as web:
        html = await page(web, f"/habits/{habit['id']}")
    assert 'id="share-heading">Share</h2>' in html
    assert f'hx-get="/habits/{habit["id"]}/shares"' in html
    assert f'href="/habits/{habit["id"]}/shares"' in html


async def test_a_link_is_made_shown_once_and_revoked_from_the_panel(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """D12.2: the panel makes a link and shows its URL once, says the link works
    whatever the visibility, lists live links and revokes them (then the link 404s)."""
    habit = await create_habit(client, alice)
    panel_path = f"/habits/{habit['id']}/shares"
    async with signed_in(client, alice) as web:
        token = meta_csrf_token(await page(web, f"/habits/{habit['id']}"))
        empty = await web.get(panel_path, headers=HTMX)
        assert "No live links." in empty.text
        assert "even though the habit itself is visible to only you" in empty.text
        made = await _htmx_post(web, panel_path, token)
        assert made.status_code == 200, made.text
        url = _URL.search(made.text)
        assert url, made.text
        assert 'hx-swap-oob="true">Link created.' in made.text
        assert (await client.get(url[1].removeprefix("http://testserver"))).status_code == 200
        again = await web.get(panel_path, headers=HTMX)
        assert url[1] not in again.text  # shown once: only the hash is kept
        revoke = re.search(r'action="(/shares/[0-9a-f-]+/revoke)"', again.text)
        assert revoke
        revoked = await _htmx_post(web, revoke[1], token)
        assert revoked.status_code == 200
        assert "No live links." in revoked.text
    assert (await client.get(url[1].removeprefix("http://testserver"))).status_code == 404


async def test_without_script_the_panel_is_a_page(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """D12.2: plain form posts work: create shows the link on the page, revoke comes
    back to it with a message."""
    habit = await create_habit(client, alice)
    path = f"/habits/{habit['id']}/shares"
    async with signed_in(client, alice) as web:
        html = await page(web, path)
        assert "<h1" in html
        assert "Share \u2018Read\u2019" in html
        made = await post_form(web, path, path)
        assert made.status_code == 200
        assert _URL.search(made.text)
        revoke = re.search(r'action="(/shares/[0-9a-f-]+/revoke)"', made.text)
        assert revoke
        back = await post_form(web, revoke[1], path)
        assert back.status_code == 303
        assert back.headers["location"] == path
        assert "Link revoked" in (await page(web, path))


async def test_posts_without_the_csrf_token_are_refused(
    client: httpx.AsyncClient, alice: Persona, app: FastAPI
) -> None:
    """D12.2: the panel's forms are CSRF-checked; nothing is made or revoked."""
    habit = await create_habit(client, alice)
    share_id, token = await make_share(app, alice, habit["id"])
    async with signed_in(client, alice) as web:
        made = await web.post(f"/habits/{habit['id']}/shares", data={})
        assert made.status_code == 403
        revoked = await web.post(f"/shares/{share_id}/revoke", data={})
        assert revoked.status_code == 403
    listed = (await client.get(f"{API}/shares", headers=alice.headers)).json()["items"]
    assert [item["revoked_at"] for item in listed] == [None]
    assert (await client.get(f"/s/{token}")).status_code == 200


async def test_charlie_gets_404_for_alices_panel_and_links(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona, app: FastAPI
) -> None:
    """D12.2: owner-only pages: another user's habit or link is 404, nothing changes."""
    habit = await create_habit(client, alice)
    share_id, token = await make_share(app, alice, habit["id"])
    async with signed_in(client, charlie) as web:
        csrf = meta_csrf_token(await page(web, "/today"))
        assert (await web.get(f"/habits/{habit['id']}/shares")).status_code == 404
        assert (await web.get(f"/habits/{habit['id']}/shares", headers=HTMX)).status_code == 404
        made = await _htmx_post(web, f"/habits/{habit['id']}/shares", csrf)
        assert made.status_code == 404
        revoked = await _htmx_post(web, f"/shares/{share_id}/revoke", csrf)
        assert revoked.status_code == 404
    assert (await client.get(f"/s/{token}")).status_code == 200
    assert len((await client.get(f"{API}/shares", headers=alice.headers)).json()["items"]) == 1


async def test_the_form_sets_visibility(client: httpx.AsyncClient, alice: Persona) -> None:
    """D12.2: the habit form's "Who can see it" select (private by default) is saved
    and shown again on the edit form; a made-up value is named in plain words."""
    async with signed_in(client, alice) as web:
        form = await page(web, "/habits/new")
        assert '<option value="private" selected>Only me</option>' in form
        response = await post_form(
            web, "/habits/new", "/habits/new", name="Run", visibility="friends"
        )
        assert response.status_code == 303, response.text
        habit = (await client.get(f"{API}/habits", headers=alice.headers)).json()["items"][0]
        assert habit["visibility"] == "friends"
        edit = await page(web, f"/habits/{habit['id']}/edit")
        assert '<option value="friends" selected>My friends</option>' in edit
        bad = await post_form(web, "/habits/new", "/habits/new", name="Walk", visibility="secret")
        assert bad.status_code == 422
        assert "who can see" in error_of(bad.text, "visibility").lower()
    assert len((await client.get(f"{API}/habits", headers=alice.headers)).json()["items"]) == 1
