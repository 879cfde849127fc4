"""The webhook transport against a real HTTP server on loopback.

Issue 6: "A local HTTP server receives webhooks and verifies the signature", with the body
and headers API.md documents ("Reminders, channels and notifications").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from habitus.config import Settings
from habitus.reminders.channel_types import CHANNEL_TYPES
from habitus.reminders.transports.base import Message, PermanentFailure, TemporaryFailure
from habitus.reminders.transports.webhook import WebhookTransport, sign, verify

# Transports take their type's config model: a kept config is parsed as the dispatcher does.
webhook_config = CHANNEL_TYPES["webhook"].stored

SECRET = "whsec_test_4f9a2c"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool


@dataclass
class Sink:
    """What the receiver got, and what it answers next."""

    port: int
    status: int = 200
    delay_seconds: float = 0.0
    requests: list[Received] = field(default_factory=list)

    def url(self, path: str = "/hooks/habitus?source=test", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def serve_sink() -> tuple[ThreadingHTTPServer, Sink]:
    sink = Sink(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            # A receiver does exactly this with the documented headers.
            signature_ok = verify(
                SECRET,
                self.headers.get("X-Habitus-Timestamp", ""),
                self.headers.get("X-Habitus-Signature", ""),
                body,
            )
            sink.requests.append(
                Received(self.command, self.path, dict(self.headers.items()), body, signature_ok)
            )
            if sink.delay_seconds:
                time.sleep(sink.delay_seconds)
            self.send_response(sink.status)
            if 300 <= sink.status < 400:
                self.send_header("Location", f"http://127.0.0.1:{sink.port}/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    sink.port = int(server.server_address[1])
    return server, sink


@pytest.fixture(scope="module")
def running_sink() -> Iterator[Sink]:
    server, sink = serve_sink()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sink(running_sink: Sink) -> Sink:
    """The module's receiver, answering 200 at once and with nothing received yet."""
    running_sink.status = 200
    running_sink.delay_seconds = 0.0
    running_sink.requests.clear()
    return running_sink


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": "sqlite+aiosqlite:///:memory:",
        "data_dir": tmp_path,
        "secret_key": "x" * 48,
        "allow_private_targets": True,  # the sink is on loopback
        "webhook_timeout_seconds": 5,
    }
    values.update(overrides)
    return Settings(**values)


def reminder(**overrides: Any) -> Message:
    values: dict[str, Any] = {
        "delivery_id": uuid.uuid4(),
        "event": "reminder",
        "user_id": uuid.uuid4(),
        "title": "Read 20 min",
        "body": "Time to read 20 minutes. «Ça va»",
        "sent_at": datetime(2025, 3, 4, 18, 30, 5, tzinfo=UTC),
        "habit_id": uuid.uuid4(),
        "habit_name": "Read 20 min",
        "local_date": date(2025, 3, 4),
    }
    values.update(overrides)
    return Message(**values)


