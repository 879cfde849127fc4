"""Answers of /export/* and the account export document (GET /me/export).

The account export is a published format (docs/EXPORT.md): fields may be added within
a `format_version`, never renamed, dropped or given another meaning.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from habitus.auth.schemas import SessionOut, UserOut
from habitus.core.habits import Direction, Kind, Polarity, Status
from habitus.gamification.schemas import LedgerRowOut
from habitus.reminders.schemas import (
    ChannelOut,
    NotificationOut,
    NotificationSettings,
    ReminderOut,
)

# Fields called `date` shadow the type inside their class: annotate with this name.
LocalDate = date

FORMAT: Literal["habitus-export"] = "habitus-export"
FORMAT_VERSION = 1


# --- the calendar feed --------------------------------------------------------------------


class CalendarFeedOut(BaseModel):
    """A feed as stored: never its token (only its SHA-256 is kept, so it cannot be shown
    again; rotate to get a new URL)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime = Field(description="When the feed was first created.")
    rotated_at: datetime = Field(description="When its current token (URL) was issued.")


class CalendarFeedCreated(CalendarFeedOut):
    """The only answer that shows the feed's URL: keep it, it is not stored."""

    url: str = Field(
        description="The completed days as iCalendar. Subscribe to it in a calendar app. "
        "Anyone with the URL can read the feed: treat it like a password.",
        examples=["https://habitus.example.org/api/v1/export/feed/Zk3...Q.ics"],
    )
    schedule_url: str = Field(
        description="The habits' schedules as recurring events (the same token).",
        examples=["https://habitus.example.org/api/v1/export/feed/Zk3...Q.ics?kind=schedule"],
    )


# --- the account export (format_version 1) ------------------------------------------------


class ExportTarget(BaseModel):
    value: float
    unit: str | None
    direction: Direction


class ExportScheduleVersion(BaseModel):
    effective_from: LocalDate = Field(description="The first day this version judges.")
    schedule: dict[str, Any] = Field(
        description='A schedule object of API.md ("Habits"), e.g. `{"type": "daily"}`.'
    )


class ExportHabit(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    kind: Kind
    polarity: Polarity
    target: ExportTarget | None = Field(description="Measurable habits only.")
    schedules: list[ExportScheduleVersion] = Field(
        description="Every schedule version, oldest first (at least one)."
    )
    start_date: LocalDate
    end_date: LocalDate | None
    backfill_days: int | None = Field(description="null: unlimited.")
    category: str | None
    tags: list[str]
    color: str | None
    icon: str | None = Field(default=None, description="One emoji; null: none.")
    visibility: str = Field(default="private", description="D12.2: private, friends or public.")
    position: int
    archived_at: datetime | None
    created_at: datetime


class ExportEntry(BaseModel):
    habit_id: uuid.UUID
    date: LocalDate
    status: Status
    value: float | None
    note: str | None
    logged_at: datetime
    logged_tz: str = Field(description="The IANA zone the user was in when logging.")
    source: str


class ExportBreak(BaseModel):
    id: uuid.UUID
    habit_id: uuid.UUID | None = Field(description="null: a break for every habit.")
    start_date: LocalDate
    end_date: LocalDate
    reason: str | None


class ExportAchievement(BaseModel):
    id: str
    earned_at: datetime
    local_date: date | None


class ExportRewards(BaseModel):
    coins: int
    gems: float
    daily_streak: int
    cycle_day: int
    last_claim: date | None
    freezes: int
    ledger: list[LedgerRowOut] = Field(description="Every coin and gem, oldest first.")


class AccountExportHead(BaseModel):
    """The account export without its entries: built in the request, then followed by
    the entries streamed from the database (`exports.account.document`)."""

    format: Literal["habitus-export"] = FORMAT
    format_version: int = Field(
        default=FORMAT_VERSION,
        description="Changes only when a reader of the previous version would misread "
        "the document; new fields may appear within a version.",
    )
    exported_at: datetime
    user: UserOut = Field(
        description="The profile and settings: timezone, day_start_hour, week_start, "
        "theme, day_part."
    )
    sessions: list[SessionOut]
    habits: list[ExportHabit] = Field(
        description="Each habit with its schedule versions (`schedules`)."
    )
    breaks: list[ExportBreak]
    calendar_feeds: list[CalendarFeedOut] = Field(
        default_factory=list, description="The private calendar feed, without its token."
    )
    channels: list[ChannelOut] = Field(
        default_factory=list, description="Notification channels (a webhook's secret left out)."
    )
    reminders: list[ReminderOut] = Field(
        default_factory=list,
        description="Habit reminders and the user-wide nudges (streak at risk, digest, "
        "weekly summary).",
    )
    notification_settings: NotificationSettings | None = Field(
        default=None, description="The nudges and quiet hours."
    )
    notifications: list[NotificationOut] = Field(
        default_factory=list, description="The in-app inbox."
    )
    achievements: list[ExportAchievement] = Field(
        default_factory=list, description="Achievements earned (DOMAIN D10)."
    )
    rewards: ExportRewards | None = Field(
        default=None, description="Coins, gems, the daily claim and freezes, with the ledger."
    )
    social: dict[str, Any] = Field(
        default_factory=dict,
        description="The profile, friends (ids and handles), friend requests sent, blocks, "
        "share links (never their tokens), challenges owned, memberships and invites.",
    )
    coach: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Coach plans (D13): the goal, the answers given, status, source and "
        "every task with when it was done.",
    )
    health: dict[str, Any] = Field(
        default_factory=lambda: {"logs": [], "goal": None, "settings": None},
        description="Health metrics (D15): every log (date, time, source and its fields "
        "in metric units), the weight goal and the units chosen (kg/lb, cm/in).",
    )
    access_tokens: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Personal access tokens: name, scopes and dates (never the token).",
    )
    sign_ins: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Single sign-on identities linked to the account: issuer, subject, "
        "the address the provider gave, dates.",
    )
    surveys: dict[str, Any] = Field(
        default_factory=lambda: {"nps": []},
        description="Answers to the in-app questions (issue 21): each NPS answer's score, "
        "comment and date.",
    )


class AccountExport(AccountExportHead):
    """Everything stored about the account (docs/EXPORT.md). Secrets (password and token
    hashes) and derived data (kept states, summaries, the event log) are left out."""

    entries: list[ExportEntry] = Field(description="Every entry, by habit then date.")
