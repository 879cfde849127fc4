"""Sending the ledger's deliveries (DESIGN "Background work"): claim due rows with a
lease, send them with bounded concurrency through their channel's transport (its
type's, `channel_types`, with the kept config parsed by the type's model), record
every attempt, and end each claim: `sent`, `failed` with a retry instant (exponential
backoff with jitter), or `dead` after the last attempt or a permanent error, which also
turns the channel off and tells the user why."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from habitus import db
from habitus.config import Settings
from habitus.kit import clock, signing
from habitus.metrics import recording as product_events
from habitus.models import Channel, Delivery
from habitus.reminders import firing, messages, metrics, repository
from habitus.reminders.channel_types import CHANNEL_TYPES
from habitus.reminders.transports.base import Message, PermanentFailure, TemporaryFailure

log = structlog.get_logger(__name__)

# Outcomes are recorded in chunks as sends finish, so a worker that dies mid-batch
# leaves at most this many sent-but-unrecorded deliveries to be sent again (besides the
# sends in flight, up to `delivery_concurrency`, 32). Issue 22: 16 -> 32, half the
# recording transactions in a burst, no more exposure than the sends in flight.
RECORD_EVERY = 32


UNSUBSCRIBE_PURPOSE = "unsubscribe"


def unsubscribe_url(settings: Settings, channel_id: uuid.UUID) -> str:
    """A one-click link (RFC 8058) that turns this email channel off; signed, so only
    the mail's reader can use it."""
    token = signing.pack(settings.signing_key, UNSUBSCRIBE_PURPOSE, {"c": str(channel_id)})
    return f"{settings.base_url}/unsubscribe/{token}"


