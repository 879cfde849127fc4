"""Chat pages over HTTP (issue 16): /chat lists conversations with unread counts and the
header's badge, /chat/{id} shows history newest first paged by cursor, the send form is
a plain POST (CSRF checked), delete-for-me, the read marker set on view, bodies escaped,
and a stranger gets 404."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from habitus.chat import web as chat_web
from tests.chat.chat_factories import API, challenge_with, direct, send
from tests.fixtures.personas import Persona
from tests.fixtures.web import SignedIn as Web
from tests.fixtures.web import signed_in_at


def signed_in(client: httpx.AsyncClient, persona: Persona) -> AsyncIterator[Web]:
    return signed_in_at(client, persona, "/chat")


async def test_the_list_shows_unread_counts_and_the_header_badge(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona
) -> None:
    """Issue 16: unread messages are counted on /chat and in the header next to Inbox;
    viewing the conversation sets the read marker, so both go away."""
    conversation = await direct(client, app, alice, bob)
    await send(app, alice, conversation, "alpha-msg")
    await send(app, alice, conversation, "omega-msg")
    async for web in signed_in(client, bob):
        listing = await web.client.get("/chat")
        assert "omega-msg" in listing.text
        assert 'aria-label="2 unread"' in listing.text
        assert "chat-badge" in listing.text
        page = await web.client.get(f"/chat/{conversation}")
        assert page.status_code == 200
        assert page.text.index("omega-msg") < page.text.index("alpha-msg")  # newest first
        after = await web.client.get("/chat")
        assert "unread" not in after.text.split("<main", 1)[1]
        assert "chat-badge" not in after.text


async def test_the_form_sends_without_javascript_and_needs_csrf(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona
) -> None:
    """Issue 16: the send form is a plain POST answered with a redirect; without the CSRF
    token nothing is sent; an empty body is refused in words."""
    conversation = await direct(client, app, alice, bob)
    async for web in signed_in(client, alice):
        forged = await web.client.post(f"/chat/{conversation}/send", data={"body": "forged"})
        assert forged.status_code == 403
        sent = await web.post(
            f"/chat/{conversation}/send", {"body": "Hello Bob", "client_id": "c1"}
        )
        assert sent.status_code == 303
        again = await web.post(
            f"/chat/{conversation}/send", {"body": "Hello Bob", "client_id": "c1"}
        )
        assert again.status_code == 303
        page = await web.client.get(f"/chat/{conversation}")
        assert page.text.count(">Hello Bob</p>") == 1  # the same client_id is one message
        assert "forged" not in page.text
        empty = await web.post(f"/chat/{conversation}/send", {"body": "   "})
        assert empty.status_code == 303
        shown = await web.client.get(f"/chat/{conversation}")
        assert "The message is empty." in shown.text


async def test_bodies_are_escaped(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona
) -> None:
    """Issue 16: a body is text, never markup (on the list and in the conversation)."""
    conversation = await direct(client, app, alice, bob)
    await send(app, alice, conversation, "<script>alert(1)</script>")
    await send(app, alice, conversation, '<img src=x onerror="alert(2)">')
    async for web in signed_in(client, bob):
        for path in ("/chat", f"/chat/{conversation}"):
            page = await web.client.get(path)
            assert "<script>alert(1)" not in page.text
            assert "<img src=x" not in page.text
        page = await web.client.get(f"/chat/{conversation}")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert "&lt;img src=x onerror=" in page.text


async def test_history_is_paged_by_cursor(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 16: a page of messages, newest first; "load earlier" shows the rest."""
    monkeypatch.setattr(chat_web, "PAGE_SIZE", 30 // 6)
    conversation = await direct(client, app, alice, bob)
    for number in range(5, 35, 3):
        await send(app, alice, conversation, f"message number {number:02d}")
    async for web in signed_in(client, bob):
        page = await web.client.get(f"/chat/{conversation}")
        assert "message number 32" in page.text
        assert "message number 17" not in page.text
        start = page.text.index("?cursor=") + len("?cursor=")
        cursor = page.text[start : page.text.index('"', start)]
        earlier = await web.client.get(f"/chat/{conversation}", params={"cursor": cursor})
        assert "message number 17" in earlier.text
        assert "message number 05" in earlier.text
        assert "message number 32" not in earlier.text
        nonsense = await web.client.get(f"/chat/{conversation}", params={"cursor": "%%%"})
        assert nonsense.status_code == 200


async def test_delete_for_me_hides_it_only_for_me(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona
) -> None:
    """Issue 16: delete-for-me; the other side still sees the message."""
    conversation = await direct(client, app, alice, bob)
    message_id = await send(app, alice, conversation, "keep or drop")
    async for web in signed_in(client, bob):
        gone = await web.post(f"/chat/{conversation}/messages/{message_id}/delete")
        assert gone.status_code == 303
        assert "keep or drop" not in (await web.client.get(f"/chat/{conversation}")).text
    async for web in signed_in(client, alice):
        assert "keep or drop" in (await web.client.get(f"/chat/{conversation}")).text


async def test_start_a_conversation_and_strangers_get_404(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona, charlie: Persona
) -> None:
    """Issue 16 + D12.1: start a conversation with a friend from /chat; someone who is not
    a member (or not a friend) gets 404; challenge conversations are listed."""
    challenge = await challenge_with(client, app, alice, bob)  # friends now
    opened_first = await client.post(
        f"{API}/conversations", json={"user_id": str(bob.id)}, headers=alice.headers
    )
    conversation = opened_first.json()["id"]
    async for web in signed_in(client, alice):
        listing = await web.client.get("/chat")
        assert f"/chat/{challenge}" in listing.text
        assert str(bob.id) in listing.text  # a friend to write to
        opened = await web.post("/chat/start", {"friend_id": str(bob.id)})
        assert opened.status_code == 303
        assert opened.headers["location"] == f"/chat/{conversation}"
        stranger = await web.post("/chat/start", {"friend_id": str(charlie.id)})
        assert stranger.status_code == 404
    async for web in signed_in(client, charlie):
        assert (await web.client.get(f"/chat/{conversation}")).status_code == 404
        assert (await web.client.get(f"/chat/{uuid.uuid4()}")).status_code == 404
        answer = await web.post(f"/chat/{conversation}/send", {"body": "hi"})
        assert answer.status_code == 404
