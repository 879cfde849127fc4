"""Answers of the heatmap and the reports (API.md "Today, calendar and reports")."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Source = Literal["summaries", "raw", "mixed"]


class HeatmapDay(BaseModel):
    date: date
    done: int = Field(description="Required days done across the selected habits.")
    required: int = Field(description="Required days (done, missed or pending, DOMAIN D5).")
    ratio: float | None = Field(description="done / required; null when nothing was required.")


class HeatmapOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "from": "2026-11-20",
                    "to": "2026-11-21",
                    "source": "raw",
                    "items": [
                        {"date": "2026-11-20", "done": 2, "required": 3, "ratio": 0.6667},
                        {"date": "2026-11-21", "done": 0, "required": 0, "ratio": None},
                    ],
                }
            ]
        }
    )

    from_date: date = Field(serialization_alias="from")
    to_date: date = Field(serialization_alias="to")
    source: Source = Field(
        description="Where the answer came from: summaries, raw entries or both."
    )
    items: list[HeatmapDay]


class ReportLine(BaseModel):
    habit_id: uuid.UUID
    name: str
    done: int = Field(
        description="Units (required days or periods, D7.1) done that end in the window."
    )
    missed: int
    rate: float | None = Field(description="done / (done + missed) (D8.1); null without units.")


class ReportTotals(BaseModel):
    done: int
    missed: int
    rate: float | None


class ReportOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "period": "2026-W47",
                    "from": "2026-11-16",
                    "to": "2026-11-22",
                    "source": "raw",
                    "habits": [
                        {
                            "habit_id": "0b0c7a9e-6a43-4a55-9a3c-7f1c2f0c1e11",
                            "name": "Read",
                            "done": 5,
                            "missed": 1,
                            "rate": 0.8333,
                        }
                    ],
                    "overall": {"done": 5, "missed": 1, "rate": 0.8333},
                }
            ]
        }
    )

    period: str
    from_date: date = Field(serialization_alias="from")
    to_date: date = Field(serialization_alias="to")
    source: Source
    habits: list[ReportLine]
    overall: ReportTotals


class OverviewHabit(BaseModel):
    habit_id: uuid.UUID
    name: str
    score: float = Field(description="Habit strength today (D8.2), 0 to 1.")
    current_streak: int
    done: int = Field(description="Units done that end in the window (D7.1).")
    missed: int
    rate: float | None = Field(description="done / (done + missed) (D8.1); null without units.")


class OverviewOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "from": "2026-10-23",
                    "to": "2026-11-21",
                    "consistency": 0.6421,
                    "completion_rate": 0.8,
                    "done": 24,
                    "missed": 6,
                    "rate_7d": 0.8571,
                    "rate_30d": 0.8,
                    "habits": [
                        {
                            "habit_id": "0b0c7a9e-6a43-4a55-9a3c-7f1c2f0c1e11",
                            "name": "Read",
                            "score": 0.6421,
                            "current_streak": 4,
                            "done": 24,
                            "missed": 6,
                            "rate": 0.8,
                        }
                    ],
                }
            ]
        }
    )

    from_date: date = Field(serialization_alias="from")
    to_date: date = Field(serialization_alias="to")
    consistency: float | None = Field(
        description="Mean strength score (D8.2) of the active habits that have started, "
        "0 to 1; null without one (docs/SCORE.md)."
    )
    completion_rate: float | None = Field(description="D8.1 over all active habits' units.")
    done: int
    missed: int
    rate_7d: float | None = Field(description="D8.1 over the last 7 days, all active habits.")
    rate_30d: float | None = Field(description="The same over the last 30 days.")
    habits: list[OverviewHabit]
