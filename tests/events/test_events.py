"""Issue 12: typed events, publishing (subscribers in the write's transaction, then the
log) and the one runner of durable consumers (a cursor, retries with back-off)."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from habitus import db
from habitus.events import codec, consumers
from habitus.events.kinds import (
    DayWritten,
    DomainEvent,
    EntryLogged,
    HabitCreated,
    HistoryRewritten,
    StreakExtended,
    all_kinds,
)
from habitus.events.service import StoredEvent, publish
from habitus.kit import clock
from habitus.models import Event, EventCursor, User
from habitus.registry import Consumer, registry


def _sample(cls: type[DomainEvent]) -> DomainEvent:
    """An instance of `cls` with every field set to something of its type."""
    values: dict[str, Any] = {"habit_id": uuid.uuid4(), "local_date": date(2026, 11, 21)}
    hints = __import__("typing").get_type_hints(cls)
    for item in dataclasses.fields(cls):
        if item.name in values:
            continue
        hint = str(hints[item.name])
        if "tuple" in hint and "UUID" in hint:
            values[item.name] = (uuid.uuid4(), uuid.uuid4())
        elif "tuple" in hint:
            values[item.name] = ("name", "target")
        elif "dict" in hint:
            values[item.name] = {"type": "weekdays", "days": ["mon"]}
        elif "date" in hint:
            values[item.name] = date(2026, 11, 2)
        elif "bool" in hint:
            values[item.name] = True
        elif "int" in hint:
            values[item.name] = 7
        elif "float" in hint:
            values[item.name] = 2.5
        else:
            values[item.name] = "text"
    return cls(**values)


@pytest.mark.parametrize("kind", sorted(all_kinds()))
def test_every_kind_survives_the_log(kind: str):
    """Issue 12: an event written to the log reads back as the same typed event (its
    transient fields aside): one codec for every kind."""
    event = _sample(all_kinds()[kind])
    row = codec.row_of(event)
    back = codec.event_of(row["kind"], row["habit_id"], row["local_date"], row["payload"])
    transient = {f.name for f in dataclasses.fields(event) if f.metadata.get("transient")}
    for item in dataclasses.fields(event):
        if item.name not in transient:
            assert getattr(back, item.name) == getattr(event, item.name), item.name


def test_payloads_keep_the_shape_clients_know():
    """Issue 12: typed events write the payloads API answers and webhooks carried before
    (a field that defaults to None is left out while it is None)."""
    streak = StreakExtended(current=7, previous=6, unit="day", milestone=7)
    assert streak.payload == {"current": 7, "previous": 6, "unit": "day", "milestone": 7}
    plain = StreakExtended(current=3, previous=2, unit="week")
    assert plain.payload == {"current": 3, "previous": 2, "unit": "week"}
    logged = EntryLogged(status="done", value=None, source="api")
    assert logged.payload == {"status": "done", "value": None, "source": "api"}


async def _user(engine: AsyncEngine) -> User:
    async with db.job_transaction(db.create_sessionmaker(engine)) as session:
        email = f"e{uuid.uuid4().hex[:10]}@example.org"
        user = User(email=email, email_key=email, password_hash="x")
        session.add(user)
        await session.flush()
        return user


async def test_subscribers_run_in_the_transaction_and_cascade(engine, monkeypatch):
    """Issue 12: publish runs the subscribers in order, publishes what they return, and
    logs the logged events in one go; a rolled-back write leaves neither."""
    user = await _user(engine)
    seen: list[str] = []

    async def first(_session, _user, event):
        seen.append(f"first:{event.kind}")
        return [HistoryRewritten(habit_ids=None)]

    async def second(_session, _user, event):
        seen.append(f"second:{event.kind}")

    async def later(_session, _user, event):
        seen.append(f"later:{event.kind}")

    monkeypatch.setattr(registry, "subscriptions", [])
    monkeypatch.setattr(registry, "_by_type", {})
    registry.on(HabitCreated, first)
    registry.on(HabitCreated, second)
    registry.on(HistoryRewritten, later)
    maker = db.create_sessionmaker(engine)
    async with db.job_transaction(maker) as session:
        logged = await publish(
            session, user, [HabitCreated(name="Read"), DayWritten(unit_start=date(2026, 11, 1))]
        )
    assert seen == ["first:habit_created", "second:habit_created", "later:history_rewritten"]
    assert [event.kind for event in logged] == ["habit_created"]
    async with maker() as session:
        kinds = list(await session.scalars(select(Event.kind).where(Event.user_id == user.id)))
    assert kinds == ["habit_created"]

    async def publish_then_fail() -> None:
        async with db.job_transaction(maker) as session:
            await publish(session, user, [HabitCreated(name="Walk")])
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await publish_then_fail()
    async with maker() as session:
        kinds = list(await session.scalars(select(Event.kind).where(Event.user_id == user.id)))
    assert kinds == ["habit_created"]


async def test_a_loop_of_subscribers_is_refused(engine, monkeypatch):
    """Issue 12: subscribers that publish each other forever stop at MAX_CASCADE."""
    user = await _user(engine)

    async def again(_session, _user, _event):
        return [HistoryRewritten(habit_ids=None)]

    monkeypatch.setattr(registry, "subscriptions", [])
    monkeypatch.setattr(registry, "_by_type", {})
    registry.on(HistoryRewritten, again)
    with pytest.raises(RuntimeError, match="deep"):
        async with db.job_transaction(db.create_sessionmaker(engine)) as session:
            await publish(session, user, [HistoryRewritten(habit_ids=None)])


async def test_a_failing_consumer_retries_later_and_skips_nothing(engine):
    """Issue 12: a durable consumer that fails keeps its cursor, notes the error and the
    time it tries again; once it succeeds it gets the same events, moves on, and is
    clean again. Events of kinds it did not ask for move its cursor all the same."""
    user = await _user(engine)
    maker = db.create_sessionmaker(engine)
    async with db.job_transaction(maker) as session:
        await publish(
            session,
            user,
            [HabitCreated(name="Read"), EntryLogged(status="done", value=None, source="api")],
        )
    received: list[list[StoredEvent]] = []
    failing = True

    async def handle(_session, found):
        if failing:
            raise ValueError("the receiver is down")
        received.append(found)

    consumer = Consumer(f"test-{uuid.uuid4().hex[:8]}", (EntryLogged,), handle)
    # On PostgreSQL the log is read below the cluster's oldest running transaction (ids
    # are cluster-wide): another database's open transaction may hold it back a moment,
    # and a run finds nothing yet. Run until the handler was reached (at most 10 s).
    for _ in range(200):
        assert await consumers.run_one(maker, consumer, poll_seconds=60) == 0
        async with maker() as session:
            cursor = await session.get(EventCursor, consumer.name)
            if cursor is not None and cursor.failures:
                break
        await asyncio.sleep(0.05)
    async with maker() as session:
        cursor = await session.get(EventCursor, consumer.name)
        assert cursor is not None
        assert (cursor.last_event_id, cursor.failures) == (0, 1)
        assert cursor.last_error == "ValueError: the receiver is down"
        assert cursor.retry_at is not None
        assert cursor.retry_at > clock.now()
    failing = False
    assert await consumers.run_one(maker, consumer) == 0  # still waiting to retry
    async with db.job_transaction(maker) as session:
        cursor = await session.get(EventCursor, consumer.name)
        assert cursor is not None
        cursor.retry_at = clock.now() - timedelta(seconds=1)
    read = 0
    for _ in range(200):  # the same horizon, as above
        if read := await consumers.run_one(maker, consumer):
            break
        await asyncio.sleep(0.05)
    assert read >= 2
    assert [[item.event.kind for item in batch] for batch in received] == [["habit_logged"]]
    assert received[0][0].user_id == user.id
    async with maker() as session:
        cursor = await session.get(EventCursor, consumer.name)
        assert cursor is not None
        assert (cursor.failures, cursor.last_error, cursor.retry_at) == (0, None, None)
    assert await consumers.run_one(maker, consumer) == 0  # nothing new: nothing twice
    assert len(received) == 1
