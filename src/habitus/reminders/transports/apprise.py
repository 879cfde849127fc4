"""Apprise: one URL reaches Telegram, Discord, Slack, ntfy, Gotify, Pushover, Matrix and
the other chat and push services of `ALLOWED_SCHEMES` (https://github.com/caronc/apprise/wiki).

Apprise reports only success or failure, not why: a failure is taken as temporary (the
dispatcher retries, then the delivery is dead and replayable). Permanent: a URL Apprise
cannot parse, a service that is not allowed, and a target that led to a non-public
address (the connect-time guard, `reminders.outbound`, refused the connection).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import apprise

from habitus.config import Settings
from habitus.reminders.channel_types import AppriseConfig
from habitus.reminders.outbound import Guard
from habitus.reminders.transports.base import Message, PermanentFailure, TemporaryFailure

# The Apprise services a reminder may go to: chat apps and phone push services, each a
# fixed public API or a server the user runs (ntfy, Gotify, Matrix, Mattermost,
# Rocket.Chat, a Signal REST API, Bark), whose address the connect-time guard checks.
# Left out on purpose (issue 11 item 1): the generic HTTP posters json://, xml://,
# form:// (the URL picks the method, path and body fields of a request), the apprise://
# relay (another server sends on), mailto:// (the URL picks the mail server), and what is
# not a message to a person (syslog, MQTT, desktop pop-ups, paid SMS gateways, ...).
# Generic HTTP receivers have the webhook channel, mail has the email channel.
ALLOWED_SCHEMES = (
    # chat
    "discord",
    "slack",
    "tgram",  # Telegram
    "matrix",
    "matrixs",
    "mmost",  # Mattermost
    "mmosts",
    "rocket",  # Rocket.Chat
    "rockets",
    "zulip",
    "gchat",  # Google Chat
    "workflow",  # Microsoft Teams through Power Automate workflows
    "workflows",
    "signal",  # a signal-cli REST API
    "signals",
    "whatsapp",
    # push to a phone
    "ntfy",
    "ntfys",
    "gotify",
    "gotifys",
    "pover",  # Pushover
    "pbul",  # Pushbullet
    "bark",
    "barks",
    "prowl",
    "join",
)
ALLOWED_RULE = (
    "an Apprise channel may use only these chat and push services: "
    + ", ".join(f"{scheme}://" for scheme in ALLOWED_SCHEMES)
    + "; use a webhook channel for another HTTP receiver and an email channel for mail"
)


class ServiceNotAllowed(ValueError):
    """The URL names an Apprise service this server does not send to."""


class AppriseTransport:
    kind = "apprise"

    async def send(self, message: Message, config: AppriseConfig, settings: Settings) -> None:
        notifier = apprise.Apprise()
        if not notifier.add(config.url):
            raise PermanentFailure("Apprise does not understand this URL")
        refusal = _refusal(notifier)
        if refusal is not None:  # a channel made before the allow-list: never sent
            raise PermanentFailure(refusal)
        guard = Guard(allow_private=settings.allow_private_targets)
        # The blocking notify() runs in a worker thread under the guard. Apprise hands
        # each service to its own executor with a copy of the context, so the guard
        # follows it there too; `timeout` bounds the whole call (unfinished: failed).
        result = await guard.run_in_thread(
            functools.partial(
                notifier.notify,
                body=message.body,
                title=message.title,
                body_format=apprise.NotifyFormat.TEXT,
                timeout=settings.webhook_timeout_seconds,
            )
        )
        if result:
            return  # a refused address among several of one name is no failure
        if guard.refusals:
            raise PermanentFailure(guard.reason("the Apprise URL"))
        raise TemporaryFailure("Apprise could not deliver (see the server log)")


def validate_apprise_url(url: object) -> None:
    """Refuse, with a plain message, a channel URL Apprise cannot use (ValueError) or a
    service that is not allowed (`ServiceNotAllowed`). One channel is one target, so a
    string holding several URLs is refused too."""
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
    refusal = _refusal(notifier)
    if refusal is not None:
        raise ServiceNotAllowed(refusal)


def _refusal(notifier: apprise.Apprise) -> str | None:
    """Why a service of `notifier` is not allowed, or None. Judged by the service Apprise
    chose (not the URL's text), so "JSON://" or a native https:// URL cannot slip by."""
    for service in notifier:
        schemes = _schemes_of(service)
        if not schemes.intersection(ALLOWED_SCHEMES):
            shown = sorted(schemes)[0] if schemes else "this service"
            return f"{shown}:// is not allowed: {ALLOWED_RULE}"
    return None


def _schemes_of(service: Any) -> set[str]:
    schemes: set[str] = set()
    for declared in (getattr(service, "protocol", None), getattr(service, "secure_protocol", None)):
        if isinstance(declared, str):
            schemes.add(declared.lower())
        elif isinstance(declared, Iterable):
            schemes.update(str(scheme).lower() for scheme in declared)
    return schemes
