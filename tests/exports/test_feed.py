"""The private calendar feed (issue 5 Export: "A private, revocable calendar feed URL
(token in the URL) so a calendar app can subscribe to the ICS")."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.kit import clock
from habitus.models import CalendarFeed, User
from tests.exports.ical_checks import calendar_of, events
from tests.fixtures.personas import Persona
from tests.habits.helpers import API, create_habit, entry_put, problem

FEED = f"{API}/export/calendar-feed"


async def create_feed(
    client: httpx.AsyncClient, persona: Persona, **headers: str
) -> dict[str, str]:
    response = await client.post(FEED, headers={**persona.headers, **headers})
    assert response.status_code == 201, response.text
    assert "no-store" in response.headers["cache-control"]
    body: dict[str, str] = response.json()
    return body


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def token_of(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[1].removesuffix(".ics")


async def feeds(db_session: AsyncSession) -> list[CalendarFeed]:
    rows = list(await db_session.scalars(select(CalendarFeed)))
    await db_session.commit()
    return rows


async def test_a_feed_serves_the_calendar_without_signing_in(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 5 Export: POST gives a URL (under the configured base URL) that a calendar
    app fetches with no credentials but the token; it answers the same ICS as
    /export/calendar.ics, and ?kind=schedule the schedules."""
    habit = await create_habit(client, alice, name="Read")
    await entry_put(client, alice, habit["id"], "2026-11-21", status="done")
    created = await create_feed(client, alice)
    assert created["url"].startswith("https://habitus.example.org/api/v1/export/feed/")
    assert created["url"].endswith(".ics")
    assert created["schedule_url"] == created["url"] + "?kind=schedule"
    assert created["created_at"] == created["rotated_at"] == "2026-11-21T12:00:00Z"

    fed = await client.get(path_of(created["url"]))  # no Authorization header
    (event,) = events(calendar_of(fed))
    assert str(event["SUMMARY"]) == "\N{CHECK MARK} Read"
    assert fed.headers["content-disposition"] == 'inline; filename="habitus.ics"'
    direct = await client.get(f"{API}/export/calendar.ics", headers=alice.headers)
    assert fed.content == direct.content
    schedule = await client.get(path_of(created["schedule_url"]))
    (planned,) = events(calendar_of(schedule))
    assert "RRULE" in planned

    status = await client.get(FEED, headers=alice.headers)
    assert status.status_code == 200
    assert status.json() == {
        "id": created["id"],
        "created_at": created["created_at"],
        "rotated_at": created["rotated_at"],
    }
    assert token_of(created["url"]) not in status.text


async def test_only_the_hash_of_the_token_is_stored(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 5 Export: the feed's token is stored only as its SHA-256; it appears in no
    column, and the account export lists the feed without it."""
    created = await create_feed(client, alice)
    token = token_of(created["url"])
    assert len(token) >= 43  # 256 bits
    (row,) = await feeds(db_session)
    assert row.user_id == alice.id
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(
        [getattr(row, column) for column in CalendarFeed.__table__.columns.keys()]  # noqa: SIM118
    )
    export = await client.get(f"{API}/me/export", headers=alice.headers)
    assert token not in export.text
    assert row.token_hash not in export.text
    assert export.json()["calendar_feeds"] == [
        {
            "id": created["id"],
            "created_at": created["created_at"],
            "rotated_at": created["rotated_at"],
        }
    ]


async def test_rotation_replaces_the_url(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession, frozen_clock
) -> None:
    """Issue 5 Export: POST again rotates: a new URL works, the old one is 404 at once;
    the user still has one feed, created when it was first made."""
    first = await create_feed(client, alice)
    frozen_clock.shift(600)
    second = await create_feed(client, alice)
    assert second["url"] != first["url"]
    assert second["id"] == first["id"]
    assert second["created_at"] == first["created_at"]
    assert second["rotated_at"] == "2026-11-21T12:10:00Z"
    problem(await client.get(path_of(first["url"])), 404)
    problem(await client.get(path_of(first["schedule_url"])), 404)
    assert (await client.get(path_of(second["url"]))).status_code == 200
    assert len(await feeds(db_session)) == 1


async def test_revocation_ends_the_url(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 5 Export: DELETE revokes the feed: its URL is 404, nothing of it stays; a
    second DELETE is harmless; a new POST makes a new, working URL."""
    created = await create_feed(client, alice)
    revoked = await client.delete(FEED, headers=alice.headers)
    assert revoked.status_code == 204
    problem(await client.get(path_of(created["url"])), 404)
    problem(await client.get(FEED, headers=alice.headers), 404)
    assert await feeds(db_session) == []
    assert (await client.delete(FEED, headers=alice.headers)).status_code == 204
    again = await create_feed(client, alice)
    assert again["url"] != created["url"]
    assert (await client.get(path_of(again["url"]))).status_code == 200


async def test_unknown_malformed_and_disabled_feeds_are_404(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 5 Export: an unknown or malformed token is 404 (not 401/422: no oracle); a
    disabled account's feed stops too."""
    created = await create_feed(client, alice)
    token = token_of(created["url"])
    for guess in (
        "A" * 43,
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        token[:20],
        token + "x",
        "..%2F..%2Fetc",
    ):
        problem(await client.get(f"{API}/export/feed/{guess}.ics"), 404)
    problem(await client.get(f"{API}/export/feed/{token}.ics?kind=nonsense"), 422)
    await db_session.execute(
        update(User).where(User.id == alice.id).values(disabled_at=clock.now())
    )
    await db_session.commit()
    problem(await client.get(path_of(created["url"])), 404)


async def test_each_feed_shows_only_its_owner(
    client: httpx.AsyncClient, alice: Persona, bob: Persona
) -> None:
    """DESIGN.md access control: bob's feed holds bob's days, never alice's; his POST
    and DELETE never touch her feed."""
    hers = await create_habit(client, alice, name="Alice reads")
    await entry_put(client, alice, hers["id"], "2026-11-21", status="done")
    his = await create_habit(client, bob, name="Bob runs")
    await entry_put(client, bob, his["id"], "2026-11-21", status="done")
    alice_feed = await create_feed(client, alice)
    bob_feed = await create_feed(client, bob)
    bobs = await client.get(path_of(bob_feed["url"]))
    assert [str(e["SUMMARY"]) for e in events(calendar_of(bobs))] == ["\N{CHECK MARK} Bob runs"]
    assert (await client.delete(FEED, headers=bob.headers)).status_code == 204
    alices = await client.get(path_of(alice_feed["url"]))
    assert [str(e["SUMMARY"]) for e in events(calendar_of(alices))] == [
        "\N{CHECK MARK} Alice reads"
    ]


async def test_a_retried_post_with_its_key_does_not_rotate_again(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """API.md Idempotency: the same Idempotency-Key replays the first answer (the same
    URL, still working) instead of rotating the token a second time."""
    first = await create_feed(client, alice, **{"Idempotency-Key": "feed-1"})
    retry = await client.post(FEED, headers={**alice.headers, "Idempotency-Key": "feed-1"})
    assert retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json()["url"] == first["url"]
    assert (await client.get(path_of(first["url"]))).status_code == 200


async def test_feed_management_needs_a_sign_in(client: httpx.AsyncClient) -> None:
    """API.md Auth: creating, reading and revoking a feed need the user's token."""
    problem(await client.post(FEED), 401)
    problem(await client.get(FEED), 401)
    problem(await client.delete(FEED), 401)
