"""Request and response bodies of /challenges (API.md "Challenges and leaderboards")."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, model_validator

from habitus.auth.schemas import StrictBody
from habitus.core.habits import Kind
from habitus.habits.schemas import HabitDate, Name, ScheduleIn, TargetIn, TargetOut
from habitus.kit.validation import NoNul

MAX_DAYS = 366
MAX_HABITS = 10
MAX_INVITES = 50

ChallengeName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120), NoNul
]
Description = Annotated[str, StringConstraints(max_length=2000), NoNul]


class ChallengeHabitIn(StrictBody):
    """A habit every member gets (D12.3); a measurable one needs a target."""

    name: Name
    schedule: ScheduleIn
    kind: Kind = "boolean"
    target: TargetIn | None = None


class ChallengeCreate(StrictBody):
    name: ChallengeName
    description: Description | None = None
    start_date: HabitDate
    days: int = Field(ge=1, le=MAX_DAYS, strict=True, description="The window's length, 1..366.")
    habits: list[ChallengeHabitIn] = Field(min_length=1, max_length=MAX_HABITS)


class InvitesIn(StrictBody):
    """Either friends to invite (`user_ids`) or `link: true` for a join link."""

    user_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=MAX_INVITES)
    link: bool | None = Field(default=None, strict=True)

    @model_validator(mode="after")
    def _one_of(self) -> InvitesIn:
        if (self.user_ids is None) == (not self.link):
            raise ValueError("send either user_ids (friends to invite) or link: true")
        return self


class JoinIn(StrictBody):
    token: Annotated[str, StringConstraints(max_length=200)] | None = None


class UserRef(BaseModel):
    id: uuid.UUID
    handle: str | None
    display_name: str | None


class ChallengeHabitOut(BaseModel):
    name: str
    kind: Kind
    schedule: dict[str, Any]
    target: TargetOut | None


class MemberOut(BaseModel):
    user: UserRef
    joined_at: datetime


class ChallengeOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    owner: UserRef | None = Field(description="null: the owner left and nobody took over.")
    start_date: date
    end_date: date
    days: int
    ended_at: datetime | None
    habits: list[ChallengeHabitOut]
    members: list[MemberOut]


class InvitesOut(BaseModel):
    invited: list[uuid.UUID] = Field(default_factory=list)
    url: str | None = Field(default=None, description="The join link, shown only once.")


class JoinOut(BaseModel):
    habit_ids: list[uuid.UUID]
