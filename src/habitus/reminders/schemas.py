"""Bodies and answers of API.md "Reminders, channels and notifications"."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

from habitus.core.time import WEEKDAYS

ChannelType = Literal["email", "webpush", "apprise", "webhook"]
WeekdayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def _wall_time(value: str) -> str:
    if not _TIME.fullmatch(value):
        raise ValueError("must be a local time as HH:MM (00:00 to 23:59)")
    return value


def _weekdays(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    if not value:
        raise ValueError("must name at least one day, or be null for the habit's days")
    return sorted(set(value), key=WEEKDAYS.index)


WallTime = Annotated[str, AfterValidator(_wall_time)]
Weekdays = Annotated[list[WeekdayName] | None, AfterValidator(_weekdays)]


class ChannelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: ChannelType
    name: str | None = Field(default=None, min_length=1, max_length=80)
    config: dict[str, Any] = Field(
        description="email {address}; webpush {subscription: {endpoint, keys: {p256dh, "
        "auth}}}; apprise {url} (a chat or push service: docs/NOTIFICATIONS.md lists "
        "them); webhook {url, secret?, events?}. Target URLs are at most 2048 characters "
        "and must lead to public addresses (SSRF), unless the server allows private ones."
    )


class ChannelUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=80)
    config: dict[str, Any] | None = None
    enabled: StrictBool | None = None


class ChannelOut(BaseModel):
    id: uuid.UUID
    type: ChannelType
    name: str
    config: dict[str, Any]
    enabled: bool
    disabled_reason: str | None
    created_at: datetime


class ChannelCreated(ChannelOut):
    secret: str | None = Field(
        default=None, description="A webhook's signing secret: shown in this answer only."
    )


class ReminderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time: WallTime = Field(description="Local wall-clock time, HH:MM.")
    days: Weekdays = Field(
        default=None, description="Weekdays; null: the habit's required days (D9.1)."
    )
    only_if_pending: StrictBool = Field(
        default=True, description="D9.3: send nothing once the day is done or not required."
    )
    channel_ids: list[uuid.UUID] = Field(
        default_factory=list, description="Empty: every enabled channel."
    )
    enabled: StrictBool = True


class ReminderUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time: WallTime | None = None
    days: Weekdays = None
    only_if_pending: StrictBool | None = None
    channel_ids: list[uuid.UUID] | None = None
    enabled: StrictBool | None = None


class ReminderOut(BaseModel):
    id: uuid.UUID
    habit_id: uuid.UUID | None
    kind: str
    time: str
    days: list[str] | None
    only_if_pending: bool
    channel_ids: list[uuid.UUID]
    enabled: bool
    next_fire_at: datetime | None


class NotificationOut(BaseModel):
    id: uuid.UUID
    kind: str
    title: str
    body: str
    habit_id: uuid.UUID | None
    date: date | None
    created_at: datetime
    read_at: datetime | None


class NudgeSetting(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool = False
    time: WallTime = "20:00"


class WeeklySetting(NudgeSetting):
    day: WeekdayName = "mon"


class NotificationSettings(BaseModel):
    """The user-wide notifications: opt-in nudges and quiet hours."""

    model_config = ConfigDict(extra="forbid")

    streak_at_risk: NudgeSetting = Field(
        default_factory=lambda: NudgeSetting(time="20:00"),
        description="An evening nudge for streaks that end at the day's end.",
    )
    daily_digest: NudgeSetting = Field(
        default_factory=lambda: NudgeSetting(time="08:00"),
        description="What is left today.",
    )
    weekly_summary: WeeklySetting = Field(
        default_factory=lambda: WeeklySetting(time="09:00", day="mon"),
        description="Last week's rates and streaks, per habit.",
    )
    quiet_start: WallTime | None = Field(
        default=None, description="Quiet hours (both or neither): only the inbox between."
    )
    quiet_end: WallTime | None = None


class DeliveryOut(BaseModel):
    id: uuid.UUID
    channel_id: uuid.UUID
    user_id: uuid.UUID
    event: str
    state: Literal["pending", "sending", "sent", "failed", "dead"]
    attempts: int
    last_error: str | None
    due_at: datetime
    sent_at: datetime | None


class ChannelFigures(BaseModel):
    type: str
    attempts: int
    succeeded: int
    success_rate: float | None
    mean_lateness_seconds: float | None


class DeliveryOverview(BaseModel):
    states: dict[str, int]
    channels: list[ChannelFigures]
