"""kit/fanout.py (issue 16, "Fan-out"): channels, a bounded queue per subscriber, and
Redis pub/sub between processes with reconnect (two fan-outs here stand for two
processes; tests/chat/test_two_processes.py runs real ones)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from habitus.kit import fanout as fanout_module
from habitus.kit.fanout import OVERFLOW, RESYNC, MemoryFanout, RedisFanout
from tests.conftest import REDIS_URL


async def _get(subscription: fanout_module.Subscription, wait: float = 3.0) -> dict[str, object]:
    async with asyncio.timeout(wait):
        return await subscription.get()


async def test_memory_fanout_delivers_to_the_channel_only() -> None:
    hub = MemoryFanout()
    alice = hub.subscribe("user:a")
    bob = hub.subscribe("user:b")
    await hub.publish("user:a", {"type": "message", "n": 1})
    assert await _get(alice) == {"type": "message", "n": 1}
    assert bob.queue.empty()
    bob.close()
    await hub.publish("user:b", {"type": "message"})
    assert hub.hub.count() == 1


async def test_a_subscriber_too_far_behind_is_told_to_close(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A socket that stops reading must not grow memory without bound: past the limit
    its queue ends with `overflow` (the socket closes 1013; the client catches up)."""
    monkeypatch.setattr(fanout_module, "QUEUE_LIMIT", 3)
    hub = MemoryFanout()
    slow = hub.subscribe("user:a")
    for number in range(10):
        await hub.publish("user:a", {"n": number})
    frames = [slow.queue.get_nowait() for _ in range(slow.queue.qsize())]
    assert frames[-1] == OVERFLOW
    assert len(frames) == 3


async def _redis_up() -> bool:
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        return bool(await client.ping())
    except OSError:
        return False
    finally:
        await client.aclose()


@pytest.fixture
async def two_processes() -> AsyncIterator[tuple[RedisFanout, RedisFanout]]:
    if not await _redis_up():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    prefix = f"habitus-test:{uuid.uuid4().hex}:fanout:"
    first = RedisFanout(REDIS_URL, prefix, backoff_initial=0.05, backoff_max=0.2)
    second = RedisFanout(REDIS_URL, prefix, backoff_initial=0.05, backoff_max=0.2)
    await first.start()
    await second.start()
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def test_redis_carries_a_publish_to_the_other_process_once(
    two_processes: tuple[RedisFanout, RedisFanout],
) -> None:
    first, second = two_processes
    here = first.subscribe("user:a")
    there = second.subscribe("user:a")
    await first.publish("user:a", {"type": "message", "id": 1})
    assert await _get(there) == {"type": "message", "id": 1}
    assert await _get(here) == {"type": "message", "id": 1}
    # The publisher's own copy comes back through Redis too: it is skipped, not doubled.
    await asyncio.sleep(0.2)
    assert here.queue.empty()
    assert there.queue.empty()


async def test_a_lost_subscription_reconnects_and_asks_for_a_resync(
    two_processes: tuple[RedisFanout, RedisFanout],
) -> None:
    """What Redis restarting does to a process: its subscription ends. The listener
    reconnects with back-off, tells local sockets `resync` (fetch by cursor), and
    messages flow again."""
    first, second = two_processes
    there = second.subscribe("user:a")
    admin = aioredis.Redis.from_url(REDIS_URL)
    try:
        killed = [
            entry["id"]
            for entry in await admin.client_list()
            if entry.get("name") == second.listener_name
        ]
        assert len(killed) == 1
        await admin.client_kill_filter(_id=killed[0])
    finally:
        await admin.aclose()
    assert await _get(there) == RESYNC
    assert second.reconnects == 1
    await first.publish("user:a", {"type": "message", "id": 2})
    assert await _get(there) == {"type": "message", "id": 2}


async def test_publishing_while_redis_is_unreachable_does_not_fail() -> None:
    """The message is stored before it is published: a publish that cannot reach Redis
    is logged and local sockets still get it."""
    broken = RedisFanout("redis://127.0.0.1:1/0", "habitus-test:x:", backoff_initial=0.05)
    local = broken.subscribe("user:a")
    await broken.publish("user:a", {"type": "message"})
    assert await _get(local) == {"type": "message"}
    await broken.close()
