"""The dispatcher loop: fire due reminders, then send due deliveries, again and again.
Runs inside `habitus serve` (settings.run_worker) or as `habitus worker` processes; any
number may run at once, since every step claims its rows with a conditional UPDATE."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Awaitable, Callable

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from habitus.config import Settings
from habitus.kit import clock
from habitus.reminders import dispatcher, event_hooks, firing

log = structlog.get_logger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"[:64]


async def run_once(
    maker: async_sessionmaker[AsyncSession], settings: Settings, worker: str
) -> tuple[int, int]:
    """One pass: (occurrences fired, deliveries handled). Deliveries are sent until
    none is due, so a burst drains without waiting for the next poll."""
    fired = await firing.fire_due(maker, settings, clock.now())
    while await event_hooks.forward(maker, clock.now()) == event_hooks.BATCH:
        pass
    handled = 0
    while True:
        claimed = await dispatcher.deliver_due(maker, settings, worker)
        handled += claimed
        if claimed == 0:
            return fired, handled


async def _repeat(
    what: str,
    step: Callable[[], Awaitable[int]],
    settings: Settings,
    stop: asyncio.Event,
    worker: str,
) -> None:
    """Run `step` again at once while it finds work, else after the poll interval."""
    while not stop.is_set():
        found = 0
        try:
            found = await step()
        except Exception:  # a failed step must not stop the next one
            log.exception("worker_step_failed", worker=worker, step=what)
        if found:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.worker_poll_seconds)


async def run_forever(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    worker: str | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Firing and delivering run side by side: deliveries of a burst start going out
    while later reminders of the same burst are still being fired."""
    name = worker or worker_name()
    log.info("worker_started", worker=name)
    stop = stop or asyncio.Event()

    async def fire() -> int:
        fired = await firing.fire_due(maker, settings, clock.now())
        while await event_hooks.forward(maker, clock.now()) == event_hooks.BATCH:
            pass
        return fired

    async def deliver() -> int:
        return await dispatcher.deliver_due(maker, settings, name)

    await asyncio.gather(
        _repeat("fire", fire, settings, stop, name),
        _repeat("deliver", deliver, settings, stop, name),
    )
