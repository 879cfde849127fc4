"""Issue 15: a challenge's leaderboard (D12.4) of 1,000 members x 90 days, server time of
GET /api/v1/challenges/{id}/leaderboard, on SQLite and PostgreSQL.

Seeds through the real schema: 1,000 accounts in three time zones, each with the
challenge's daily habit and 90 days of entries (member n misses every (n % 7 + 2)-th
day), summaries kept current by analytics' own `keep_current` (as each member's last
write would have left them), plus the signed-in viewer (a member without a habit).
Then the real app in-process (`today_bench.app_client`): median / p95 server time, SQL
statements and time inside them. Also one check-in of a member's challenge habit, which
re-ranks the whole challenge in its transaction (the answer's `leaderboards`).

    .venv/bin/python -m bench.leaderboard_bench [--reps 30] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench import cli, machine
from bench.seed import on_each_database, utc_today
from bench.today_bench import SqlCounter, app_client, line, timed
from habitus.db import create_engine, create_sessionmaker, job_transaction
from habitus.migrations_runner import upgrade
from habitus.models import ChallengeMember
from tests.social.leaderboard_factories import seed_challenge

MEMBERS = 1000
DAYS = 90
TARGET_MS = 50.0
ZONES = ("UTC", "America/Los_Angeles", "Pacific/Kiritimati")
VIEWER = {"email": "viewer@example.org", "password": "a long and quiet meadow"}


async def seed(url: str) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, float]:
    """(challenge id, a member's id, that member's habit id, seconds it took)."""
    started = time.perf_counter()
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    try:
        async with job_transaction(create_sessionmaker(engine)) as session:
            seeded = await seed_challenge(
                session, members=MEMBERS, days=DAYS, today=utc_today(), zones=ZONES
            )
    finally:
        await engine.dispose()
    return (
        seeded.challenge_id,
        seeded.user_ids[0],
        seeded.habit_ids[0],
        time.perf_counter() - started,
    )


async def bench_database(url: str, label: str, data_dir: Path, reps: int, warmup: int) -> Any:
    challenge_id, _, _, seconds = await seed(url)
    print(f"  [{label}] seeded {MEMBERS} members x {DAYS} days in {seconds:.1f} s", flush=True)
    results: dict[str, Any] = {"seed_seconds": seconds}
    async with app_client(url, data_dir) as (client, app):
        made = await client.post("/api/v1/auth/register", json={**VIEWER, "display_name": "Viewer"})
        made.raise_for_status()
        async with job_transaction(app.state.sessionmaker) as session:
            session.add(
                ChallengeMember(challenge_id=challenge_id, user_id=uuid.UUID(made.json()["id"]))
            )
        login = await client.post("/api/v1/auth/login", json=VIEWER)
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        url_path = f"/api/v1/challenges/{challenge_id}/leaderboard"
        first = await client.get(url_path, headers=headers)
        first.raise_for_status()
        items = first.json()["items"]
        if len(items) != MEMBERS + 1:
            raise RuntimeError(f"the board listed {len(items)}, expected {MEMBERS + 1}")
        results["top"] = items[0]
        results["response_bytes"] = len(first.content)
        sql = SqlCounter()
        sql.attach(app.state.engine)

        async def board() -> httpx.Response:
            return await client.get(url_path, headers=headers)

        results["board"] = await timed(board, reps, warmup, sql)
    return results


async def main_async(args: argparse.Namespace) -> int:
    info = await machine.describe()
    print(f"leaderboard_bench: {MEMBERS} members x {DAYS} days; {machine.one_line(info)}")
    results: dict[str, Any] = {"machine": info}
    results |= await on_each_database(
        "leaderboard",
        args.only,
        lambda url, kind, data_dir: bench_database(url, kind, data_dir, args.reps, args.warmup),
    )
    ok = True
    for name in ("sqlite", "postgresql"):
        if name not in results:
            continue
        found = results[name]
        print(f"  {name}: leaderboard of {MEMBERS + 1}, {found['response_bytes']} bytes")
        print(line("board", found["board"]))
        median = found["board"]["median_ms"]
        met = median < TARGET_MS
        ok = ok and met
        print(
            f"  target on {name}: under {TARGET_MS:.0f} ms server time: median {median:.2f} ms"
            f" -> {'MET' if met else 'MISSED'}"
        )
    args.results = results
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(__doc__, reps=30, warmup=3)
    return cli.run(main_async, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
