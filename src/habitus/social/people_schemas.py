"""JSON shapes of profiles, friend requests, friends and blocks (API.md "Profiles,
friends, sharing")."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from habitus.social.profiles import BIO_MAX


class ProfileOut(BaseModel):
    handle: str | None
    bio: str | None
    public: bool


class ProfileIn(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")
    handle: str | None = Field(default=None, description="3 to 30 of `[a-z0-9_]`, unique.")
    bio: str | None = Field(default=None, max_length=BIO_MAX)
    public: bool | None = None


class HabitOnProfile(BaseModel):
    id: uuid.UUID
    name: str
    visibility: str
    current_streak: int
    longest_streak: int


class AchievementOnProfile(BaseModel):
    id: str
    title: str


class PublicProfileOut(BaseModel):
    handle: str
    display_name: str | None
    bio: str | None
    habits: list[HabitOnProfile]
    achievements: list[AchievementOnProfile]


class FriendRequestIn(BaseModel):
    """A `handle` or an `email` (the handle is used when both are sent)."""

    model_config = ConfigDict(extra="forbid")
    handle: str | None = Field(default=None, min_length=1, max_length=31)
    email: EmailStr | None = Field(default=None, max_length=320)


class RequestSentOut(BaseModel):
    """The same whatever happened: whether the person exists is never said."""

    status: str = "sent"
    message: str = "If that person has an account, they will see your request."


class PersonOut(BaseModel):
    id: uuid.UUID
    handle: str | None
    display_name: str | None


class FriendRequestOut(BaseModel):
    id: uuid.UUID
    user: PersonOut
    created_at: datetime


class FriendRequestsOut(BaseModel):
    incoming: list[FriendRequestOut]
    outgoing: list[FriendRequestOut]


class FriendOut(BaseModel):
    user: PersonOut
    since: datetime


class BlockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: uuid.UUID


class BlockOut(BaseModel):
    user_id: uuid.UUID
    created_at: datetime
