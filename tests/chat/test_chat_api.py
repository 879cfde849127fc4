"""Chat over the REST API (issue 16, API.md "Chat"): direct conversations between friends
only, challenge conversations for current members only, history by cursor, read markers,
delete-for-me, 422s naming the field, the send rate limit, blocks."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import Event, Message
from tests.chat.chat_factories import API, challenge_with, direct, messages, send
from tests.conftest import AppFactory, PersonaFactory
from tests.fixtures.personas import Persona
from tests.habits.helpers import count, error_fields, problem
from tests.social.challenge_factories import block


async def conversations(client: httpx.AsyncClient, persona: Persona) -> list[dict[str, Any]]:
    response = await client.get(f"{API}/conversations", headers=persona.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_direct_conversation_is_for_friends_only_and_made_once(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona, charlie: Persona
) -> None:
    """D12.1 + issue 16: POST /conversations with a friend makes it (201), asking again,
    from either side, answers the same one (200); a stranger is 404, as if unknown."""
    made = await direct(client, app, alice, bob)
    again = await client.post(
        f"{API}/conversations", json={"user_id": str(bob.id)}, headers=alice.headers
    )
    other_side = await client.post(
        f"{API}/conversations", json={"user_id": str(alice.id)}, headers=bob.headers
    )
    assert (again.status_code, again.json()["id"]) == (200, made)
    assert (other_side.status_code, other_side.json()["id"]) == (200, made)
    assert other_side.json()["title"] == "Alice"
    stranger = await client.post(
        f"{API}/conversations", json={"user_id": str(charlie.id)}, headers=alice.headers
    )
    problem(stranger, 404)
    assert error_fields(
        problem(
            await client.post(f"{API}/conversations", json={"user_id": "x"}, headers=alice.headers),
            422,
        )
    ) == ["user_id"]


async def test_history_is_newest_first_by_cursor_with_unread_counts(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona
) -> None:
    """Issue 16: history pages newest first by cursor; unread counts others' messages
    after the read marker; the sender's own message counts as read."""
    conversation = await direct(client, app, alice, bob)
    ids = [await send(app, alice, conversation, f"hello {n}") for n in range(3)]
    first = (await messages(client, bob, conversation, limit=2)).json()
    assert [item["body"] for item in first["items"]] == ["hello 2", "hello 1"]
    second = (await messages(client, bob, conversation, cursor=first["next_cursor"])).json()
    assert [item["id"] for item in second["items"]] == [ids[0]]
    assert second["next_cursor"] is None
    [listed] = await conversations(client, bob)
    assert (listed["kind"], listed["unread"], listed["last_message"]["body"]) == (
        "direct",
        3,
        "hello 2",
    )
    assert (await conversations(client, alice))[0]["unread"] == 0
    read = await client.post(
        f"{API}/conversations/{conversation}/read",
        json={"message_id": ids[1]},
        headers=bob.headers,
    )
    assert read.status_code == 204, read.text
    assert (await conversations(client, bob))[0]["unread"] == 1
    problem(await messages(client, bob, conversation, cursor="nonsense!"), 422)


async def test_charlie_cannot_see_alice_and_bobs_conversation(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona, charlie: Persona
) -> None:
    """Issue 16: only members read or write; anyone else gets 404 on every route."""
    conversation = await direct(client, app, alice, bob)
    message_id = await send(app, alice, conversation, "secret plans")
    h = charlie.headers
    problem(await messages(client, charlie, conversation), 404)
    problem(
        await client.post(
            f"{API}/conversations/{conversation}/messages", json={"body": "hi"}, headers=h
        ),
        404,
    )
    problem(
        await client.post(
            f"{API}/conversations/{conversation}/read", json={"message_id": message_id}, headers=h
        ),
        404,
    )
    problem(await client.delete(f"{API}/messages/{message_id}", headers=h), 404)
    problem(await messages(client, charlie, str(uuid.uuid4())), 404)
    assert await conversations(client, charlie) == []


