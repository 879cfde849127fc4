"""Issue 21: GET /api/v1/admin/metrics with 10,000 users x 1 year of activity, server
time, on SQLite and PostgreSQL; and what the daily rollup costs per day.

Seeds through the real schema, in bulk: 10,000 accounts whose sign-ups are spread over
the year before today (seeded RNG), each active on about a fifth of the days after its
sign-up (an `activity_days` row) with one or two check-ins those days (`habit_logged`
product events), a reminder sent on about half of them (1% given up on), and an NPS
answer from one user in ten. Then the rollup of the whole year (`rollup.run_pass` until
caught up: the time per day is reported), and the real app in-process
(`today_bench.app_client`): median / p95 server time and SQL statements of
GET /admin/metrics for the last 30 days and for the whole year.

    .venv/bin/python -m bench.metrics_bench [--reps 50] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update

from bench import cli, machine
from bench.seed import on_each_database, utc_today
from bench.today_bench import SqlCounter, app_client, line, timed
from habitus.db import create_engine, create_sessionmaker, job_transaction
from habitus.metrics import rollup
from habitus.migrations_runner import upgrade
from habitus.models import ActivityDay, NpsResponse, ProductEvent, User

USERS = 10_000
DAYS = 365
ACTIVE_SHARE = 0.2
TARGET_MS = 200.0
ADMIN = {"email": "admin@example.org", "password": "a long and quiet meadow"}
CHUNK = 20_000


async def _insert(session: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(model), rows[start : start + CHUNK])


async def seed(url: str) -> dict[str, float]:
    """Users, activity, events and answers; then the rollup. Seconds each took."""
    started = time.perf_counter()
    await asyncio.to_thread(upgrade, url)
    random.seed(21)
    today = utc_today()
    first = today - timedelta(days=DAYS - 1)
    users, days, events, answers = [], [], [], []
    for n in range(USERS):
        user_id = uuid.uuid4()
        offset = random.randrange(DAYS)
        signed_up = datetime.combine(first + timedelta(days=offset), day_time(9), tzinfo=UTC)
        users.append(
            {
                "id": user_id,
                "email": f"u{n}@example.org",
                "email_key": f"u{n}@example.org",
                "password_hash": "x",
                "timezone": "UTC",
                "theme": "system",
                "created_at": signed_up,
            }
        )
        for later in range(DAYS - offset):
            if later and random.random() > ACTIVE_SHARE:
                continue
            day = signed_up.date() + timedelta(days=later)
            days.append({"user_id": user_id, "day": day})
            moment = datetime.combine(day, day_time(12), tzinfo=UTC)
            for _ in range(random.choice((1, 2))):
                events.append(_event("habit_logged", user_id, moment))
            if random.random() < 0.5:
                failed = random.random() < 0.01
                events.append(
                    _event("reminder_failed" if failed else "reminder_sent", user_id, moment)
                )
        if n % 10 == 0:
            answers.append(
                {
                    "id": uuid.uuid4(),
                    "user_id": user_id,
                    "score": random.randrange(11),
                    "created_at": signed_up + timedelta(days=14),
                }
            )
    engine = create_engine(url)
    seconds: dict[str, float] = {}
    try:
        maker = create_sessionmaker(engine)
        async with job_transaction(maker) as session:
            await _insert(session, User, users)
            await _insert(session, ActivityDay, days)
            await _insert(session, ProductEvent, events)
            await _insert(
                session, NpsResponse, [a for a in answers if a["created_at"].date() <= today]
            )
        seconds["seed"] = time.perf_counter() - started
        seconds["activity_days"] = len(days)
        seconds["product_events"] = len(events)
        rolled = time.perf_counter()
        computed = 0
        rollup_first = rollup.FIRST_BACKFILL_DAYS
        rollup.FIRST_BACKFILL_DAYS = DAYS + 30  # the whole year, as a long-running server has
        try:
            while True:
                async with job_transaction(maker) as session:
                    done = await rollup.run_pass(session)
                computed += done
                if done <= 1:
                    break
        finally:
            rollup.FIRST_BACKFILL_DAYS = rollup_first
        seconds["rollup_days"] = computed
        seconds["rollup_ms_per_day"] = (time.perf_counter() - rolled) * 1000 / max(1, computed)
    finally:
        await engine.dispose()
    return seconds


def _event(kind: str, user_id: uuid.UUID, moment: datetime) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "kind": kind,
        "user_id": user_id,
        "occurred_at": moment,
        "props": {},
    }


async def bench_database(url: str, label: str, data_dir: Path, reps: int, warmup: int) -> Any:
    seeded = await seed(url)
    print(
        f"  [{label}] seeded {USERS} users, {seeded['activity_days']:.0f} activity days, "
        f"{seeded['product_events']:.0f} events in {seeded['seed']:.1f} s; rollup "
        f"{seeded['rollup_days']:.0f} days at {seeded['rollup_ms_per_day']:.1f} ms a day",
        flush=True,
    )
    results: dict[str, Any] = {"seeded": seeded}
    async with app_client(url, data_dir) as (client, app):
        made = await client.post("/api/v1/auth/register", json=ADMIN)
        made.raise_for_status()
        async with job_transaction(app.state.sessionmaker) as session:
            await session.execute(
                update(User).where(User.id == uuid.UUID(made.json()["id"])).values(is_admin=True)
            )
        login = await client.post("/api/v1/auth/login", json=ADMIN)
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        sql = SqlCounter()
        sql.attach(app.state.engine)
        today = utc_today()
        windows = {
            "30 days": {},
            "year": {
                "from": (today - timedelta(days=DAYS - 1)).isoformat(),
                "to": today.isoformat(),
            },
        }
        for name, params in windows.items():

            async def call(params: dict[str, str] = params) -> Any:
                return await client.get("/api/v1/admin/metrics", params=params, headers=headers)

            first = await call()
            first.raise_for_status()
            body = first.json()
            if body["mau"] <= 0 or not body["retention"]:
                raise RuntimeError(f"the metrics read nothing: {body}")
            results[name] = await timed(call, reps, warmup, sql)
            results[name]["response_bytes"] = len(first.content)
    return results


async def main_async(args: argparse.Namespace) -> int:
    info = await machine.describe()
    print(f"metrics_bench: {USERS} users x {DAYS} days; {machine.one_line(info)}")
    results: dict[str, Any] = {"machine": info}
    results |= await on_each_database(
        "metrics",
        args.only,
        lambda url, kind, data_dir: bench_database(url, kind, data_dir, args.reps, args.warmup),
    )
    ok = True
    for name in ("sqlite", "postgresql"):
        if name not in results:
            continue
        for window in ("30 days", "year"):
            found = results[name][window]
            print(f"  {name}, {window}:")
            print(line("metrics", found))
            median = found["median_ms"]
            met = median < TARGET_MS
            ok = ok and met
            print(
                f"  target on {name} ({window}): under {TARGET_MS:.0f} ms server time: "
                f"median {median:.2f} ms -> {'MET' if met else 'MISSED'}"
            )
    args.results = results
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(__doc__, reps=50, warmup=5)
    return cli.run(main_async, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
