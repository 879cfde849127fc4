"""The app's background worker: every job the wiring registered (firing reminders,
delivering them, the event log's durable consumers, housekeeping), each in a loop of its
own. Runs inside `habitus serve` (settings.run_worker) or as `habitus worker` processes;
any number may run at once, since every job claims its rows with a conditional UPDATE."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from habitus.config import Settings
from habitus.registry import Job, JobContext, registry

log = structlog.get_logger(__name__)

# `run_once` runs a job again while it finds work, at most this often (a job that always
# finds something, such as a sweep that deletes, must not spin forever).
MAX_ROUNDS = 1000


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"[:64]


async def run_once(
    maker: async_sessionmaker[AsyncSession], settings: Settings, worker: str
) -> dict[str, int]:
    """One pass over every job, in the order they were registered, each until it finds
    nothing more (so a burst of deliveries drains): what each found, by job name."""
    ctx = JobContext(maker, settings, worker)
    found: dict[str, int] = {}
    for job in registry.jobs.values():
        total = 0
        for _ in range(MAX_ROUNDS):
            step = await job.step(ctx)
            total += step
            if step == 0:
                break
        found[job.name] = total
    return found


async def _repeat(job: Job, ctx: JobContext, stop: asyncio.Event) -> None:
    """Run `job` again at once while it finds work, else after its interval."""
    interval = job.every_seconds or ctx.settings.worker_poll_seconds
    while not stop.is_set():
        found = 0
        try:
            found = await job.step(ctx)
        except Exception:  # a failed step must not stop the next one
            log.exception("worker_step_failed", worker=ctx.worker, step=job.name)
        if found and job.every_seconds is None:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


async def run_forever(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    worker: str | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Every job side by side: deliveries of a burst start going out while later
    reminders of the same burst are still being fired."""
    ctx = JobContext(maker, settings, worker or worker_name())
    log.info("worker_started", worker=ctx.worker, jobs=list(registry.jobs))
    stop = stop or asyncio.Event()
    await asyncio.gather(*(_repeat(job, ctx, stop) for job in registry.jobs.values()))
