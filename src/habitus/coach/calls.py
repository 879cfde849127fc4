"""The model calls a coach operation made, kept for the admin page (issue 17: calls per
day and their failures) without user ids or text.

The one LLM client per process reports each call to `record`; an operation that wants
them stored opens `collecting()` first (a context variable, so concurrent requests keep
their own lists) and, once it holds its transaction, `save`s them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.context import AppContext
from habitus.kit import llm
from habitus.models import ModelCall

_collected: ContextVar[list[llm.CallRecord] | None] = ContextVar("coach_calls", default=None)


async def record(call: llm.CallRecord) -> None:
    found = _collected.get()
    if found is not None:
        found.append(call)


@contextmanager
def collecting() -> Iterator[list[llm.CallRecord]]:
    found: list[llm.CallRecord] = []
    token = _collected.set(found)
    try:
        yield found
    finally:
        _collected.reset(token)


def save(session: AsyncSession, calls: list[llm.CallRecord]) -> None:
    session.add_all(
        ModelCall(
            purpose=call.purpose[:40],
            model=call.model[:200] or "-",
            ok=call.ok,
            reason=call.reason,
            seconds=round(call.seconds, 3),
            prompt_tokens=call.prompt_tokens,
            completion_tokens=call.completion_tokens,
        )
        for call in calls
    )


def client_of(ctx: AppContext) -> llm.LlmClient:
    """The process's one client (its concurrency cap is per instance), made on first use."""
    if ctx.llm is None:
        ctx.llm = llm.LlmClient(ctx.settings, recorder=record)
    return ctx.llm
