"""The coach (issue 17, D13): plans, their tasks, and the model calls the admin counts.

A plan goes `generating` (a model or the offline planner is at work; `lease_until` says
until when a worker may not take it over) -> `draft` (tasks written, nothing else
changed: the user reviews it) -> `active` (started: its habit exists, `habit_id`). A
plan the API makes in one request is `active` at once. `failed` is kept only when not
even the offline planner could answer (it always can; the state is for honesty).
Tasks are one row per (plan, date, position 1..3); `done_at` marks a completed one.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from habitus.kit import clock
from habitus.models.base import Base, CreatedAtMixin, IdMixin

PlanStatus = Literal["generating", "draft", "active", "failed"]


class CoachPlan(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "coach_plans"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # Deleting the habit keeps the plan's history; the plan no longer shows on Today.
    habit_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("habits.id", ondelete="SET NULL"), index=True
    )
    goal: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(8))  # "build" | "quit"
    habit_name: Mapped[str] = mapped_column(String(120))
    days: Mapped[int]
    start_date: Mapped[date]
    # [{"question": ..., "answer": ...}]: what the user told the coach.
    answers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default="generating")
    source: Mapped[str | None] = mapped_column(String(8))  # "llm" | "offline"
    model: Mapped[str | None] = mapped_column(String(200))
    # Why the offline planner answered, when it did ("not_configured", "timeout", ...).
    fallback_reason: Mapped[str | None] = mapped_column(String(40))
    lease_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class CoachTask(IdMixin, Base):
    __tablename__ = "coach_tasks"
    __table_args__ = (
        UniqueConstraint("plan_id", "date", "position"),
        Index("ix_coach_tasks_user_id_date", "user_id", "date"),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coach_plans.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    date: Mapped[date]
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(120))
    done_at: Mapped[datetime | None]


class ModelCall(IdMixin, Base):
    """One call to a language or vision model (kit/llm.py's recorder): what the admin
    page counts per day. No user id and no text: cost and failures, not content."""

    __tablename__ = "model_calls"
    __table_args__ = (Index("ix_model_calls_created_at", "created_at"),)

    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    purpose: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(200))
    ok: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(40))
    seconds: Mapped[float] = mapped_column(Float)
    prompt_tokens: Mapped[int | None]
    completion_tokens: Mapped[int | None]


class PredictionModel(Base):
    """D14.2: a user's trained model, as its coefficients (JSON; never a pickle), with the
    feature list and version it was trained with (`coach.learning.Model.to_json`)."""

    __tablename__ = "prediction_models"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int]
    model: Mapped[dict[str, Any]] = mapped_column(JSON)
    samples: Mapped[int]
    trained_at: Mapped[datetime] = mapped_column(default=clock.now)


class TrainingState(Base):
    """D14.2: completions since the last training (the insights consumer counts them,
    once per event); at 20 the user is `due_at`; a worker claims the training by moving
    `claimed_until` (compare-and-set), so two workers train once."""

    __tablename__ = "training_states"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    completions: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    claimed_until: Mapped[datetime | None]
    last_trained_at: Mapped[datetime | None]
    # When the user's alerts go to the inbox next (the start of their next local day):
    # the worker's daily pass (`coach.insights.check_alerts`).
    alerts_next_at: Mapped[datetime | None] = mapped_column(index=True)


class AlertNotice(Base):
    """D14.3 in the inbox: at most one alert per habit per week (`week`: the week's
    first day in the user's week start); `kind` says which."""

    __tablename__ = "alert_notices"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    habit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("habits.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class AlertDismissal(Base):
    """An alert card the user dismissed: hidden until `until` (the end of that week)."""

    __tablename__ = "alert_dismissals"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    habit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("habits.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    until: Mapped[date]