async def test_delivery_is_signed_and_carries_the_documented_body(
    tmp_path: Path, sink: Sink
) -> None:
    """API.md: POST JSON {event, delivery_id, user_id, habit: {id, name}, date, title,
    message, sent_at} with X-Habitus-Event, X-Habitus-Timestamp, X-Habitus-Signature
    (HMAC-SHA256 of "<timestamp>.<raw body>") and Idempotency-Key: <delivery_id>."""
    message = reminder()
    before = int(time.time())

    await WebhookTransport().send(
        message, webhook_config({"url": sink.url(), "secret": SECRET}), settings_for(tmp_path)
    )

    assert len(sink.requests) == 1
    request = sink.requests[0]
    assert request.method == "POST"
    assert request.path == "/hooks/habitus?source=test"
    body = json.loads(request.body)
    assert list(body) == [
        "event",
        "delivery_id",
        "user_id",
        "habit",
        "date",
        "title",
        "message",
        "sent_at",
    ]
    assert body == {
        "event": "reminder",
        "delivery_id": str(message.delivery_id),
        "user_id": str(message.user_id),
        "habit": {"id": str(message.habit_id), "name": "Read 20 min"},
        "date": "2025-03-04",
        "title": "Read 20 min",
        "message": "Time to read 20 minutes. «Ça va»",
        "sent_at": "2025-03-04T18:30:05Z",
    }
    headers = request.headers
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "Habitus-Webhook/1"
    assert headers["X-Habitus-Event"] == "reminder"
    assert headers["Idempotency-Key"] == str(message.delivery_id)
    timestamp = int(headers["X-Habitus-Timestamp"])
    assert before <= timestamp <= int(time.time())
    # The documented algorithm, computed here independently of `sign`.
    expected = hmac.new(
        SECRET.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Habitus-Signature"] == f"sha256={expected}"
    assert request.signature_ok


async def test_verify_refuses_a_tampered_body_a_wrong_secret_and_a_stale_timestamp(
    tmp_path: Path, sink: Sink
) -> None:
    """API.md: the signature covers the raw body and the timestamp, so a receiver can
    reject a forged body and a replay of an old request."""
    await WebhookTransport().send(
        reminder(), webhook_config({"url": sink.url(), "secret": SECRET}), settings_for(tmp_path)
    )
    request = sink.requests[0]
    timestamp = request.headers["X-Habitus-Timestamp"]
    signature = request.headers["X-Habitus-Signature"]
    now = int(timestamp)

    assert verify(SECRET, timestamp, signature, request.body, now=now)
    tampered = request.body.replace(b"Read 20 min", b"Read 99 min")
    assert tampered != request.body
    assert not verify(SECRET, timestamp, signature, tampered, now=now)
    assert not verify("another-secret", timestamp, signature, request.body, now=now)
    assert not verify(SECRET, str(now - 1), signature, request.body, now=now)
    assert not verify(SECRET, timestamp, signature, request.body, now=now + 301)
    assert verify(SECRET, timestamp, signature, request.body, now=now + 299)
    assert not verify(SECRET, "not-a-number", signature, request.body, now=now)


def test_sign_matches_a_fixed_vector() -> None:
    """API.md's algorithm with known inputs: a receiver in any language gets this value."""
    body = b'{"event":"test"}'

    signature = sign("s3cret", 1700000000, body)

    assert (
        signature
        == "sha256="
        + hmac.new(b"s3cret", b'1700000000.{"event":"test"}', hashlib.sha256).hexdigest()
    )


async def test_an_event_without_a_habit_sends_null_habit_and_date(
    tmp_path: Path, sink: Sink
) -> None:
    """API.md: `habit: {id, name} | null`; a channel test has no habit and no date."""
    message = reminder(event="test", habit_id=None, habit_name=None, local_date=None)

    await WebhookTransport().send(
        message, webhook_config({"url": sink.url(), "secret": SECRET}), settings_for(tmp_path)
    )

    body = json.loads(sink.requests[0].body)
    assert body["habit"] is None
    assert body["date"] is None
    assert sink.requests[0].headers["X-Habitus-Event"] == "test"


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        (500, TemporaryFailure),
        (503, TemporaryFailure),
        (429, TemporaryFailure),
        (408, TemporaryFailure),
        (410, PermanentFailure),
        (404, PermanentFailure),
        (401, PermanentFailure),
        (302, PermanentFailure),
    ],
)
async def test_answers_map_to_retry_or_disable(
    tmp_path: Path, sink: Sink, status: int, failure: type[Exception]
) -> None:
    """Issue 6 / DESIGN.md "Background work": 5xx and 429 are retried with backoff; 410
    Gone and other 4xx disable the channel; a redirect is not followed (it could lead to
    an address nobody checked)."""
    sink.status = status

    with pytest.raises(failure) as raised:
        await WebhookTransport().send(
            reminder(),
            webhook_config({"url": sink.url(), "secret": SECRET}),
            settings_for(tmp_path),
        )

    assert str(status) in str(raised.value)
    assert len(sink.requests) == 1  # one attempt, no redirect followed


async def test_a_2xx_other_than_200_ends_the_delivery(tmp_path: Path, sink: Sink) -> None:
    """API.md: "a receiver answering 2xx ends the delivery"."""
    sink.status = 204

    await WebhookTransport().send(
        reminder(), webhook_config({"url": sink.url(), "secret": SECRET}), settings_for(tmp_path)
    )

    assert len(sink.requests) == 1


