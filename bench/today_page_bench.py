"""`GET /today`, the HTML page, server time for a user with 30 habits x 10 years.

The same harness as `today_bench.py` (its app, timing and SQL counter): seed through the
real schema (`bench/seed.py`), start the real app in-process (`create_app`, lifespan)
and call it through `httpx.ASGITransport`. The page needs a browser session: the
client signs in through the real `/login` form (GET for the CSRF token, POST), then
keeps the `habitus_session` cookie like a browser. Each request's wall time is
measured around the call, after a warm-up: middleware, the cookie session, the
evaluation of every habit from its kept state, and the Jinja2 rendering of 30 cards.

- `page`: GET /today (kept states present, the normal case);
- `api`: GET /api/v1/today for the same user with a Bearer token, side by side, so
  the cost of the HTML over the JSON shows;
- `checkin`: one tap, POST /today/{id}/add (HTMX, a fresh Idempotency-Key each time)
  answering the card, the ring and the announcement, on a measurable habit.

Gate: SQLite page median under 30 ms (exit status 1 if not).

    .venv/bin/python -m bench.today_page_bench [--reps 200] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import re
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench import cli, machine
from bench.seed import Seeded, describe, on_each_database, seed
from bench.today_bench import FAST_ARGON2, SqlCounter, app_client, line, timed

TARGET_MS = 30.0
HABITS = 30
YEARS = 10
_FORM_TOKEN = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)"')
_META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> str:
    """Through the /login form, as a browser does; returns the page's CSRF token."""
    form = await client.get("/login")
    form.raise_for_status()
    match = _FORM_TOKEN.search(form.text)
    if match is None:
        raise RuntimeError("the sign-in page has no csrf_token field")
    answer = await client.post(
        "/login", data={"email": email, "password": password, "csrf_token": match[1]}
    )
    if answer.status_code != 303 or not client.cookies.get("habitus_session"):
        raise RuntimeError(f"sign-in failed: {answer.status_code} {answer.text[:300]}")
    page = await client.get("/today")
    page.raise_for_status()
    meta = _META_TOKEN.search(page.text)
    if meta is None:
        raise RuntimeError("the Today page has no csrf-token meta tag")
    return meta[1]


async def bench_database(
    url: str, label: str, data_dir: Path, reps: int, warmup: int
) -> dict[str, Any]:
    seeded: Seeded = await seed(url, habits=HABITS, years=YEARS, argon2=FAST_ARGON2)
    print(f"  [{label}] seeded: {describe(seeded)}", flush=True)
    results: dict[str, Any] = {"entries": seeded.entries, "habits": len(seeded.habit_ids)}
    async with app_client(url, data_dir) as (client, app):
        token = await sign_in(client, seeded.email, seeded.password)
        first = await client.get("/today")
        first.raise_for_status()
        cards = first.text.count('class="habit-card')
        if cards != HABITS:
            raise RuntimeError(f"/today showed {cards} cards, expected {HABITS}")
        results["response_bytes"] = len(first.content)

        login = await client.post(
            "/api/v1/auth/login", json={"email": seeded.email, "password": seeded.password}
        )
        login.raise_for_status()
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}

        sql = SqlCounter()
        sql.attach(app.state.engine)

        async def page() -> httpx.Response:
            return await client.get("/today")

        async def api() -> httpx.Response:
            # The Bearer token decides who asks (it is read before the cookie).
            return await client.get("/api/v1/today", headers=bearer)

        habit_id = seeded.measurable_ids[0]

        async def checkin() -> httpx.Response:
            return await client.post(
                f"/today/{habit_id}/add",
                data={"amount": "1"},
                headers={
                    "HX-Request": "true",
                    "X-CSRF-Token": token,
                    "Idempotency-Key": f"bench-{uuid.uuid4()}",
                },
            )

        results["page"] = await timed(page, reps, warmup, sql)
        results["api"] = await timed(api, reps, warmup, sql)
        results["checkin"] = await timed(checkin, max(20, reps // 4), 5, sql)
    return results


async def main_async(args: argparse.Namespace) -> int:
    info = await machine.describe()
    print(f"today_page_bench: {HABITS} habits x {YEARS} years; {machine.one_line(info)}")
    results: dict[str, Any] = {"machine": info}
    results |= await on_each_database(
        "today_page",
        args.only,
        lambda url, kind, data_dir: bench_database(url, kind, data_dir, args.reps, args.warmup),
    )
    for name in ("sqlite", "postgresql"):
        if name not in results:
            continue
        found = results[name]
        size = found["response_bytes"]
        print(f"  {name}: GET /today (HTML), {found['habits']} habits, {size} bytes")
        for part in ("page", "api", "checkin"):
            print(line(part, found[part]))
    ok = True
    if "sqlite" in results:
        median = results["sqlite"]["page"]["median_ms"]
        ok = median < TARGET_MS
        print(
            f"\ntarget: the Today page under {TARGET_MS:.0f} ms server time on SQLite: median "
            f"{median:.2f} ms = {median / TARGET_MS:.2f} of the budget -> "
            f"{'MET' if ok else 'MISSED'}"
        )
    args.results = results
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(__doc__, reps=200, warmup=20)
    return cli.run(main_async, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
