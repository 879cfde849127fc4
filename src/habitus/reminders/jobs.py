"""The reminder engine's steps in the app's worker (registered in `habitus.wiring`):
fire what is due, deliver what waits."""

from __future__ import annotations

from habitus.kit import clock
from habitus.registry import JobContext
from habitus.reminders import dispatcher, firing


async def fire(ctx: JobContext) -> int:
    """Occurrences fired: notifications and deliveries written for due reminders."""
    return await firing.fire_due(ctx.maker, ctx.settings, clock.now())


async def deliver(ctx: JobContext) -> int:
    """Deliveries claimed and sent (or failed) in one batch."""
    return await dispatcher.deliver_due(ctx.maker, ctx.settings, ctx.worker)
