"""`GET /api/v1/today` server time for a user with 50 habits x 10 years of entries.

On SQLite (a file, WAL, the app's PRAGMAs) and on PostgreSQL (a fresh
`habitus_bench_*` database, dropped afterwards): seed through the real schema
(`bench/seed.py`), start the real app (`create_app`, lifespan included) and call it
in-process through `httpx.ASGITransport` (no network, no HTTP parsing) with a Bearer
token. Each request's wall time is measured around the call, after a warm-up.

- `warm`: the kept states are there (the normal case): each habit continues from
  its state with the entries since;
- `cold`: the kept states are deleted, so each habit walks its whole history
  (what the states buy; reads never write states, so every cold request is cold);
- `healthz`: the same path through the middleware and transport with no database
  work, as the floor of what a request costs in-process;
- `frozen`: warm again after `gc.collect(); gc.freeze()` (what a server could do after
  start-up), to show how much of the tail is the cyclic GC walking a big heap.

Also counts SQL statements per request (a `before_cursor_execute` listener) and the
time spent inside them. Gate: SQLite warm median under 30 ms (exit status 1 if not).

    .venv/bin/python -m bench.today_bench [--reps 200] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import gc
import secrets
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import delete, event

from bench import cli, machine
from bench.seed import Seeded, describe, on_each_database, seed
from habitus.config import Settings
from habitus.db import create_engine
from habitus.main import create_app
from habitus.models import HabitStateRow

TARGET_MS = 30.0
HABITS = 50
YEARS = 10
FAST_ARGON2 = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


@dataclass
class SqlCounter:
    statements: int = 0
    seconds: float = 0.0
    _started: float = 0.0

    def attach(self, engine: Any) -> None:
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, *_: Any) -> None:
        self.statements += 1
        self._started = time.perf_counter()

    def _after(self, *_: Any) -> None:
        self.seconds += time.perf_counter() - self._started

    def reset(self) -> None:
        self.statements, self.seconds = 0, 0.0


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pct(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))]

    return {
        "median_ms": statistics.median(ordered),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "min_ms": ordered[0],
        "reps": len(ordered),
    }


async def timed(
    call: Callable[[], Awaitable[httpx.Response]], reps: int, warmup: int, sql: SqlCounter
) -> dict[str, float]:
    for _ in range(warmup):
        response = await call()
        response.raise_for_status()
    sql.reset()
    samples = []
    for _ in range(reps):
        started = time.perf_counter()
        response = await call()
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code}: {response.text[:500]}")
    figures = summary(samples)
    figures["sql_statements"] = sql.statements / reps
    figures["sql_ms"] = sql.seconds * 1000 / reps
    return figures


@asynccontextmanager
async def app_client(
    url: str, data_dir: Path, **overrides: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """The real app in-process (no network), with the benchmarks' settings: fast password
    hashing, no rate limits, no background worker; `overrides` on top."""
    settings = Settings(
        environment="development",
        database_url=url,
        data_dir=data_dir,
        secret_key=secrets.token_urlsafe(48),
        auto_migrate=False,
        run_worker=False,
        rate_limit_enabled=False,
        argon2_time_cost=FAST_ARGON2["time_cost"],
        argon2_memory_kib=FAST_ARGON2["memory_cost"],
        argon2_parallelism=FAST_ARGON2["parallelism"],
        log_level="WARNING",
        **overrides,
    )
    app = create_app(settings)
    async with (
        LifespanManager(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50000)),
            base_url="http://bench",
        ) as client,
    ):
        yield client, app


async def bench_database(
    url: str, label: str, data_dir: Path, reps: int, warmup: int, cold_reps: int
) -> dict[str, Any]:
    seeded: Seeded = await seed(url, habits=HABITS, years=YEARS, argon2=FAST_ARGON2)
    print(f"  [{label}] seeded: {describe(seeded)}", flush=True)
    results: dict[str, Any] = {"entries": seeded.entries, "habits": len(seeded.habit_ids)}
    async with app_client(url, data_dir) as (client, app):
        login = await client.post(
            "/api/v1/auth/login", json={"email": seeded.email, "password": seeded.password}
        )
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        first = await client.get("/api/v1/today", headers=headers)
        first.raise_for_status()
        items = first.json()["items"]
        if len(items) != HABITS:
            raise RuntimeError(f"/today listed {len(items)} habits, expected {HABITS}")
        results["response_bytes"] = len(first.content)

        sql = SqlCounter()
        sql.attach(app.state.engine)

        async def today() -> httpx.Response:
            return await client.get("/api/v1/today", headers=headers)

        async def healthz() -> httpx.Response:
            return await client.get("/healthz")

        results["healthz"] = await timed(healthz, reps, warmup, sql)
        results["warm"] = await timed(today, reps, warmup, sql)
        gc.collect()
        gc.freeze()
        try:
            results["frozen"] = await timed(today, reps, warmup, sql)
        finally:
            gc.unfreeze()

        # Cold: no kept states, every habit walks its ten years.
        engine = create_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.execute(delete(HabitStateRow))
        finally:
            await engine.dispose()
        cold = await timed(today, cold_reps, 2, sql)
        results["cold"] = cold
        if (await today()).json()["items"] != items:
            raise RuntimeError("/today differs without the kept states: a state is wrong")
    return results


def line(name: str, figures: dict[str, float]) -> str:
    return (
        f"    {name:<8} median {figures['median_ms']:8.2f} ms  p95 {figures['p95_ms']:8.2f}  "
        f"p99 {figures['p99_ms']:8.2f}  ({figures['reps']:.0f} reps)  "
        f"SQL: {figures['sql_statements']:.1f} statements, {figures['sql_ms']:.2f} ms"
    )


async def main_async(args: argparse.Namespace) -> int:
    info = await machine.describe()
    print(f"today_bench: {HABITS} habits x {YEARS} years; {machine.one_line(info)}")
    results: dict[str, Any] = {"machine": info}
    results |= await on_each_database(
        "today",
        args.only,
        lambda url, kind, data_dir: bench_database(
            url, kind, data_dir, args.reps, args.warmup, args.cold_reps
        ),
    )
    for name in ("sqlite", "postgresql"):
        if name not in results:
            continue
        found = results[name]
        print(f"  {name}: /today, {found['habits']} habits, {found['response_bytes']} bytes")
        for part in ("healthz", "warm", "frozen", "cold"):
            print(line(part, found[part]))
        ratio = found["cold"]["median_ms"] / found["warm"]["median_ms"]
        print(f"    kept states make /today {ratio:.1f}x faster (cold median / warm median)")
    ok = True
    if "sqlite" in results:
        warm = results["sqlite"]["warm"]["median_ms"]
        ok = warm < TARGET_MS
        print(
            f"\ntarget: /today under {TARGET_MS:.0f} ms server time on SQLite: median "
            f"{warm:.2f} ms = {warm / TARGET_MS:.2f} of the budget -> {'MET' if ok else 'MISSED'}"
        )
    args.results = results
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(__doc__, reps=200, warmup=20)
    parser.add_argument("--cold-reps", type=int, default=15)
    return cli.run(main_async, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
