"""Props for the SSRF tests (issue 11): TCP listeners on loopback that count every
connection made to them, and a resolver that maps chosen names to chosen addresses (DNS
rebinding without a DNS server: the name looks harmless when the channel is made and
leads to loopback when the message is sent)."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import pytest

HTTP_METHODS = (b"GET ", b"POST ", b"PUT ", b"PATCH ", b"DELETE ", b"HEAD ", b"OPTIONS ")
# A mail client waits for the server to speak first: a refusal banner ends it at once.
SMTP_REFUSAL = b"554 5.7.1 this is not a mail server\r\n"
# How long a connection may stay silent before the listener gives up on it.
QUIET_SECONDS = 0.5


@dataclass
class Listener:
    """A TCP service on a loopback address. Every connection is counted the moment it
    is accepted; `received` keeps the first bytes each one sent (an HTTP request line
    and headers, a TLS hello, or nothing). HTTP requests get 200 `{}`, or a 307 to
    `redirect_to` when set; with a `banner` the listener says it first and hangs up (a
    service that is not HTTP at all)."""

    host: str
    port: int = 0
    redirect_to: str | None = None
    banner: bytes | None = None
    accepted: int = 0
    received: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def authority(self) -> str:
        return f"{self.host}:{self.port}"

    def summary(self) -> str:
        """What reached the listener, for an assertion message: shows the attack."""
        with self.lock:
            lines = [data.split(b"\r\n", 1)[0][:120] for data in self.received]
        return f"{self.accepted} connection(s) to {self.authority}: {lines!r}"


@contextmanager
def listening(
    host: str = "127.0.0.1", *, redirect_to: str | None = None, banner: bytes | None = None
) -> Iterator[Listener]:
    """Run a `Listener` on `host` (any port) for the length of the block."""
    state = Listener(host=host, redirect_to=redirect_to, banner=banner)

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            connection: socket.socket = self.request
            if state.banner is not None:
                connection.sendall(state.banner)
                with state.lock:
                    state.received.append(b"")
                return
            data = _read_request(connection)
            with state.lock:
                state.received.append(data)
            with suppress(OSError):  # the client may have hung up already
                connection.sendall(_answer(data, state.redirect_to))

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True

        def get_request(self) -> tuple[socket.socket, Any]:
            accepted = super().get_request()
            with state.lock:  # counted on accept, before any handler runs
                state.accepted += 1
            return accepted

    server = Server((host, 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        _count_unaccepted(server.socket, state)
        server.server_close()


def _count_unaccepted(listener: socket.socket, state: Listener) -> None:
    """Count the connections the kernel completed but the server had not yet taken
    when the block ended: "nothing reached the listener" must not miss them."""
    listener.setblocking(False)
    while True:
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        connection.close()
        with state.lock:
            state.accepted += 1


def _read_request(connection: socket.socket) -> bytes:
    connection.settimeout(QUIET_SECONDS)
    data = b""
    try:
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = connection.recv(4096)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = _content_length(head)
        while len(body) < min(length, 65536):
            chunk = connection.recv(4096)
            if not chunk:
                break
            body += chunk
            data += chunk
    except OSError:  # quiet for too long (a mail client, a TLS hello) or reset
        pass
    return data


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return int(value.strip())
    return 0


def _answer(data: bytes, redirect_to: str | None) -> bytes:
    if not data.startswith(HTTP_METHODS):
        return SMTP_REFUSAL if not data else b""
    if redirect_to is not None:
        return (
            b"HTTP/1.1 307 Temporary Redirect\r\nLocation: "
            + redirect_to.encode()
            + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2\r\nConnection: close\r\n\r\n{}"
    )


def fake_dns(monkeypatch: pytest.MonkeyPatch, names: dict[str, str]) -> None:
    """Make `socket.getaddrinfo` answer `names` (name -> IP address) as a DNS server
    would; every other name is resolved as usual."""
    real = socket.getaddrinfo

    def getaddrinfo(
        host: bytes | str | None,
        port: bytes | str | int | None,
        family: int = 0,
        type: int = 0,
        proto: int = 0,
        flags: int = 0,
    ) -> list[tuple[Any, ...]]:
        name = host.decode() if isinstance(host, bytes) else host
        address = names.get((name or "").lower().rstrip("."))
        if address is None:
            return real(host, port, family, type, proto, flags)
        number = int(port.decode() if isinstance(port, bytes) else port or 0)
        if ":" in address:
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, number, 0, 0))]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, number))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@contextmanager
def silent_port() -> Iterator[int]:
    """A loopback port that completes the TCP handshake and then never says a word (to
    the client, like a port behind a firewall that drops what follows)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)  # never accepted: the kernel answers the handshake alone
        yield server.getsockname()[1]


def closed_port() -> int:
    """A loopback port nothing listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
