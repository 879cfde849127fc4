"""Issue 22 (reminder bursts): the webhook transport keeps its connection to a receiver
for the next delivery, and never pays for it with a lost or doubled delivery.

The receiver is a real HTTP/1.1 server on loopback (the standard library's, keep-alive
on) that counts the connections it accepts and the requests it reads."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from habitus.reminders.transports import webhook
from habitus.reminders.transports.webhook import WebhookTransport
from tests.reminders.test_transport_webhook import SECRET, reminder, settings_for, webhook_config


@dataclass
class Receiver:
    port: int = 0
    accepted: int = 0
    keys: list[str] = field(default_factory=list)
    # How it answers: "keep" (HTTP/1.1 keep-alive), "close" (`Connection: close`),
    # "drop" (answers, then closes without saying so: an idle timeout), "big" (a body
    # too large to read for keeping the connection).
    mode: str = "keep"
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with state.lock:
                state.keys.append(self.headers.get("Idempotency-Key", ""))
            body = b"x" * (200 * 1024) if state.mode == "big" else b"{}"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            if state.mode == "close":
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            if state.mode == "drop":
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def get_request(self) -> Any:
            accepted = super().get_request()
            with state.lock:
                state.accepted += 1
            return accepted

        def handle_error(self, request: Any, client_address: Any) -> None:
            # The client hanging up a connection it will not use again (after a large
            # answer it did not read to the end) is a reset here; not worth a traceback.
            if not isinstance(sys.exc_info()[1], ConnectionResetError):
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), Handler)
    state.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


async def _send_several(receiver: Receiver, tmp_path: Path, count: int) -> list[str]:
    settings = settings_for(tmp_path)
    config = webhook_config({"url": receiver.url(), "secret": SECRET})
    sent = []
    for _ in range(count):
        message = reminder()
        await WebhookTransport().send(message, config, settings)
        sent.append(str(message.delivery_id))
    return sent


async def test_deliveries_to_one_receiver_share_one_connection(
    receiver: Receiver, tmp_path: Path
) -> None:
    sent = await _send_several(receiver, tmp_path, 6)

    assert receiver.keys == sent  # each once, in order
    assert receiver.accepted == 1


async def test_a_receiver_that_says_close_gets_a_connection_per_delivery(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.mode = "close"

    sent = await _send_several(receiver, tmp_path, 4)

    assert receiver.keys == sent
    assert receiver.accepted == 4


async def test_a_large_answer_is_not_read_to_keep_the_connection(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.mode = "big"

    sent = await _send_several(receiver, tmp_path, 3)

    assert receiver.keys == sent
    assert receiver.accepted == 3


async def test_a_kept_connection_the_receiver_closed_is_replaced_without_a_double_send(
    receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receiver drops each connection after answering (an idle timeout). Even when
    the transport cannot tell before sending (here: it is made to trust every kept
    connection), the request that finds the connection closed goes out once on a new
    one: every delivery arrives exactly once."""
    receiver.mode = "drop"
    monkeypatch.setattr(webhook._Connection, "usable", lambda *_: True)

    sent = await _send_several(receiver, tmp_path, 4)

    assert receiver.keys == sent
    assert receiver.accepted == 4


async def test_an_idle_connection_is_not_kept_past_its_time(
    receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _send_several(receiver, tmp_path, 1)
    monkeypatch.setattr(webhook, "KEEP_IDLE_SECONDS", 0.0)

    await _send_several(receiver, tmp_path, 1)

    assert receiver.accepted == 2
