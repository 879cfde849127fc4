"""Web Push: a notification to a browser's push subscription (RFC 8030, 8291, 8292).

The payload is encrypted for the browser (aes128gcm) and signed with the server's kept
VAPID key by `pywebpush`. A TTL lets the push service hold the message for a phone that
is offline; `Urgency: high` asks it to wake the device for time-bound events.

The endpoint is the browser's, so the user's to choose (issue 11 item 3): it must be a
public https URL (`subscriptions.check_push_endpoint`), and the connection itself goes
through the connect-time guard (`reminders.outbound`). A failed connection reads the
same whether the port was closed, silent or spoke something else: the details go to
the server log, not to the user.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
import structlog
from py_vapid import Vapid  # type: ignore[import-untyped]
from pywebpush import WebPushException, webpush  # type: ignore[import-untyped]

from habitus.config import Settings
from habitus.reminders.channel_types import WebPushConfig
from habitus.reminders.outbound import Guard
from habitus.reminders.subscriptions import check_push_endpoint
from habitus.reminders.targets import UnsafeTarget
from habitus.reminders.transports.base import Message, PermanentFailure, TemporaryFailure
from habitus.reminders.vapid import load_or_create_vapid

log = structlog.get_logger(__name__)

# Events a person should see now, even on a phone that saves battery.
URGENT_EVENTS = frozenset({"reminder", "streak_at_risk"})

# A push message is one aes128gcm record of at most 4096 bytes: 86 bytes of header, a
# 16-byte tag and a padding delimiter leave 3993 bytes of plaintext. Some push services
# allow less; a margin keeps us clear of 413 answers.
MAX_PAYLOAD_BYTES = 3800
ELLIPSIS = "…"

EXPIRED_STATUSES = frozenset({404, 410})
# One text for every connection that fails (refused, reset, timed out, not HTTP, bad
# TLS): anything more would tell a user which ports are open where.
UNREACHABLE = "the push service could not be reached"


class WebPushTransport:
    kind = "webpush"

    async def send(self, message: Message, config: WebPushConfig, settings: Settings) -> None:
        # pywebpush takes the subscription as the browser gave it: {endpoint, keys}.
        subscription = config.subscription.model_dump()
        check_endpoint(config.subscription.endpoint, settings)
        data = push_payload(message)
        headers = {"Urgency": "high" if message.event in URGENT_EVENTS else "normal"}
        guard = Guard(allow_private=settings.allow_private_targets)
        try:
            # pywebpush (requests) blocks: it runs in a thread so the event loop keeps
            # serving, with the connect-time guard armed there.
            await guard.run_in_thread(
                functools.partial(_post, subscription, data, headers, settings)
            )
        except TemporaryFailure as failure:
            if guard.refusals:  # the name led to a non-public address
                raise PermanentFailure(
                    guard.reason("the push subscription's endpoint")
                ) from failure
            raise


def push_payload(message: Message) -> str:
    """The JSON the service worker receives. `tag` lets the browser replace an older
    notification for the same event, habit and day instead of stacking them."""
    habit = str(message.habit_id) if message.habit_id else ""
    day = message.local_date.isoformat() if message.local_date else ""
    fields = {
        "title": message.title,
        "body": message.body,
        "url": message.url or "/",
        "tag": f"{message.event}:{habit}:{day}",
        "delivery_id": str(message.delivery_id),
    }
    encoded = _encode(fields)
    body = message.body
    while len(encoded.encode("utf-8")) > MAX_PAYLOAD_BYTES and body:
        # Shorten the body, never the tag or id the service worker relies on. Cut in
        # UTF-8 bytes (a character split in two is dropped); JSON escapes make the
        # encoded form longer than the raw bytes, so the loop runs until it fits.
        excess = len(encoded.encode("utf-8")) - MAX_PAYLOAD_BYTES
        raw = body.encode("utf-8")
        keep = max(len(raw) - excess - len(ELLIPSIS.encode("utf-8")), 0)
        body = raw[:keep].decode("utf-8", errors="ignore").rstrip()
        fields["body"] = body + ELLIPSIS
        encoded = _encode(fields)
    return encoded


def _encode(fields: Mapping[str, str]) -> str:
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


def check_endpoint(endpoint: str, settings: Settings) -> None:
    """The save-time check again, for subscriptions kept from before it: https and no
    literal non-public address (`subscriptions.check_push_endpoint`), or a permanent
    failure; private targets allow both."""
    try:
        check_push_endpoint(endpoint, allow_private=settings.allow_private_targets)
    except UnsafeTarget as error:
        raise PermanentFailure(str(error)) from error


def _post(
    subscription: dict[str, Any], data: str, headers: dict[str, str], settings: Settings
) -> None:
    keys = load_or_create_vapid(settings.data_dir)
    signer = Vapid(keys.private_key)
    with requests.Session() as session:
        # A push service answers, it never redirects: following one would let an
        # endpoint send our request anywhere (the redirect is refused below).
        session.max_redirects = 0
        # No proxy from the environment: the connection goes where the guard looks.
        session.trust_env = False
        try:
            webpush(
                subscription_info=subscription,
                data=data,
                vapid_private_key=signer,
                # A fresh dict each time: pywebpush writes `aud` and `exp` into it.
                vapid_claims={"sub": settings.vapid_subject},
                content_encoding="aes128gcm",
                ttl=settings.push_ttl_hours * 3600,
                headers=dict(headers),
                timeout=settings.webhook_timeout_seconds,
                requests_session=session,
            )
        except WebPushException as error:
            status = error.status_code
            if status is not None and 200 <= status < 300:
                return  # pywebpush refuses anything above 202; any 2xx means accepted
            raise failure_for_status(status) from error
        except requests.TooManyRedirects as error:
            raise PermanentFailure(
                "the push subscription's endpoint redirects; it is not a push service"
            ) from error
        except requests.RequestException as error:
            # Connection refused or reset, DNS, timeouts: the push service may be back soon.
            log.warning(
                "push_unreachable",
                host=urlsplit(subscription["endpoint"]).netloc.rpartition("@")[2],
                error=f"{type(error).__name__}: {error}",
            )
            raise TemporaryFailure(UNREACHABLE) from error


def failure_for_status(status: int | None) -> PermanentFailure | TemporaryFailure:
    """What a push service's refusal means for the channel (RFC 8030 section 5/8)."""
    if status is None:
        return TemporaryFailure("the push message could not be sent")
    if status in EXPIRED_STATUSES:
        return PermanentFailure(
            f"the browser subscription has expired (push service answered {status})"
        )
    if status == 413:
        return PermanentFailure("the push service refused the message as too large (413)")
    if status == 429 or status >= 500:
        return TemporaryFailure(f"the push service is busy or failing ({status})")
    if 400 <= status < 500:
        return PermanentFailure(
            f"the push service refused the message ({status}); "
            "subscribe this browser again from Settings"
        )
    return TemporaryFailure(f"the push service gave an unexpected answer ({status})")