def channel_of_unsubscribe(settings: Settings, token: str) -> uuid.UUID | None:
    data = signing.unpack(settings.signing_key, UNSUBSCRIBE_PURPOSE, token)
    try:
        return uuid.UUID(str(data["c"])) if data else None
    except (KeyError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class Outcome:
    delivery: Delivery
    channel: Channel | None
    status: str  # sent, temporary, permanent
    error: str | None
    started_at: datetime
    latency_ms: float


def backoff(settings: Settings, attempts: int) -> timedelta:
    """Exponential backoff with full jitter between half and all of the step, so many
    deliveries failing together do not retry together."""
    step = settings.delivery_backoff_seconds * 2 ** max(0, attempts - 1)
    return timedelta(seconds=step * random.uniform(0.5, 1.0))


def message_of(settings: Settings, delivery: Delivery, channel: Channel) -> Message:
    url = f"{settings.base_url}/habits/{delivery.habit_id}" if delivery.habit_id else None
    return Message(
        delivery_id=delivery.id,
        event=delivery.event,
        user_id=delivery.user_id,
        title=delivery.title,
        body=delivery.body,
        sent_at=clock.now(),
        habit_id=delivery.habit_id,
        habit_name=delivery.habit_name,
        local_date=delivery.local_date,
        url=url or f"{settings.base_url}/today",
        unsubscribe_url=unsubscribe_url(settings, channel.id)
        if CHANNEL_TYPES[channel.type].unsubscribe_link
        else None,
    )


def channel_config(channel: Channel) -> dict[str, object]:
    config = dict(channel.config)
    if channel.secret is not None:
        config["secret"] = channel.secret
    return config


async def _send(
    settings: Settings,
    delivery: Delivery,
    channel: Channel | None,
    gate: asyncio.Semaphore,
    configs: dict[uuid.UUID, Any],
) -> Outcome:
    async with gate:
        started_at = clock.now()
        began = time.perf_counter()
        status, error = "sent", None
        try:
            if channel is None or not channel.enabled:
                raise PermanentFailure("the channel was removed or turned off")
            # Transports are imported on first use: Apprise alone takes a second or two
            # to import, which a worker that only sends webhooks need not pay at start-up.
            kind = CHANNEL_TYPES[channel.type]
            # Parsed once per channel in a round (a burst sends many to each channel).
            config = configs.get(channel.id)
            if config is None:
                config = configs[channel.id] = kind.stored(channel_config(channel))
            await kind.transport().send(message_of(settings, delivery, channel), config, settings)
        except PermanentFailure as failure:
            status, error = "permanent", failure.reason
        except TemporaryFailure as failure:
            status, error = "temporary", str(failure) or type(failure).__name__
        except Exception as failure:  # an unexpected error is retried, and logged
            log.exception("delivery_error", delivery_id=str(delivery.id))
            status, error = "temporary", f"{type(failure).__name__}: {failure}"
        latency = (time.perf_counter() - began) * 1000
        return Outcome(delivery, channel, status, error, started_at, latency)


async def deliver_due(
    maker: async_sessionmaker[AsyncSession], settings: Settings, worker: str
) -> int:
    """One round: claim deliveries due now or within `delivery_claim_ahead_seconds`,
    send each at its instant (issue 22: never before), record the outcomes. Rows
    handled (sent, failed or called off; not those handed back unsent)."""
    now = clock.now()
    window = timedelta(seconds=settings.delivery_claim_ahead_seconds)
    async with db.job_transaction(maker) as session:
        claimed = await repository.claim_deliveries(
            session,
            now,
            now + timedelta(seconds=settings.delivery_lease_seconds) + window,
            worker,
            settings.delivery_concurrency * 4,
            until=now + window,
        )
        channels = await repository.channels_by_id(session, {row.channel_id for row in claimed})
    if not claimed:
        return 0
    by_instant: dict[datetime, list[Delivery]] = defaultdict(list)
    for row in claimed:
        by_instant[max(row.next_attempt_at, now)].append(row)
    batch = _Batch(
        maker, settings, worker, channels, asyncio.Semaphore(settings.delivery_concurrency)
    )
    handled = await asyncio.gather(
        *(batch.send_at(instant, rows) for instant, rows in sorted(by_instant.items()))
    )
    await batch.flush()
    return sum(handled)


class _Batch:
    """One round's claimed deliveries, sent instant by instant; outcomes recorded in
    chunks as sends finish, so a worker that dies mid-batch leaves at most
    RECORD_EVERY sent-but-unrecorded deliveries to be sent again."""

    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        settings: Settings,
        worker: str,
        channels: dict[uuid.UUID, Channel],
        gate: asyncio.Semaphore,
    ) -> None:
        self.maker, self.settings, self.worker = maker, settings, worker
        self.channels, self.gate = channels, gate
        self.configs: dict[uuid.UUID, Any] = {}
        self.done: list[Outcome] = []

    async def send_at(self, instant: datetime, rows: list[Delivery]) -> int:
        if not await _wait_until(instant, self.settings.delivery_claim_ahead_seconds):
            # The clock did not reach the instant (frozen in a test, or stepped back):
            # hand the rows back rather than send early.
            async with db.job_transaction(self.maker) as session:
                await repository.release_deliveries(session, self.worker, [r.id for r in rows])
            return 0
        prepared = [row for row in rows if _prepared_ahead(row)]
        off = await self._call_off_done(prepared) if prepared else set()
        rows = [row for row in rows if row.id not in off]
        sends = [
            asyncio.create_task(
                _send(
                    self.settings, row, self.channels.get(row.channel_id), self.gate, self.configs
                )
            )
            for row in rows
        ]
        for finished in asyncio.as_completed(sends):
            self.done.append(await finished)
            if len(self.done) >= RECORD_EVERY:
                await self.flush()
        return len(rows) + len(off)

    async def _call_off_done(self, prepared: list[Delivery]) -> set[uuid.UUID]:
        """D9.3 at send time: a reminder fired ahead whose day is no longer pending (a
        check-in since it was prepared) sends nothing; its deliveries and inbox row
        are removed and its occurrence recorded as `suppressed`."""
        async with db.job_transaction(self.maker) as session:
            off = await firing.called_off(session, self.settings, prepared)
            removed = set(
                await repository.cancel_deliveries(session, self.worker, [row.id for row in off])
            )
            keys = {firing.reminder_day(row) for row in off if row.id in removed}
            await repository.suppress_occurrences(session, [key for key in keys if key])
        for _ in removed:
            metrics.SUPPRESSED.labels("suppressed").inc()
        return {row.id for row in off}

    async def flush(self) -> None:
        if not self.done:
            return
        outcomes, self.done = self.done, []
        async with db.job_transaction(self.maker) as session:
            await record(session, self.settings, self.worker, outcomes)


