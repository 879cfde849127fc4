"""Bodies and answers of API.md "Reminders, channels and notifications"."""

from __future__ import annotations

import functools
import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal, Union, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StrictBool,
    TypeAdapter,
    create_model,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from habitus.core.time import WEEKDAYS
from habitus.reminders.channel_types import CHANNEL_TYPES

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


ACHIEVEMENTS_FIELD = (
    'Also send "Achievement unlocked" and streak-freeze notices (D10.3, D11.3). Absent: '
    "the type's default, on for webpush and apprise, off for email and webhook."
)
SOCIAL_FIELD = (
    "Send social notices (D12): friend requests, accepted requests, challenge invites,"
    " moving up or being overtaken in a challenge. Off unless asked."
)


class ChannelCreate(BaseModel):
    """A new channel. `config` is checked by the service with the type's model
    (`channel_types`), so its 422s name `config` and the rule; the OpenAPI document shows
    the same models as a union on `type`."""

    model_config = ConfigDict(extra="forbid")

    type: ChannelType
    name: str | None = Field(default=None, min_length=1, max_length=80)
    config: dict[str, Any] = Field(
        description="email {address}; webpush {subscription: {endpoint, keys: {p256dh, "
        "auth}}}; apprise {url} (a chat or push service: docs/NOTIFICATIONS.md lists "
        "them); webhook {url, secret?, events?}. Target URLs are at most 2048 characters "
        "and must lead to public addresses (SSRF), unless the server allows private ones."
    )
    achievements: StrictBool | None = Field(default=None, description=ACHIEVEMENTS_FIELD)
    social: StrictBool | None = Field(default=None, description=SOCIAL_FIELD)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(_channel_variants().core_schema)
        schema["description"] = (
            "A new channel: `type` picks the config. Target URLs are at most 2048 "
            "characters and must lead to public addresses (SSRF), unless the server "
            "allows private ones."
        )
        return schema


def _variant(kind: str) -> type[BaseModel]:
    """`ChannelCreate` for one type, for the OpenAPI document: `config` is its model."""
    config = CHANNEL_TYPES[kind].config
    return create_model(
        f"{config.__name__.removesuffix('Config')}ChannelCreate",
        __config__=ConfigDict(extra="forbid"),
        __doc__=f"A new `{kind}` channel.",
        type=(cast(Any, Literal[kind]), ...),  # a type made from the registry
        name=(str | None, Field(default=None, min_length=1, max_length=80)),
        config=(config, ...),
        achievements=(StrictBool | None, Field(default=None, description=ACHIEVEMENTS_FIELD)),
        social=(StrictBool | None, Field(default=None, description=SOCIAL_FIELD)),
    )


@functools.cache
def _channel_variants() -> TypeAdapter[Any]:
    """The body as a union on `type`, for the OpenAPI document only (built when it is
    first asked for): requests are validated by `ChannelCreate` and the service."""
    return TypeAdapter(
        cast(
            Any,
            Annotated[
                Union[tuple(_variant(kind) for kind in CHANNEL_TYPES)],  # noqa: UP007 - built
                Field(discriminator="type"),
            ],
        )
    )


class ChannelUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=80)
    config: dict[str, Any] | None = None
    enabled: StrictBool | None = None
    achievements: StrictBool | None = Field(
        default=None, description='Send "Achievement unlocked" and streak-freeze notices.'
    )
    social: StrictBool | None = Field(default=None, description=SOCIAL_FIELD)


class ChannelOut(BaseModel):
    id: uuid.UUID
    type: ChannelType
    name: str
    config: dict[str, Any]
    enabled: bool
    achievements: bool = Field(
        description='Gets "Achievement unlocked" and streak-freeze notices (D10.3, D11.3).'
    )
    social: bool = Field(default=False, description="Gets social notices (D12).")
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
