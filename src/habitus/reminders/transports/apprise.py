"""Apprise: one URL reaches Telegram, Discord, Slack, ntfy, Gotify, Pushover, Matrix and
the rest of what the installed Apprise supports (https://github.com/caronc/apprise/wiki).

Apprise reports only success or failure, not why: a failure is taken as temporary (the
dispatcher retries, then the delivery is dead and replayable); only a URL Apprise cannot
parse at all is permanent.
"""

from __future__ import annotations

from typing import Any

import apprise

from habitus.config import Settings
from habitus.reminders.transports.base import Message, PermanentFailure, TemporaryFailure


class AppriseTransport:
    kind = "apprise"

    async def send(self, message: Message, config: dict[str, Any], settings: Settings) -> None:
        url = config.get("url")
        notifier = apprise.Apprise()
        if not isinstance(url, str) or not notifier.add(url):
            raise PermanentFailure("Apprise does not understand this URL")
        # async_notify runs Apprise's blocking senders in its executor, so the event loop
        # keeps serving; `timeout` bounds the whole call (unfinished services fail).
        result = await notifier.async_notify(
            body=message.body,
            title=message.title,
            body_format=apprise.NotifyFormat.TEXT,
            timeout=settings.webhook_timeout_seconds,
        )
        if not result:
            raise TemporaryFailure("Apprise could not deliver (see the server log)")


def validate_apprise_url(url: object) -> None:
    """Refuse, with a plain message, a channel URL Apprise cannot use. One channel is one
    target, so a string holding several URLs is refused too."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError("an Apprise URL is required")
    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise ValueError(
            "Apprise does not understand this URL; "
            "see https://github.com/caronc/apprise/wiki for the services it supports"
        )
    if len(notifier) != 1:
        raise ValueError("give one Apprise URL per channel")
