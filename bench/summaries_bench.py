"""Issue 5: the year heatmap and a yearly report through summaries vs raw entries, for
a user with 20 habits x 10 years, on SQLite and PostgreSQL, in one run.

Seeds through the real schema (`bench/seed.py`; its `refresh_states` builds every
habit's summaries with the app's own code), then starts the real app twice in-process
(`httpx.ASGITransport`, as `bench/today_bench.py`): once with the default
`summary_threshold_days=60` (a 365-day window reads the summaries) and once with 3660
(the same window reads raw entries through `core`). Both answers must be identical.

Per request: server wall time (median, p95), SQL statements and time inside them, and
the rows read from the database (rows the summary queries return, or entry rows), the
latter measured by calling the service once per path. Goal: the summary path at least
10x cheaper and under 20 ms server time.

    .venv/bin/python -m bench.summaries_bench [--reps 50] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import sys
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from bench import cli, machine
from bench.seed import describe, on_each_database, seed, utc_today
from bench.today_bench import FAST_ARGON2, SqlCounter, timed
from bench.today_bench import app_client as today_app_client
from habitus.analytics import queries as analytics
from habitus.db import create_engine, create_sessionmaker, job_transaction
from habitus.models import User

HABITS = 20
YEARS = 10
TARGET_MS = 20.0
TARGET_RATIO = 10.0
PATHS = {"summaries": 60, "raw": 3660}


def app_client(
    url: str, data_dir: Path, threshold: int
) -> AbstractAsyncContextManager[tuple[httpx.AsyncClient, Any]]:
    """`today_bench.app_client` with the summary threshold that picks the path."""
    return today_app_client(url, data_dir, summary_threshold_days=threshold)


async def rows_read(url: str, email: str, threshold: int) -> dict[str, int]:
    engine = create_engine(url)
    today = utc_today()
    try:
        async with job_transaction(create_sessionmaker(engine)) as session:
            user = (await session.scalars(select(User).where(User.email == email))).one()
            heat = await analytics.heatmap(
                session, user, today - timedelta(days=364), today, threshold=threshold
            )
            first, last = analytics.year_window(today.year - 1)
            report = await analytics.report(session, user, first, last, threshold=threshold)
            return {"heatmap": heat.rows_read, "report": report.rows_read}
    finally:
        await engine.dispose()


async def bench_database(
    url: str, label: str, data_dir: Path, reps: int, warmup: int
) -> dict[str, Any]:
    seeded = await seed(url, habits=HABITS, years=YEARS, argon2=FAST_ARGON2)
    print(f"  [{label}] seeded: {describe(seeded)} (states and summaries)", flush=True)
    today = utc_today()
    requests = {
        "heatmap": (
            "/api/v1/heatmap",
            {"from": (today - timedelta(days=364)).isoformat(), "to": today.isoformat()},
        ),
        "report": ("/api/v1/reports/yearly", {"year": str(today.year - 1)}),
    }
    results: dict[str, Any] = {"entries": seeded.entries, "habits": len(seeded.habit_ids)}
    answers: dict[str, dict[str, Any]] = {}
    for path_name, threshold in PATHS.items():
        async with app_client(url, data_dir, threshold) as (client, app):
            login = await client.post(
                "/api/v1/auth/login", json={"email": seeded.email, "password": seeded.password}
            )
            login.raise_for_status()
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            sql = SqlCounter()
            sql.attach(app.state.engine)
            for name, (route, params) in requests.items():

                async def call(
                    route: str = route,
                    params: dict[str, str] = params,
                    headers: dict[str, str] = headers,
                ) -> Any:
                    return await client.get(route, params=params, headers=headers)

                first = (await call()).json()
                source = first.pop("source")
                answers.setdefault(name, {})[path_name] = first
                figures = await timed(call, reps, warmup, sql)
                figures["source"] = source
                results.setdefault(name, {})[path_name] = figures
        read = await rows_read(url, seeded.email, threshold)
        for name in requests:
            results[name][path_name]["rows_read"] = read[name]
    for name, both in answers.items():
        if both["summaries"] != both["raw"]:
            raise RuntimeError(f"{name}: the summary path and the raw path disagree")
    return results


def report_lines(label: str, found: dict[str, Any]) -> list[str]:
    lines = [f"  {label}: {found['habits']} habits, {found['entries']} entries"]
    for name in ("heatmap", "report"):
        for path_name in PATHS:
            f = found[name][path_name]
            lines.append(
                f"    {name:<8}{path_name:<10} median {f['median_ms']:8.2f} ms  "
                f"p95 {f['p95_ms']:8.2f}  SQL {f['sql_statements']:.1f} statements "
                f"{f['sql_ms']:.2f} ms  rows read {f['rows_read']}  ({f['source']})"
            )
        fast, slow = found[name]["summaries"], found[name]["raw"]
        lines.append(
            f"    {name}: summaries {slow['median_ms'] / fast['median_ms']:.1f}x faster, "
            f"{slow['rows_read'] / max(1, fast['rows_read']):.1f}x fewer rows read"
        )
    return lines


async def main_async(args: argparse.Namespace) -> int:
    info = await machine.describe()
    print(f"summaries_bench: {HABITS} habits x {YEARS} years; {machine.one_line(info)}")
    results: dict[str, Any] = {"machine": info}
    results |= await on_each_database(
        "summaries",
        args.only,
        lambda url, kind, data_dir: bench_database(url, kind, data_dir, args.reps, args.warmup),
    )
    ok = True
    for label in ("sqlite", "postgresql"):
        if label not in results:
            continue
        for text in report_lines(label, results[label]):
            print(text)
        for name in ("heatmap", "report"):
            fast, slow = results[label][name]["summaries"], results[label][name]["raw"]
            ok &= fast["median_ms"] < TARGET_MS
            ok &= slow["median_ms"] / fast["median_ms"] >= TARGET_RATIO
    print(
        f"\ntarget: summary path under {TARGET_MS:.0f} ms and {TARGET_RATIO:.0f}x cheaper "
        f"than raw entries -> {'MET' if ok else 'MISSED'}"
    )
    args.results = results
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(__doc__, reps=50, warmup=5)
    return cli.run(main_async, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