def _prepared_ahead(row: Delivery) -> bool:
    """A first attempt of a delivery written before its instant (firing ahead)."""
    return row.attempts == 1 and row.created_at < row.due_at


async def _wait_until(instant: datetime, bound_seconds: float) -> bool:
    """Sleep until `clock.now()` reaches `instant`; False if it does not within
    `bound_seconds` (and a little), or stands still while we sleep (a frozen clock in
    tests): a send is never early, and never waits long."""
    deadline = time.monotonic() + bound_seconds + 0.5
    while (left := (instant - clock.now()).total_seconds()) > 0:
        if time.monotonic() + left > deadline:
            return False
        before = clock.now()
        # A hair past the instant: the loop may wake a timer slightly early.
        await asyncio.sleep(left + 0.001)
        if clock.now() == before:
            return False
    return True


async def record(
    session: AsyncSession, settings: Settings, worker: str, outcomes: list[Outcome]
) -> None:
    now = clock.now()
    await repository.add_attempts(
        session,
        [
            {
                "delivery_id": item.delivery.id,
                "user_id": item.delivery.user_id,
                "number": item.delivery.attempts,
                "started_at": item.started_at,
                "latency_ms": item.latency_ms,
                "status": item.status,
                "error": item.error,
                "worker": worker,
            }
            for item in outcomes
        ],
    )
    sent: list[dict[str, object]] = []
    # Issue 21: a delivery sent, or given up on (dead), is a product event; a retry to
    # come is neither yet.
    counted: list[tuple[str, uuid.UUID | None, dict[str, object]]] = []
    for item in outcomes:
        delivery, kind = item.delivery, item.channel.type if item.channel else "unknown"
        if item.status == "sent":
            sent.append(
                {
                    "b_id": delivery.id,
                    "b_sent_at": item.started_at + timedelta(milliseconds=item.latency_ms),
                }
            )
            metrics.SENT.labels(kind).inc()
            counted.append((product_events.REMINDER_SENT, delivery.user_id, {"channel": kind}))
            metrics.LATENESS.labels(kind).observe(max(0.0, (now - delivery.due_at).total_seconds()))
            continue
        metrics.FAILED.labels(kind, item.status).inc()
        last = item.status == "permanent" or delivery.attempts >= settings.delivery_max_attempts
        values: dict[str, object] = {
            "state": "dead" if last else "failed",
            "last_error": item.error,
            "lease_until": None,
            "next_attempt_at": now + backoff(settings, delivery.attempts),
        }
        if last:
            metrics.DEAD.labels(kind).inc()
            counted.append((product_events.REMINDER_FAILED, delivery.user_id, {"channel": kind}))
        if not await repository.finish_delivery(session, delivery.id, worker, values):
            continue  # the lease ran out and another worker took the row over
        if item.status == "permanent" and item.channel is not None and item.error:
            await _turn_off(session, item.channel, item.error, now)
    # Successes in one executemany, each only while this worker still holds its claim.
    await repository.mark_sent(session, worker, sent)
    await product_events.record_many(session, counted)


async def _turn_off(session: AsyncSession, channel: Channel, reason: str, now: datetime) -> None:
    """A permanent error turns the channel off, and the inbox says why."""
    if not await repository.disable_channel(session, channel.id, reason):
        return
    text = messages.channel_disabled(channel.name, reason)
    await repository.add_notification(
        session,
        {
            "user_id": channel.user_id,
            "kind": "channel_disabled",
            "title": text.title[:200],
            "body": text.body,
            "created_at": now,
        },
    )
    log.warning("channel_disabled", channel_id=str(channel.id), reason=reason)