@pytest.mark.parametrize(
    ("body", "rule"),
    [("", "string_too_short"), ("x" * 4001, "string_too_long"), ("   ", "required")],
)
async def test_bodies_outside_1_to_4000_characters_are_refused_naming_body(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    db_session: AsyncSession,
    body: str,
    rule: str,
) -> None:
    """Issue 16: bodies are 1..4000 characters (not only blanks): 422 naming `body`,
    nothing written."""
    conversation = await direct(client, app, alice, bob)
    refused = problem(
        await client.post(
            f"{API}/conversations/{conversation}/messages",
            json={"body": body},
            headers=alice.headers,
        ),
        422,
    )
    assert error_fields(refused) == ["body"]
    assert await count(db_session, Message) == 0
    accepted = await client.post(
        f"{API}/conversations/{conversation}/messages",
        json={"body": "x" * 4000},
        headers=alice.headers,
    )
    assert accepted.status_code == 201, accepted.text


async def test_a_resend_with_the_same_client_id_is_stored_once(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona, db_session: AsyncSession
) -> None:
    """Issue 16: a message resent after a dropped connection (same client_id) is not
    doubled: the answer is the stored message."""
    conversation = await direct(client, app, alice, bob)
    url = f"{API}/conversations/{conversation}/messages"
    body = {"body": "only once", "client_id": "c-1"}
    first = await client.post(url, json=body, headers=alice.headers)
    second = await client.post(url, json=body, headers=alice.headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert await count(db_session, Message) == 1


async def test_a_client_id_names_one_message_only(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    charlie: Persona,
    db_session: AsyncSession,
) -> None:
    """Issue 16 (found by schemathesis: it was a 500): a client_id already used for a
    message in another conversation is a 422 naming `client_id`, nothing written; two
    sends of one client_id at once store one message."""
    with_bob = await direct(client, app, alice, bob)
    with_charlie = await direct(client, app, alice, charlie)
    body = {"body": "hello", "client_id": "same-id"}
    first = await client.post(
        f"{API}/conversations/{with_bob}/messages", json=body, headers=alice.headers
    )
    assert first.status_code == 201, first.text
    reused = await client.post(
        f"{API}/conversations/{with_charlie}/messages", json=body, headers=alice.headers
    )
    assert error_fields(problem(reused, 422)) == ["client_id"]
    assert await count(db_session, Message) == 1
    both = await asyncio.gather(
        *(send(app, alice, with_charlie, "at once", client_id="raced") for _ in range(2))
    )
    assert both[0] == both[1]
    assert await count(db_session, Message) == 2


async def test_delete_hides_a_message_for_the_caller_only(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona
) -> None:
    """Issue 16: DELETE /messages/{id} hides it from the caller; the other side still
    sees it."""
    conversation = await direct(client, app, alice, bob)
    kept = await send(app, alice, conversation, "keep")
    gone = await send(app, bob, conversation, "hide me")
    deleted = await client.delete(f"{API}/messages/{gone}", headers=alice.headers)
    assert deleted.status_code == 204, deleted.text
    alice_sees = (await messages(client, alice, conversation)).json()["items"]
    bob_sees = (await messages(client, bob, conversation)).json()["items"]
    assert [item["id"] for item in alice_sees] == [kept]
    assert [item["id"] for item in bob_sees] == [gone, kept]
    problem(await client.delete(f"{API}/messages/999999", headers=alice.headers), 404)


async def test_sending_too_fast_is_429_naming_the_wait(
    make_client: AppFactory,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    db_session: AsyncSession,
) -> None:
    """Issue 16: a rate limit per user (HABITUS_CHAT_RATE, here 3 per 10 s): past it, 429
    with Retry-After, nothing stored."""
    conversation = await direct(client, app, alice, bob)
    limited = await make_client(chat_rate="3/10seconds")
    url = f"{API}/conversations/{conversation}/messages"
    for n in range(3):
        sent = await limited.post(url, json={"body": f"m{n}"}, headers=alice.headers)
        assert sent.status_code == 201, sent.text
    refused = await limited.post(url, json={"body": "one more"}, headers=alice.headers)
    problem(refused, 429)
    assert "retry-after" in refused.headers
    assert await count(db_session, Message) == 3


async def test_a_block_closes_the_direct_conversation(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona
) -> None:
    """D12.1 + issue 16: after a block (either way) the direct conversation is gone for
    both: 404 to read and to write, not listed."""
    conversation = await direct(client, app, alice, bob)
    await send(app, alice, conversation, "before")
    await block(app, bob, alice)
    for persona in (alice, bob):
        problem(await messages(client, persona, conversation), 404)
        problem(
            await client.post(
                f"{API}/conversations/{conversation}/messages",
                json={"body": "after"},
                headers=persona.headers,
            ),
            404,
        )
        assert await conversations(client, persona) == []


async def test_a_challenge_conversation_is_for_its_current_members(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    charlie: Persona,
    db_session: AsyncSession,
) -> None:
    """D12.3 + issue 16: a challenge's members share its conversation (made on first
    use, listed before it); leaving the challenge leaves its chat; others get 404."""
    challenge = await challenge_with(client, app, alice, bob)
    [listed] = await conversations(client, bob)
    assert (listed["id"], listed["kind"], listed["last_message"]) == (challenge, "challenge", None)
    assert (await messages(client, bob, challenge)).json()["items"] == []
    sent = await client.post(
        f"{API}/conversations/{challenge}/messages", json={"body": "go team"}, headers=bob.headers
    )
    assert sent.status_code == 201, sent.text
    assert [
        item["body"] for item in (await messages(client, alice, challenge)).json()["items"]
    ] == ["go team"]
    assert (await conversations(client, alice))[0]["unread"] == 1
    problem(await messages(client, charlie, challenge), 404)
    left = await client.post(f"{API}/challenges/{challenge}/leave", headers=bob.headers)
    assert left.status_code == 204, left.text
    problem(await messages(client, bob, challenge), 404)
    assert await conversations(client, bob) == []
    events = list(await db_session.scalars(select(Event).where(Event.kind == "message_sent")))
    await db_session.commit()
    assert len(events) == 1
    assert events[0].payload["conversation_id"] == challenge
    assert "go team" not in str(events[0].payload)


async def test_an_ended_friendship_leaves_the_conversation_read_only(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona
) -> None:
    """D12.1 + issue 16: no longer friends (unfriended, not blocked): the history stays
    readable, writing is 403."""
    conversation = await direct(client, app, alice, bob)
    await send(app, alice, conversation, "hi")
    unfriend = await client.delete(f"{API}/friends/{bob.id}", headers=alice.headers)
    assert unfriend.status_code == 204, unfriend.text
    assert len((await messages(client, bob, conversation)).json()["items"]) == 1
    problem(
        await client.post(
            f"{API}/conversations/{conversation}/messages",
            json={"body": "still there?"},
            headers=bob.headers,
        ),
        403,
    )


async def test_the_conversation_list_is_paged_by_cursor(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    charlie: Persona,
    new_persona: PersonaFactory,
) -> None:
    """API.md "Chat": GET /conversations is a page (`limit`, `cursor`, `next_cursor`),
    newest activity first, every conversation exactly once; a forged cursor is a 422
    naming `cursor`."""
    dave = await new_persona("dave@example.org", display_name="Dave")
    talks = [await direct(client, app, alice, other) for other in (bob, charlie, dave)]
    await send(app, charlie, talks[1], "latest")
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        response = await client.get(f"{API}/conversations", params=params, headers=alice.headers)
        assert response.status_code == 200, response.text
        seen += [item["id"] for item in response.json()["items"]]
        pages += 1
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert pages == 2
    assert seen[0] == talks[1]
    assert sorted(seen) == sorted(talks)
    forged = await client.get(
        f"{API}/conversations", params={"cursor": "WzEsMl0"}, headers=alice.headers
    )
    assert error_fields(problem(forged, 422)) == ["cursor"]
