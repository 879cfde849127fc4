"""D12.3 challenges over the API: create, see, invite, join, leave, end, remove; blocks
and strangers get 404; account deletion hands a challenge on."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import time_machine
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.kit.rates import Rate
from habitus.models import Challenge, ChallengeInvite, ChallengeMember, Event, Habit
from habitus.social import challenges
from tests.fixtures.personas import Persona
from tests.habits.helpers import count, error_fields, problem
from tests.social.challenge_factories import (
    API,
    befriend,
    block,
    challenge_body,
    invite,
    join,
    make_challenge,
)


async def habits_of(session: AsyncSession, persona: Persona, challenge_id: str) -> list[Habit]:
    rows = list(
        await session.scalars(
            select(Habit)
            .where(Habit.user_id == persona.id, Habit.challenge_id == uuid.UUID(challenge_id))
            .order_by(Habit.position)
            .execution_options(populate_existing=True)
        )
    )
    await session.commit()
    return rows


async def test_create_makes_the_owner_a_member_with_the_habits(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """D12.3: the window is [start, start + days - 1]; the owner is a member from the
    start, with the challenge's habits made in their account over that window."""
    made = await make_challenge(client, alice)
    assert made["name"] == "December run"
    assert (made["start_date"], made["end_date"], made["days"]) == (
        "2026-11-21",
        "2026-12-20",
        30,
    )
    assert made["owner"]["id"] == str(alice.id)
    assert [m["user"]["id"] for m in made["members"]] == [str(alice.id)]
    assert [h["name"] for h in made["habits"]] == ["Run", "Water"]
    assert made["habits"][1]["target"] == {"value": 2.0, "unit": "l", "direction": "at_least"}
    habits = await habits_of(db_session, alice, made["id"])
    assert [h.name for h in habits] == ["Run", "Water"]
    assert {(h.start_date.isoformat(), h.end_date and h.end_date.isoformat()) for h in habits} == {
        ("2026-11-21", "2026-12-20")
    }
    listed = (await client.get(f"{API}/challenges", headers=alice.headers)).json()
    assert [item["id"] for item in listed["items"]] == [made["id"]]


@pytest.mark.parametrize(
    ("fields", "field", "rule_part"),
    [
        ({"days": 0}, "days", ""),
        ({"days": 367}, "days", ""),
        ({"habits": []}, "habits", ""),
        ({"habits": [{"name": "x", "schedule": {"type": "daily"}}] * 11}, "habits", ""),
        (
            {"habits": [{"name": "x", "schedule": {"type": "daily"}, "kind": "measurable"}]},
            "habits.0.target",
            "required",
        ),
        ({"start_date": "2026-10-01", "days": 7}, "start_date", "in_past"),
        ({"name": "  "}, "name", ""),
        ({"start_date": "2199-12-01", "days": 60}, "days", "date_range"),
    ],
)
async def test_bad_challenges_are_refused_naming_the_field(
    client: httpx.AsyncClient,
    alice: Persona,
    db_session: AsyncSession,
    fields: dict[str, Any],
    field: str,
    rule_part: str,
) -> None:
    """D12.3: 1..366 days, 1..10 habits, a measurable habit needs a target, a window
    not over already: a 422 naming the field, and nothing written."""
    response = await client.post(
        f"{API}/challenges", json=challenge_body(**fields), headers=alice.headers
    )
    body = problem(response, 422)
    assert field in error_fields(body)
    if rule_part:
        assert rule_part in [e["rule"] for e in body["errors"]]
    assert await count(db_session, Challenge) == 0
    assert await count(db_session, Habit) == 0


