"""The app's background worker: every job the wiring registered (firing reminders,
delivering them, the event log's durable consumers, housekeeping), each in a loop of its
own. Runs inside `habitus serve` (settings.run_worker) or as `habitus worker` processes;
any number may run at once, since every job claims its rows with a conditional UPDATE."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import uuid

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from habitus.config import Settings
from habitus.kit import tracing
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
            step = await traced_step(job, ctx)
            total += step
            if step == 0:
                break
        found[job.name] = total
    return found


async def traced_step(job: Job, ctx: JobContext) -> int:
    """One run of `job`, in a span of its own when tracing is on (issue 22): what it
    queried and sent is one trace, and its log lines carry that trace's id."""
    with tracing.job_span(job.name) as span:
        found = await job.step(ctx)
        span.set_attribute(tracing.JOB_FOUND_ATTRIBUTE, found)
        return found


async def _repeat(job: Job, ctx: JobContext, stop: asyncio.Event) -> None:
    """Run `job` again while it finds work (at once, or after its `pause_after_work`),
    else after its interval."""
    interval = job.every_seconds or ctx.settings.worker_poll_seconds
    while not stop.is_set():
        found = 0
        try:
            found = await traced_step(job, ctx)
        except Exception:  # a failed step must not stop the next one
            log.exception("worker_step_failed", worker=ctx.worker, step=job.name)
        busy = found and job.every_seconds is None
        wait = job.pause_after_work if busy else interval
        if wait:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)


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


async def stop_within(task: asyncio.Task[None], stop: asyncio.Event, grace: float) -> None:
    """Issue 22, graceful shutdown: ask `run_forever` to stop (each job ends after the
    step it is in, so a delivery being sent is sent and recorded, not left to its lease
    and sent again by another worker), wait at most `grace` seconds, then cancel what
    is left (a delivery cut off mid-send goes again once its lease runs out)."""
    stop.set()
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=grace)
    except TimeoutError:
        log.warning("worker_stop_cut_off", grace_seconds=grace)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def run_until_signalled(
    maker: async_sessionmaker[AsyncSession], settings: Settings, worker: str | None = None
) -> None:
    """`habitus worker`: run every job until SIGTERM or SIGINT, then stop gracefully
    (`stop_within`, `HABITUS_SHUTDOWN_GRACE_SECONDS`). Without this, SIGTERM ended the
    process at once, mid-send: its claims waited out their lease and were sent twice."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_forever(maker, settings, worker=worker, stop=stop))

    def signalled_again_cuts_off() -> None:
        # The first signal asks for a graceful stop; a second (Ctrl-C twice) cuts it off.
        if stop.is_set():
            task.cancel()
        stop.set()

    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, signalled_again_cuts_off)
    signalled = asyncio.create_task(stop.wait())
    await asyncio.wait({task, signalled}, return_when=asyncio.FIRST_COMPLETED)
    signalled.cancel()
    if task.done():  # the jobs ended on their own (an error): report it
        task.result()
        return
    log.info("worker_stopping", grace_seconds=settings.shutdown_grace_seconds)
    with contextlib.suppress(asyncio.CancelledError):
        await stop_within(task, stop, settings.shutdown_grace_seconds)
    log.info("worker_stopped")
