"""Web Push through a push service played by a local HTTP server; the test plays the
browser and decrypts what arrives (issue 6, "Tests with real parts": "another plays a
push service and decrypts the Web Push payload (RFC 8291, http_ece) to check its
content")."""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import http_ece
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from habitus.config import Settings
from habitus.reminders.channel_types import CHANNEL_TYPES
from habitus.reminders.transports.base import Message, PermanentFailure, TemporaryFailure
from habitus.reminders.transports.webpush import MAX_PAYLOAD_BYTES, WebPushTransport
from habitus.reminders.vapid import load_or_create_vapid

# Transports take their type's config model: a kept config is parsed as the dispatcher does.
webpush_config = CHANNEL_TYPES["webpush"].stored

VAPID_SUBJECT = "mailto:ops@habitus.example"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushService:
    """A push service on loopback: records every request, answers `status`."""

    port: int
    status: int = 201
    location: str | None = None
    received: list[Received] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def endpoint(self, path: str = "/push/abc123") -> str:
        return self.origin + path


@pytest.fixture
def push_service() -> Iterator[PushService]:
    state = PushService(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.received.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            self.send_response(state.status)
            if state.location:
                self.send_header("Location", state.location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@dataclass
class Browser:
    """What a browser keeps for one push subscription: its ECDH key pair and auth secret."""

    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    def subscription(self, endpoint: str) -> dict[str, Any]:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "subscription": {
                "endpoint": endpoint,
                "keys": {"p256dh": _b64url(point), "auth": _b64url(self.auth_secret)},
            }
        }

    def decrypt(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(
            body,
            private_key=self.private_key,
            dh=None,
            auth_secret=self.auth_secret,
            version="aes128gcm",
        )
        result: dict[str, Any] = json.loads(plain)
        return result


@pytest.fixture
def browser() -> Browser:
    return Browser(ec.generate_private_key(ec.SECP256R1()), os.urandom(16))


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    load_or_create_vapid.cache_clear()
    yield _settings(tmp_path, allow_private_targets=True)
    load_or_create_vapid.cache_clear()


def _settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": "sqlite+aiosqlite:///:memory:",
        "data_dir": data_dir,
        "secret_key": "x" * 48,
        "vapid_subject": VAPID_SUBJECT,
        "push_ttl_hours": 6,
        "webhook_timeout_seconds": 5,
    }
    values.update(overrides)
    return Settings(**values)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _message(event: str = "reminder", **overrides: Any) -> Message:
    values: dict[str, Any] = {
        "delivery_id": uuid.uuid4(),
        "event": event,
        "user_id": uuid.uuid4(),
        "title": "Read 20 min",
        "body": "Time to read: 12-day streak, keep it going.",
        "sent_at": datetime(2026, 11, 21, 18, 0, tzinfo=UTC),
        "habit_id": uuid.uuid4(),
        "habit_name": "Read 20 min",
        "local_date": date(2026, 11, 21),
        "url": "/habits/read",
    }
    values.update(overrides)
    return Message(**values)


def _authorization(header: str) -> dict[str, str]:
    """`vapid t=<jwt>, k=<key>` (RFC 8292 section 3) as a dict."""
    scheme, _, params = header.partition(" ")
    assert scheme.lower() == "vapid"
    return dict(part.strip().split("=", 1) for part in params.split(","))


async def test_push_is_encrypted_for_the_browser_and_signed_with_the_kept_key(
    push_service: PushService, browser: Browser, settings: Settings
) -> None:
    """Issue 6: Web Push with the kept VAPID key (RFC 8292), a TTL of hours and an
    `Urgency` header so an offline phone still gets it; the payload is aes128gcm
    (RFC 8291) and only the browser's keys open it."""
    message = _message("reminder")
    endpoint = push_service.endpoint()

    await WebPushTransport().send(message, webpush_config(browser.subscription(endpoint)), settings)

    assert len(push_service.received) == 1
    request = push_service.received[0]
    assert request.path == "/push/abc123"
    assert request.headers["content-encoding"] == "aes128gcm"
    assert request.headers["ttl"] == str(6 * 3600)
    assert request.headers["urgency"] == "high"

    auth = _authorization(request.headers["authorization"])
    kept = load_or_create_vapid(settings.data_dir)
    assert auth["k"] == kept.public_key_b64
    public_key = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), _b64url_decode(auth["k"])
    )
    claims = jwt.decode(
        auth["t"], key=public_key, algorithms=["ES256"], audience=push_service.origin
    )
    assert claims["aud"] == push_service.origin
    assert claims["sub"] == VAPID_SUBJECT
    assert claims["exp"] > datetime.now(UTC).timestamp()

    assert message.body.encode() not in request.body  # encrypted, not in the clear
    assert browser.decrypt(request.body) == {
        "title": "Read 20 min",
        "body": "Time to read: 12-day streak, keep it going.",
        "url": "/habits/read",
        "tag": f"reminder:{message.habit_id}:2026-11-21",
        "delivery_id": str(message.delivery_id),
    }


async def test_a_jwt_from_another_key_would_not_verify(
    push_service: PushService, browser: Browser, settings: Settings
) -> None:
    """Issue 6 (RFC 8292): the signature check above can fail: the token does not verify
    with any key but the kept one."""
    await WebPushTransport().send(
        _message(), webpush_config(browser.subscription(push_service.endpoint())), settings
    )
    auth = _authorization(push_service.received[0].headers["authorization"])
    stranger = ec.generate_private_key(ec.SECP256R1()).public_key()

    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(auth["t"], key=stranger, algorithms=["ES256"], audience=push_service.origin)


