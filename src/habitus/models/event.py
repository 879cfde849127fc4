from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from habitus.kit import clock
from habitus.models.base import Base

# A 64-bit key that is SQLite's rowid (only INTEGER PRIMARY KEY is), so ids only grow.
EventId = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base):
    """The domain event log: ordered (by `id`), append-only. Recorded in the same
    transaction as the change that caused it; consumers (webhooks, achievements,
    metrics) read it in order and keep their place in `event_cursors`."""

    __tablename__ = "events"
    # AUTOINCREMENT on SQLite: ids are never reused, even after the newest rows go.
    __table_args__ = (
        Index("ix_events_txid_id", "txid", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # No foreign key: the log outlives a deleted habit (habit_deleted is an event too).
    habit_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(40))
    local_date: Mapped[date | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # PostgreSQL: the writing transaction's id, which lets readers skip no event
    # (events.service.read_after). SQLite: NULL (one writer, ids in commit order).
    txid: Mapped[int | None] = mapped_column(BigInteger)


class EventCursor(Base):
    """How far a consumer has read the event log."""

    __tablename__ = "event_cursors"

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_txid: Mapped[int] = mapped_column(BigInteger, default=0)
    last_event_id: Mapped[int] = mapped_column(EventId, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    # A consumer whose batch failed: how often in a row, why, and when it tries again.
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(500))
    retry_at: Mapped[datetime | None]
