"""The coach's worker step: plans whose writing stopped with their process (a
`generating` plan past its lease) are taken over and made (`service.take_over_stale`)."""

from __future__ import annotations

import asyncio

from habitus.coach import calls, service
from habitus.config import Settings
from habitus.kit import llm
from habitus.registry import JobContext

INTERVAL_SECONDS = 30.0
# The worker's own client (its concurrency cap), one per settings object and event loop
# (a client's semaphore and connections belong to the loop that first used them).
_clients: dict[tuple[int, int], tuple[Settings, llm.LlmClient]] = {}


def _client(settings: Settings) -> llm.LlmClient:
    key = (id(settings), id(asyncio.get_running_loop()))
    found = _clients.get(key)
    if found is None or found[0] is not settings:
        found = (settings, llm.LlmClient(settings, recorder=calls.record))
        _clients[key] = found
    return found[1]


async def take_over(ctx: JobContext) -> int:
    return await service.take_over_stale(ctx.maker, ctx.settings, _client(ctx.settings))
