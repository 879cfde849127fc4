"""What every transport takes and how it fails.

A transport sends one `Message` to one channel's config, parsed with its type's model
(`reminders.channel_types`), and returns, or raises:
`TemporaryFailure` (the dispatcher retries later with backoff) or `PermanentFailure`
(the channel cannot work as configured: the dispatcher marks the delivery dead,
disables the channel and tells the user `reason`). Anything else it raises counts as
temporary. Transports never touch the database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, TypeVar

from pydantic import BaseModel

from habitus.config import Settings

# The config model a transport takes (`channel_types.EmailConfig`, ...).
Config = TypeVar("Config", bound=BaseModel, contravariant=True)


@dataclass(frozen=True, slots=True)
class Message:
    """One notification as a channel sends it. `delivery_id` doubles as the receiver's
    idempotency key: a retry of the same delivery carries the same id."""

    delivery_id: uuid.UUID
    event: str  # reminder, streak_at_risk, digest, weekly_summary, test, checkin, ...
    user_id: uuid.UUID
    title: str
    body: str  # plain text
    sent_at: datetime  # aware UTC
    habit_id: uuid.UUID | None = None
    habit_name: str | None = None
    local_date: date | None = None
    html: str | None = None  # an HTML rendering of `body` (email)
    url: str | None = None  # where a tap or click leads in the app
    unsubscribe_url: str | None = None  # one-click (RFC 8058) for email


class TemporaryFailure(Exception):
    """Worth trying again later (timeout, 5xx, 429, a 4xx SMTP answer)."""


class PermanentFailure(Exception):
    """The channel cannot deliver as configured (SMTP 5xx on the recipient, HTTP 404 or
    410 from a push service, a webhook URL that is refused). `reason` is shown to the
    user, so it is plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Transport(Protocol[Config]):
    kind: str

    async def send(self, message: Message, config: Config, settings: Settings) -> None:
        """Deliver `message` or raise TemporaryFailure / PermanentFailure."""
        ...
