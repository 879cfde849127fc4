"""Issue 15 people over the API: profiles, friend requests, friends and blocks (DOMAIN
D12.1, D12.2). Alice, Bob and Charlie; the clock is frozen at Sat 2026-11-21 12:00 UTC
(tests/social/conftest.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import time_machine
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import AchievementEarned, Event, FriendRequest, Friendship
from habitus.social.people_export import export_of
from tests.fixtures.personas import Persona
from tests.habits.helpers import checked_in, create_habit, travel
from tests.social.people_factories import (
    blocking,
    friends_with,
    request_friend,
    request_row,
    set_visibility,
    with_handle,
)

API = "/api/v1"


def _post(client: httpx.AsyncClient, persona: Persona, path: str, body: Any = None) -> Any:
    headers = {**persona.headers, "Idempotency-Key": uuid.uuid4().hex}
    return client.post(f"{API}{path}", json=body, headers=headers)


async def _errors(response: httpx.Response) -> set[tuple[str, str]]:
    assert response.status_code == 422, response.text
    return {(item["field"], item["rule"]) for item in response.json()["errors"]}


async def _count(session: AsyncSession, model: Any, *where: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _kinds(session: AsyncSession, user_id: uuid.UUID) -> list[str]:
    return list(await session.scalars(select(Event.kind).where(Event.user_id == user_id)))


# --- profiles ---------------------------------------------------------------------------


async def test_profile_is_empty_until_a_handle_is_chosen(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """D12: GET /me/profile before any change; PATCH sets only the fields sent."""
    empty = await client.get(f"{API}/me/profile", headers=alice.headers)
    assert empty.json() == {"handle": None, "bio": None, "public": False}
    made = await client.patch(
        f"{API}/me/profile", json={"handle": "alice_1", "bio": "Runner."}, headers=alice.headers
    )
    assert made.status_code == 200, made.text
    assert made.json() == {"handle": "alice_1", "bio": "Runner.", "public": False}
    changed = await client.patch(f"{API}/me/profile", json={"public": True}, headers=alice.headers)
    assert changed.json() == {"handle": "alice_1", "bio": "Runner.", "public": True}


async def test_bad_profile_input_is_a_422_naming_the_field_and_rule(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona, db_session: AsyncSession
) -> None:
    """D12: handle 3-30 of [a-z0-9_] (rule `pattern`), unique (rule `taken`); bio at most
    300 characters; the first change must choose a handle. Nothing is written."""
    await with_handle(app, bob, "bob")

    async def patch(body: dict[str, Any]) -> httpx.Response:
        return await client.patch(f"{API}/me/profile", json=body, headers=alice.headers)

    for bad in ("al", "Alice", "al ice", "a" * 31, "émile"):
        assert await _errors(await patch({"handle": bad})) == {("handle", "pattern")}
    assert await _errors(await patch({"handle": "bob"})) == {("handle", "taken")}
    assert await _errors(await patch({"bio": "hi"})) == {("handle", "missing")}
    assert ("bio", "string_too_long") in await _errors(
        await patch({"handle": "alice", "bio": "x" * 301})
    )
    mine = await client.get(f"{API}/me/profile", headers=alice.headers)
    assert mine.json()["handle"] is None


async def test_a_profile_is_404_unless_public_a_friends_or_mine(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona, charlie: Persona
) -> None:
    """D12.1/D12.2: profiles are 404 unless public, a friend's or mine; a block hides
    them both ways, public or not."""
    await with_handle(app, alice, "alice")
    await with_handle(app, bob, "bob")
    path = f"{API}/profiles/alice"
    assert (await client.get(path, headers=alice.headers)).status_code == 200
    assert (await client.get(path, headers=bob.headers)).status_code == 404
    assert (await client.get(path, headers=charlie.headers)).status_code == 404
    assert (await client.get(f"{API}/profiles/nobody", headers=bob.headers)).status_code == 404
    await friends_with(app, alice, bob)
    assert (await client.get(path, headers=bob.headers)).status_code == 200
    assert (await client.get(path, headers=charlie.headers)).status_code == 404
    await client.patch(f"{API}/me/profile", json={"public": True}, headers=alice.headers)
    assert (await client.get(path, headers=charlie.headers)).status_code == 200
    await blocking(app, charlie, alice)
    assert (await client.get(path, headers=charlie.headers)).status_code == 404
    await with_handle(app, charlie, "charlie", public=True)
    charlies = f"{API}/profiles/charlie"
    assert (await client.get(charlies, headers=alice.headers)).status_code == 404
    assert (await client.get(charlies, headers=bob.headers)).status_code == 200


async def test_a_profile_shows_the_habits_each_viewer_may_see_with_streaks(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    charlie: Persona,
    db_session: AsyncSession,
) -> None:
    """D12.2: public habits for anyone, friends' and public ones for friends, all for the
    owner, each with its current and longest streak; earned achievements with titles.
    A private habit's name never shows to others."""
    await with_handle(app, alice, "alice", public=True)
    secret = await create_habit(client, alice, name="Secret diary")
    for_friends = await create_habit(client, alice, name="Stretch")
    public = await create_habit(client, alice, name="Run")
    await set_visibility(app, for_friends["id"], "friends")
    await set_visibility(app, public["id"], "public")
    await checked_in(client, alice, public["id"])
    db_session.add(AchievementEarned(user_id=alice.id, achievement_id="streak_7"))
    await db_session.commit()
    await friends_with(app, alice, bob)

    async def seen_by(viewer: Persona) -> dict[str, Any]:
        response = await client.get(f"{API}/profiles/alice", headers=viewer.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    mine = await seen_by(alice)
    assert [h["name"] for h in mine["habits"]] == ["Secret diary", "Stretch", "Run"]
    assert [h["name"] for h in (await seen_by(bob))["habits"]] == ["Stretch", "Run"]
    public_view = await seen_by(charlie)
    assert [h["name"] for h in public_view["habits"]] == ["Run"]
    run = public_view["habits"][0]
    assert (run["current_streak"], run["longest_streak"]) == (1, 1)
    assert {"id": "streak_7", "title": "One week strong"} in public_view["achievements"]
    assert {"id": "first_checkin", "title": "First step"} in public_view["achievements"]
    assert public_view["display_name"] == "Alice"
    raw = (await client.get(f"{API}/profiles/alice", headers=charlie.headers)).text
    assert "Secret diary" not in raw
    assert secret["id"] not in raw


# --- friend requests --------------------------------------------------------------------


async def test_a_request_answers_the_same_whether_or_not_the_person_exists(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona, db_session: AsyncSession
) -> None:
    """D12.1: POST /friends/requests never reveals an account: the same 201 and body for
    a known and an unknown email; no row for the unknown one; Bob is told."""
    known = await _post(client, alice, "/friends/requests", {"email": "bob@example.org"})
    unknown = await _post(client, alice, "/friends/requests", {"email": "nobody@example.org"})
    by_handle = await _post(client, alice, "/friends/requests", {"handle": "nobody"})
    assert known.status_code == unknown.status_code == by_handle.status_code == 201
    assert known.json() == unknown.json() == by_handle.json()
    assert await _count(db_session, FriendRequest) == 1
    assert "friend_requested" in await _kinds(db_session, bob.id)
    listed = await client.get(f"{API}/friends/requests", headers=bob.headers)
    [incoming] = listed.json()["incoming"]
    assert incoming["user"] == {"id": str(alice.id), "handle": None, "display_name": "Alice"}
    # Requests sent to an email address are never listed to their sender (nor exported):
    # a list with Bob in it would tell that bob@example.org has an account.
    outgoing = (await client.get(f"{API}/friends/requests", headers=alice.headers)).json()
    assert outgoing["outgoing"] == []
    assert outgoing["incoming"] == []


async def test_bad_request_bodies_name_the_field(client: httpx.AsyncClient, alice: Persona) -> None:
    """D12.1: a request needs a handle or an email; a malformed email names `email`; you
    cannot ask yourself."""
    assert await _errors(await _post(client, alice, "/friends/requests", {})) == {
        ("handle", "missing")
    }
    bad = await _errors(await _post(client, alice, "/friends/requests", {"email": "not-an-email"}))
    assert {field for field, _ in bad} == {"email"}
    mine = await _post(client, alice, "/friends/requests", {"email": "alice@example.org"})
    assert await _errors(mine) == {("email", "self")}


async def test_accepting_makes_two_rows_and_tells_the_requester(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    charlie: Persona,
    db_session: AsyncSession,
) -> None:
    """D12.1: accept (200) writes a Friendship row per side and publishes FriendAccepted
    for the requester; only the recipient may accept (others get 404)."""
    await with_handle(app, bob, "bob")
    await _post(client, alice, "/friends/requests", {"handle": "bob"})
    [incoming] = (await client.get(f"{API}/friends/requests", headers=bob.headers)).json()[
        "incoming"
    ]
    for other in (alice, charlie):
        refused = await _post(client, other, f"/friends/requests/{incoming['id']}/accept")
        assert refused.status_code == 404
    accepted = await _post(client, bob, f"/friends/requests/{incoming['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["user"]["id"] == str(alice.id)
    assert await _count(db_session, Friendship) == 2
    assert "friend_accepted" in await _kinds(db_session, alice.id)
    again = await _post(client, bob, f"/friends/requests/{incoming['id']}/accept")
    assert again.status_code == 404
    listed = (await client.get(f"{API}/friends", headers=alice.headers)).json()
    assert [item["user"] for item in listed["items"]] == [
        {"id": str(bob.id), "handle": "bob", "display_name": "Bob"}
    ]
    assert listed["items"][0]["since"]
    # Friends already: asking again is a 422 naming the field.
    assert await _errors(await _post(client, alice, "/friends/requests", {"handle": "bob"})) == {
        ("handle", "already_friends")
    }


async def test_asking_someone_who_asked_you_makes_you_friends(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona, db_session: AsyncSession
) -> None:
    """D12.1: an incoming request from someone I then ask is accepted for both."""
    await request_friend(app, alice, bob.email)
    answer = await _post(client, bob, "/friends/requests", {"email": "alice@example.org"})
    assert answer.status_code == 201
    assert await _count(db_session, Friendship) == 2
    requests = (await client.get(f"{API}/friends/requests", headers=alice.headers)).json()
    assert requests == {"incoming": [], "outgoing": []}


async def test_a_declined_request_cannot_be_sent_again_for_30_days(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    frozen_clock: time_machine.Coordinates,
    db_session: AsyncSession,
) -> None:
    """D12.1: decline is a 204; sending again within 30 days answers the same neutral
    201 but Bob is not asked again; after 30 days he is."""
    await with_handle(app, bob, "bob")
    await request_friend(app, alice, handle="bob")
    [incoming] = (await client.get(f"{API}/friends/requests", headers=bob.headers)).json()[
        "incoming"
    ]
    declined = await _post(client, bob, f"/friends/requests/{incoming['id']}/decline")
    assert declined.status_code == 204
    assert (
        await _post(client, bob, f"/friends/requests/{incoming['id']}/decline")
    ).status_code == 404
    again = await _post(client, alice, "/friends/requests", {"handle": "bob"})
    assert again.status_code == 201
    assert (await client.get(f"{API}/friends/requests", headers=bob.headers)).json()[
        "incoming"
    ] == []
    row = await request_row(app, alice, bob)
    assert row is not None
    assert row.status == "declined"
    # The sender is not told of the decline: the request still looks open to her.
    outgoing = (await client.get(f"{API}/friends/requests", headers=alice.headers)).json()
    assert len(outgoing["outgoing"]) == 1
    await travel(frozen_clock, client, alice, datetime(2026, 12, 20, 12, tzinfo=UTC))
    await travel(frozen_clock, client, bob, datetime(2026, 12, 20, 12, tzinfo=UTC))
    await _post(client, alice, "/friends/requests", {"email": "bob@example.org"})
    assert (await client.get(f"{API}/friends/requests", headers=bob.headers)).json()[
        "incoming"
    ] == []
    await travel(frozen_clock, client, alice, datetime(2026, 12, 21, 12, 1, tzinfo=UTC))
    await travel(frozen_clock, client, bob, datetime(2026, 12, 21, 12, 1, tzinfo=UTC))
    await _post(client, alice, "/friends/requests", {"email": "bob@example.org"})
    incoming = (await client.get(f"{API}/friends/requests", headers=bob.headers)).json()
    assert [item["user"]["id"] for item in incoming["incoming"]] == [str(alice.id)]


async def test_friend_requests_are_rate_limited_per_user(
    client: httpx.AsyncClient, alice: Persona, bob: Persona
) -> None:
    """D12.1 request spam: a burst of 20 requests per user, then 429 with Retry-After;
    another user is not affected."""
    for number in range(20):
        sent = await _post(client, alice, "/friends/requests", {"email": f"x{number}@example.org"})
        assert sent.status_code == 201
    refused = await _post(client, alice, "/friends/requests", {"email": "y@example.org"})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    other = await _post(client, bob, "/friends/requests", {"email": "y@example.org"})
    assert other.status_code == 201


async def test_decline_and_accept_are_404_for_anyone_but_the_recipient(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona, charlie: Persona
) -> None:
    """D12.1: charlie cannot see or answer alice's request to bob."""
    await request_friend(app, alice, bob.email)
    row = await request_row(app, alice, bob)
    assert row is not None
    for who in (alice, charlie):
        assert (await _post(client, who, f"/friends/requests/{row.id}/decline")).status_code == 404
    charlies = (await client.get(f"{API}/friends/requests", headers=charlie.headers)).json()
    assert charlies == {"incoming": [], "outgoing": []}
    missing = await _post(client, bob, f"/friends/requests/{uuid.uuid4()}/accept")
    assert missing.status_code == 404


# --- friends and blocks ----------------------------------------------------------------


async def test_unfriend_removes_both_rows(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    charlie: Persona,
    db_session: AsyncSession,
) -> None:
    """D12.1: DELETE /friends/{id} is 204 and ends the friendship for both; 404 when not
    friends (charlie cannot end alice's friendships)."""
    await friends_with(app, alice, bob)
    assert (
        await client.delete(f"{API}/friends/{bob.id}", headers=charlie.headers)
    ).status_code == 404
    assert (
        await client.delete(f"{API}/friends/{bob.id}", headers=alice.headers)
    ).status_code == 204
    assert await _count(db_session, Friendship) == 0
    assert (
        await client.delete(f"{API}/friends/{alice.id}", headers=bob.headers)
    ).status_code == 404
    assert (await client.get(f"{API}/friends", headers=bob.headers)).json()["items"] == []


async def test_friends_list_pages(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona, charlie: Persona
) -> None:
    """D12.1: GET /friends is a page (limit, next_cursor)."""
    await friends_with(app, bob, alice)
    await friends_with(app, charlie, alice)
    first = (await client.get(f"{API}/friends?limit=1", headers=alice.headers)).json()
    assert len(first["items"]) == 1
    assert first["next_cursor"]
    rest = await client.get(
        f"{API}/friends", params={"limit": 1, "cursor": first["next_cursor"]}, headers=alice.headers
    )
    second = rest.json()
    assert len(second["items"]) == 1
    assert second["next_cursor"] is None
    assert {first["items"][0]["user"]["id"], second["items"][0]["user"]["id"]} == {
        str(bob.id),
        str(charlie.id),
    }


async def test_a_block_ends_friendship_and_requests_and_hides_both_ways(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    charlie: Persona,
    db_session: AsyncSession,
) -> None:
    """D12.1: POST /blocks (201) ends the friendship and pending requests both ways; a
    blocked user's request answers the neutral 201 and writes nothing; DELETE lifts it."""
    await friends_with(app, alice, bob)
    await request_friend(app, charlie, alice.email)
    await request_friend(app, alice, charlie.email)  # mutual: friends; ask again below
    await client.delete(f"{API}/friends/{charlie.id}", headers=alice.headers)
    await request_friend(app, charlie, alice.email)
    made = await _post(client, alice, "/blocks", {"user_id": str(bob.id)})
    assert made.status_code == 201, made.text
    assert made.json()["user_id"] == str(bob.id)
    assert await _count(db_session, Friendship) == 0
    blocked_charlie = await _post(client, alice, "/blocks", {"user_id": str(charlie.id)})
    assert blocked_charlie.status_code == 201
    assert await _count(db_session, FriendRequest, FriendRequest.status == "pending") == 0
    neutral = await _post(client, bob, "/friends/requests", {"email": "alice@example.org"})
    assert neutral.status_code == 201
    assert (
        neutral.json()
        == (await _post(client, bob, "/friends/requests", {"email": "who@example.org"})).json()
    )
    assert await _count(db_session, FriendRequest, FriendRequest.status == "pending") == 0
    assert (
        await client.delete(f"{API}/blocks/{bob.id}", headers=charlie.headers)
    ).status_code == 404
    assert (await client.delete(f"{API}/blocks/{alice.id}", headers=bob.headers)).status_code == 404
    assert (await client.delete(f"{API}/blocks/{bob.id}", headers=alice.headers)).status_code == 204
    assert (await client.delete(f"{API}/blocks/{bob.id}", headers=alice.headers)).status_code == 404


async def test_bad_block_bodies(client: httpx.AsyncClient, alice: Persona) -> None:
    """D12.1: you cannot block yourself (422 naming user_id); an unknown user is 404."""
    self_block = await _post(client, alice, "/blocks", {"user_id": str(alice.id)})
    assert await _errors(self_block) == {("user_id", "self")}
    unknown = await _post(client, alice, "/blocks", {"user_id": str(uuid.uuid4())})
    assert unknown.status_code == 404
    assert await _errors(await _post(client, alice, "/blocks", {"user_id": "nope"})) == {
        ("user_id", "uuid_parsing")
    }


async def test_a_blocked_senders_old_request_is_hidden_and_cannot_be_accepted(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona
) -> None:
    """D12.1: a block hides everywhere, including the requests lists."""
    await request_friend(app, alice, bob.email)
    row = await request_row(app, alice, bob)
    assert row is not None
    await blocking(app, bob, alice)
    assert (await client.get(f"{API}/friends/requests", headers=bob.headers)).json()[
        "incoming"
    ] == []
    assert (await _post(client, bob, f"/friends/requests/{row.id}/accept")).status_code == 404


async def test_export_holds_only_my_own_people_data(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona, charlie: Persona
) -> None:
    """D12.1 export: my profile, my friends (ids and handles only), requests I sent,
    whom I blocked; nothing of requests or blocks others made."""
    await with_handle(app, alice, "alice")
    await with_handle(app, bob, "bob")
    await friends_with(app, alice, bob)
    await request_friend(app, charlie, handle="alice")  # charlie's request: not alice's data
    await blocking(app, charlie, bob)
    await request_friend(app, alice, "nobody@example.org")
    async with app.state.sessionmaker() as session:
        mine = await export_of(session, alice.id)
        charlies = await export_of(session, charlie.id)
    assert mine["profile"] == {"handle": "alice", "bio": None, "public": False}
    assert [(f["user_id"], f["handle"]) for f in mine["friends"]] == [(str(bob.id), "bob")]
    assert set(mine["friends"][0]) == {"user_id", "handle", "since"}
    assert mine["friend_requests_sent"] == []
    assert mine["blocks"] == []
    assert str(charlie.id) not in str(mine)
    assert [r["to_user_id"] for r in charlies["friend_requests_sent"]] == [str(alice.id)]
    assert [b["user_id"] for b in charlies["blocks"]] == [str(bob.id)]
