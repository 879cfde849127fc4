"""Issue 22, the deployment test: two `habitus serve` processes (HABITUS_RUN_WORKER=false)
and two `habitus worker` processes on one PostgreSQL database and one Redis, behind a
round-robin proxy on loopback (tests/ops/proxy.py), under a bounded load of mixed
traffic: sign-ins, check-ins (Idempotency-Key, retried), reads, chat messages
(client_id, retried) and reminders falling due, delivered to a webhook receiver. Mid-run
one web process and one worker are killed with SIGKILL and started again.

What must hold:
- no 5xx at all: a killed process gives its clients connection errors, which are
  counted; only requests a real client may repeat (GETs, POSTs with an Idempotency-Key)
  are retried;
- every acknowledged check-in is in the database exactly once, and nothing else is;
  every acknowledged chat message is stored once;
- every reminder due in the run fires once (one occurrence, one delivery) and reaches
  the receiver. Delivery is at least once (NOTIFICATIONS.md: receivers dedupe by
  Idempotency-Key): the worker is killed while the receiver holds one of its requests,
  so that delivery, sent and not recorded, is sent again by another worker once its
  lease runs out and arrives twice; nothing else arrives twice;
- a rate limit is shared: the sign-in failure limit is hit at its count through both
  processes, not at twice it;
- a session made on one process works on the other (a bearer token, a refreshed one,
  a browser cookie), the restarted one included.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from cryptography.fernet import Fernet
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from habitus.models import (
    Delivery,
    Entry,
    Friendship,
    IdempotencyKey,
    Message,
    ReminderOccurrence,
)
from habitus.reminders.firing import REMINDER_SOURCE
from tests.conftest import REDIS_URL, TEST_SECRET
from tests.fixtures.database import backend, in_ci
from tests.fixtures.live import BIN, free_port, habitus_env
from tests.fixtures.personas import DEFAULT_PASSWORD
from tests.fixtures.web import CSRF_COOKIE, SESSION_COOKIE, form_csrf_token
from tests.fixtures.webhook_sink import WebhookSink, webhook_sink
from tests.ops.proxy import Backend, RoundRobinProxy
from tests.ops.reminders import add_due_reminders

pytestmark = [
    pytest.mark.skipif(
        backend() != "postgresql",
        reason="several processes share a PostgreSQL database and Redis",
    ),
    pytest.mark.slow,
]

API = "/api/v1"
USERS = 6
LOOPS_PER_USER = 2  # two clients per user at once: check-ins race on one habit's day
LOAD_SECONDS = 10.0  # at least; the load goes on until the restarted web process served
KILL_AFTER_SECONDS = 3.0
REMINDERS = 20
RECEIVER_DELAY = 0.3  # a delivery is in flight for this long: a worker is often mid-send
LEASE_SECONDS = 3  # a killed worker's claims are taken over within the test
LOGIN_FAILURES_ALLOWED = 3
START_TIMEOUT = 150  # process start-up is mostly imports: slow on a loaded machine
RETRIES = 40


# --- processes -------------------------------------------------------------------------


@dataclass
class Processes:
    env: dict[str, str]
    workdir: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def serve(self, port: int) -> subprocess.Popen[bytes]:
        env = {**self.env, "HABITUS_RUN_WORKER": "false"}
        return self._start(
            ["serve", "--host", "127.0.0.1", "--port", str(port)], env, f"serve-{port}"
        )

    def worker(self, name: str) -> subprocess.Popen[bytes]:
        return self._start(["worker"], self.env, name)

    def _start(self, args: list[str], env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
        log = self.workdir / f"{name}-{len(self.started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(BIN / "habitus"), *args], env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self.started.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.workdir.glob("*.log"))
        )

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
        for process in self.started:
            process.wait(timeout=10)


async def wait_listening(
    port: int, process: subprocess.Popen[bytes], logs: Callable[[], str]
) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(timeout=2) as http:
        while True:
            assert process.poll() is None, f"a process on {port} exited:\n{logs()}"
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return
            assert time.monotonic() < deadline, f"nothing listens on {port}:\n{logs()}"
            await asyncio.sleep(0.1)


# --- the load's client -----------------------------------------------------------------


@dataclass
class Tally:
    """What the load's clients saw."""

    requests: int = 0
    connection_errors: int = 0
    retried: int = 0
    # Connection errors on requests a client may not repeat (a sign-in): given up.
    given_up: int = 0
    in_flight_conflicts: int = 0
    # Retries answered with the first attempt's stored answer (its process had written
    # it and then the connection broke).
    replayed: int = 0
    server_errors: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)


