"""A webhook receiver on loopback for the deployment tests (issue 22): records every
request's Idempotency-Key (the delivery id, API.md) and answers 200, after `delay`
seconds when one is set (a slow receiver keeps a delivery in flight)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class WebhookSink:
    url: str = ""
    delay: float = 0.0
    keys: list[str] = field(default_factory=list)
    # Requests whose Idempotency-Key is not the body's delivery_id (API.md: they match).
    mismatched: list[str] = field(default_factory=list)
    # Set when a request has arrived (before the answer, which may be delayed).
    arrived: threading.Event = field(default_factory=threading.Event)
    # Keys of the requests arrived and not yet answered.
    in_flight: set[str] = field(default_factory=set)
    answered: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        with self.lock:
            return len(self.keys)

    def received(self) -> set[str]:
        with self.lock:
            return set(self.keys)

    def waiting(self) -> set[str]:
        """Keys of requests arrived and not answered yet."""
        with self.lock:
            return set(self.in_flight)


@contextmanager
def webhook_sink(delay: float = 0.0) -> Iterator[WebhookSink]:
    state = WebhookSink(delay=delay)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            key = self.headers.get("Idempotency-Key", "")
            with state.lock:
                state.keys.append(key)
                state.in_flight.add(key)
                if json.loads(body).get("delivery_id") != key:
                    state.mismatched.append(key)
            state.arrived.set()
            time.sleep(state.delay)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            with state.lock:
                state.answered += 1
                state.in_flight.discard(key)

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 128  # the default 5 drops connections: 1 s SYN retries

    server = Server(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
