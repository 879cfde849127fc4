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
from dataclasses import dataclass, field
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
    burst; this costs a fraction (bench/README.md). The connection is kept for the next
    delivery to the same address, port and name (`_KeptConnections`): a burst to one
    receiver opens a few connections, not one per delivery, and over TLS saves a
    handshake each. No redirects are followed (a 3xx is judged like any status) and no
    proxy is used: the connection goes where the check said."""
    target = _target(url)
    tls = _tls_context() if target.scheme == "https" else None
    port = target.port or (443 if tls else 80)
    server_name = target.host if tls else None
    try:
        head = _request_head(target, headers, body)
    except h11.LocalProtocolError as error:
        raise PermanentFailure(f"the webhook request cannot be sent: {error}") from error
    timeout = settings.webhook_timeout_seconds
    last_error: Exception | None = None
    for address in addresses:
        key = (str(address), port, server_name)
        kept = _kept().take(key)
        if kept is not None:
            try:
                return await _exchange_on(kept, key, head, body, timeout, fresh=False)
            except _StaleConnection:
                pass  # the receiver had closed it, nothing was sent: a new one below
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    str(address), port, ssl=tls, server_hostname=server_name
                )
        except (OSError, TimeoutError) as error:  # this address is down: try the next one
            last_error = error
            continue
        fresh = _Connection(reader, writer, h11.Connection(our_role=h11.CLIENT))
        return await _exchange_on(fresh, key, head, body, timeout, fresh=True)
    raise TemporaryFailure(f"could not connect to the webhook: {_describe(last_error)}")


@functools.lru_cache(maxsize=1024)
def _target(url: str) -> httpx.URL:
    """The URL parsed (issue 22: once per URL, not per delivery: parsing was a tenth of a
    burst's CPU). httpx's URL is never changed in place, so one is safely shared."""
    return httpx.URL(url)


def _request_head(target: httpx.URL, headers: dict[str, str], body: bytes) -> h11.Request:
    """The request line and headers; h11 refuses a header holding a line break or other
    characters HTTP does not allow. The path comes percent-encoded from httpx's parser."""
    fields: list[tuple[str, str]] = [
        ("Host", target.netloc.decode("ascii")),
        ("Content-Length", str(len(body))),
        *headers.items(),
    ]
    return h11.Request(method="POST", target=target.raw_path, headers=fields)


class _StaleConnection(Exception):
    """A kept connection turned out closed before any of the answer came back."""


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    http: h11.Connection
    idle_since: float = 0.0
    answered: bool = False  # a byte of the current answer has come back

    def usable(self, now: float) -> bool:
        return (
            now - self.idle_since < KEEP_IDLE_SECONDS
            and not self.writer.is_closing()
            and not self.reader.at_eof()
        )


async def _exchange_on(
    connection: _Connection,
    key: tuple[str, int, str | None],
    head: h11.Request,
    body: bytes,
    seconds: float,
    *,
    fresh: bool,
) -> int:
    """Send the request on `connection` and return the answer's status; the connection
    is kept for the next delivery when both sides may go on with it, else closed.

    On a kept connection, a close or reset before any byte of the answer is
    `_StaleConnection` (the receiver timed the idle connection out; the request can
    only have been lost with it, as with any connection that fails), and the caller
    sends on a new one. Once a byte has come back, or on a new connection, a failure is
    the delivery's: TemporaryFailure, retried later (receivers dedupe by
    Idempotency-Key)."""
    http = connection.http
    request = b"".join(
        http.send(event) or b"" for event in (head, h11.Data(data=body), h11.EndOfMessage())
    )
    connection.answered = keep = False
    try:
        async with asyncio.timeout(seconds):
            connection.writer.write(request)
            await connection.writer.drain()
            status = await _read_status(connection)
        # The status is what counts; the rest of the answer is read (briefly, and only a
        # small one) so that the connection can carry the next request.
        keep = await _read_rest(connection)
        return status
    except (OSError, TimeoutError, ValueError) as error:  # timeouts, resets, garbage
        if not fresh and not connection.answered and not isinstance(error, TimeoutError):
            raise _StaleConnection() from error
        raise TemporaryFailure(f"the webhook did not answer: {_describe(error)}") from error
    finally:
        if keep:
            _kept().give_back(key, connection)
        else:
            connection.writer.close()


async def _read_status(connection: _Connection) -> int:
    """Read until h11 has parsed the answer's status line and headers (1xx answers
    skipped); `connection.answered` tells whether any byte came back."""
    http = connection.http
    while True:
        try:
            event = http.next_event()
        except h11.RemoteProtocolError as error:
            raise ValueError(f"not an HTTP answer: {error}") from error
        if event is h11.NEED_DATA:
            data = await connection.reader.read(16_384)
            if not data and not connection.answered:
                raise ConnectionResetError("the connection closed before an answer")
            connection.answered = connection.answered or bool(data)
            # b"" when the receiver closed: h11 then reports the end (or an error).
            http.receive_data(data)
            continue
        if isinstance(event, h11.Response):
            return event.status_code
        if isinstance(event, h11.ConnectionClosed):
            raise ValueError("the connection closed before an answer")
        # An InformationalResponse (100 Continue ...): the real answer follows.


async def _read_rest(connection: _Connection) -> bool:
    """Read the answer's body (at most KEEP_BODY_BYTES, for at most KEEP_BODY_SECONDS)
    and prepare the connection for another request: whether it can carry one."""
    http, read = connection.http, 0
    try:
        async with asyncio.timeout(KEEP_BODY_SECONDS):
            while True:
                event = http.next_event()
                if event is h11.NEED_DATA:
                    data = await connection.reader.read(16_384)
                    read += len(data)
                    if not data or read > KEEP_BODY_BYTES:
                        return False
                    http.receive_data(data)
                    continue
                if isinstance(event, h11.EndOfMessage):
                    break
                if not isinstance(event, h11.Data):
                    return False
    except (OSError, TimeoutError, h11.ProtocolError):
        return False
    if http.our_state is not h11.DONE or http.their_state is not h11.DONE:
        return False  # `Connection: close`, HTTP/1.0: the receiver will not go on
    http.start_next_cycle()
    return True


# Issue 22, keep-alive: how long an idle connection is kept (under the shortest common
# server idle timeouts, uvicorn's 5 s), how many per receiver, and how much of an
# answer's body is read to keep one (a webhook's answer is a status; a bigger body, or a
# slow one, closes the connection and still counts the status).
KEEP_IDLE_SECONDS = 4.0
KEEP_PER_TARGET = 32
KEEP_BODY_BYTES = 64 * 1024
KEEP_BODY_SECONDS = 1.0


@dataclass
class _KeptConnections:
    """Idle connections of one event loop, by (vetted address, port, TLS name): a
    connection only ever carries requests for the address it was opened to and, over
    TLS, for the name its certificate was checked for."""

    idle: dict[tuple[str, int, str | None], list[_Connection]] = field(default_factory=dict)
    pruned_at: float = 0.0

    def take(self, key: tuple[str, int, str | None]) -> _Connection | None:
        now = time.monotonic()
        waiting = self.idle.get(key)
        while waiting:
            connection = waiting.pop()  # the most recently used: least likely timed out
            if connection.usable(now):
                return connection
            connection.writer.close()
        return None

    def give_back(self, key: tuple[str, int, str | None], connection: _Connection) -> None:
        now = time.monotonic()
        connection.idle_since = now
        waiting = self.idle.setdefault(key, [])
        if len(waiting) < KEEP_PER_TARGET:
            waiting.append(connection)
        else:
            connection.writer.close()
        if now - self.pruned_at > 1.0:
            self.prune(now)

    def prune(self, now: float) -> None:
        """Close what has been idle too long (receivers no longer sent to)."""
        self.pruned_at = now
        for key in list(self.idle):
            keep = []
            for connection in self.idle[key]:
                if connection.usable(now):
                    keep.append(connection)
                else:
                    connection.writer.close()
            if keep:
                self.idle[key] = keep
            else:
                del self.idle[key]


# By event loop. Not a WeakKeyDictionary: the kept connections refer to their loop, so
# its entry would never go; a closed loop's pool is dropped when a new loop makes one
# (one loop per process in the app; one per test in the suite).
_pools: dict[asyncio.AbstractEventLoop, _KeptConnections] = {}


def _kept() -> _KeptConnections:
    """This event loop's idle connections (a connection belongs to the loop it was
    opened on)."""
    loop = asyncio.get_running_loop()
    pool = _pools.get(loop)
    if pool is None:
        for old in [old for old in _pools if old.is_closed()]:
            del _pools[old]
        pool = _pools[loop] = _KeptConnections()
    return pool


def _span_attributes(url: str) -> dict[str, str | int]:
    target = _target(url)
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
