"""Issue 14: what rewards cost a check-in, and the achievement passes, for one user with
50 habits x 10 years (bench.seed), on SQLite and PostgreSQL, in one run.

- A completing check-in (PUT today's entry `done` on a daily yes/no habit, its coin not
  paid yet: the ledger rows of the earlier reps are deleted between reps, untimed),
  with the rewards' subscriptions registered and without them: SQL statements and the
  median request time of each, and their ratio.
- The in-transaction achievement pass (`gamification.reactions.day_completed`: the coin
  and the standing): mean time inside it.
- The worker's pass over every habit's days (`gamification.consumers.decide` for a
  batch of that check-in's events): median time.

    .venv/bin/python -m bench.rewards_bench [--reps 100] [--only sqlite|postgresql]

Targets (issue 14): at most 2 more statements than without rewards; the achievement pass
under 5 ms server time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import delete, event

from bench.machine import describe as describe_machine
from bench.machine import one_line
from bench.seed import describe, postgres_database, seed, sqlite_database, utc_today
from bench.today_bench import FAST_ARGON2, app_client
from habitus import db
from habitus.events.service import Position, read_after, stored
from habitus.gamification import consumers, reactions
from habitus.models import RewardLedgerRow
from habitus.registry import registry

DAILY_EVERY = 7  # bench.seed.MIX: position 0 of every 7 is a daily yes/no habit


def _without_rewards() -> Callable[[], None]:
    """Unsubscribe the rewards' handlers; returns what puts them back."""
    kept = list(registry.subscriptions)
    registry.subscriptions[:] = [
        item for item in kept if not item.name.startswith("habitus.gamification.")
    ]
    registry._by_type.clear()

    def restore() -> None:
        registry.subscriptions[:] = kept
        registry._by_type.clear()

    return restore


def _timed_handler(totals: list[float]) -> Callable[[], None]:
    original = reactions.day_completed

    async def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            totals.append((time.perf_counter() - started) * 1000)

    for item in registry.subscriptions:
        if item.handler is original:
            object.__setattr__(item, "handler", timed)
    registry._by_type.clear()

    def restore() -> None:
        for item in registry.subscriptions:
            if item.handler is timed:
                object.__setattr__(item, "handler", original)
        registry._by_type.clear()

    return restore


async def run(url: str, label: str, reps: int) -> dict[str, float]:
    seeded = await seed(url, argon2=FAST_ARGON2)
    print(f"  [{label}] seeded: {describe(seeded)}", flush=True)
    daily = seeded.habit_ids[::DAILY_EVERY]
    today = utc_today().isoformat()
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="habitus-rewards-") as tmp:
        async with app_client(url, Path(tmp)) as (client, app):
            counted: list[str] = []
            engine = app.state.engine.sync_engine

            def record(_c: Any, _k: Any, statement: str, *_a: Any) -> None:
                counted.append(statement)

            login = await client.post(
                "/api/v1/auth/login", json={"email": seeded.email, "password": seeded.password}
            )
            login.raise_for_status()
            auth = {"Authorization": f"Bearer {login.json()['access_token']}"}

            async def forget_coins() -> None:
                async with db.write_transaction(app.state.sessionmaker) as session:
                    await session.execute(delete(RewardLedgerRow))

            async def one(habit_id: Any) -> tuple[float, int]:
                path = f"/api/v1/habits/{habit_id}/entries/{today}"
                (await client.delete(path, headers=auth)).raise_for_status()
                await forget_coins()
                counted.clear()
                event.listen(engine, "before_cursor_execute", record)
                started = time.perf_counter()
                response = await client.put(path, headers=auth, json={"status": "done"})
                elapsed = (time.perf_counter() - started) * 1000
                event.remove(engine, "before_cursor_execute", record)
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text[:300]}")
                return elapsed, len(counted)

            for habit_id in daily[:4]:  # warm up both ways
                await one(habit_id)
            handler_ms: list[float] = []
            with_rewards: list[tuple[float, int]] = []
            without: list[tuple[float, int]] = []
            for rep in range(reps):
                habit_id = daily[rep % len(daily)]
                restore = _timed_handler(handler_ms)
                try:
                    with_rewards.append(await one(habit_id))
                finally:
                    restore()
                restore = _without_rewards()
                try:
                    without.append(await one(habit_id))
                finally:
                    restore()
            # The worker's pass: the events of one completing check-in, as it reads them.
            worker_ms = []
            for _ in range(max(5, reps // 10)):
                async with db.write_transaction(app.state.sessionmaker) as session:
                    found, _ = await read_after(session, Position(), limit=100_000)
                    batch = [item for item in found if item.user_id == seeded.user_id][-5:]
                    events = [stored(row) for row in batch]
                    started = time.perf_counter()
                    await consumers.decide(session, events)
                    worker_ms.append((time.perf_counter() - started) * 1000)
                    await session.rollback()
    results = {
        "statements_with": statistics.median(n for _, n in with_rewards),
        "statements_without": statistics.median(n for _, n in without),
        "median_ms_with": statistics.median(ms for ms, _ in with_rewards),
        "median_ms_without": statistics.median(ms for ms, _ in without),
        "handler_mean_ms": statistics.fmean(handler_ms),
        "worker_pass_median_ms": statistics.median(worker_ms),
    }
    results["ratio"] = results["median_ms_with"] / results["median_ms_without"]
    print(
        f"  {label}: completing check-in {results['statements_with']:.0f} statements with "
        f"rewards, {results['statements_without']:.0f} without; median "
        f"{results['median_ms_with']:.2f} ms vs {results['median_ms_without']:.2f} ms "
        f"(x{results['ratio']:.2f}); in-transaction pass {results['handler_mean_ms']:.2f} ms; "
        f"worker pass {results['worker_pass_median_ms']:.2f} ms",
        flush=True,
    )
    return results


async def main_async(args: argparse.Namespace) -> int:
    print(one_line(await describe_machine()), flush=True)
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp, sqlite_database(Path(tmp), "rewards") as url:
            await run(url, "SQLite", args.reps)
    if args.only in (None, "postgresql"):
        async with postgres_database("rewards") as url:
            await run(url, "PostgreSQL", args.reps)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