async def test_strangers_get_404_everywhere(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """D12.3: a challenge is seen by members and invitees only; anyone else gets 404."""
    made = await make_challenge(client, alice)
    base = f"{API}/challenges/{made['id']}"
    h = charlie.headers
    assert (await client.get(base, headers=h)).status_code == 404
    assert (await join(client, charlie, made["id"])).status_code == 404
    assert (await join(client, charlie, made["id"], token="guess")).status_code == 404
    assert (await client.post(f"{base}/leave", headers=h)).status_code == 404
    assert (await client.post(f"{base}/end", headers=h)).status_code == 404
    assert (await client.post(f"{base}/invites", json={"link": True}, headers=h)).status_code == 404
    removed = await client.delete(f"{base}/members/{alice.id}", headers=h)
    assert removed.status_code == 404
    assert (await client.get(f"{API}/challenges", headers=h)).json()["items"] == []
    missing = await client.get(f"{API}/challenges/{uuid.uuid4()}", headers=alice.headers)
    assert missing.status_code == 404


async def test_invite_friends_only_then_join_once(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    charlie: Persona,
    db_session: AsyncSession,
) -> None:
    """D12.3: only friends can be invited (422 naming user_ids); the invitee is told,
    may see the challenge and join; joining makes the habits from the challenge's start
    to its last day, and a second join changes nothing."""
    made = await make_challenge(client, alice)
    await befriend(app, alice, bob)
    refused = problem(await invite(client, alice, made["id"], bob, charlie), 422)
    assert error_fields(refused) == ["user_ids"]
    assert await count(db_session, ChallengeInvite) == 0
    invited = await invite(client, alice, made["id"], bob)
    assert invited.status_code == 201, invited.text
    assert invited.json()["invited"] == [str(bob.id)]
    told = await db_session.scalar(
        select(Event).where(Event.user_id == bob.id, Event.kind == "challenge_invited")
    )
    await db_session.commit()
    assert told is not None
    assert told.payload["challenge_name"] == "December run"
    seen = await client.get(f"{API}/challenges/{made['id']}", headers=bob.headers)
    assert seen.status_code == 200
    joined = await join(client, bob, made["id"])
    assert joined.status_code == 200, joined.text
    habit_ids = joined.json()["habit_ids"]
    assert len(habit_ids) == 2
    again = await join(client, bob, made["id"])
    assert again.json()["habit_ids"] == habit_ids
    habits = await habits_of(db_session, bob, made["id"])
    assert sorted(str(h.id) for h in habits) == sorted(habit_ids)
    assert {(h.start_date.isoformat(), h.end_date and h.end_date.isoformat()) for h in habits} == {
        ("2026-11-21", "2026-12-20")
    }
    members = (await client.get(f"{API}/challenges/{made['id']}", headers=alice.headers)).json()
    assert {m["user"]["id"] for m in members["members"]} == {str(alice.id), str(bob.id)}


async def test_join_link_lets_anyone_with_it_join(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona, db_session: AsyncSession
) -> None:
    """D12.3: a join link: only its hash is stored; the holder may see and join; a wrong
    token is a 404."""
    made = await make_challenge(client, alice)
    linked = await client.post(
        f"{API}/challenges/{made['id']}/invites", json={"link": True}, headers=alice.headers
    )
    assert linked.status_code == 201, linked.text
    url = linked.json()["url"]
    token = url.split("token=")[1]
    stored = await db_session.get(Challenge, uuid.UUID(made["id"]))
    assert stored is not None
    assert stored.join_token_hash == challenges.hash_token(token)
    assert token not in (stored.join_token_hash or "")
    await db_session.commit()
    assert (await join(client, charlie, made["id"], token=token + "x")).status_code == 404
    joined = await join(client, charlie, made["id"], token=token)
    assert joined.status_code == 200, joined.text
    assert len(joined.json()["habit_ids"]) == 2
    # A member sees it without the token from now on.
    seen = await client.get(f"{API}/challenges/{made['id']}", headers=charlie.headers)
    assert seen.status_code == 200


async def test_neither_both_nor_a_member_only_link(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona
) -> None:
    """D12.3: an invite body is either user_ids or link: true; only the owner makes a
    link (a member gets 403)."""
    made = await make_challenge(client, alice)
    base = f"{API}/challenges/{made['id']}/invites"
    for body in ({}, {"user_ids": [str(bob.id)], "link": True}, {"link": False}):
        problem(await client.post(base, json=body, headers=alice.headers), 422)
    await befriend(app, alice, bob)
    await invite(client, alice, made["id"], bob)
    await join(client, bob, made["id"])
    response = await client.post(base, json={"link": True}, headers=bob.headers)
    problem(response, 403)


async def test_leave_archives_the_habits_and_rejoin_brings_them_back(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    db_session: AsyncSession,
) -> None:
    """D12.3: leaving archives the member's challenge habits and drops the challenge
    from their list; joining again restores the same habits."""
    made = await make_challenge(client, alice)
    await befriend(app, alice, bob)
    await invite(client, alice, made["id"], bob)
    first = (await join(client, bob, made["id"])).json()["habit_ids"]
    left = await client.post(f"{API}/challenges/{made['id']}/leave", headers=bob.headers)
    assert left.status_code == 204
    habits = await habits_of(db_session, bob, made["id"])
    assert all(h.archived_at is not None for h in habits)
    member = await db_session.get(ChallengeMember, (uuid.UUID(made["id"]), bob.id))
    assert member is not None
    assert member.left_at is not None
    await db_session.commit()
    assert (await client.get(f"{API}/challenges", headers=bob.headers)).json()["items"] == []
    seen = (await client.get(f"{API}/challenges/{made['id']}", headers=alice.headers)).json()
    assert [m["user"]["id"] for m in seen["members"]] == [str(alice.id)]
    back = await join(client, bob, made["id"])
    assert sorted(back.json()["habit_ids"]) == sorted(first)
    habits = await habits_of(db_session, bob, made["id"])
    assert all(h.archived_at is None for h in habits)


async def test_owner_ends_and_removes(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    charlie: Persona,
    db_session: AsyncSession,
) -> None:
    """D12.3: only the owner ends a challenge or removes a member (403 for a member);
    a removed member's habits are archived and they cannot join again uninvited; an
    ended challenge cannot be joined (409)."""
    made = await make_challenge(client, alice)
    base = f"{API}/challenges/{made['id']}"
    await befriend(app, alice, bob)
    await befriend(app, alice, charlie)
    await invite(client, alice, made["id"], bob, charlie)
    await join(client, bob, made["id"])
    problem(await client.post(f"{base}/end", headers=bob.headers), 403)
    problem(await client.delete(f"{base}/members/{alice.id}", headers=bob.headers), 403)
    self_removal = await client.delete(f"{base}/members/{alice.id}", headers=alice.headers)
    assert error_fields(problem(self_removal, 422)) == ["user_id"]
    removed = await client.delete(f"{base}/members/{bob.id}", headers=alice.headers)
    assert removed.status_code == 204
    assert all(h.archived_at is not None for h in await habits_of(db_session, bob, made["id"]))
    problem(await client.delete(f"{base}/members/{bob.id}", headers=alice.headers), 404)
    problem(await join(client, bob, made["id"]), 404)  # removed: not back without an invite
    ended = await client.post(f"{base}/end", headers=alice.headers)
    assert ended.status_code == 200
    assert ended.json()["ended_at"] is not None
    problem(await join(client, charlie, made["id"]), 409)


async def test_blocked_by_the_owner_sees_nothing(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona
) -> None:
    """D12.1/D12.3: a block hides the owner's challenge from the other user: 404, even
    when invited before."""
    made = await make_challenge(client, alice)
    await befriend(app, alice, bob)
    await invite(client, alice, made["id"], bob)
    await block(app, bob, alice)
    assert (
        await client.get(f"{API}/challenges/{made['id']}", headers=bob.headers)
    ).status_code == 404
    assert (await join(client, bob, made["id"])).status_code == 404


async def test_invites_are_rate_limited(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """D12.3: invites reach others' inboxes, so they are rate limited (429)."""
    monkeypatch.setattr(challenges, "INVITE_RATE", Rate(count=2, period_seconds=3600.0))
    made = await make_challenge(client, alice)
    await befriend(app, alice, bob)
    for _ in range(2):
        assert (await invite(client, alice, made["id"], bob)).status_code == 201
    limited = problem(await invite(client, alice, made["id"], bob), 429)
    assert "Retry-After" in limited.get("headers", {}) or limited["status"] == 429


async def test_account_deletion_hands_the_challenge_on(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    charlie: Persona,
    db_session: AsyncSession,
    frozen_clock: time_machine.Coordinates,
) -> None:
    """D12.3: a deleted owner's challenge passes to the longest-standing remaining
    member (charlie joined first, bob a minute later); one with nobody left ends."""
    shared = await make_challenge(client, alice)
    alone = await make_challenge(client, alice, name="Solo")
    await befriend(app, alice, bob)
    await befriend(app, alice, charlie)
    await invite(client, alice, shared["id"], bob, charlie)
    await join(client, charlie, shared["id"])
    frozen_clock.shift(60)
    await join(client, bob, shared["id"])
    deleted = await client.request(
        "DELETE", f"{API}/me", json={"password": alice.password}, headers=alice.headers
    )
    assert deleted.status_code == 204, deleted.text
    handed = await db_session.get(Challenge, uuid.UUID(shared["id"]))
    ended = await db_session.get(Challenge, uuid.UUID(alone["id"]))
    assert handed is not None
    assert handed.owner_id == charlie.id
    assert handed.ended_at is None
    assert ended is not None
    assert ended.owner_id is None
    assert ended.ended_at is not None
    await db_session.commit()
    seen = (await client.get(f"{API}/challenges/{shared['id']}", headers=bob.headers)).json()
    assert seen["owner"]["id"] == str(charlie.id)


async def test_export_of_lists_owned_memberships_and_invites(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    db_session: AsyncSession,
) -> None:
    """D12.3: the export holds the user's own challenge data."""
    made = await make_challenge(client, alice)
    await befriend(app, alice, bob)
    await invite(client, alice, made["id"], bob)
    await join(client, bob, made["id"])
    mine = await challenges.export_of(db_session, alice.id)
    theirs = await challenges.export_of(db_session, bob.id)
    await db_session.commit()
    assert [c["name"] for c in mine["challenges_owned"]] == ["December run"]
    assert mine["challenge_invites"] == []
    assert theirs["challenges_owned"] == []
    assert [m["challenge_id"] for m in theirs["challenge_memberships"]] == [made["id"]]
    assert theirs["challenge_memberships"][0]["left_at"] is None
    assert [i["name"] for i in theirs["challenge_invites"]] == ["December run"]
