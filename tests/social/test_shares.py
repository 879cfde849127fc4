"""D12.2 share links over HTTP: POST /habits/{id}/shares, GET /shares, DELETE
/shares/{id}, and the public GET /s/{token} (JSON and HTML). The clock is frozen at
Sat 2026-11-21 12:00 UTC (tests/social/conftest.py)."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import date, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.kit import clock
from habitus.models import Share, User
from habitus.social import shares
from tests.fixtures.personas import Persona
from tests.habits.helpers import API, TODAY, checked_in, create_habit
from tests.social.challenge_factories import block
from tests.social.share_factories import make_profile, make_share

JSON = {"Accept": "application/json"}
SECRET_NOTE = "my secret diary line about the dentist"
OTHER_HABIT = "Hidden habit nobody should see"


async def _shared_habit(client: httpx.AsyncClient, alice: Persona) -> dict[str, object]:
    """Alice's "Read" habit done the last three days (one with a private note) and a
    second, private habit."""
    habit = await create_habit(client, alice, start_date="2026-11-01")
    for back in (2, 1):
        day = (TODAY - timedelta(days=back)).isoformat()
        await checked_in(client, alice, habit["id"], date=day)
    await checked_in(client, alice, habit["id"], note=SECRET_NOTE)
    await create_habit(client, alice, name=OTHER_HABIT, description="private words")
    return habit


async def test_creating_a_link_gives_a_url_once_and_keeps_only_its_hash(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """D12.2: an unguessable URL (32 random bytes); the server stores only its SHA-256."""
    habit = await create_habit(client, alice)
    response = await client.post(f"{API}/habits/{habit['id']}/shares", headers=alice.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "url"}
    match = re.fullmatch(r"http://testserver/s/([A-Za-z0-9_-]{43})", body["url"])
    assert match, body["url"]
    token = match[1]
    stored = (await db_session.scalars(select(Share))).one()
    assert str(stored.id) == body["id"]
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {stored.token_hash, str(stored.id)}


async def test_the_public_json_has_name_streaks_and_a_year_of_days(
    client: httpx.AsyncClient, alice: Persona, app: FastAPI
) -> None:
    """D12.2: name, current and longest streak, and the year heatmap as {date, done}."""
    habit = await _shared_habit(client, alice)
    _, token = await make_share(app, alice, habit["id"])
    response = await client.get(f"/s/{token}", headers=JSON)
    assert response.status_code == 200, response.text
    assert response.headers["x-robots-tag"].startswith("noindex")
    body = response.json()
    assert set(body) == {"name", "current_streak", "longest_streak", "heatmap"}
    assert (body["name"], body["current_streak"], body["longest_streak"]) == ("Read", 3, 3)
    days = body["heatmap"]
    assert len(days) == shares.HEATMAP_DAYS
    assert days[-1] == {"date": TODAY.isoformat(), "done": True}
    done = [day["date"] for day in days if day["done"]]
    assert done == ["2026-11-19", "2026-11-20", "2026-11-21"]
    assert all(set(day) == {"date", "done"} for day in days)


async def test_the_public_page_has_open_graph_tags_and_no_index(
    client: httpx.AsyncClient, alice: Persona, app: FastAPI
) -> None:
    """D12.2: a read-only page that previews well in chat apps, kept out of search."""
    habit = await _shared_habit(client, alice)
    _, token = await make_share(app, alice, habit["id"])
    async with httpx.AsyncClient(
        transport=client._transport, base_url="http://testserver"
    ) as anonymous:
        response = await anonymous.get(f"/s/{token}")
    assert response.status_code == 200, response.text
    html = response.text
    assert response.headers["x-robots-tag"].startswith("noindex")
    assert "<title>Read · shared on Habitus</title>" in html
    assert '<meta property="og:title" content="Read">' in html
    assert '<meta property="og:type" content="website">' in html
    assert re.search(r'<meta property="og:description" content="Current streak: 3 days\.', html)
    assert 'id="share-current"' in html
    assert "3 days" in html
    assert len(re.findall(r'class="hm-done[^"]*" data-date', html)) == 3
    assert "Sign out" not in html


async def test_nothing_private_leaks_in_html_or_json(
    client: httpx.AsyncClient, alice: Persona, app: FastAPI
) -> None:
    """D12.2: no note, no other habit's name, no description, no email, no display name
    (Alice's profile is not public), whatever the habit's visibility."""
    habit = await _shared_habit(client, alice)
    _, token = await make_share(app, alice, habit["id"])
    html = (await client.get(f"/s/{token}")).text
    data = (await client.get(f"/s/{token}", headers=JSON)).text
    for text in (html, data):
        for secret in (SECRET_NOTE, OTHER_HABIT, "private words", alice.email, "Alice"):
            assert secret not in text


async def test_the_owners_name_shows_only_with_a_public_profile(
    client: httpx.AsyncClient, alice: Persona, bob: Persona, app: FastAPI
) -> None:
    """D12.2: a public profile's name and handle may show; a private one's never."""
    habit = await create_habit(client, alice)
    _, token = await make_share(app, alice, habit["id"])
    await make_profile(app, alice, "alice_reads", public=True)
    assert "Alice (@alice_reads)" in (await client.get(f"/s/{token}")).text
    other = await create_habit(client, bob, name="Walk")
    _, bobs = await make_share(app, bob, other["id"])
    await make_profile(app, bob, "bob_walks", public=False)
    page = (await client.get(f"/s/{bobs}")).text
    assert "bob_walks" not in page
    assert "Bob" not in page


async def test_a_revoked_link_is_gone(
    client: httpx.AsyncClient, alice: Persona, app: FastAPI
) -> None:
    """D12.2: revocable: DELETE /shares/{id} answers 204 and the link 404s after, as
    HTML and as JSON, still kept out of search; revoking again is fine."""
    habit = await create_habit(client, alice)
    share_id, token = await make_share(app, alice, habit["id"])
    response = await client.delete(f"{API}/shares/{share_id}", headers=alice.headers)
    assert response.status_code == 204
    for headers in ({}, JSON):
        gone = await client.get(f"/s/{token}", headers=headers)
        assert gone.status_code == 404
        assert gone.headers["x-robots-tag"].startswith("noindex")
    assert (
        (await client.get(f"/s/{token}", headers=JSON))
        .headers["content-type"]
        .startswith("application/problem+json")
    )
    again = await client.delete(f"{API}/shares/{share_id}", headers=alice.headers)
    assert again.status_code == 204


async def test_unknown_tokens_deleted_habits_and_disabled_owners_are_404(
    client: httpx.AsyncClient, alice: Persona, app: FastAPI, db_session: AsyncSession
) -> None:
    """D12.2: only a live link to a live habit of an active account opens."""
    assert (await client.get("/s/not-a-token")).status_code == 404
    assert (await client.get(f"/s/{'x' * 500}", headers=JSON)).status_code == 404
    gone = await create_habit(client, alice, name="Gone")
    _, gone_token = await make_share(app, alice, gone["id"])
    deleted = await client.delete(f"{API}/habits/{gone['id']}", headers=alice.headers)
    assert deleted.status_code == 204
    assert (await client.get(f"/s/{gone_token}")).status_code == 404
    kept = await create_habit(client, alice, name="Kept")
    _, token = await make_share(app, alice, kept["id"])
    assert (await client.get(f"/s/{token}")).status_code == 200
    await db_session.execute(
        update(User).where(User.id == alice.id).values(disabled_at=clock.now())
    )
    await db_session.commit()
    assert (await client.get(f"/s/{token}", headers=JSON)).status_code == 404


async def test_charlie_cannot_share_list_or_revoke_alices_links(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona, app: FastAPI
) -> None:
    """D12.2: owner-only: another user's habit or link is 404, and the link still opens."""
    habit = await create_habit(client, alice)
    share_id, token = await make_share(app, alice, habit["id"])
    made = await client.post(f"{API}/habits/{habit['id']}/shares", headers=charlie.headers)
    assert made.status_code == 404
    revoked = await client.delete(f"{API}/shares/{share_id}", headers=charlie.headers)
    assert revoked.status_code == 404
    listed = await client.get(f"{API}/shares", headers=charlie.headers)
    assert listed.json()["items"] == []
    assert (await client.get(f"/s/{token}")).status_code == 200
    unknown = await client.delete(f"{API}/shares/{uuid.uuid4()}", headers=alice.headers)
    assert unknown.status_code == 404


async def test_a_blocked_viewer_gets_404(
    client: httpx.AsyncClient, alice: Persona, bob: Persona, app: FastAPI
) -> None:
    """D12.1: a block hides both ways everywhere, share links too (signed-in viewer)."""
    from tests.fixtures.web import browser, web_login

    habit = await create_habit(client, alice)
    _, token = await make_share(app, alice, habit["id"])
    async with browser(client) as bobs:
        await web_login(bobs, bob.email, bob.password)
        assert (await bobs.get(f"/s/{token}")).status_code == 200
        await block(app, alice, bob)
        assert (await bobs.get(f"/s/{token}")).status_code == 404
        assert (await bobs.get(f"/s/{token}", headers=JSON)).status_code == 404
    assert (await client.get(f"/s/{token}")).status_code == 200


async def test_the_list_pages_newest_first_with_revoked_ones(
    client: httpx.AsyncClient, alice: Persona, app: FastAPI, frozen_clock: object
) -> None:
    """D12.2: GET /shares pages my links, newest first, `revoked_at` on revoked ones."""
    habit = await create_habit(client, alice)
    ids = []
    for _ in range(3):
        share_id, _token = await make_share(app, alice, habit["id"])
        ids.append(share_id)
        frozen_clock.shift(timedelta(minutes=1))  # type: ignore[attr-defined]
    await client.delete(f"{API}/shares/{ids[0]}", headers=alice.headers)
    first = (await client.get(f"{API}/shares?limit=2", headers=alice.headers)).json()
    assert [item["id"] for item in first["items"]] == [ids[2], ids[1]]
    assert first["items"][0]["habit_name"] == "Read"
    assert "token" not in str(first)
    assert "url" not in first["items"][0]
    cursor = first["next_cursor"]
    rest = (await client.get(f"{API}/shares?cursor={cursor}", headers=alice.headers)).json()
    assert [item["id"] for item in rest["items"]] == [ids[0]]
    assert rest["items"][0]["revoked_at"] is not None
    assert rest["next_cursor"] is None


async def test_making_links_is_rate_limited(client: httpx.AsyncClient, alice: Persona) -> None:
    """D12.2: link creation is limited per user (429 with Retry-After), nothing written."""
    habit = await create_habit(client, alice)
    path = f"{API}/habits/{habit['id']}/shares"
    for _ in range(shares.CREATE_RATE.count):
        assert (await client.post(path, headers=alice.headers)).status_code == 201
    refused = await client.post(path, headers=alice.headers)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    listed = await client.get(f"{API}/shares?limit=100", headers=alice.headers)
    assert len(listed.json()["items"]) == shares.CREATE_RATE.count


async def test_habits_carry_visibility_private_by_default(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """D12.2: visibility is private, friends or public; private unless said."""
    habit = await create_habit(client, alice)
    assert habit["visibility"] == "private"
    friends = await create_habit(client, alice, name="Run", visibility="friends")
    assert friends["visibility"] == "friends"
    patched = await client.patch(
        f"{API}/habits/{habit['id']}", json={"visibility": "public"}, headers=alice.headers
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["visibility"] == "public"
    fetched = await client.get(f"{API}/habits/{habit['id']}", headers=alice.headers)
    assert fetched.json()["visibility"] == "public"


async def test_a_bad_visibility_is_a_422_naming_it(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """D12.2: anything but private, friends or public is refused, naming the field."""
    bad = await client.post(
        f"{API}/habits",
        json={"name": "Read", "schedule": {"type": "daily"}, "visibility": "secret"},
        headers=alice.headers,
    )
    assert bad.status_code == 422
    assert [error["field"] for error in bad.json()["errors"]] == ["visibility"]
    habit = await create_habit(client, alice)
    for value in ("everyone", None, 3):
        refused = await client.patch(
            f"{API}/habits/{habit['id']}", json={"visibility": value}, headers=alice.headers
        )
        assert refused.status_code == 422, value
        assert [error["field"] for error in refused.json()["errors"]] == ["visibility"]
    listed = await client.get(f"{API}/habits", headers=alice.headers)
    assert len(listed.json()["items"]) == 1


async def test_export_lists_links_without_tokens(
    client: httpx.AsyncClient, alice: Persona, bob: Persona, app: FastAPI
) -> None:
    """D12.2: the export carries my own links (id, habit, times), never a token or its
    hash, and nothing of another user's."""
    habit = await create_habit(client, alice)
    share_id, token = await make_share(app, alice, habit["id"])
    bobs_habit = await create_habit(client, bob, name="Walk")
    await make_share(app, bob, bobs_habit["id"])
    async with app.state.sessionmaker() as session:
        exported = await shares.export_of(session, alice.id)
        stored = (await session.scalars(select(Share).where(Share.user_id == alice.id))).one()
    assert exported == {
        "shares": [
            {
                "id": share_id,
                "habit_id": habit["id"],
                "created_at": stored.created_at.isoformat(),
                "revoked_at": None,
            }
        ]
    }
    assert token not in str(exported)
    assert stored.token_hash not in str(exported)
    assert date.fromisoformat(exported["shares"][0]["created_at"][:10]) == TODAY
