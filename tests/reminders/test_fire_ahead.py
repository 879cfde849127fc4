"""Issue 22, reminder lateness: reminders are fired ahead of their instant (decided and
written to the inbox and the ledger, dated at the instant) and each delivery is sent at
its instant, never before; D9.3 is asked again just before sending; what one worker
prepared, another sends; two senders never send one delivery twice."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine
from fastapi import FastAPI
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.kit import clock
from habitus.models import Delivery, DeliveryAttempt, Notification, Reminder, ReminderOccurrence
from habitus.reminders import dispatcher, firing, repository
from tests.fixtures.database import backend
from tests.fixtures.personas import Persona
from tests.habits.helpers import API, checked_in, create_habit, travel
from tests.reminders.conftest import Sink, run_worker
from tests.reminders.test_engine import inbox, reminder, webhook

DUE = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)  # the reminders' "18:00", alice is UTC
PREPARED_AT = DUE - timedelta(seconds=20)  # inside the 30 s fire-ahead horizon


async def rows(session: AsyncSession, statement: Any) -> list[Any]:
    found = list(await session.scalars(statement))
    await session.commit()
    return found


async def test_fired_ahead_it_is_prepared_early_and_shown_and_sent_only_at_the_instant(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    sink: Sink,
    db_session: AsyncSession,
) -> None:
    """Issue 22 (fire ahead): 20 s early the occurrence, the inbox row and the delivery
    are written, but nothing is sent or shown; a pass just before the instant (clock
    standing still) hands the claim back unsent; at the instant it is sent once, and
    the inbox shows it."""
    habit = await create_habit(client, alice, name="Read 20 min")
    await webhook(client, alice, sink)
    await reminder(client, alice, habit["id"])

    await travel(frozen_clock, client, alice, PREPARED_AT)
    assert await run_worker(app) == (1, 0)
    [delivery] = await rows(db_session, select(Delivery))
    assert (delivery.state, delivery.next_attempt_at, delivery.due_at) == ("pending", DUE, DUE)
    [occurrence] = await rows(db_session, select(ReminderOccurrence))
    assert (occurrence.outcome, occurrence.fired_at) == ("sent", PREPARED_AT)
    assert sink.received == []
    assert await inbox(client, alice) == []  # dated 18:00: not shown before
    unread = await client.get(f"{API}/notifications/unread-count", headers=alice.headers)
    assert unread.json() == {"unread": 0}

    # Half a second before: inside the claim window, but the clock does not reach the
    # instant, so the delivery is handed back, its attempt not counted.
    await travel(frozen_clock, client, alice, DUE - timedelta(milliseconds=500))
    assert await run_worker(app) == (0, 0)
    assert sink.received == []
    [delivery] = await rows(db_session, select(Delivery))
    assert (delivery.state, delivery.attempts, delivery.claimed_by) == ("pending", 0, None)

    await travel(frozen_clock, client, alice, DUE)
    assert await run_worker(app) == (0, 1)
    assert [item.json["title"] for item in sink.received] == ["Read 20 min"]
    [attempt] = await rows(db_session, select(DeliveryAttempt))
    assert attempt.started_at >= DUE
    assert [item["title"] for item in await inbox(client, alice)] == ["Read 20 min"]
    assert await run_worker(app) == (0, 0)
    assert len(sink.received) == 1


async def test_with_a_running_clock_the_send_waits_for_its_instant(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    sink: Sink,
    db_session: AsyncSession,
) -> None:
    """Issue 22 (send at the instant): claimed 1.2 s early by a real, moving clock, the
    delivery waits and goes out at 18:00, not before, and well within the second."""
    habit = await create_habit(client, alice)
    await webhook(client, alice, sink)
    await reminder(client, alice, habit["id"])
    with time_machine.travel(DUE - timedelta(seconds=1.2), tick=True):
        assert await run_worker(app) == (1, 1)
        finished = clock.now()
    assert len(sink.received) == 1
    sent_at = datetime.fromisoformat(sink.received[0].json["sent_at"].replace("Z", "+00:00"))
    [attempt] = await rows(db_session, select(DeliveryAttempt))
    assert DUE <= attempt.started_at <= sent_at < DUE + timedelta(seconds=1)
    assert finished >= DUE


async def test_a_check_in_before_the_instant_calls_off_the_prepared_reminder(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    sink: Sink,
    db_session: AsyncSession,
) -> None:
    """D9.3 at send time (issue 22): both reminders are prepared at 17:59:40 and both
    habits checked in at 17:59:50; at 18:00 the `only_if_pending` one sends nothing, its
    delivery and inbox row are gone and its occurrence is `suppressed`; the other
    (only_if_pending off) is sent."""
    habit = await create_habit(client, alice, name="Read")
    other = await create_habit(client, alice, name="Walk")
    await webhook(client, alice, sink)
    await reminder(client, alice, habit["id"])
    await reminder(client, alice, other["id"], only_if_pending=False)

    await travel(frozen_clock, client, alice, PREPARED_AT)
    assert await run_worker(app) == (2, 0)
    assert len(await rows(db_session, select(Delivery))) == 2

    await travel(frozen_clock, client, alice, DUE - timedelta(seconds=10))
    await checked_in(client, alice, habit["id"])
    await checked_in(client, alice, other["id"])
    await travel(frozen_clock, client, alice, DUE)
    await run_worker(app)
    assert [item.json["title"] for item in sink.received] == ["Walk"]
    assert [row.title for row in await rows(db_session, select(Delivery))] == ["Walk"]
    titles = await rows(
        db_session, select(Notification.title).where(Notification.kind == "reminder")
    )
    assert titles == ["Walk"]
    outcomes = await rows(
        db_session, select(ReminderOccurrence.outcome).order_by(ReminderOccurrence.outcome)
    )
    assert outcomes == ["sent", "suppressed"]
    await run_worker(app)  # nothing fires again for the day (D9.4)
    assert len(sink.received) == 1


async def test_a_reminder_deleted_before_the_instant_sends_nothing(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    sink: Sink,
    db_session: AsyncSession,
) -> None:
    """Issue 22: a reminder prepared ahead (only_if_pending off, so D9.3 would not stop
    it) and deleted before its instant is not sent, and leaves nothing in the inbox."""
    habit = await create_habit(client, alice, name="Read")
    await webhook(client, alice, sink)
    found = await reminder(client, alice, habit["id"], only_if_pending=False)
    await travel(frozen_clock, client, alice, PREPARED_AT)
    assert await run_worker(app) == (1, 0)
    response = await client.delete(
        f"{API}/reminders/{found['id']}",
        headers={**alice.headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 204, response.text
    await travel(frozen_clock, client, alice, DUE)
    await run_worker(app)
    assert sink.received == []
    assert await rows(db_session, select(Delivery)) == []
    assert await inbox(client, alice) == []


async def test_what_a_dead_worker_prepared_or_claimed_another_sends_once(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    sink: Sink,
    db_session: AsyncSession,
) -> None:
    """Issue 22 (a worker killed after preparing loses nothing): worker A fires two
    reminders ahead, claims one of the deliveries 1 s before its instant and stops
    there (killed); worker B, after the instant, sends the unclaimed one at once and
    the claimed one when A's lease has run out: each exactly once."""
    habit = await create_habit(client, alice, name="Read")
    other = await create_habit(client, alice, name="Walk")
    await webhook(client, alice, sink)
    await reminder(client, alice, habit["id"])
    await reminder(client, alice, other["id"])
    maker, settings = app.state.sessionmaker, app.state.ctx.settings

    await travel(frozen_clock, client, alice, PREPARED_AT)
    assert await firing.fire_due(maker, settings, clock.now()) == 2  # worker A prepares
    await travel(frozen_clock, client, alice, DUE - timedelta(seconds=1))
    async with maker() as session:
        now = clock.now()
        claimed = await repository.claim_deliveries(
            session, now, now + timedelta(seconds=120), "worker-a", 1, until=DUE
        )
        await session.commit()
    assert len(claimed) == 1  # ... and dies holding this claim

    await travel(frozen_clock, client, alice, DUE + timedelta(seconds=1))
    assert await run_worker(app, "worker-b") == (0, 1)
    assert len(sink.received) == 1
    await travel(frozen_clock, client, alice, DUE + timedelta(seconds=125))
    assert await run_worker(app, "worker-b") == (0, 1)
    titles = sorted(item.json["title"] for item in sink.received)
    assert titles == ["Read", "Walk"]
    states = await rows(db_session, select(Delivery.state))
    assert states == ["sent", "sent"]


