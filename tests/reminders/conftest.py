"""Fixtures of the reminder engine's tests: an app that may notify loopback targets, a
local webhook receiver, and one pass of the dispatcher."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from habitus import worker
from tests.conftest import AppFactory
from tests.fixtures.events import read_through

# The push service on loopback and the browser's keys, for the engine's push tests too.
from tests.reminders.test_transport_webpush import browser, push_service  # noqa: F401


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]


@dataclass
class Sink:
    """A webhook receiver on loopback. `statuses` answers the next requests in order
    (then 200); every request is recorded, failed ones too."""

    url: str
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self) -> list[Received]:
        return [item for item in self.received if item.headers.get("x-status") == "200"]


@pytest.fixture
def sink() -> Iterator[Sink]:
    state = Sink(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with state.lock:
                status = state.statuses.pop(0) if state.statuses else 200
                headers = {key.lower(): value for key, value in self.headers.items()}
                headers["x-status"] = str(status)
                state.received.append(Received(headers, body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
async def client(make_client: AppFactory) -> httpx.AsyncClient:
    """The app with loopback targets allowed (the sink), retries at once, 3 attempts."""
    return await make_client(
        allow_private_targets=True,
        delivery_backoff_seconds=0,
        delivery_max_attempts=3,
        base_url="http://habitus.test",
    )


async def run_worker(app: FastAPI, name: str = "test-worker") -> tuple[int, int]:
    """One worker pass: fire what is due, feed the log's consumers, send until nothing is:
    (occurrences fired, deliveries handled). The log's consumers first, until they have
    read all of it (tests/fixtures/events.py), so what they hand over is sent in this pass."""
    await read_through(app.state.sessionmaker, app.state.ctx.settings)
    found = await worker.run_once(app.state.sessionmaker, app.state.ctx.settings, name)
    return found["reminders.fire"], found["reminders.deliver"]
