"""Webhooks: a signed JSON POST, exactly as API.md documents it for receivers.

Signature: `X-Habitus-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`
keyed with the channel secret, where `<timestamp>` is the `X-Habitus-Timestamp` header
(Unix seconds). The timestamp is signed so a captured request cannot be replayed later;
`Idempotency-Key` (the delivery id, the same on every retry) lets a receiver drop a
repeat. `sign` and `verify` are public so receivers' code and our tests share them.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
import ssl
import time
from datetime import UTC
from typing import Any

import h11
import httpx
from opentelemetry import propagate, trace

from habitus.config import Settings
from habitus.kit import tracing
from habitus.reminders.channel_types import WebhookConfig
from habitus.reminders.outbound import Guard
from habitus.reminders.targets import IPAddress, UnsafeTarget, resolve_and_check
from habitus.reminders.transports.base import Message, PermanentFailure, TemporaryFailure

USER_AGENT = "Habitus-Webhook/1"
SIGNATURE_SCHEME = "sha256="
# 4xx answers that mean "not now" rather than "never": timeout, conflict, too early,
# too many requests.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 409, 425, 429})


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Habitus-Signature` value for `body` sent at `timestamp`."""
    signed = str(timestamp).encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return SIGNATURE_SCHEME + digest


def verify(
    secret: str,
    timestamp_header: str,
    signature_header: str,
    body: bytes,
    *,
    tolerance_seconds: int = 300,
    now: float | None = None,
) -> bool:
    """What a receiver does: true only if the signature matches (compared in constant
    time) and the timestamp is within `tolerance_seconds` of `now` (a replayed old
    request fails)."""
    try:
        timestamp = int(timestamp_header.strip())
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret, timestamp, body).encode("ascii")
    # Several signatures may be listed (comma-separated) while a secret is rotated.
    return any(
        hmac.compare_digest(expected, candidate.strip().encode("utf-8", "replace"))
        for candidate in signature_header.split(",")
    )


def payload(message: Message) -> dict[str, Any]:
    """The JSON body of API.md, in its documented field order."""
    habit = (
        None
        if message.habit_id is None
        else {"id": str(message.habit_id), "name": message.habit_name}
    )
    sent_at = message.sent_at.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"
    return {
        "event": message.event,
        "delivery_id": str(message.delivery_id),
        "user_id": str(message.user_id),
        "habit": habit,
        "date": None if message.local_date is None else message.local_date.isoformat(),
        "title": message.title,
        "message": message.body,
        "sent_at": sent_at,
    }


class WebhookTransport:
    kind = "webhook"

    async def send(self, message: Message, config: WebhookConfig, settings: Settings) -> None:
        url, secret = config.url, config.secret
        if not secret:
            raise PermanentFailure("the webhook has no signing secret")
        try:
            addresses = await resolve_and_check(url, allow_private=settings.allow_private_targets)
        except UnsafeTarget as error:
            raise PermanentFailure(str(error)) from error
        except OSError as error:  # the name does not resolve now; DNS may come back
            raise TemporaryFailure(f"could not look up the webhook's host: {error}") from error

        body = json.dumps(payload(message), ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Habitus-Event": message.event,
            "X-Habitus-Timestamp": str(timestamp),
            "X-Habitus-Signature": sign(secret, timestamp, body),
            "Idempotency-Key": str(message.delivery_id),
        }
        # The pinned, vetted address is what protects the webhook: the connect-time guard
        # cannot see uvloop's connections (`habitus serve`). Under asyncio's own loop
        # (`habitus worker`) it checks the connection once more.
        guard = Guard(allow_private=settings.allow_private_targets)
        # A client span (tracing on: kit/tracing.py) named by the receiver's origin only
        # (a webhook URL is a secret), and its `traceparent` sent to the receiver.
        with tracing.tracer().start_as_current_span(
            "POST", kind=trace.SpanKind.CLIENT, attributes=_span_attributes(url)
        ) as span:
            propagate.inject(headers)
            try:
                with guard.armed():
                    status = await _post_to_vetted_address(url, addresses, headers, body, settings)
            except TemporaryFailure as failure:
                if guard.refusals:
                    raise PermanentFailure(guard.reason("the webhook URL")) from failure
                raise
            span.set_attribute("http.response.status_code", status)
        _judge(status)