@pytest.mark.parametrize(
    ("event", "urgency"),
    [("streak_at_risk", "high"), ("digest", "normal"), ("test", "normal")],
)
async def test_urgency_follows_the_event(
    push_service: PushService, browser: Browser, settings: Settings, event: str, urgency: str
) -> None:
    """Issue 6: an `Urgency` header; time-bound nudges wake the phone, the rest do not."""
    message = _message(event, habit_id=None, local_date=None, url=None)

    await WebPushTransport().send(
        message, webpush_config(browser.subscription(push_service.endpoint())), settings
    )

    request = push_service.received[0]
    assert request.headers["urgency"] == urgency
    payload = browser.decrypt(request.body)
    assert payload["tag"] == f"{event}::"
    assert payload["url"] == "/"


async def test_a_long_body_is_shortened_to_fit_one_push_message(
    push_service: PushService, browser: Browser, settings: Settings
) -> None:
    """Issue 6: a push service refuses payloads over about 4 KB (413), which would disable
    the channel; the body is cut to fit, the tag and delivery id stay whole."""
    message = _message(body="é" * 5000)

    await WebPushTransport().send(
        message, webpush_config(browser.subscription(push_service.endpoint())), settings
    )

    payload = browser.decrypt(push_service.received[0].body)
    assert payload["body"].endswith("…")
    assert payload["body"].startswith("é" * 100)
    assert payload["delivery_id"] == str(message.delivery_id)
    encoded = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    assert MAX_PAYLOAD_BYTES - 8 <= len(encoded) <= MAX_PAYLOAD_BYTES


@pytest.mark.parametrize("status", [404, 410, 413, 400, 403])
async def test_refusals_that_will_not_change_are_permanent(
    push_service: PushService, browser: Browser, settings: Settings, status: int
) -> None:
    """Issue 6 / DESIGN "Background work": HTTP 404/410 from a push service (the browser
    unsubscribed) is a permanent error that disables the channel with the reason shown."""
    push_service.status = status

    with pytest.raises(PermanentFailure) as caught:
        await WebPushTransport().send(
            _message(), webpush_config(browser.subscription(push_service.endpoint())), settings
        )

    assert len(push_service.received) == 1
    if status in {404, 410}:
        assert caught.value.reason == (
            f"the browser subscription has expired (push service answered {status})"
        )


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_busy_or_failing_push_services_are_retried(
    push_service: PushService, browser: Browser, settings: Settings, status: int
) -> None:
    """Issue 6: the dispatcher retries with backoff; 429 and 5xx are temporary."""
    push_service.status = status

    with pytest.raises(TemporaryFailure):
        await WebPushTransport().send(
            _message(), webpush_config(browser.subscription(push_service.endpoint())), settings
        )


async def test_an_unreachable_push_service_is_temporary(
    browser: Browser, settings: Settings
) -> None:
    """Issue 6: a connection that fails (nothing listens) is retried, not a dead channel."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed: connection refused

    with pytest.raises(TemporaryFailure):
        await WebPushTransport().send(
            _message(),
            webpush_config(browser.subscription(f"http://127.0.0.1:{port}/push/x")),
            settings,
        )


async def test_a_redirect_is_not_followed(
    push_service: PushService, browser: Browser, settings: Settings
) -> None:
    """API.md channels (SSRF): a push endpoint cannot bounce our signed request to another
    address; a redirect is refused and the redirect target sees nothing."""
    push_service.status = 307
    push_service.location = push_service.endpoint("/elsewhere")

    with pytest.raises(PermanentFailure):
        await WebPushTransport().send(
            _message(), webpush_config(browser.subscription(push_service.endpoint())), settings
        )

    assert [request.path for request in push_service.received] == ["/push/abc123"]


async def test_plain_http_endpoints_are_refused_without_private_targets(
    push_service: PushService, browser: Browser, tmp_path: Path
) -> None:
    """API.md channels: outside a private setup (HABITUS_ALLOW_PRIVATE_TARGETS) push
    endpoints must be https; nothing is sent."""
    strict = _settings(tmp_path, allow_private_targets=False)

    with pytest.raises(PermanentFailure, match="https"):
        await WebPushTransport().send(
            _message(), webpush_config(browser.subscription(push_service.endpoint())), strict
        )

    assert push_service.received == []


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"subscription": {"endpoint": "not a url", "keys": {"p256dh": "x", "auth": "y"}}},
        {"subscription": {"endpoint": "https://push.example/x"}},
        {"subscription": {"endpoint": "https://push.example/x", "keys": {"auth": "AAAA"}}},
        {
            "subscription": {
                "endpoint": "https://push.example/x",
                "keys": {"p256dh": _b64url(b"\x04" + b"\x01" * 64), "auth": _b64url(b"a" * 16)},
            }
        },
    ],
)
async def test_a_malformed_subscription_is_permanent(
    config: dict[str, Any], settings: Settings
) -> None:
    """Issue 6: a channel whose subscription can never work is disabled with a reason
    rather than retried (DESIGN "Background work": permanent errors)."""
    with pytest.raises(PermanentFailure, match="subscription"):
        await WebPushTransport().send(_message(), webpush_config(config), settings)


async def test_a_short_auth_secret_is_permanent(browser: Browser, settings: Settings) -> None:
    """Issue 6 (RFC 8291 section 3.2): the auth secret is 16 bytes; anything else cannot
    encrypt a payload the browser would accept."""
    config = browser.subscription("https://push.example/x")
    config["subscription"]["keys"]["auth"] = _b64url(b"short")

    with pytest.raises(PermanentFailure, match="16 bytes"):
        await WebPushTransport().send(_message(), webpush_config(config), settings)
