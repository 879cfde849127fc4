"""Issue 22: the webhook transport sends on asyncio's streams (no httpx client); over
https it must still check the receiver's certificate for the URL's name (SNI), while it
connects to the vetted address. A receiver on loopback with a certificate for
`hook.test`, trusted through a test CA: the right name is delivered, another name on
the same address is refused, and an untrusted certificate is refused."""

from __future__ import annotations

import ipaddress
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from habitus.config import Settings
from habitus.reminders.transports import webhook
from habitus.reminders.transports.base import TemporaryFailure
from tests.reminders.test_transport_email import self_signed_certificate
from tests.reminders.test_transport_webhook import settings_for

LOOPBACK = [ipaddress.ip_address("127.0.0.1")]


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[tuple[int, Path, list[str]]]:
    """(port, the certificate to trust, the Host headers received)."""
    cert_path, key_path = self_signed_certificate(tmp_path, "hook.test")
    hosts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            hosts.append(self.headers.get("Host", ""))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], cert_path, hosts
    server.shutdown()
    server.server_close()


def _settings(tmp_path: Path) -> Settings:
    return settings_for(tmp_path, webhook_timeout_seconds=3)


async def test_https_checks_the_certificate_for_the_urls_name_at_the_vetted_address(
    tls_receiver: tuple[int, Path, list[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, cert_path, hosts = tls_receiver
    trusting = ssl.create_default_context(cafile=str(cert_path))
    monkeypatch.setattr(webhook, "_tls_context", lambda: trusting)
    settings = _settings(tmp_path)

    status = await webhook._post_to_vetted_address(
        f"https://hook.test:{port}/hook?x=1", LOOPBACK, {"X-Test": "1"}, b"{}", settings
    )
    assert status == 204
    assert hosts == [f"hook.test:{port}"]

    # Same address, another name: the certificate does not name it.
    with pytest.raises(TemporaryFailure, match="certificate"):
        await webhook._post_to_vetted_address(
            f"https://other.test:{port}/hook", LOOPBACK, {}, b"{}", settings
        )
    assert len(hosts) == 1


async def test_https_refuses_a_certificate_nobody_vouches_for(
    tls_receiver: tuple[int, Path, list[str]], tmp_path: Path
) -> None:
    port, _, hosts = tls_receiver  # the real CA bundle does not trust the test's certificate
    with pytest.raises(TemporaryFailure, match="certificate"):
        await webhook._post_to_vetted_address(
            f"https://hook.test:{port}/hook", LOOPBACK, {}, b"{}", _settings(tmp_path)
        )
    assert hosts == []
