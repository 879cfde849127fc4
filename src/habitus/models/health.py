"""Health metrics (issue 19, D15): a user's logs of body measurements and weight goal.

A log is one reading at a local date and wall-clock time (the user's, as they saw it:
no time zone, like a habit's dates), from a form (`manual`) or a confirmed photo
(`photo`). Each of the 27 fields of D15.1 is its own nullable column in metric units,
so a series is a plain column read and the database can check nothing is malformed;
a log holds at least one of them (the service sees to it). The field list lives in
`habitus.health.metrics`; this module repeats the names because the foundation may not
import a feature, and a test compares the two.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, LargeBinary, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from habitus.kit import clock
from habitus.models.base import Base, CreatedAtMixin, IdMixin


class HealthLog(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "health_logs"
    __table_args__ = (Index("ix_health_logs_user_id_date", "user_id", "date"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    date: Mapped[date]
    time: Mapped[time] = mapped_column(Time)
    source: Mapped[str] = mapped_column(String(8))  # "manual" | "photo"
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    weight_kg: Mapped[float | None] = mapped_column(Float)
    bmi: Mapped[float | None] = mapped_column(Float)
    body_fat_pct: Mapped[float | None] = mapped_column(Float)
    fat_mass_kg: Mapped[float | None] = mapped_column(Float)
    muscle_mass_kg: Mapped[float | None] = mapped_column(Float)
    muscle_pct: Mapped[float | None] = mapped_column(Float)
    skeletal_muscle_kg: Mapped[float | None] = mapped_column(Float)
    skeletal_muscle_pct: Mapped[float | None] = mapped_column(Float)
    visceral_fat_index: Mapped[float | None] = mapped_column(Float)
    subcutaneous_fat_pct: Mapped[float | None] = mapped_column(Float)
    bmr_kcal: Mapped[float | None] = mapped_column(Float)
    body_age: Mapped[float | None] = mapped_column(Float)
    bone_mass_kg: Mapped[float | None] = mapped_column(Float)
    protein_mass_kg: Mapped[float | None] = mapped_column(Float)
    protein_pct: Mapped[float | None] = mapped_column(Float)
    water_weight_kg: Mapped[float | None] = mapped_column(Float)
    body_water_pct: Mapped[float | None] = mapped_column(Float)
    lean_body_mass_kg: Mapped[float | None] = mapped_column(Float)
    fat_free_weight_kg: Mapped[float | None] = mapped_column(Float)
    obesity_degree_pct: Mapped[float | None] = mapped_column(Float)
    standard_weight_kg: Mapped[float | None] = mapped_column(Float)
    weight_control_kg: Mapped[float | None] = mapped_column(Float)
    fat_control_kg: Mapped[float | None] = mapped_column(Float)
    muscle_control_kg: Mapped[float | None] = mapped_column(Float)
    heart_rate_bpm: Mapped[float | None] = mapped_column(Float)
    waist_cm: Mapped[float | None] = mapped_column(Float)
    hip_cm: Mapped[float | None] = mapped_column(Float)


class HealthGoal(Base):
    """The user's weight goal (one per user): reach `weight_kg` by losing or gaining
    (D10 `weight_goal`: a logged weight at or past it in that direction)."""

    __tablename__ = "health_goals"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    weight_kg: Mapped[float] = mapped_column(Float)
    direction: Mapped[str] = mapped_column(String(4))  # "lose" | "gain"
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class HealthSettings(Base):
    """How a user reads and writes masses and lengths (issue 19): kg or lb, cm or in.
    Values are stored in metric units whatever the setting; no row means kg and cm."""

    __tablename__ = "health_settings"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    mass_unit: Mapped[str] = mapped_column(String(2), default="kg")  # "kg" | "lb"
    length_unit: Mapped[str] = mapped_column(String(2), default="cm")  # "cm" | "in"
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class HealthExtraction(IdMixin, CreatedAtMixin, Base):
    """D15.2: the values read from one photo, proposed until the user confirms them.

    `fields` maps a field name to {value, confidence, box?} in metric units (box: the
    photo's pixel rectangle around the value, when OCR found one); `dropped` lists
    [{field, reason}]. Nothing here is a log: confirming writes one and marks this row.
    Housekeeping deletes rows (and their photos) past `expires_at`."""

    __tablename__ = "health_extractions"
    __table_args__ = (Index("ix_health_extractions_expires_at", "expires_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(8))  # "vision" | "ocr"
    model: Mapped[str | None] = mapped_column(String(200))
    fallback_reason: Mapped[str | None] = mapped_column(String(200))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dropped: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    width: Mapped[int]
    height: Mapped[int]
    expires_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    log_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("health_logs.id", ondelete="SET NULL")
    )


class HealthPhoto(Base):
    """The photo of an extraction, EXIF stripped, re-encoded and encrypted (Fernet),
    kept apart so listing extractions never reads it; deleted on confirmation and with
    its extraction."""

    __tablename__ = "health_photos"

    extraction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("health_extractions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    content_type: Mapped[str] = mapped_column(String(20))
    data_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
