from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from habitus.models.base import Base, CreatedAtMixin, IdMixin


class ReminderOccurrence(IdMixin, Base):
    """One reminder on one local date, fired once (D9.4): the unique key makes a second
    firing impossible whatever workers do. `outcome` says what happened: `sent` (the
    inbox and the channels got it), `suppressed` (D9.3: already done or not required),
    `quiet` (quiet hours: the inbox only), `skipped` (a disabled user, an archived
    habit), `expired` (found over an hour late: the server was down)."""

    __tablename__ = "reminder_occurrences"
    __table_args__ = (UniqueConstraint("reminder_id", "local_date"),)

    reminder_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reminders.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    local_date: Mapped[date]
    due_at: Mapped[datetime]
    fired_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(12))


class Notification(IdMixin, CreatedAtMixin, Base):
    """An entry of the user's in-app inbox: every notification lands here, whatever
    the channels did."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_id_created_at", "user_id", "created_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    habit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("habits.id", ondelete="SET NULL"))
    local_date: Mapped[date | None]
    read_at: Mapped[datetime | None]