@dataclass
class Person:
    id: uuid.UUID
    email: str
    token: str
    habit_id: str = ""
    conversation_id: str = ""
    checkins: list[str] = field(default_factory=list)  # acknowledged Idempotency-Keys
    messages: list[str] = field(default_factory=list)  # acknowledged client_ids


async def call(
    http: httpx.AsyncClient,
    tally: Tally,
    method: str,
    url: str,
    *,
    repeatable: bool,
    **kwargs: Any,
) -> httpx.Response | None:
    """One request as a careful client makes it: a connection error or a 5xx is tried
    again only when the request may be repeated (a GET, or a POST with an
    Idempotency-Key); a 409 "key still in flight" is tried again a moment later (API.md).
    None: a connection error on a request that may not be repeated."""
    for attempt in range(RETRIES):
        tally.requests += 1
        try:
            response = await http.request(method, url, **kwargs)
        except httpx.TransportError:
            tally.connection_errors += 1
            if not repeatable:
                tally.given_up += 1
                return None
            tally.retried += 1
            await asyncio.sleep(0.02 * (attempt + 1))
            continue
        if response.status_code >= 500:
            tally.server_errors.append(
                f"{method} {url} {response.status_code} {response.text[:300]}"
            )
            if not repeatable:
                return response
            await asyncio.sleep(0.02 * (attempt + 1))
            continue
        if response.status_code == 409 and repeatable and "in-flight" in response.text:
            tally.in_flight_conflicts += 1
            await asyncio.sleep(0.05 * (attempt + 1))
            continue
        if response.headers.get("Idempotent-Replayed") == "true":
            tally.replayed += 1
        return response
    raise AssertionError(f"{method} {url}: no answer after {RETRIES} tries")


