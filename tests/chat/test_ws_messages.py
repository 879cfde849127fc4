"""Issue 16 / API.md "Chat" frames over real sockets: a send is stored, acknowledged to
the sender with the stored message, and delivered to every member's sockets; a resend
with the same client_id is answered the same and delivered no second time; bad bodies
and the rate limit answer error frames on a socket that stays open."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from fastapi import FastAPI

from habitus.models import Message
from tests.chat.ws_support import (
    direct_conversation,
    frame_of_type,
    next_frame,
    no_frame,
    send_frame,
    served,
    socket,
)
from tests.conftest import AppFactory
from tests.fixtures.personas import Persona, create_persona
from tests.social.challenge_factories import befriend


async def _stored(app: FastAPI) -> int:
    from sqlalchemy import func, select

    async with app.state.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Message)) or 0)


async def test_a_send_is_acked_and_reaches_every_member_socket(
    app: FastAPI, alice: Persona, bob: Persona
) -> None:
    """Written first, then published: the ack carries the stored message (its id), and
    each of Bob's open sockets gets the same message; Alice's other socket too."""
    await befriend(app, alice, bob)
    conversation_id = await direct_conversation(app, alice, bob)
    async with (
        served(app) as base,
        socket(base, token=alice.access_token) as alice_ws,
        socket(base, token=alice.access_token) as alice_other_tab,
        socket(base, token=bob.access_token) as bob_phone,
        socket(base, token=bob.access_token) as bob_laptop,
    ):
        await alice_ws.send(send_frame(conversation_id, "Morning run?", "c-1"))
        ack = await frame_of_type(alice_ws, "ack")
        assert ack["client_id"] == "c-1"
        message = ack["message"]
        assert message["body"] == "Morning run?"
        assert message["sender_id"] == str(alice.id)
        assert isinstance(message["id"], int)
        for ws in (bob_phone, bob_laptop, alice_other_tab):
            delivered = await frame_of_type(ws, "message")
            assert delivered == {
                "type": "message",
                "conversation_id": str(conversation_id),
                "message": message,
            }
    assert await _stored(app) == 1


async def test_a_resend_with_the_same_client_id_is_not_doubled(
    app: FastAPI, alice: Persona, bob: Persona
) -> None:
    """Issue 16: messages sent while the socket was down are sent again on reconnect with
    their client_id: the same ack, one stored row, one delivery."""
    await befriend(app, alice, bob)
    conversation_id = await direct_conversation(app, alice, bob)
    async with served(app) as base, socket(base, token=bob.access_token) as bob_ws:
        async with socket(base, token=alice.access_token) as alice_ws:
            await alice_ws.send(send_frame(conversation_id, "once", "same-id"))
            first = await frame_of_type(alice_ws, "ack")
        await frame_of_type(bob_ws, "message")
        async with socket(base, token=alice.access_token) as alice_again:
            await alice_again.send(send_frame(conversation_id, "once", "same-id"))
            second = await frame_of_type(alice_again, "ack")
        assert second == first
        await no_frame(bob_ws)
    assert await _stored(app) == 1


@pytest.mark.parametrize("body", ["", "   ", "x" * 4001, 42])
async def test_a_bad_body_is_an_error_frame_naming_body(
    app: FastAPI, alice: Persona, bob: Persona, body: object
) -> None:
    """Issue 16: bodies are 1..4000 characters; outside that an error frame names the
    field, nothing is stored, and the socket stays open."""
    await befriend(app, alice, bob)
    conversation_id = await direct_conversation(app, alice, bob)
    async with served(app) as base, socket(base, token=alice.access_token) as ws:
        frame = {
            "type": "send",
            "conversation_id": str(conversation_id),
            "body": body,
            "client_id": "bad",
        }
        await ws.send(json.dumps(frame))
        error = await next_frame(ws)
        assert error["type"] == "error"
        assert error["field"] == "body"
        assert error["client_id"] == "bad"
        await ws.send(send_frame(conversation_id, "x" * 4000, "good"))
        assert (await frame_of_type(ws, "ack"))["message"]["body"] == "x" * 4000
    assert await _stored(app) == 1


async def test_a_stranger_cannot_write_to_a_conversation(
    app: FastAPI, alice: Persona, bob: Persona, charlie: Persona
) -> None:
    """Issue 16: only members write; anyone else is told it does not exist."""
    await befriend(app, alice, bob)
    conversation_id = await direct_conversation(app, alice, bob)
    async with (
        served(app) as base,
        socket(base, token=bob.access_token) as bob_ws,
        socket(base, token=charlie.access_token) as charlie_ws,
    ):
        await charlie_ws.send(send_frame(conversation_id, "let me in", "c"))
        error = await next_frame(charlie_ws)
        assert error["type"] == "error"
        assert error["code"] == "not_found"
        await charlie_ws.send(send_frame(uuid.uuid4(), "anyone?", "d"))
        assert (await next_frame(charlie_ws))["code"] == "not_found"
        await no_frame(bob_ws)
    assert await _stored(app) == 0


async def test_the_rate_limit_is_an_error_frame_not_a_dropped_socket(
    make_client: AppFactory,
) -> None:
    """Issue 16: past the per-user rate (HABITUS_CHAT_RATE, 2 per minute here) an error
    frame {"code": "rate_limited", "retry_after"} answers, and the socket stays open."""
    client: httpx.AsyncClient = await make_client(chat_rate="2/minute")
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    app: FastAPI = transport.app  # type: ignore[assignment]
    alice = await create_persona(app, "alice@example.org")
    bob = await create_persona(app, "bob@example.org")
    await befriend(app, alice, bob)
    conversation_id = await direct_conversation(app, alice, bob)
    async with served(app) as base, socket(base, token=alice.access_token) as ws:
        for number in range(2):
            await ws.send(send_frame(conversation_id, f"message {number}", f"m{number}"))
            await frame_of_type(ws, "ack")
        await ws.send(send_frame(conversation_id, "one too many", "m2"))
        # (The sender's own socket also gets its messages, as every member socket does.)
        error = await frame_of_type(ws, "error")
        assert error["code"] == "rate_limited"
        assert error["retry_after"] >= 1
        assert error["client_id"] == "m2"
        await ws.send(json.dumps({"type": "ping"}))
        assert (await frame_of_type(ws, "pong"))["type"] == "pong"
        # A resend of an earlier message is no new message: it is answered, not limited.
        await ws.send(send_frame(conversation_id, "message 0", "m0"))
        assert (await frame_of_type(ws, "ack"))["client_id"] == "m0"
    assert await _stored(app) == 2


async def test_a_frame_that_is_not_json_closes_1008(app: FastAPI, alice: Persona) -> None:
    from tests.chat.ws_support import close_code

    async with served(app) as base, socket(base, token=alice.access_token) as ws:
        await ws.send("hello?")
        assert await close_code(ws) == 1008


async def test_a_binary_frame_closes_1003(app: FastAPI, alice: Persona) -> None:
    from tests.chat.ws_support import close_code

    async with served(app) as base, socket(base, token=alice.access_token) as ws:
        await ws.send(b"\x00\x01")
        assert await close_code(ws) == 1003
