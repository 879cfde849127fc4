"""Issues 6 and 22: reminders delivered to a local webhook sink: throughput and
lateness (median, p99) on SQLite with the in-process dispatcher and on PostgreSQL with
two `habitus worker` processes. Two modes (issue 22):

- burst (default): `--count` reminders due at one instant; goal on PostgreSQL at least
  2,000 deliveries/s, 100% delivered, none twice (with `--fail-rate 0.2`, a sink that
  fails a share of first attempts: 100% eventually delivered, none twice);
- steady: `--rate` reminders a minute (default 100) for `--minutes` (default 3), each
  due at its own instant spread over the minute's seconds; goal p99 lateness under 1 s.

Every mode: none received before its instant ("early", firing ahead must not send
early).

Seeds through the real schema (Alembic, then bulk INSERTs of users, a habit and its
schedule, a webhook channel and `--count / --users` reminders per user), every
reminder due at one instant T a few seconds ahead (`--lead`), so the dispatchers are
up and polling when it comes. The sink is an asyncio HTTP/1.1 server on loopback in a
thread of this process; it records when each delivery id (the Idempotency-Key) first
got a 200. Lateness = that instant - the delivery's due instant. Duplicates = 200
answers beyond one per id.

    .venv/bin/python -m bench.reminders_bench [--count 10000] [--fail-rate 0.2]
        [--mode burst|steady] [--rate 100 --minutes 3]
        [--only sqlite|postgresql] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from bench import cli, machine
from bench.seed import postgres_database, sqlite_database
from habitus import wiring, worker
from habitus.config import Settings
from habitus.core import schedule as core
from habitus.db import create_engine, create_sessionmaker
from habitus.habits.schemas import schedule_to_json
from habitus.migrations_runner import upgrade
from habitus.models import Channel, Delivery, Habit, HabitSchedule, Reminder, User

# Issue 22: the steady load's p99 lateness, and the burst's rate on PostgreSQL.
TARGET_STEADY_P99_S = 1.0
TARGET_BURST_PER_S = 2000
CHUNK = 2000
BIN = Path(sys.executable).parent


# --- the sink -------------------------------------------------------------------------------


@dataclass
class Sink:
    """A fast webhook receiver. `fail_rate`: the share of delivery ids whose first
    request gets a 500 (a temporary failure the dispatcher retries)."""

    fail_rate: float
    port: int = 0
    first_ok: dict[str, float] = field(default_factory=dict)
    answers: Counter[str] = field(default_factory=Counter)
    ok_per_id: Counter[str] = field(default_factory=Counter)
    seen: set[str] = field(default_factory=set)
    rng: random.Random = field(default_factory=lambda: random.Random(6))

    def status_for(self, key: str) -> int:
        first = key not in self.seen
        self.seen.add(key)
        if first and self.rng.random() < self.fail_rate:
            return 500
        return 200

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers = {}
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                await reader.readexactly(int(headers.get("content-length", "0")))
                key = headers.get("idempotency-key", "")
                status = self.status_for(key)
                self.answers[str(status)] += 1
                if status == 200:
                    self.ok_per_id[key] += 1
                    self.first_ok.setdefault(key, time.time())
                reason = "OK" if status == 200 else "Internal Server Error"
                writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\n\r\n".encode())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def start(self) -> None:
        """Serve on a thread of its own (its own event loop), so the dispatcher's loop
        and the sink's do not wait on each other."""
        ready = threading.Event()

        def serve() -> None:
            async def main() -> None:
                server = await asyncio.start_server(self.handle, "127.0.0.1", 0, backlog=1024)
                self.port = server.sockets[0].getsockname()[1]
                ready.set()
                async with server:
                    await server.serve_forever()

            asyncio.run(main())

        threading.Thread(target=serve, daemon=True).start()
        ready.wait(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


# --- seeding --------------------------------------------------------------------------------


async def seed_reminders(
    url: str,
    count: int,
    users: int,
    due: datetime,
    sink_url: str,
    dues: list[datetime] | None = None,
) -> None:
    """`count` reminders over `users` users (UTC, one daily habit and one webhook
    each), all due at `due` (or the k-th at `dues[k]`: the steady mode); only_if_pending
    off so each one sends."""
    instants = iter(dues or [due] * count)
    now = datetime.now(UTC)
    today = due.date()
    user_rows, habit_rows, schedule_rows, channel_rows, reminder_rows = [], [], [], [], []
    for number in range(users):
        user_id, habit_id = uuid.uuid4(), uuid.uuid4()
        user_rows.append(
            {
                "id": user_id,
                "email": f"reminders{number}@example.org",
                "email_key": f"reminders{number}@example.org",
                "password_hash": "unused",
                "display_name": f"User {number}",
                "timezone": "UTC",
                "day_start_hour": 0,
                "week_start": "mon",
                "is_admin": False,
                "created_at": now,
                "updated_at": now,
            }
        )
        habit_rows.append(
            {
                "id": habit_id,
                "user_id": user_id,
                "name": f"Habit {number}",
                "kind": "boolean",
                "polarity": "build",
                "direction": "at_least",
                "start_date": today - timedelta(days=30),
                "tags": [],
                "position": 0,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        schedule_rows.append(
            {
                "id": uuid.uuid4(),
                "habit_id": habit_id,
                "user_id": user_id,
                "effective_from": today - timedelta(days=30),
                "schedule": schedule_to_json(core.Daily()),
                "created_at": now,
            }
        )
        channel_rows.append(
            {
                "id": uuid.uuid4(),
                "user_id": user_id,
                "type": "webhook",
                "name": "Sink",
                "config": {"url": sink_url},
                "secret": secrets.token_urlsafe(32),
                "events": False,
                "enabled": True,
                "created_at": now,
                "updated_at": now,
            }
        )
        share = count // users + (1 if number < count % users else 0)
        for _ in range(share):
            at = next(instants)
            reminder_rows.append(
                {
                    "id": uuid.uuid4(),
                    "user_id": user_id,
                    "habit_id": habit_id,
                    "kind": "habit",
                    "time": at.strftime("%H:%M"),
                    "days": None,
                    "only_if_pending": False,
                    "channel_ids": [],
                    "enabled": True,
                    "next_fire_at": at,
                    "next_local_date": at.date(),
                    "created_at": now,
                    "updated_at": now,
                }
            )
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for model, rows in (
                (User, user_rows),
                (Habit, habit_rows),
                (HabitSchedule, schedule_rows),
                (Channel, channel_rows),
                (Reminder, reminder_rows),
            ):
                for start in range(0, len(rows), CHUNK):
                    await connection.execute(insert(model), rows[start : start + CHUNK])
    finally:
        await engine.dispose()


# --- the dispatchers ------------------------------------------------------------------------


def settings_for(
    url: str, data_dir: Path, backoff: float, fire_ahead: float = 30.0
) -> dict[str, str]:
    """The dispatcher's settings, as HABITUS_* variables (the workers read them) and
    as Settings (the in-process dispatcher)."""
    return {
        "HABITUS_ENVIRONMENT": "development",
        "HABITUS_DATABASE_URL": url,
        "HABITUS_DATA_DIR": str(data_dir),
        "HABITUS_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
        "HABITUS_AUTO_MIGRATE": "false",
        "HABITUS_ALLOW_PRIVATE_TARGETS": "true",
        "HABITUS_WORKER_POLL_SECONDS": "0.2",
        "HABITUS_DELIVERY_BACKOFF_SECONDS": str(backoff),
        "HABITUS_LOG_LEVEL": "WARNING",
        "HABITUS_REMINDER_FIRE_AHEAD_SECONDS": str(fire_ahead),
    }


def settings_object(values: dict[str, str]) -> Settings:
    return Settings(
        **{key.removeprefix("HABITUS_").lower(): value for key, value in values.items()},
        run_worker=False,
    )


async def wait_until_delivered(sink: Sink, count: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while len(sink.first_ok) < count:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # a late duplicate would show up now
    return True


@contextlib.contextmanager
def worker_processes(values: dict[str, str], workers: int, logs: Path) -> Any:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HABITUS_")}
    env.update(values)
    processes = []
    try:
        for number in range(workers):
            with (logs / f"worker-{number}.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        [str(BIN / "habitus"), "worker"],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def bench_database(
    url: str, label: str, data_dir: Path, args: argparse.Namespace
) -> dict[str, Any]:
    sink = Sink(args.fail_rate)
    sink.start()
    started = time.perf_counter()
    await asyncio.to_thread(upgrade, url)
    users = max(1, args.count // args.per_user)
    # Due at a whole second a little ahead: the dispatchers are polling by then.
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=args.lead)
    dues = steady_dues(due, args) if args.mode == "steady" else None
    await seed_reminders(url, args.count, users, due, sink.url, dues)
    seeded = time.perf_counter() - started
    values = settings_for(url, data_dir, args.backoff, args.fire_ahead)
    print(
        f"  [{label}] seeded {args.count} reminders over {users} users in {seeded:.1f} s; "
        f"due from {due:%H:%M:%S}",
        flush=True,
    )
    if datetime.now(UTC) >= due:
        raise RuntimeError("seeding took longer than --lead: raise it")
    if label == "sqlite":
        # The in-process dispatcher runs the registry's jobs: fill it as `habitus worker`
        # does (without this the SQLite run had no jobs and delivered nothing).
        wiring.register_all()
        settings = settings_object(values)
        engine = create_engine(url)
        stop = asyncio.Event()
        loop_task = asyncio.create_task(
            worker.run_forever(create_sessionmaker(engine), settings, worker="bench", stop=stop)
        )
        try:
            complete = await wait_until_delivered(sink, args.count, args.timeout)
        finally:
            stop.set()
            await loop_task
            await engine.dispose()
        dispatchers = "in-process dispatcher"
    else:
        with worker_processes(values, args.workers, data_dir):
            complete = await wait_until_delivered(sink, args.count, args.timeout)
        dispatchers = f"{args.workers} habitus worker processes"
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = await session.execute(
                select(Delivery.state, func.count()).group_by(Delivery.state)
            )
            states = {str(state): int(number) for state, number in rows}
            due_of = {
                str(delivery_id): due_at.timestamp()
                for delivery_id, due_at in await session.execute(
                    select(Delivery.id, Delivery.due_at)
                )
            }
    finally:
        await engine.dispose()
    return figures(sink, due_of, args.count, states, complete, dispatchers)


def steady_dues(start: datetime, args: argparse.Namespace) -> list[datetime]:
    """Issue 22, steady load: `--rate` reminders a minute for `--minutes`, each minute's
    spread at random over its seconds (to the millisecond), from `start`."""
    rng = random.Random(22)
    per_minute = args.count // args.minutes
    return sorted(
        start + timedelta(minutes=minute, milliseconds=rng.randrange(60_000))
        for minute in range(args.minutes)
        for _ in range(per_minute)
    )


def figures(
    sink: Sink,
    due_of: dict[str, float],
    count: int,
    states: dict[str, int],
    complete: bool,
    dispatchers: str,
) -> dict[str, Any]:
    """Lateness of each delivery = its first 200 - its own due instant (in the burst
    all share one; in the steady mode each has its own)."""
    ids = set(due_of)
    lateness = sorted(at - due_of[key] for key, at in sink.first_ok.items() if key in due_of)
    delivered = len(sink.first_ok)
    duplicates = sum(times - 1 for times in sink.ok_per_id.values())
    first_due = min(due_of.values()) if due_of else 0.0
    span = (max(sink.first_ok.values()) - first_due) if lateness else 0.0
    return {
        "dispatchers": dispatchers,
        "reminders": count,
        "deliveries_in_db": len(ids),
        "states": states,
        "delivered": delivered,
        "delivered_share": delivered / count,
        "complete": complete and ids == set(sink.first_ok),
        "duplicates": duplicates,
        # Issue 22: a delivery received before its instant (fired ahead, sent early).
        "early": sum(1 for value in lateness if value < 0),
        "answers": dict(sink.answers),
        "drain_seconds": span,
        "throughput_per_s": delivered / span if span > 0 else None,
        "first_delivery_s": lateness[0] if lateness else None,
        "send_throughput_per_s": delivered / (span - lateness[0])
        if lateness and span > lateness[0]
        else None,
        "lateness_median_s": statistics.median(lateness) if lateness else None,
        "lateness_p99_s": lateness[min(len(lateness) - 1, int(len(lateness) * 0.99))]
        if lateness
        else None,
        "lateness_max_s": lateness[-1] if lateness else None,
        # The five latest: (seconds from the first due instant to theirs, lateness).
        "latest": sorted(
            (
                (round(due_of[key] - first_due, 2), round(at - due_of[key], 2))
                for key, at in sink.first_ok.items()
                if key in due_of
            ),
            key=lambda pair: -pair[1],
        )[:5],
    }


def report_line(label: str, found: dict[str, Any]) -> str:
    return (
        f"  {label} ({found['dispatchers']}): delivered {found['delivered']}/"
        f"{found['reminders']} (complete: {found['complete']}), duplicates "
        f"{found['duplicates']}, throughput {found['throughput_per_s'] or 0:.0f}/s "
        f"(first delivery at +{found['first_delivery_s'] or 0:.1f} s, then "
        f"{found['send_throughput_per_s'] or 0:.0f}/s), "
        f"lateness median {found['lateness_median_s'] or 0:.2f} s, p99 "
        f"{found['lateness_p99_s'] or 0:.2f} s, max {found['lateness_max_s'] or 0:.2f} s, "
        f"early {found['early']}; latest (due +s, late s) {found['latest']}; "
        f"answers {found['answers']}; states {found['states']}"
    )


async def main_async(args: argparse.Namespace) -> int:
    info = await machine.describe()
    print(
        f"reminders_bench: {args.count} reminders, fail rate {args.fail_rate}; "
        f"{machine.one_line(info)}"
    )
    results: dict[str, Any] = {"machine": info, "count": args.count, "fail_rate": args.fail_rate}
    with tempfile.TemporaryDirectory(prefix="habitus-bench-") as tmp:
        data_dir = Path(tmp)
        if args.only in (None, "sqlite"):
            with sqlite_database(data_dir, "reminders") as url:
                results["sqlite"] = await bench_database(url, "sqlite", data_dir, args)
        if args.only in (None, "postgresql"):
            async with postgres_database("reminders") as url:
                results["postgresql"] = await bench_database(url, "postgresql", data_dir, args)
    ok = True
    for label in ("sqlite", "postgresql"):
        if label not in results:
            continue
        found = results[label]
        print(report_line(label, found))
        ok &= found["complete"] and found["duplicates"] == 0 and found["early"] == 0
        if args.fail_rate == 0 and args.mode == "steady":
            ok &= (found["lateness_p99_s"] or 99) < TARGET_STEADY_P99_S
        elif args.fail_rate == 0 and label == "postgresql":
            ok &= (found["throughput_per_s"] or 0) >= TARGET_BURST_PER_S
    if args.fail_rate:
        goal = ""
    elif args.mode == "steady":
        goal = f"p99 lateness under {TARGET_STEADY_P99_S:.0f} s, "
    else:
        goal = f"PostgreSQL at least {TARGET_BURST_PER_S:,} deliveries/s, "
    print(f"\ntarget: {goal}100% delivered, none twice, none early -> {'MET' if ok else 'MISSED'}")
    args.results = results
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(__doc__, reps=1, warmup=0)
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--per-user", type=int, default=100, help="reminders per user")
    parser.add_argument("--fail-rate", type=float, default=0.0)
    parser.add_argument("--backoff", type=float, default=1.0, help="first retry delay (s)")
    parser.add_argument("--workers", type=int, default=2, help="PostgreSQL worker processes")
    parser.add_argument("--lead", type=float, default=15.0, help="seconds from seed to due")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument(
        "--mode",
        choices=("burst", "steady"),
        default="burst",
        help="burst: --count due at one instant; steady: --rate a minute for --minutes",
    )
    parser.add_argument("--rate", type=int, default=100, help="steady: reminders a minute")
    parser.add_argument(
        "--fire-ahead", type=float, default=30.0, help="HABITUS_REMINDER_FIRE_AHEAD_SECONDS"
    )
    parser.add_argument("--minutes", type=int, default=3, help="steady: minutes of load")
    args = parser.parse_args(argv)
    if args.mode == "steady":
        args.count = args.rate * args.minutes
        args.per_user = min(args.per_user, 10)
        args.timeout = max(args.timeout, args.minutes * 60 + 120)
    return cli.run(main_async, args)


if __name__ == "__main__":
    sys.exit(main())
