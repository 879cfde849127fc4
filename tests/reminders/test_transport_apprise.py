"""Apprise, exercised through its ntfy notification to a loopback server that plays the
ntfy server (issue 6, "Tests with real parts": "Apprise is exercised through a URL whose
service the test runs locally"). The JSON/form notifications the issue suggested are
refused since issue 11 item 1 (they let a URL choose the whole HTTP request); ntfy is an
allowed service that can talk to a local server when private targets are allowed."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from habitus.config import Settings
from habitus.reminders.channel_types import CHANNEL_TYPES
from habitus.reminders.transports.apprise import (
    ALLOWED_SCHEMES,
    AppriseTransport,
    ServiceNotAllowed,
    validate_apprise_url,
)
from habitus.reminders.transports.base import Message, PermanentFailure, TemporaryFailure

# Transports take their type's config model: a kept config is parsed as the dispatcher does.
apprise_config = CHANNEL_TYPES["apprise"].stored


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Sink:
    """An HTTP service on loopback that records what Apprise posts and answers `status`
    (a self-hosted ntfy server, as far as Apprise can tell)."""

    port: int
    status: int = 200
    received: list[Received] = field(default_factory=list)


@pytest.fixture
def sink() -> Iterator[Sink]:
    state = Sink(port=0)

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.received.append(
                Received(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
            )
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = _record
        do_GET = _record

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        database_url="sqlite+aiosqlite:///:memory:",
        data_dir=tmp_path,
        secret_key="x" * 48,
        allow_private_targets=True,
        webhook_timeout_seconds=5,
    )


def _message() -> Message:
    return Message(
        delivery_id=uuid.uuid4(),
        event="reminder",
        user_id=uuid.uuid4(),
        title="Read 20 min",
        body="Time to read: 12-day streak, keep it going.",
        sent_at=datetime(2026, 11, 21, 18, 0, tzinfo=UTC),
    )


async def test_an_apprise_url_delivers_title_and_body(sink: Sink, settings: Settings) -> None:
    """Issue 6: Apprise URLs as a channel; the service behind the URL receives the
    notification's title and body. Issue 11: allow_private_targets still lets a
    loopback service through the connect-time guard."""
    url = f"ntfy://127.0.0.1:{sink.port}/reminders"

    await AppriseTransport().send(_message(), apprise_config({"url": url}), settings)

    assert len(sink.received) == 1
    request = sink.received[0]
    assert request.method == "POST"
    assert request.path == "/"
    assert request.headers["content-type"].startswith("application/json")
    payload = json.loads(request.body)
    assert payload["topic"] == "reminders"
    assert payload["title"] == "Read 20 min"
    assert payload["message"] == "Time to read: 12-day streak, keep it going."


async def test_a_failing_service_is_temporary(sink: Sink, settings: Settings) -> None:
    """Issue 6 / DESIGN "Background work": a service that answers 500 is retried with
    backoff (Apprise does not say why it failed, so nothing is assumed permanent)."""
    sink.status = 500

    with pytest.raises(TemporaryFailure, match="could not deliver"):
        await AppriseTransport().send(
            _message(), apprise_config({"url": f"ntfy://127.0.0.1:{sink.port}/reminders"}), settings
        )

    assert len(sink.received) == 1


@pytest.mark.parametrize("config", [{"url": "notaservice://x"}, {"url": ""}, {}])
async def test_a_url_apprise_does_not_understand_is_permanent(
    config: dict[str, Any], settings: Settings
) -> None:
    """Issue 6: a channel that can never work is disabled with the reason shown to the
    user (DESIGN "Background work": permanent errors)."""
    with pytest.raises(PermanentFailure) as caught:
        await AppriseTransport().send(_message(), apprise_config(config), settings)

    assert caught.value.reason == "Apprise does not understand this URL"


def test_validation_accepts_a_supported_url() -> None:
    """API.md channels: `apprise {url}` is checked when the channel is created; a URL
    Apprise supports passes (nothing is sent)."""
    validate_apprise_url("ntfy://127.0.0.1:9/reminders")
    validate_apprise_url("ntfys://ntfy.sh/habitus-reminders")
    validate_apprise_url("https://discord.com/api/webhooks/123456789012345678/abcdefABCDEF")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("notaservice://x", "does not understand"),
        ("", "required"),
        (None, "required"),
        ("ntfy://127.0.0.1:9/a ntfy://127.0.0.1:9/b", "one Apprise URL"),
    ],
)
def test_validation_refuses_what_cannot_work(url: object, reason: str) -> None:
    """API.md channels: a URL Apprise cannot use is refused at creation with a plain
    message, not discovered at the first reminder."""
    with pytest.raises(ValueError, match=reason):
        validate_apprise_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "json://hooks.example.com/x?method=PUT&:cmd=rm",
        "JSONS://hooks.example.com/x",
        "xml://hooks.example.com/x",
        "form://hooks.example.com/x",
        "apprise://relay.example.com/token",
        "mailto://user:secret@example.com?smtp=127.0.0.1",
        "rsyslog://log.example.com",  # UDP to any host, not a message to a person
    ],
)
def test_services_outside_the_allow_list_are_refused(url: str) -> None:
    """Issue 11 item 1: generic HTTP posters, relays, mail with a chosen server and other
    services that are not chat or push are refused by the service Apprise picks, with
    the rule in the message."""
    with pytest.raises(ServiceNotAllowed, match="not allowed: an Apprise channel may use only"):
        validate_apprise_url(url)


def test_every_allowed_scheme_is_an_apprise_service() -> None:
    """Issue 11 item 1: the allow-list names schemes the installed Apprise knows (a typo
    would silently refuse a service users expect)."""
    from apprise.manager_plugins import NotificationManager

    known = set(NotificationManager().schemas())
    assert set(ALLOWED_SCHEMES) <= known, set(ALLOWED_SCHEMES) - known
