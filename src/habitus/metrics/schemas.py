"""Input and output models of GET /admin/metrics and POST /surveys/nps."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from habitus.kit.validation import NoNul


class CohortOut(BaseModel):
    cohort_week: date = Field(description="The Monday of the sign-up week (UTC).")
    users: int
    d1: float | None = Field(description="Share active on day 1 after sign-up (0..1).")
    d7: float | None
    d30: float | None


class MetricDayOut(BaseModel):
    day: date
    dau: int
    wau: int
    mau: int
    signups: int
    logs: int
    avg_streak: float | None = None


class MetricsOut(BaseModel):
    """docs/METRICS.md defines each figure."""

    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    dau: int
    wau: int
    mau: int
    dau_mau: float | None
    retention: list[CohortOut]
    reminder_success_rate: float | None
    logs_per_user_day: float | None
    nps: int | None
    nps_responses: int
    days: list[MetricDayOut]


class NpsIn(BaseModel):
    score: int = Field(ge=0, le=10, description="0 (not at all likely) .. 10 (extremely likely)")
    comment: Annotated[str, NoNul] | None = Field(default=None, max_length=1000)


class NpsOut(BaseModel):
    id: uuid.UUID
    score: int
    comment: str | None
    created_at: datetime
