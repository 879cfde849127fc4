"""The worker's pace between steps (issue 22, the check-in's CPU): a job that found work
runs again at once, unless it asks for a pause after work, as the event consumers do so
that one pass under load takes many events instead of one or two."""

from __future__ import annotations

import asyncio
from typing import Any

from habitus import worker
from habitus.config import Settings
from habitus.events import consumers
from habitus.registry import Job, JobContext
from habitus.wiring import register_all
from tests.conftest import TEST_SECRET


def _context() -> JobContext:
    settings = Settings(environment="test", secret_key=TEST_SECRET, worker_poll_seconds=5)
    return JobContext(None, settings, "pace-test")  # type: ignore[arg-type]


async def _steps_in(seconds: float, job_pause: float) -> int:
    """How many steps a job that always finds work makes in `seconds`."""
    steps = 0

    async def always_busy(_ctx: Any) -> int:
        nonlocal steps
        steps += 1
        await asyncio.sleep(0)
        return 1

    stop = asyncio.Event()
    job = Job("busy", always_busy, None, job_pause)
    running = asyncio.create_task(worker._repeat(job, _context(), stop))
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait_for(running, timeout=2)
    return steps


async def test_a_job_that_finds_work_runs_again_at_once():
    assert await _steps_in(0.3, 0.0) > 50


async def test_a_pause_after_work_spaces_the_steps_and_stop_cuts_it_short():
    steps = await _steps_in(0.5, 0.2)
    # at 0, 0.2 and 0.4 s: three steps, never the hundreds of the job above
    assert 2 <= steps <= 4


async def test_the_event_consumers_pause_after_work_and_wait_a_poll_when_idle():
    register_all()
    from habitus.registry import registry

    job = registry.jobs["events.consumers"]
    assert job.pause_after_work == consumers.PAUSE_AFTER_WORK_SECONDS
    assert 0 < job.pause_after_work < 1  # reactions within a second under load too
    assert job.every_seconds is None  # idle: the worker's poll
