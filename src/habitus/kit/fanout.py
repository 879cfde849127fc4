"""Publish/subscribe between the sockets of one process, or of many through Redis.

A subscriber is an `asyncio.Queue` of JSON-ready dicts, registered under a channel name
(chat uses one channel per user). `publish` hands the payload to this process's
subscribers at once and, with Redis, also sends it to every other process, each of which
listens on one pattern subscription and hands it to its own subscribers. An envelope
carries the sending process's id so a process never delivers its own message twice.

Redis is best effort: a message is written to the database before it is published, so a
lost publish costs latency, never data (clients fetch what they missed by cursor). When
the Redis connection drops, the listener reconnects with back-off and, once back, tells
every local subscriber `{"type": "resync"}` so clients ask for what they missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import uuid
from collections.abc import Iterator
from typing import Any, Protocol

import structlog

log = structlog.get_logger(__name__)

Payload = dict[str, Any]
# A subscriber that falls this far behind is slow or gone: it is told to close (its
# client reconnects and catches up by cursor) rather than let memory grow without bound.
QUEUE_LIMIT = 256
OVERFLOW: Payload = {"type": "overflow"}
RESYNC: Payload = {"type": "resync"}


class Subscription:
    """One subscriber's queue on some channels; close it to stop receiving."""

    def __init__(self, hub: LocalHub, channels: tuple[str, ...]) -> None:
        self.queue: asyncio.Queue[Payload] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        self.channels = channels
        self._hub = hub

    async def get(self) -> Payload:
        return await self.queue.get()

    def close(self) -> None:
        self._hub.remove(self)


class LocalHub:
    """This process's subscribers, by channel."""

    def __init__(self) -> None:
        self._by_channel: dict[str, set[Subscription]] = {}

    def add(self, *channels: str) -> Subscription:
        subscription = Subscription(self, channels)
        for channel in channels:
            self._by_channel.setdefault(channel, set()).add(subscription)
        return subscription

    def remove(self, subscription: Subscription) -> None:
        for channel in subscription.channels:
            members = self._by_channel.get(channel)
            if members is not None:
                members.discard(subscription)
                if not members:
                    del self._by_channel[channel]

    def deliver(self, channel: str, payload: Payload) -> int:
        delivered = 0
        for subscription in list(self._by_channel.get(channel, ())):
            _offer(subscription, payload)
            delivered += 1
        return delivered

    def everyone(self) -> Iterator[Subscription]:
        seen: set[int] = set()
        for members in self._by_channel.values():
            for subscription in members:
                if id(subscription) not in seen:
                    seen.add(id(subscription))
                    yield subscription

    def count(self) -> int:
        return sum(1 for _ in self.everyone())


def _offer(subscription: Subscription, payload: Payload) -> None:
    try:
        subscription.queue.put_nowait(payload)
    except asyncio.QueueFull:
        # Make room for the one frame that tells the socket to close.
        with contextlib.suppress(asyncio.QueueEmpty):
            subscription.queue.get_nowait()
        subscription.queue.put_nowait(OVERFLOW)


class Fanout(Protocol):
    hub: LocalHub

    def subscribe(self, *channels: str) -> Subscription: ...

    async def publish(self, channel: str, payload: Payload) -> None: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def healthy(self) -> bool: ...


class MemoryFanout:
    """One process: publishing is handing the payload to local queues."""

    def __init__(self) -> None:
        self.hub = LocalHub()

    def subscribe(self, *channels: str) -> Subscription:
        return self.hub.add(*channels)

    async def publish(self, channel: str, payload: Payload) -> None:
        self.hub.deliver(channel, payload)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def healthy(self) -> bool:
        return True


class RedisFanout:
    """Many processes: local delivery at once, and Redis pub/sub to the others."""

    def __init__(
        self,
        url: str,
        prefix: str,
        *,
        backoff_initial: float = 0.1,
        backoff_max: float = 5.0,
    ) -> None:
        from redis import asyncio as aioredis  # optional dependency, only with Redis

        self.hub = LocalHub()
        self.origin = uuid.uuid4().hex
        self._prefix = prefix
        self._url = url
        self._publisher = aioredis.Redis.from_url(url, health_check_interval=30)
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._closed = False
        self.reconnects = 0
        # The listener's connection name at Redis (CLIENT LIST shows it; tests end that
        # connection with CLIENT KILL to prove a lost subscription loses no message).
        self.listener_name = f"{prefix}listener:{self.origin}"

    def subscribe(self, *channels: str) -> Subscription:
        return self.hub.add(*channels)

    async def publish(self, channel: str, payload: Payload) -> None:
        self.hub.deliver(channel, payload)
        if self._closed:
            return
        envelope = json.dumps({"o": self.origin, "c": channel, "p": payload}, default=str)
        try:
            await self._publisher.publish(self._prefix + channel, envelope)
        except Exception as error:  # Redis being down must not fail a write
            log.warning("fanout_publish_failed", channel=channel, error=str(error))

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen_forever(), name="fanout-listener")
        # Start-up waits briefly for the subscription, so the first messages are not
        # missed; a Redis that is down neither stops nor holds up the app's start (a
        # second at most: a process manager's start-up timeout is seconds).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), timeout=1)

    async def close(self) -> None:
        self._closed = True
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._publisher.aclose()

    async def healthy(self) -> bool:
        try:
            return bool(await self._publisher.ping())
        except Exception:
            return False

    async def _listen_forever(self) -> None:
        from redis import asyncio as aioredis

        delay = self._backoff_initial
        first = True
        while True:
            client = aioredis.Redis.from_url(self._url, client_name=self.listener_name)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(self._prefix + "*")
                self._subscribed.set()
                if not first:
                    self.reconnects += 1
                    log.info("fanout_reconnected", reconnects=self.reconnects)
                    # What was published while we were away is lost to this process:
                    # tell its sockets to catch up by cursor.
                    for subscription in list(self.hub.everyone()):
                        _offer(subscription, RESYNC)
                first = False
                delay = self._backoff_initial
                async for message in pubsub.listen():
                    self._receive(message)
                raise ConnectionError("the subscription ended")
            except asyncio.CancelledError:
                raise
            except Exception as error:  # any failure: reconnect later
                self._subscribed.clear()
                log.warning("fanout_disconnected", error=str(error), retry_in=round(delay, 2))
                await asyncio.sleep(delay * (0.5 + random.random() / 2))
                delay = min(delay * 2, self._backoff_max)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
                with contextlib.suppress(Exception):
                    await client.aclose()

    def _receive(self, message: dict[str, Any]) -> None:
        if message.get("type") != "pmessage":
            return
        try:
            envelope = json.loads(message["data"])
        except (TypeError, ValueError):
            return
        if envelope.get("o") == self.origin:
            return  # delivered locally when published
        self.hub.deliver(str(envelope["c"]), envelope["p"])


def build_fanout(redis_url: str | None, prefix: str) -> Fanout:
    if redis_url:
        return RedisFanout(redis_url, prefix + "fanout:")
    return MemoryFanout()