async def test_a_loopback_target_is_refused_unless_private_targets_are_allowed(
    tmp_path: Path, sink: Sink
) -> None:
    """API.md: webhook targets on private, loopback or link-local addresses are refused
    (SSRF) unless HABITUS_ALLOW_PRIVATE_TARGETS=true; nothing is sent."""
    settings = settings_for(tmp_path, allow_private_targets=False)

    with pytest.raises(PermanentFailure) as raised:
        await WebhookTransport().send(
            reminder(), webhook_config({"url": sink.url(), "secret": SECRET}), settings
        )

    assert "loopback" in raised.value.reason
    assert sink.requests == []


async def test_a_name_that_resolves_to_loopback_is_refused(tmp_path: Path, sink: Sink) -> None:
    """API.md SSRF rule, at send time: the name is resolved and every address vetted."""
    settings = settings_for(tmp_path, allow_private_targets=False)

    with pytest.raises(PermanentFailure):
        await WebhookTransport().send(
            reminder(),
            webhook_config({"url": sink.url(host="localhost"), "secret": SECRET}),
            settings,
        )

    assert sink.requests == []


async def test_a_name_is_sent_to_its_resolved_address_with_its_host_header(
    tmp_path: Path, sink: Sink
) -> None:
    """The connection goes to the address that was checked (no second lookup that DNS
    rebinding could answer differently) while the receiver still sees its own name."""
    await WebhookTransport().send(
        reminder(),
        webhook_config({"url": sink.url(host="localhost"), "secret": SECRET}),
        settings_for(tmp_path),
    )

    assert len(sink.requests) == 1
    assert sink.requests[0].headers["Host"] == f"localhost:{sink.port}"
    assert sink.requests[0].signature_ok


async def test_a_closed_port_is_temporary(tmp_path: Path) -> None:
    """DESIGN.md "Background work": a receiver that is down is retried later."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(TemporaryFailure):
        await WebhookTransport().send(
            reminder(),
            webhook_config({"url": f"http://127.0.0.1:{port}/hook", "secret": SECRET}),
            settings_for(tmp_path),
        )


async def test_a_slow_receiver_times_out_as_temporary(tmp_path: Path, sink: Sink) -> None:
    """Settings.webhook_timeout_seconds bounds a send; a timeout is retried, not fatal."""
    sink.delay_seconds = 1.5
    settings = settings_for(tmp_path, webhook_timeout_seconds=0.3)

    with pytest.raises(TemporaryFailure):
        await WebhookTransport().send(
            reminder(), webhook_config({"url": sink.url(), "secret": SECRET}), settings
        )


async def test_a_traced_delivery_is_a_client_span_and_sends_its_traceparent(
    tmp_path: Path, sink: Sink
) -> None:
    """Issue 22 (tracing of outgoing HTTP): with tracing on, a webhook delivery is a
    client span named without the URL's path or query (a webhook URL is a secret), and
    the receiver gets its W3C `traceparent`. Tracing off: no such header."""
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from habitus.kit import tracing

    config = webhook_config({"url": sink.url(), "secret": SECRET})
    await WebhookTransport().send(reminder(), config, settings_for(tmp_path))
    assert "traceparent" not in {name.lower() for name in sink.requests[0].headers}

    exporter = InMemorySpanExporter()
    settings = settings_for(tmp_path, otel_enabled=True)
    active = tracing.start(settings, role="worker", exporter=exporter)
    try:
        await WebhookTransport().send(reminder(), config, settings)
        active.provider.force_flush()
    finally:
        active.shutdown()
    [span] = [span for span in exporter.get_finished_spans() if span.name == "POST"]
    headers = {name.lower(): value for name, value in sink.requests[1].headers.items()}
    trace_id = format(span.context.trace_id, "032x")
    span_id = format(span.context.span_id, "016x")
    version, sent_trace, sent_span, flags = headers["traceparent"].split("-")
    assert (version, sent_trace, sent_span) == ("00", trace_id, span_id)
    assert int(flags, 16) & 1  # sampled
    assert span.attributes is not None
    assert span.attributes["http.response.status_code"] == 200
    assert span.attributes["url.full"] == f"http://127.0.0.1:{sink.port}"
    assert "hooks" not in str(dict(span.attributes))
