"""Where a check-in's time goes: one request at a time, in-process, phase by phase.

A diagnostic for `checkin_load.py`: seeds 50 habits x 10 years (SQLite and/or
PostgreSQL), starts the real app in-process (`httpx.ASGITransport`), and sends
sequential check-ins (a measurable habit, `{"value": 1}`, a new `Idempotency-Key` each)
with timers wrapped around the steps of the request (looked up as module attributes,
so nothing in `src/` changes) and a listener on every SQL statement.

Prints the median request time, the mean time of each step (inclusive), and each
SQL statement with its count and mean time per request.

    .venv/bin/python -m bench.checkin_breakdown [--reps 200] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import functools
import importlib
import inspect
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.seed import describe, postgres_database, seed, sqlite_database
from bench.today_bench import FAST_ARGON2, app_client

# (module, attribute, label, depth): the steps of a check-in, outermost first.
STEPS = [
    ("habitus.auth.dependencies", "_from_bearer", "auth: token -> sign-in + user", 0),
    ("habitus.http.idempotency", "_claim", "idempotency: claim the key (in the tx)", 0),
    ("habitus.habits.service", "check_in", "service.check_in", 0),
    ("habitus.habits.service", "_locked", "lock: version bump returning the habit", 1),
    ("habitus.habits.service", "_load_for_write", "working set (cache, else 4 queries)", 1),
    ("habitus.habits.repository", "add_to_entry", "upsert the entry", 1),
    ("habitus.habits.service", "evaluate_context", "evaluate (core.advance)", 1),
    ("habitus.habits.service", "_unit_outcome", "unit outcome (core)", 1),
    ("habitus.habits.repository", "save_state", "keep the new state", 1),
    ("habitus.events.service", "record", "record events", 1),
    ("habitus.habits.presenters", "day_write_out", "shape the answer", 0),
    ("habitus.http.idempotency", "complete", "idempotency: store answer", 0),
    ("habitus.db", "commit_request", "commit", 0),
]


def instrument(totals: dict[str, float]) -> Callable[[], None]:
    """Wrap every step with a timer adding to `totals[label]`; returns an undo."""
    undo = []
    for module_name, attribute, label, _ in STEPS:
        module = importlib.import_module(module_name)
        original = getattr(module, attribute, None)
        if original is None:
            continue

        def wrapped(original: Any = original, label: str = label) -> Any:
            if inspect.iscoroutinefunction(original):

                @functools.wraps(original)
                async def timed_async(*args: Any, **kwargs: Any) -> Any:
                    started = time.perf_counter()
                    try:
                        return await original(*args, **kwargs)
                    finally:
                        totals[label] += time.perf_counter() - started

                return timed_async

            @functools.wraps(original)
            def timed(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    totals[label] += time.perf_counter() - started

            return timed

        setattr(module, attribute, wrapped())
        undo.append((module, attribute, original))

    def restore() -> None:
        for module, attribute, original in undo:
            setattr(module, attribute, original)

    return restore


class Statements:
    def __init__(self) -> None:
        self.count: collections.Counter[tuple[str, str]] = collections.Counter()
        self.seconds: collections.Counter[tuple[str, str]] = collections.Counter()
        self._started: dict[int, float] = {}

    def attach(self, engine: Any, name: str) -> None:
        def before(conn: Any, *_: Any) -> None:
            self._started[id(conn)] = time.perf_counter()

        def after(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            words = " ".join(statement.split())
            key = (name, words[:90])
            self.count[key] += 1
            self.seconds[key] += time.perf_counter() - self._started.pop(id(conn), 0.0)

        event.listen(engine.sync_engine, "before_cursor_execute", before)
        event.listen(engine.sync_engine, "after_cursor_execute", after)

    def clear(self) -> None:
        self.count.clear()
        self.seconds.clear()


async def breakdown(url: str, label: str, reps: int) -> None:
    seeded = await seed(url, argon2=FAST_ARGON2)
    print(f"  [{label}] seeded: {describe(seeded)}", flush=True)
    with tempfile.TemporaryDirectory(prefix="habitus-breakdown-") as tmp:
        async with app_client(url, Path(tmp)) as (client, app):
            statements = Statements()
            statements.attach(app.state.engine, "request")
            login = await client.post(
                "/api/v1/auth/login", json={"email": seeded.email, "password": seeded.password}
            )
            login.raise_for_status()
            auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
            path = f"/api/v1/habits/{seeded.measurable_ids[0]}/checkins"

            async def check_in() -> None:
                headers = {**auth, "Idempotency-Key": uuid.uuid4().hex}
                response = await client.post(path, headers=headers, json={"value": 1})
                if response.status_code != 201:
                    raise RuntimeError(f"{response.status_code}: {response.text[:300]}")

            for _ in range(20):
                await check_in()
            totals: dict[str, float] = collections.defaultdict(float)
            restore = instrument(totals)
            statements.clear()
            samples = []
            try:
                for _ in range(reps):
                    started = time.perf_counter()
                    await check_in()
                    samples.append((time.perf_counter() - started) * 1000)
            finally:
                restore()
    print(
        f"  {label}: check-in median {statistics.median(samples):.2f} ms, "
        f"mean {statistics.fmean(samples):.2f} ms over {reps} sequential requests"
    )
    for _, _, step, depth in STEPS:
        if step in totals:
            print(f"    {'  ' * depth}{step:<40} {totals[step] * 1000 / reps:6.2f} ms")
    total_sql = sum(statements.seconds.values()) * 1000 / reps
    print(
        f"    SQL: {sum(statements.count.values()) / reps:.1f} statements, "
        f"{total_sql:.2f} ms per request (driver round trips included)"
    )
    for key, count in sorted(
        statements.count.items(), key=lambda item: -statements.seconds[item[0]]
    ):
        engine, sql = key
        print(
            f"      {count / reps:4.1f} x {statements.seconds[key] * 1000 / count:6.3f} ms  "
            f"[{engine}] {sql}"
        )


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="habitus-breakdown-") as tmp:
        if args.only in (None, "sqlite"):
            with sqlite_database(Path(tmp), "breakdown") as url:
                await breakdown(url, "sqlite", args.reps)
        if args.only in (None, "postgresql"):
            async with postgres_database("breakdown") as url:
                await breakdown(url, "postgresql", args.reps)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    asyncio.run(main_async(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