@pytest.mark.skipif(backend() != "postgresql", reason="concurrent senders want PostgreSQL")
async def test_two_senders_waiting_for_the_same_instant_send_each_delivery_once(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    sink: Sink,
    db_session: AsyncSession,
) -> None:
    """Issue 22 (none twice): 60 reminders fired ahead; two senders claim at the same
    moment, 1.5 s before the instant, with a moving clock, and wait for it: each
    delivery reaches the receiver exactly once, none before 18:00."""
    habit = await create_habit(client, alice)
    await webhook(client, alice, sink)
    await db_session.execute(
        insert(Reminder),
        [
            {
                "id": uuid.uuid4(),
                "user_id": alice.id,
                "habit_id": uuid.UUID(habit["id"]),
                "kind": "habit",
                "time": "18:00",
                "days": None,
                "only_if_pending": False,
                "channel_ids": [],
                "enabled": True,
                "next_fire_at": DUE,
                "next_local_date": DUE.date(),
            }
            for _ in range(60)
        ],
    )
    await db_session.commit()
    maker = app.state.sessionmaker
    # Claims of 4 x 6: each sender takes a share of the 60.
    settings = app.state.ctx.settings.model_copy(update={"delivery_concurrency": 6})
    await travel(frozen_clock, client, alice, PREPARED_AT)
    assert await firing.fire_due(maker, settings, clock.now()) == 60

    with time_machine.travel(DUE - timedelta(seconds=1.5), tick=True):
        for _ in range(10):
            handled = await asyncio.gather(
                dispatcher.deliver_due(maker, settings, "sender-a"),
                dispatcher.deliver_due(maker, settings, "sender-b"),
            )
            if handled == [0, 0] and len(sink.received) >= 60:
                break
    keys = [item.headers["idempotency-key"] for item in sink.received]
    assert len(keys) == 60
    assert len(set(keys)) == 60
    attempts = await rows(db_session, select(DeliveryAttempt))
    assert {attempt.worker for attempt in attempts} == {"sender-a", "sender-b"}
    assert min(attempt.started_at for attempt in attempts) >= DUE
