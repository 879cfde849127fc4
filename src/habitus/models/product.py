"""Product metrics, surveys and plans (issue 21).

- `product_events`: what users did, as the operator counts it (sign-ups with their
  source, habits made, check-ins, reminders sent or failed, streaks, exports, shares),
  written in the same transaction as the action; kept for a retention period.
- `activity_days`: one row per user per UTC day on which they did anything, so DAU, WAU
  and MAU are counts over a bounded range; `metric_days`: the daily rollup the admin
  metrics read (one JSON document a day).
- `nps_responses` and `survey_states`: the in-app Net Promoter Score question.
- `subscriptions` and `billing_events`: an optional Stripe subscription per user, and
  the webhook events already applied (Stripe retries; each applies once).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from habitus.kit import clock
from habitus.models.base import Base, CreatedAtMixin, IdMixin


class ProductEvent(IdMixin, Base):
    __tablename__ = "product_events"
    __table_args__ = (Index("ix_product_events_kind_occurred_at", "kind", "occurred_at"),)

    kind: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    occurred_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    props: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ActivityDay(Base):
    """The user did something on this UTC day (signed in, checked in, wrote)."""

    __tablename__ = "activity_days"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True, index=True)


class MetricDay(Base):
    """The rollup of one UTC day: counts the admin metrics read without scanning events."""

    __tablename__ = "metric_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=clock.now)


class NpsResponse(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "nps_responses"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(String(1000))


class SurveyState(Base):
    """When the NPS question was last shown, dismissed or answered (asked once after
    14 days of use; never again for 90 days after a dismissal or an answer)."""

    __tablename__ = "survey_states"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    prompted_at: Mapped[datetime | None]
    dismissed_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]


class Subscription(Base):
    """A user's Stripe subscription (only with HABITUS_STRIPE_* set)."""

    __tablename__ = "subscriptions"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[str | None] = mapped_column(String(255), index=True)
    subscription_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(32))
    current_period_end: Mapped[datetime | None]
    # When Stripe created the last event applied here: Stripe does not promise to deliver
    # events in order, so an event older than this one describes a past state.
    event_created_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class BillingEvent(Base):
    """A Stripe webhook event applied (its id), so a retried delivery changes nothing."""

    __tablename__ = "billing_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=clock.now)
