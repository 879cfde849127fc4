"""Bodies of the coach endpoints (API.md "Coach", D13)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from habitus.coach.plan_rules import DEFAULT_DAYS, MAX_DAYS, MAX_QUESTIONS, MIN_DAYS

MAX_GOAL_CHARS = 500
MAX_ANSWER_CHARS = 500

Goal = Annotated[str, StringConstraints(min_length=1, max_length=MAX_GOAL_CHARS)]


class ClassifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    goal: Goal = Field(description="What the user wants, in their words.")


class ClassifyOut(BaseModel):
    kind: Literal["build", "quit"]
    questions: list[str]
    source: Literal["llm", "offline"]


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(max_length=MAX_ANSWER_CHARS)
    answer: str = Field(max_length=MAX_ANSWER_CHARS)


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    goal: Goal
    kind: Literal["build", "quit"] | None = Field(
        default=None, description="Omitted: the coach classifies the goal."
    )
    answers: list[AnswerIn] = Field(default_factory=list, max_length=MAX_QUESTIONS)
    days: int = Field(default=DEFAULT_DAYS, ge=MIN_DAYS, le=MAX_DAYS, strict=True)
    start_date: date | None = Field(default=None, description="Default: the user's today.")


class TaskOut(BaseModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    date: date
    position: int
    text: str
    done: bool


class ProgressOut(BaseModel):
    done: int
    due: int
    ratio: float | None = Field(description="D13.3: done / due so far; null before day one.")


class PlanOut(BaseModel):
    id: uuid.UUID
    goal: str
    kind: Literal["build", "quit"]
    habit_name: str
    days: int
    start_date: date
    habit_id: uuid.UUID | None
    status: Literal["generating", "draft", "active", "failed"]
    source: Literal["llm", "offline"] | None
    progress: ProgressOut
    tasks: list[TaskOut]


class RegenerateDayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: date
    easier: bool = Field(default=True, strict=True, description='true: "too hard".')
