"""Durable consumers of the event log, one runner for all of them (`registry.consume`).

Each consumer owns a cursor (`event_cursors`): a pass reads the next batch after it
(`service.read_after`, which no late commit can get ahead of), moves the cursor with a
conditional UPDATE (so of two workers racing, one takes the batch), and hands the events
of the kinds the consumer asked for to its handler, all in one transaction: the handler's
writes and the cursor's move commit together, or neither does.

A handler that fails leaves the cursor where it was: the batch is tried again after a
back-off that doubles (the poll interval, up to `MAX_BACKOFF`), and the cursor row keeps
the failure count and the last error for an operator. Nothing is skipped: a consumer
stuck on a batch is stuck loudly, never silently past it.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from habitus import db
from habitus.events.service import Position, read_after, stored
from habitus.kit import clock
from habitus.models import EventCursor
from habitus.registry import Consumer, JobContext, registry

log = structlog.get_logger(__name__)

MAX_BACKOFF = timedelta(minutes=10)
# Issue 22: a pass costs every consumer a few queries (its cursor, the read, the move)
# however few events it finds. Run back to back under load, it found one or two events a
# check-in and cost the web process 2-3 ms of CPU per check-in; a short pause after a
# pass that found events lets the next one take all that came meanwhile (a backlog
# still drains at up to a batch, 500, per pause). Reactions stay within a second, as
# when idle (the worker's poll).
PAUSE_AFTER_WORK_SECONDS = 0.25
ERROR_LENGTH = 500


async def run_all(ctx: JobContext) -> int:
    """One batch for every registered consumer that is not waiting to retry; the number
    of events read (0: all caught up)."""
    read = 0
    for consumer in registry.consumers.values():
        read += await run_one(ctx.maker, consumer, poll_seconds=ctx.settings.worker_poll_seconds)
    return read


async def run_one(
    maker: async_sessionmaker[AsyncSession], consumer: Consumer, *, poll_seconds: float = 1.0
) -> int:
    try:
        async with db.job_transaction(maker) as session:
            cursor = await _cursor(session, consumer.name)
            if cursor.retry_at is not None and cursor.retry_at > clock.now():
                return 0
            start = Position(cursor.last_txid, cursor.last_event_id)
            rows, end = await read_after(session, start, consumer.batch)
            if not rows:
                return 0
            moved = await session.execute(
                update(EventCursor)
                .where(
                    EventCursor.consumer == consumer.name,
                    EventCursor.last_txid == start.txid,
                    EventCursor.last_event_id == start.event_id,
                )
                .values(
                    last_txid=end.txid,
                    last_event_id=end.event_id,
                    failures=0,
                    last_error=None,
                    retry_at=None,
                )
            )
            if db.rowcount(moved) != 1:
                return 0  # another worker took this batch
            kinds = {kind.kind for kind in consumer.kinds}
            wanted = [stored(row) for row in rows if row.kind in kinds]
            if wanted:
                await consumer.handle(session, wanted)
            return len(rows)
    except Exception as error:  # the batch is retried; the worker goes on
        log.exception("event_consumer_failed", consumer=consumer.name)
        await _note_failure(maker, consumer.name, error, poll_seconds)
        return 0


async def _cursor(session: AsyncSession, name: str) -> EventCursor:
    cursor = await session.get(EventCursor, name, populate_existing=True)
    if cursor is None:
        cursor = EventCursor(consumer=name, last_txid=0, last_event_id=0, failures=0)
        session.add(cursor)
        await session.flush()
    return cursor


async def _note_failure(
    maker: async_sessionmaker[AsyncSession], name: str, error: Exception, poll_seconds: float
) -> None:
    try:
        async with db.job_transaction(maker) as session:
            cursor = await _cursor(session, name)
            cursor.failures = (cursor.failures or 0) + 1
            cursor.last_error = f"{type(error).__name__}: {error}"[:ERROR_LENGTH]
            wait = min(timedelta(seconds=poll_seconds * 2**cursor.failures), MAX_BACKOFF)
            cursor.retry_at = clock.now() + wait
    except Exception:  # the database itself may be what failed; the next pass retries
        log.exception("event_consumer_failure_not_recorded", consumer=name)
