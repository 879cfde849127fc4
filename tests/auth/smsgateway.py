"""A loopback SMS gateway for the verification tests (issue 20): a tiny HTTP server that
keeps every JSON post. The app reaches it through Apprise's json:// service, the URL
naming the recipient in the payload (`:to={phone}`), as an operator would point
HABITUS_SMS_URL at a gateway's HTTP API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class SmsGateway:
    port: int = 0
    posts: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def settings(self) -> dict[str, Any]:
        """Setting overrides that send the app's text messages here."""
        return {"sms_url": f"json://127.0.0.1:{self.port}/sms?:to={{phone}}"}

    def texts_to(self, phone: str) -> list[str]:
        with self.lock:
            return [post["message"] for post in self.posts if post.get("to") == phone]


@contextmanager
def running_sms_gateway() -> Iterator[SmsGateway]:
    gateway = SmsGateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            with gateway.lock:
                gateway.posts.append(body)
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gateway.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
