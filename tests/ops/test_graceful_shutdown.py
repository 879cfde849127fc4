"""Issue 22, graceful shutdown: "SIGTERM finishes in-flight requests and deliveries
within a deadline" (HABITUS_SHUTDOWN_GRACE_SECONDS). Real `habitus serve` and `habitus
worker` processes; on both databases (one process each, so SQLite will do).

The slow request is an honest one: a sign-in to an account with recent failed attempts
waits before it checks the password (auth/throttle.py, `slow_down`), here 2 s.
The slow delivery goes to a webhook receiver that answers after 1.5 s."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from habitus.models import Delivery, DeliveryAttempt
from tests.conftest import TEST_SECRET, AppFactory
from tests.fixtures.live import BIN, habitus_env, live_server
from tests.fixtures.personas import DEFAULT_PASSWORD, Persona
from tests.fixtures.webhook_sink import webhook_sink
from tests.habits.helpers import API, create_habit
from tests.ops.reminders import add_due_reminders

GRACE_SECONDS = 10
SLOW_SIGN_IN_SECONDS = 2.0
SLOW_RECEIVER_SECONDS = 1.5


@pytest.fixture
async def client(make_client: AppFactory) -> httpx.AsyncClient:
    """The app that arranges test (b): it may make a webhook channel on loopback."""
    return await make_client(allow_private_targets=True)


async def test_serve_finishes_the_request_in_flight_and_refuses_new_ones(
    database_url: str, tmp_path: Path
) -> None:
    """Issue 22 (a): SIGTERM while a request is in flight: new connections are refused at
    once, the request still gets its normal answer, and the process ends within the
    grace, after a clean shutdown."""
    env = habitus_env(
        database_url,
        tmp_path,
        HABITUS_SECRET_KEY=TEST_SECRET,
        HABITUS_AUTO_MIGRATE="false",
        HABITUS_RUN_WORKER="false",
        # After the first failure each attempt on the account waits, doubling: the
        # fifth waits min(0.25 * 2**3, 2) = 2 s (auth/throttle.py).
        HABITUS_LOGIN_SLOWDOWN_AFTER="1/hour",
        HABITUS_LOGIN_SLOWDOWN_MAX_SECONDS=str(SLOW_SIGN_IN_SECONDS),
        HABITUS_SHUTDOWN_GRACE_SECONDS=str(GRACE_SECONDS),
    )
    email = f"slow-{uuid.uuid4().hex[:8]}@example.org"
    with live_server(env, tmp_path) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            registered = await http.post(
                f"{API}/auth/register", json={"email": email, "password": DEFAULT_PASSWORD}
            )
            assert registered.status_code == 201, registered.text
            for _ in range(4):
                wrong = await http.post(
                    f"{API}/auth/login", json={"email": email, "password": "not the password"}
                )
                assert wrong.status_code == 401, wrong.text
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as slow_client:
            slow = asyncio.create_task(
                slow_client.post(
                    f"{API}/auth/login", json={"email": email, "password": DEFAULT_PASSWORD}
                )
            )
            await asyncio.sleep(0.5)
            assert not slow.done(), "the sign-in was not slow: nothing was in flight"
            server.process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            await asyncio.sleep(0.3)
            # A new connection (a new client: nothing kept alive) is refused at once ...
            async with httpx.AsyncClient(base_url=server.base_url, timeout=5) as late:
                with pytest.raises(httpx.ConnectError):
                    await late.get("/healthz")
            # ... while the request already in flight still runs, and then gets its answer.
            assert not slow.done()
            answer = await slow
        assert answer.status_code == 200, answer.text
        assert answer.json()["token_type"] == "bearer"
        code = await asyncio.to_thread(server.process.wait, GRACE_SECONDS + 5)
        stopped_after = time.monotonic() - signalled
        log = server.log()
    # uvicorn shuts down, then raises the signal it caught again so that a process
    # manager sees how the process ended: "killed by SIGTERM" after a clean shutdown.
    assert code == -signal.SIGTERM, log
    assert "Application shutdown complete" in log, log
    assert stopped_after < GRACE_SECONDS
    print(f"\nserve SIGTERM: in-flight sign-in answered 200, exit after {stopped_after:.2f} s")


async def test_worker_finishes_the_delivery_in_flight_and_records_it(
    client: httpx.AsyncClient,
    alice: Persona,
    engine: AsyncEngine,
    db_session: AsyncSession,
    database_url: str,
    tmp_path: Path,
) -> None:
    """Issue 22 (b): SIGTERM while a delivery waits for a slow receiver: the worker waits
    for the answer, records the delivery as sent (so no other worker sends it again once
    the claim's lease runs out) and exits 0 within the grace. Before issue 22 SIGTERM
    ended the process at once, leaving the claim `sending`."""
    with webhook_sink(delay=SLOW_RECEIVER_SECONDS) as sink:
        habit = await create_habit(client, alice)
        channel = await client.post(
            f"{API}/channels",
            json={"type": "webhook", "name": "Slow", "config": {"url": sink.url}},
            headers={**alice.headers, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert channel.status_code == 201, channel.text
        await add_due_reminders(
            engine, alice.id, uuid.UUID(habit["id"]), [datetime.now(UTC) - timedelta(seconds=1)]
        )
        env = habitus_env(
            database_url,
            tmp_path,
            HABITUS_SECRET_KEY=TEST_SECRET,
            HABITUS_ALLOW_PRIVATE_TARGETS="true",
            HABITUS_AUTO_MIGRATE="false",
            HABITUS_WORKER_POLL_SECONDS="0.2",
            HABITUS_SHUTDOWN_GRACE_SECONDS=str(GRACE_SECONDS),
        )
        log_path = tmp_path / "worker.log"
        worker = start_worker(env, log_path)
        try:
            arrived = await asyncio.to_thread(sink.arrived.wait, 30)
            assert arrived, log_path.read_text(errors="replace")
            worker.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            code = await asyncio.to_thread(worker.wait, GRACE_SECONDS + 5)
            stopped_after = time.monotonic() - signalled
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        answered = sink.answered
    text = log_path.read_text(errors="replace")
    assert code == 0, text
    assert stopped_after < GRACE_SECONDS, text
    assert answered == 1
    deliveries = list(await db_session.scalars(select(Delivery)))
    assert [(row.state, row.attempts) for row in deliveries] == [("sent", 1)], text
    assert sink.keys == [str(deliveries[0].id)]
    attempts = list(await db_session.scalars(select(DeliveryAttempt)))
    assert [row.status for row in attempts] == ["sent"]
    print(f"\nworker SIGTERM: delivery in flight recorded sent, exit after {stopped_after:.2f} s")


def start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [str(BIN / "habitus"), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
