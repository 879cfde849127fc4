"""A local server that speaks Stripe's Checkout Session create endpoint
(`POST /v1/checkout/sessions`, a form-encoded body, a JSON `checkout.session` answer), so
the billing code's call to the real `stripe` client is tested offline: every request is
recorded (path, headers, the form fields as Stripe's bracket notation sends them) and a
test may script a failure (a status and Stripe's error body)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class FakeStripe:
    server: ThreadingHTTPServer
    requests: list[Recorded] = field(default_factory=list)
    fail_with: int | None = None
    counter: int = 0

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def reset(self) -> None:
        self.requests.clear()
        self.fail_with = None

    @classmethod
    def start(cls) -> FakeStripe:
        fake: FakeStripe

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length).decode()
                fake.requests.append(
                    Recorded(
                        "POST",
                        self.path,
                        {key.lower(): value for key, value in self.headers.items()},
                        dict(parse_qsl(raw, keep_blank_values=True)),
                    )
                )
                if fake.fail_with is not None:
                    body = {"error": {"type": "api_error", "message": "Something went wrong."}}
                    self._answer(fake.fail_with, body)
                    return
                if self.path != "/v1/checkout/sessions":
                    body = {"error": {"type": "invalid_request_error", "message": "No route."}}
                    self._answer(404, body)
                    return
                fake.counter += 1
                session_id = f"cs_test_{fake.counter:04d}"
                form = fake.requests[-1].form
                self._answer(
                    200,
                    {
                        "id": session_id,
                        "object": "checkout.session",
                        "mode": form.get("mode"),
                        "client_reference_id": form.get("client_reference_id"),
                        "customer": form.get("customer"),
                        "customer_email": form.get("customer_email"),
                        "status": "open",
                        "payment_status": "unpaid",
                        "success_url": form.get("success_url"),
                        "cancel_url": form.get("cancel_url"),
                        "url": f"https://checkout.stripe.com/c/pay/{session_id}",
                        "livemode": False,
                    },
                )

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", "req_fake")
                self.end_headers()
                self.wfile.write(data)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        fake = cls(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return fake

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
