"""The connect-time SSRF guard (`reminders.outbound`, issue 11 item 1): the paths it
claims to cover, checked against real listeners on loopback, and the one it does not
(uvloop), which is why the webhook keeps connecting only to addresses it vetted."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import http.client
import ipaddress
import smtplib
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import apprise
import pytest
import requests
import uvloop

from habitus.config import Settings
from habitus.reminders import targets
from habitus.reminders.channel_types import CHANNEL_TYPES
from habitus.reminders.outbound import Guard, RefusedConnection
from habitus.reminders.transports import webhook
from habitus.reminders.transports.base import Message, PermanentFailure
from tests.reminders.loopback import fake_dns, listening

# Transports take their type's config model: a kept config is parsed as the dispatcher does.
webhook_config = CHANNEL_TYPES["webhook"].stored

REBOUND = "hooks.rebind.test"


def _connect_raw(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def _connect_http(port: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("POST", "/admin/delete-everything", body=b'{"cmd":"rm"}')
    finally:
        connection.close()


def _connect_smtp(port: int) -> None:
    # What mailto://...?smtp=127.0.0.1 made Apprise do: a host from the query string.
    smtplib.SMTP("127.0.0.1", port, timeout=2).close()


def _connect_requests(port: int) -> None:
    requests.post(f"http://localhost:{port}/admin", timeout=2)


def _send_udp(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(b"<14>hello", ("127.0.0.1", port))


CLIENTS: dict[str, Callable[[int], None]] = {
    "socket": _connect_raw,
    "http.client": _connect_http,
    "smtplib": _connect_smtp,
    "requests": _connect_requests,
    "udp": _send_udp,
}


@pytest.mark.parametrize("client", CLIENTS)
async def test_a_guarded_thread_reaches_no_loopback_address(client: str) -> None:
    """Issue 11 item 1: under the guard every client library's connection to loopback
    is refused when it is made (whatever named the host: a URL, a query string, a name
    that resolves there), and nothing reaches the listener; the refusal says why."""
    connect = CLIENTS[client]
    guard = Guard(allow_private=False)
    with listening() as listener, pytest.raises(OSError, match="SSRF guard"):
        await guard.run_in_thread(functools.partial(connect, listener.port))

    assert listener.accepted == 0, listener.summary()
    assert guard.refusals[0].why == "a loopback address"
    assert guard.reason("the target") == (
        "the target led to a loopback address; only public addresses are allowed"
    )


async def test_code_outside_the_guard_is_not_judged() -> None:
    """Issue 11 item 1: the guard judges only sends to a user's target; the database,
    Redis and the operator's SMTP server, on loopback too, connect as before, even at
    the same moment as a guarded send."""
    guard = Guard(allow_private=False)
    with listening() as listener:
        unguarded = asyncio.create_task(asyncio.to_thread(_connect_raw, listener.port))
        with pytest.raises(RefusedConnection):
            await guard.run_in_thread(functools.partial(_connect_raw, listener.port))
        await unguarded
        _connect_raw(listener.port)

    assert listener.accepted == 2


async def test_private_targets_allowed_let_loopback_through() -> None:
    """API.md: with HABITUS_ALLOW_PRIVATE_TARGETS=true a home server reaches its own
    network through the same guard."""
    guard = Guard(allow_private=True)
    with listening() as listener:
        await guard.run_in_thread(functools.partial(_connect_http, listener.port))

    assert listener.accepted == 1
    assert guard.refusals == []


async def test_a_name_handed_straight_to_connect_is_refused() -> None:
    """Issue 11 item 1: connect() given a name resolves it in C, and the hook is shown
    only the name, not the address it will use: a name is refused there, whatever it
    resolves to (client libraries resolve first and connect to the address)."""
    guard = Guard(allow_private=False)

    def connect_by_name(port: int) -> None:
        with socket.socket() as sock:
            sock.settimeout(2)
            sock.connect(("localhost", port))

    with listening() as listener, pytest.raises(RefusedConnection):
        await guard.run_in_thread(functools.partial(connect_by_name, listener.port))

    assert listener.accepted == 0
    assert guard.refusals[0].why == "an unresolved host name"


async def test_work_handed_on_with_a_copy_of_the_context_is_guarded_a_bare_thread_not() -> None:
    """The guard follows work into threads that start with a copy of the context (what
    asyncio.to_thread and Apprise's executors do); a bare threading.Thread starts with
    an empty context and is not guarded: the documented limit, which is why Apprise is
    limited to services that send from those threads."""
    guard = Guard(allow_private=False)
    outcomes: dict[str, str] = {}

    def attempt(name: str, port: int) -> None:
        try:
            _connect_raw(port)
        except RefusedConnection:
            outcomes[name] = "refused"
        else:
            outcomes[name] = "connected"

    def hand_on(port: int) -> None:
        with ThreadPoolExecutor(1) as pool:
            context = contextvars.copy_context()
            pool.submit(context.run, attempt, "executor with context", port).result()
        bare = threading.Thread(target=attempt, args=("bare thread", port))
        bare.start()
        bare.join()

    with listening() as listener:
        await guard.run_in_thread(functools.partial(hand_on, listener.port))

    assert outcomes == {"executor with context": "refused", "bare thread": "connected"}
    assert listener.accepted == 1


async def test_apprise_sends_from_its_own_threads_and_the_guard_follows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 11 item 1: Apprise 2.2 sends a service with a timeout from its own executor
    (apprise.py `submit_with_context`), not from the thread that called notify(); the
    guard still refuses the connection there (DNS rebinding to loopback)."""
    fake_dns(monkeypatch, {REBOUND: "127.0.0.1"})
    guard = Guard(allow_private=False)
    caller: list[str] = []
    with listening() as listener:
        notifier = apprise.Apprise()
        assert notifier.add(f"ntfy://{REBOUND}:{listener.port}/reminders")

        def notify() -> bool:
            caller.append(threading.current_thread().name)
            return bool(notifier.notify(body="hello", title="t", timeout=5))

        delivered = await guard.run_in_thread(notify)

    assert delivered is False
    assert listener.accepted == 0, listener.summary()
    assert guard.refusals, "Apprise connected without the guard seeing it"
    assert all(refusal.thread != caller[0] for refusal in guard.refusals)


async def test_asyncio_default_loop_connections_are_guarded() -> None:
    """Under asyncio's own loop (`habitus worker`, the tests) a connection made by a
    coroutine under `Guard.armed()` is judged too; a task started outside is not."""
    guard = Guard(allow_private=False)
    with listening() as listener:
        outside = asyncio.create_task(asyncio.open_connection("127.0.0.1", listener.port))
        with guard.armed(), pytest.raises(OSError, match="SSRF guard"):
            await asyncio.open_connection("127.0.0.1", listener.port)
        _, writer = await outside
        writer.close()

    assert listener.accepted == 1
    assert len(guard.refusals) == 1


def test_uvloop_connections_are_not_seen() -> None:
    """The guard's limit: uvloop (the loop of `habitus serve`) connects in C, past
    Python's audit hooks. So the webhook transport, on async httpx, must keep pinning
    the addresses it resolved and vetted (test_transport_webhook, test_targets)."""
    guard = Guard(allow_private=False)

    async def connect(port: int) -> None:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()

    def run(port: int) -> None:
        with guard.armed():
            uvloop.run(connect(port))

    with listening() as listener:
        worker = threading.Thread(target=run, args=(listener.port,))
        worker.start()
        worker.join()

    assert listener.accepted == 1
    assert guard.refusals == []


async def test_a_webhook_that_lost_its_own_check_is_still_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defence in depth: were the webhook's own resolve-and-vet step to let loopback
    through, the guard (asyncio's loop, as in `habitus worker`) refuses the connection
    and the failure is permanent; the listener sees nothing."""

    async def unchecked(url: str, *, allow_private: bool) -> list[targets.IPAddress]:
        return [ipaddress.ip_address("127.0.0.1")]

    monkeypatch.setattr(webhook, "resolve_and_check", unchecked)
    settings = Settings(
        environment="test",
        database_url="sqlite+aiosqlite:///:memory:",
        data_dir=tmp_path,
        secret_key="x" * 48,
        allow_private_targets=False,
        webhook_timeout_seconds=2,
    )
    message = Message(
        delivery_id=uuid.uuid4(),
        event="test",
        user_id=uuid.uuid4(),
        title="t",
        body="b",
        sent_at=datetime(2026, 11, 21, tzinfo=UTC),
    )
    config: dict[str, Any]
    with listening() as listener:
        config = {"url": f"http://hooks.example.com:{listener.port}/", "secret": "s" * 32}
        with pytest.raises(PermanentFailure) as refused:
            await webhook.WebhookTransport().send(message, webhook_config(config), settings)

    assert listener.accepted == 0, listener.summary()
    assert refused.value.reason.startswith("the webhook URL led to a loopback address")