async def _post_to_vetted_address(
    url: str,
    addresses: list[IPAddress],
    headers: dict[str, str],
    body: bytes,
    settings: Settings,
) -> int:
    """POST to the addresses `resolve_and_check` vetted, in order, never to whatever the
    name resolves to a moment later (DNS rebinding); the answer's status code. The URL
    keeps its name in `Host` and, for https, in SNI and certificate checking.

    Issue 22: one HTTP/1.1 exchange framed and parsed by h11 (the protocol library under
    httpx) on asyncio's streams, not an httpx client: httpx cost about 2 ms of CPU a
    delivery (request objects, its pool, anyio), three quarters of a worker's time in a
    burst; this costs a fraction (bench/README.md).
    All a webhook needs is the status: the request says `Connection: close`, the status
    line is read and the connection closed. No redirects are followed (a 3xx is judged
    like any status) and no proxy is used: the connection goes where the check said."""
    target = httpx.URL(url)
    tls = _tls_context() if target.scheme == "https" else None
    port = target.port or (443 if tls else 80)
    try:
        connection, request = _framed(target, headers, body)
    except h11.LocalProtocolError as error:
        raise PermanentFailure(f"the webhook request cannot be sent: {error}") from error
    last_error: Exception | None = None
    for address in addresses:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(
                    str(address),
                    port,
                    ssl=tls,
                    server_hostname=target.host if tls else None,
                ),
                settings.webhook_timeout_seconds,
            )
        except (OSError, TimeoutError) as error:  # this address is down: try the next one
            last_error = error
            continue
        try:
            return await asyncio.wait_for(
                _exchange(reader, writer, connection, request), settings.webhook_timeout_seconds
            )
        except (OSError, TimeoutError, ValueError) as error:  # timeouts, resets, garbage
            raise TemporaryFailure(f"the webhook did not answer: {_describe(error)}") from error
        finally:
            writer.close()
    raise TemporaryFailure(f"could not connect to the webhook: {_describe(last_error)}")


def _framed(
    target: httpx.URL, headers: dict[str, str], body: bytes
) -> tuple[h11.Connection, bytes]:
    """The request as h11 frames it (it refuses a header holding a line break or other
    characters HTTP does not allow), and the connection state that reads its answer. The
    path comes percent-encoded from httpx's URL parser."""
    connection = h11.Connection(our_role=h11.CLIENT)
    fields: list[tuple[str, str]] = [
        ("Host", target.netloc.decode("ascii")),
        ("Content-Length", str(len(body))),
        ("Connection", "close"),
        *headers.items(),
    ]
    head = h11.Request(method="POST", target=target.raw_path, headers=fields)
    request = b"".join(
        connection.send(event) or b"" for event in (head, h11.Data(data=body), h11.EndOfMessage())
    )
    return connection, request


async def _exchange(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    connection: h11.Connection,
    request: bytes,
) -> int:
    """Send `request`, then read until h11 has parsed the answer's status line and
    headers (1xx answers skipped); the body is never read."""
    writer.write(request)
    await writer.drain()
    while True:
        try:
            event = connection.next_event()
        except h11.RemoteProtocolError as error:
            raise ValueError(f"not an HTTP answer: {error}") from error
        if event is h11.NEED_DATA:
            # b"" when the receiver closed: h11 then reports the end (or an error).
            connection.receive_data(await reader.read(16_384))
            continue
        if isinstance(event, h11.Response):
            return event.status_code
        if isinstance(event, h11.ConnectionClosed):
            raise ValueError("the connection closed before an answer")
        # An InformationalResponse (100 Continue ...): the real answer follows.


def _span_attributes(url: str) -> dict[str, str | int]:
    target = httpx.URL(url)
    return {
        "http.request.method": "POST",
        "server.address": target.host,
        "server.port": target.port or (443 if target.scheme == "https" else 80),
        "url.full": f"{target.scheme}://{target.netloc.decode('ascii')}",
    }


def _judge(status: int) -> None:
    if 200 <= status < 300:
        return
    if status == 410:
        raise PermanentFailure("the webhook answered 410 Gone")
    if 300 <= status < 400:
        raise PermanentFailure(
            f"the webhook answered {status} (a redirect; redirects are not followed, "
            "use the final address)"
        )
    if 400 <= status < 500 and status not in RETRYABLE_CLIENT_ERRORS:
        raise PermanentFailure(f"the webhook answered {status}")
    raise TemporaryFailure(f"the webhook answered {status}")


def _describe(error: Exception | None) -> str:
    if error is None:
        return "no address to connect to"
    return str(error) or type(error).__name__


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Built once: loading the CA bundle costs milliseconds.
    return httpx.create_ssl_context()
