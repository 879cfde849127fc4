"""Issue 16, fan-out across processes: two `habitus serve` on one PostgreSQL database
and one Redis. A message sent to one process reaches a socket on the other; when the
fan-out's Redis subscription is lost mid-test, no stored message is lost: the socket is
told to `resync`, the client catches up by cursor, and later messages flow again.

Restarting the shared Redis server is not safe on a shared machine, so the outage is
simulated by ending the fan-out listener connections at Redis (CLIENT KILL): the same
thing a restart does to them, seen from the app.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from habitus.models import Friendship
from tests.chat.ws_support import frame_of_type, send_frame, socket
from tests.conftest import REDIS_URL, TEST_SECRET
from tests.fixtures.database import backend
from tests.fixtures.live import LiveServer, habitus_env, live_server
from tests.fixtures.personas import DEFAULT_PASSWORD

pytestmark = pytest.mark.skipif(
    backend() != "postgresql", reason="two processes share a PostgreSQL database and Redis"
)
API = "/api/v1"


@pytest.fixture
def prefix() -> str:
    return f"habitus-test:{uuid.uuid4().hex}:"


@pytest.fixture
def servers(database_url: str, tmp_path: Path, prefix: str) -> Iterator[list[LiveServer]]:
    env = habitus_env(
        database_url,
        tmp_path,
        HABITUS_SECRET_KEY=TEST_SECRET,
        # Both processes must read what the other wrote: the same keys.
        HABITUS_CHAT_KEYS=Fernet.generate_key().decode(),
        HABITUS_AUTO_MIGRATE="false",
        HABITUS_RATE_LIMIT_ENABLED="false",
        HABITUS_REDIS_URL=REDIS_URL,
        HABITUS_REDIS_PREFIX=prefix,
        HABITUS_LOG_LEVEL="WARNING",
    )
    with ExitStack() as stack:
        yield [stack.enter_context(live_server(env, tmp_path)) for _ in range(2)]


def _account(base: str, email: str) -> tuple[uuid.UUID, str]:
    registered = httpx.post(
        f"{base}{API}/auth/register", json={"email": email, "password": DEFAULT_PASSWORD}
    )
    assert registered.status_code == 201, registered.text
    tokens = httpx.post(
        f"{base}{API}/auth/login", json={"email": email, "password": DEFAULT_PASSWORD}
    ).json()
    return uuid.UUID(registered.json()["id"]), tokens["access_token"]


async def _befriend(engine: AsyncEngine, one: uuid.UUID, other: uuid.UUID) -> None:
    async with async_sessionmaker(engine)() as session, session.begin():
        session.add_all(
            [Friendship(user_id=one, friend_id=other), Friendship(user_id=other, friend_id=one)]
        )


async def _kill_fanout_listeners(prefix: str) -> int:
    """End every fan-out subscription of these two servers at Redis (what a Redis restart
    does to them). Returns how many connections were ended."""
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        listeners = [
            entry["id"]
            for entry in await client.client_list()
            if entry.get("name", "").startswith(f"{prefix}fanout:listener:")
        ]
        for client_id in listeners:
            await client.client_kill_filter(_id=client_id)
        return len(listeners)
    finally:
        await client.aclose()


async def test_a_message_crosses_processes_and_survives_a_lost_subscription(
    servers: list[LiveServer], engine: AsyncEngine, prefix: str
) -> None:
    first, second = (server.base_url for server in servers)
    alice_id, alice_token = _account(first, "alice@example.org")
    bob_id, bob_token = _account(second, "bob@example.org")
    await _befriend(engine, alice_id, bob_id)
    async with httpx.AsyncClient() as http:
        opened = await http.post(
            f"{first}{API}/conversations",
            json={"user_id": str(bob_id)},
            headers={"Authorization": f"Bearer {alice_token}"},
        )
    assert opened.status_code in (200, 201), opened.text
    conversation_id = opened.json()["id"]

    alice_base = first.replace("http://", "ws://")
    bob_base = second.replace("http://", "ws://")
    async with (
        socket(alice_base, token=alice_token) as alice_ws,
        socket(bob_base, token=bob_token) as bob_ws,
    ):
        # Process 1 -> Redis -> process 2.
        await alice_ws.send(send_frame(conversation_id, "across", "m-1"))
        acked = (await frame_of_type(alice_ws, "ack"))["message"]
        delivered = await frame_of_type(bob_ws, "message")
        assert delivered["message"] == acked

        # The subscriptions drop. Messages sent meanwhile are stored whatever the fan-out
        # delivers; the listeners come back with back-off and tell their sockets to resync.
        assert await _kill_fanout_listeners(prefix) == 2
        sent = ["m-1"]
        for number in range(2, 6):
            await alice_ws.send(send_frame(conversation_id, f"during {number}", f"m-{number}"))
            await frame_of_type(alice_ws, "ack")
            sent.append(f"m-{number}")
        await frame_of_type(bob_ws, "resync", wait=10)

        # Catching up by cursor: everything sent is there, once.
        async with httpx.AsyncClient() as http:
            history = await http.get(
                f"{second}{API}/conversations/{conversation_id}/messages",
                headers={"Authorization": f"Bearer {bob_token}"},
            )
        assert history.status_code == 200, history.text
        bodies = [item["body"] for item in reversed(history.json()["items"])]
        assert bodies == ["across", "during 2", "during 3", "during 4", "during 5"]

        # And the fan-out works again after the reconnect.
        await alice_ws.send(send_frame(conversation_id, "after", "m-after"))
        acked = (await frame_of_type(alice_ws, "ack"))["message"]
        async with asyncio.timeout(10):
            while True:
                frame = await frame_of_type(bob_ws, "message")
                if frame["message"]["id"] == acked["id"]:
                    break