def bearer(person: Person, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {person.token}", **more}


async def check_in(http: httpx.AsyncClient, tally: Tally, person: Person) -> None:
    key = uuid.uuid4().hex
    response = await call(
        http,
        tally,
        "POST",
        f"{API}/habits/{person.habit_id}/checkins",
        repeatable=True,
        json={"value": 1},
        headers=bearer(person, **{"Idempotency-Key": key}),
    )
    assert response is not None
    if response.status_code == 201:
        person.checkins.append(key)
    else:
        tally.unexpected.append(f"check-in {response.status_code} {response.text[:200]}")


async def send_message(http: httpx.AsyncClient, tally: Tally, person: Person) -> None:
    client_id = uuid.uuid4().hex
    response = await call(
        http,
        tally,
        "POST",
        f"{API}/conversations/{person.conversation_id}/messages",
        repeatable=True,
        json={"body": f"message {client_id}", "client_id": client_id},
        headers=bearer(person, **{"Idempotency-Key": client_id}),
    )
    assert response is not None
    if response.status_code in (200, 201):
        person.messages.append(client_id)
    else:
        tally.unexpected.append(f"message {response.status_code} {response.text[:200]}")


async def read(http: httpx.AsyncClient, tally: Tally, person: Person) -> None:
    path = random.choice(
        [f"{API}/today", f"{API}/habits/{person.habit_id}", f"{API}/conversations", f"{API}/me"]
    )
    response = await call(http, tally, "GET", path, repeatable=True, headers=bearer(person))
    assert response is not None
    if response.status_code != 200:
        tally.unexpected.append(f"GET {path} {response.status_code} {response.text[:200]}")


async def sign_in(http: httpx.AsyncClient, tally: Tally, person: Person) -> None:
    """A sign-in carries no Idempotency-Key: a connection error is not retried."""
    response = await call(
        http,
        tally,
        "POST",
        f"{API}/auth/login",
        repeatable=False,
        json={"email": person.email, "password": DEFAULT_PASSWORD},
    )
    if response is not None and response.status_code != 200:
        tally.unexpected.append(f"sign-in {response.status_code} {response.text[:200]}")


ACTIONS: list[Callable[[httpx.AsyncClient, Tally, Person], Awaitable[None]]] = [
    check_in,
    check_in,
    check_in,
    read,
    read,
    read,
    send_message,
    send_message,
    sign_in,
]


async def load_loop(base_url: str, tally: Tally, person: Person, until: Callable[[], bool]) -> None:
    # No keep-alive: every request is a new connection, so the proxy spreads them all.
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as http:
        while not until():
            await random.choice(ACTIONS)(http, tally, person)


# --- the test --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bytecode_cache(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Six process start-ups, each mostly imports: with bytecode caching off
    (PYTHONDONTWRITEBYTECODE, as on the shared development machine) each compiled every
    module again, ~7 s of CPU. A cache outside the checkout, filled once first, makes
    that ~3 s."""
    cache = tmp_path_factory.mktemp("pycache")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    subprocess.run(
        [str(BIN / "python"), "-c", "import habitus.cli, habitus.main, uvicorn.main"],
        env=env,
        check=True,
        timeout=START_TIMEOUT,
    )
    return {"PYTHONPYCACHEPREFIX": str(cache)}


@pytest.fixture
async def redis_reachable() -> None:
    """The test is about Redis shared between processes: a skip on a laptop without
    it, a failure in CI."""
    client = aioredis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        await client.ping()
    except (OSError, RedisError) as error:
        message = f"Redis is not reachable at {REDIS_URL}: {error}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    finally:
        await client.aclose()


@pytest.fixture
async def sink() -> AsyncIterator[WebhookSink]:
    with webhook_sink(delay=RECEIVER_DELAY) as receiver:
        yield receiver


async def test_two_web_and_two_worker_processes_survive_kill_9_under_load(
    database_url: str,
    engine: AsyncEngine,
    tmp_path: Path,
    sink: WebhookSink,
    bytecode_cache: dict[str, str],
    redis_reachable: None,
) -> None:
    began = time.monotonic()
    prefix = f"habitus-test:{uuid.uuid4().hex}:"
    env = habitus_env(
        database_url,
        tmp_path,
        HABITUS_SECRET_KEY=TEST_SECRET,
        # Every process must read what another wrote: the same keys.
        HABITUS_CHAT_KEYS=Fernet.generate_key().decode(),
        HABITUS_AUTO_MIGRATE="false",  # the session's database is migrated once
        HABITUS_REDIS_URL=REDIS_URL,
        HABITUS_REDIS_PREFIX=prefix,
        HABITUS_LOG_LEVEL="WARNING",
        HABITUS_ALLOW_PRIVATE_TARGETS="true",
        # Every request comes from the proxy's address: the per-address limits are not
        # what this test is about; the sign-in failure limit is (checked below).
        HABITUS_RATE_LIMIT_IP="100000/minute",
        HABITUS_REGISTRATIONS_PER_IP="100000/minute",
        HABITUS_LOGIN_FAILURES_PER_IP="100000/minute",
        HABITUS_LOGIN_FAILURES_PER_ACCOUNT=f"{LOGIN_FAILURES_ALLOWED}/hour",
        HABITUS_CHAT_RATE="100000/minute",
        HABITUS_WORKER_POLL_SECONDS="0.2",
        HABITUS_DELIVERY_BACKOFF_SECONDS="0",
        HABITUS_DELIVERY_LEASE_SECONDS=str(LEASE_SECONDS),
        HABITUS_DELIVERY_CONCURRENCY="8",
        **bytecode_cache,
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    ports = [free_port(), free_port()]
    processes = Processes(env, tmp_path)
    proxy = RoundRobinProxy([Backend(port) for port in ports])
    tally = Tally()
    try:
        # Everything starts at once (start-up is mostly imports).
        serves = [processes.serve(port) for port in ports]
        workers = [processes.worker("worker-a"), processes.worker("worker-b")]
        await asyncio.gather(
            *(
                wait_listening(port, serve, processes.logs)
                for port, serve in zip(ports, serves, strict=True)
            )
        )
        await proxy.start()
        started = time.monotonic() - began

        # Arrange, through the proxy: accounts, habits, a webhook channel, chats.
        async with httpx.AsyncClient(base_url=proxy.url, timeout=30) as http:
            people = await asyncio.gather(*(make_person(http, number) for number in range(USERS)))
            limited = await make_person(http, USERS, with_habit=False)
            await befriend_in_pairs(engine, people)
            await asyncio.gather(
                *(open_conversation(http, one, other) for one, other in pairs(people))
            )
            channel = await http.post(
                f"{API}/channels",
                json={"type": "webhook", "name": "Receiver", "config": {"url": sink.url}},
                headers=bearer(people[0], **{"Idempotency-Key": uuid.uuid4().hex}),
            )
            assert channel.status_code == 201, channel.text
        load_start = datetime.now(UTC)
        due = [
            load_start + timedelta(seconds=0.5 + number * (LOAD_SECONDS - 2) / REMINDERS)
            for number in range(REMINDERS)
        ]
        await add_due_reminders(engine, people[0].id, uuid.UUID(people[0].habit_id), due)

        # The load, and the kills mid-run.
        restarted: dict[str, Any] = {}

        def load_done() -> bool:
            served = restarted.get("served_from")
            return (
                time.monotonic() - load_began >= LOAD_SECONDS
                and served is not None
                and proxy.routed[served:].count(ports[0]) >= 5
            ) or time.monotonic() - load_began > LOAD_SECONDS + START_TIMEOUT

        load_began = time.monotonic()
        loops = [
            asyncio.create_task(load_loop(proxy.url, tally, person, load_done))
            for person in people
            for _ in range(LOOPS_PER_USER)
        ]
        await asyncio.sleep(KILL_AFTER_SECONDS)
        victim = await worker_mid_send(engine, workers, sink)
        os.kill(serves[0].pid, signal.SIGKILL)
        os.kill(victim.pid, signal.SIGKILL)
        killed_at = time.monotonic() - load_began
        serves[0].wait(timeout=10)
        victim.wait(timeout=10)
        # The killed worker's open claims: those it may have sent without recording; and
        # of those, the ones the receiver has had: sent for sure, and not recorded.
        claimed_by_victim = await open_claims_of(engine, victim.pid)
        sent_unrecorded = claimed_by_victim & sink.received()
        serves[0] = processes.serve(ports[0])
        workers[workers.index(victim)] = processes.worker("worker-restarted")
        await wait_listening(ports[0], serves[0], processes.logs)
        restarted["served_from"] = len(proxy.routed)
        restart_took = time.monotonic() - load_began - killed_at
        await asyncio.gather(*loops)
        load_took = time.monotonic() - load_began

        # A shared rate limit: the sign-in failure limit, counted in Redis, is reached at
        # its count across both processes (each process alone would allow it once more
        # per process).
        assert all(item.up for item in proxy.backends)
        routed_before = len(proxy.routed)
        limits = httpx.Limits(max_keepalive_connections=0)  # a connection per request
        async with httpx.AsyncClient(base_url=proxy.url, timeout=30, limits=limits) as http:
            statuses = []
            for _ in range(LOGIN_FAILURES_ALLOWED * 2):
                wrong = await http.post(
                    f"{API}/auth/login",
                    json={"email": limited.email, "password": "not the password"},
                )
                statuses.append(wrong.status_code)
        assert set(proxy.routed[routed_before:]) == set(ports), "not spread over both"
        assert statuses == [401] * LOGIN_FAILURES_ALLOWED + [429] * LOGIN_FAILURES_ALLOWED

        # Sessions made on one process work on the other, the restarted one included.
        await sessions_cross_processes(ports, people[1])

        # Every reminder due in the run fired once and was delivered.
        await all_delivered(engine, processes)
        for process in [*serves, *workers]:
            assert process.poll() is None, processes.logs()
    finally:
        await proxy.close()
        processes.stop_all()

    # Nothing answered 5xx; the kill cost connection errors only.
    assert tally.server_errors == [], tally.server_errors
    assert tally.unexpected == [], tally.unexpected
    assert tally.connection_errors > 0, "the kill cost nothing: was it mid-run?"

    # Check-ins: each acknowledged one counted once (every check-in adds 1 to the day's
    # value), none the clients did not make; every key the clients saw acknowledged is
    # stored, and no other check-in key.
    async with async_sessionmaker(engine)() as session:
        for person in people:
            values = (
                await session.execute(
                    select(func.count(), func.sum(Entry.value)).where(
                        Entry.habit_id == uuid.UUID(person.habit_id)
                    )
                )
            ).one()
            assert values[1] == len(person.checkins), (person.email, values)
            assert len(set(person.checkins)) == len(person.checkins)
            keys = set(
                await session.scalars(
                    select(IdempotencyKey.key).where(IdempotencyKey.user_id == person.id)
                )
            )
            assert set(person.checkins) <= keys
            assert set(person.messages) <= keys
        # Chat: each acknowledged message stored once; nothing else from the senders.
        for person in people:
            stored = Counter(
                await session.scalars(
                    select(Message.client_id).where(Message.sender_id == person.id)
                )
            )
            assert stored == Counter(person.messages), person.email

        # Reminders: one occurrence and one delivery per reminder.
        occurrences = list(await session.scalars(select(ReminderOccurrence)))
        deliveries = list(await session.scalars(select(Delivery)))
    assert len(occurrences) == len({row.reminder_id for row in occurrences}) == REMINDERS
    assert {row.outcome for row in occurrences} == {"sent"}
    reminder_deliveries = [row for row in deliveries if row.source_key.startswith(REMINDER_SOURCE)]
    assert len({row.source_key for row in reminder_deliveries}) == REMINDERS
    assert len(reminder_deliveries) == REMINDERS, [row.source_key for row in deliveries]
    assert all(row.state == "sent" for row in deliveries)
    received = Counter(sink.keys)
    assert set(received) == {str(row.id) for row in deliveries}
    assert sink.mismatched == []
    # At least once: a delivery arrives twice only when the killed worker had sent it
    # without recording it (its claim was still open when it died).
    twice = {key for key, times in received.items() if times > 1}
    assert all(received[key] == 2 for key in twice)
    assert sent_unrecorded <= twice <= claimed_by_victim, (
        sent_unrecorded,
        twice,
        claimed_by_victim,
    )

    checkins = sum(len(person.checkins) for person in people)
    messages = sum(len(person.messages) for person in people)
    print(
        f"\ndeployment: start-up {started:.1f} s, load {load_took:.1f} s, kill at "
        f"{killed_at:.1f} s, web restart took {restart_took:.1f} s, whole "
        f"{time.monotonic() - began:.1f} s; {tally.requests} requests, {checkins} check-ins, "
        f"{messages} messages, {REMINDERS} reminders; {tally.connection_errors} connection "
        f"errors ({tally.retried} retried, {tally.given_up} sign-ins given up), "
        f"{tally.in_flight_conflicts} in-flight 409s, {tally.replayed} replays, "
        f"proxy refused {proxy.refused}; "
        f"killed worker held {len(claimed_by_victim)} open claims "
        f"({len(sent_unrecorded)} sent, unrecorded), {len(twice)} deliveries received twice"
    )


# --- arranging and checking ------------------------------------------------------------


async def make_person(http: httpx.AsyncClient, number: int, *, with_habit: bool = True) -> Person:
    email = f"load-{number}-{uuid.uuid4().hex[:6]}@example.org"
    registered = await http.post(
        f"{API}/auth/register",
        json={"email": email, "password": DEFAULT_PASSWORD, "timezone": "UTC"},
    )
    assert registered.status_code == 201, registered.text
    tokens = await http.post(
        f"{API}/auth/login", json={"email": email, "password": DEFAULT_PASSWORD}
    )
    assert tokens.status_code == 200, tokens.text
    person = Person(uuid.UUID(registered.json()["id"]), email, tokens.json()["access_token"])
    if with_habit:
        # Measurable: every check-in adds 1 to the day's value, so the value counts them.
        habit = await http.post(
            f"{API}/habits",
            json={
                "name": "Glasses of water",
                "schedule": {"type": "daily"},
                "kind": "measurable",
                "target": {"value": 1000, "unit": "glasses", "direction": "at_least"},
            },
            headers=bearer(person),
        )
        assert habit.status_code == 201, habit.text
        person.habit_id = habit.json()["id"]
    return person


def pairs(people: list[Person]) -> list[tuple[Person, Person]]:
    return [(people[number], people[number + 1]) for number in range(0, len(people) - 1, 2)]


async def befriend_in_pairs(engine: AsyncEngine, people: list[Person]) -> None:
    async with async_sessionmaker(engine)() as session, session.begin():
        for one, other in pairs(people):
            session.add_all(
                [
                    Friendship(user_id=one.id, friend_id=other.id),
                    Friendship(user_id=other.id, friend_id=one.id),
                ]
            )


async def open_conversation(http: httpx.AsyncClient, one: Person, other: Person) -> None:
    opened = await http.post(
        f"{API}/conversations", json={"user_id": str(other.id)}, headers=bearer(one)
    )
    assert opened.status_code in (200, 201), opened.text
    one.conversation_id = other.conversation_id = opened.json()["id"]


async def worker_mid_send(
    engine: AsyncEngine, workers: list[subprocess.Popen[bytes]], sink: WebhookSink
) -> subprocess.Popen[bytes]:
    """The worker whose delivery the receiver is holding right now (so the kill lands
    mid-send), or the first worker when there is none within three seconds."""
    deadline = time.monotonic() + 3
    async with async_sessionmaker(engine)() as session:
        while time.monotonic() < deadline:
            waiting = [uuid.UUID(key) for key in sink.waiting()]
            holders = set(
                await session.scalars(
                    select(Delivery.claimed_by).where(
                        Delivery.state == "sending", Delivery.id.in_(waiting)
                    )
                )
            )
            await session.rollback()
            for worker in workers:
                if any(f":{worker.pid}:" in (holder or "") for holder in holders):
                    return worker
            await asyncio.sleep(0.02)
    return workers[0]


async def open_claims_of(engine: AsyncEngine, pid: int) -> set[str]:
    async with async_sessionmaker(engine)() as session:
        rows = await session.execute(
            select(Delivery.id, Delivery.claimed_by).where(Delivery.state == "sending")
        )
        return {str(row.id) for row in rows if f":{pid}:" in (row.claimed_by or "")}


async def sessions_cross_processes(ports: list[int], person: Person) -> None:
    """A bearer token, a refreshed pair and a browser session, each made on one process
    and used on the other (both directions; the first process is the restarted one)."""
    one, other = (f"http://127.0.0.1:{port}" for port in ports)
    async with httpx.AsyncClient(timeout=30) as http:
        for base in (one, other):
            me = await http.get(f"{base}{API}/me", headers=bearer(person))
            assert me.status_code == 200, me.text
        tokens = await http.post(
            f"{one}{API}/auth/login", json={"email": person.email, "password": DEFAULT_PASSWORD}
        )
        assert tokens.status_code == 200, tokens.text
        refreshed = await http.post(
            f"{other}{API}/auth/refresh", json={"refresh_token": tokens.json()["refresh_token"]}
        )
        assert refreshed.status_code == 200, refreshed.text
        me = await http.get(
            f"{one}{API}/me",
            headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"},
        )
        assert me.status_code == 200, me.text
    # A browser: the form from one process, the sign-in on the other, pages on both.
    async with httpx.AsyncClient(timeout=30) as browser:
        page = await browser.get(f"{one}/login")
        assert page.status_code == 200
        signed_in = await browser.post(
            f"{other}/login",
            data={
                "email": person.email,
                "password": DEFAULT_PASSWORD,
                "csrf_token": form_csrf_token(page.text),
            },
        )
        assert signed_in.status_code == 303, signed_in.text
        assert browser.cookies.get(SESSION_COOKIE)
        assert browser.cookies.get(CSRF_COOKIE)
        for base in (one, other):
            today = await browser.get(f"{base}/today")
            assert today.status_code == 200, today.text[:300]
            assert "/login" not in str(today.url)


async def all_delivered(engine: AsyncEngine, processes: Processes) -> None:
    """Wait until every reminder has fired and every delivery is sent (the killed
    worker's claims are taken over once their lease runs out)."""
    deadline = time.monotonic() + 60
    async with async_sessionmaker(engine)() as session:
        while True:
            fired = await session.scalar(select(func.count()).select_from(ReminderOccurrence))
            states = Counter(await session.scalars(select(Delivery.state)))
            await session.rollback()
            if fired == REMINDERS and set(states) == {"sent"} and states["sent"] >= REMINDERS:
                return
            assert time.monotonic() < deadline, (
                f"not all delivered: {fired} fired, {dict(states)}\n{processes.logs()}"
            )
            await asyncio.sleep(0.1)
