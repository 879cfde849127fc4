"""Seed a database for the benchmarks: one user, N habits x Y years of daily entries.

Through the real schema: Alembic migrations first (`migrations_runner.upgrade`), then
bulk INSERTs of users, habits, habit_schedules and entries with SQLAlchemy Core
executemany, then every habit's kept state computed by the app's own service code
(`habits.service.refresh_states`), committed. Works on SQLite and PostgreSQL URLs.

Entries cover the days from each habit's start to yesterday (85% of days, seeded RNG);
today is left empty so a benchmark can count what it writes today.

Also: `postgres_database()` makes a throw-away `habitus_bench_*` database and drops it.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from argon2 import PasswordHasher
from sqlalchemy import insert, select

from habitus.core import schedule as core
from habitus.db import create_engine, create_sessionmaker, job_transaction
from habitus.habits import service
from habitus.habits.schemas import schedule_to_json
from habitus.migrations_runner import upgrade
from habitus.models import Entry, Habit, HabitSchedule, User
from habitus.wiring import register_all

POSTGRES_ADMIN_DSN = os.environ.get(
    "HABITUS_BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "bench-password-0123456789"
DONE_SHARE = 0.85
CHUNK = 5000

# (label, schedule, kind, direction): the mix cycles over the user's habits.
MIX: list[tuple[str, core.Schedule, str, str]] = [
    ("daily", core.Daily(), "boolean", "at_least"),
    ("weekdays", core.Weekdays(frozenset({0, 1, 2, 3, 4})), "boolean", "at_least"),
    ("every 3 days", core.EveryNDays(3), "boolean", "at_least"),
    ("3 a week", core.TimesPerPeriod(3, "week"), "boolean", "at_least"),
    ("12 a month", core.TimesPerPeriod(12, "month"), "boolean", "at_least"),
    ("glasses of water", core.Daily(), "measurable", "at_least"),
    ("coffees", core.Daily(), "measurable", "at_most"),
]


@dataclass
class Seeded:
    user_id: uuid.UUID
    email: str
    password: str
    habit_ids: list[uuid.UUID]
    # Measurable at-least daily habits (every 7th): check-ins add to their value.
    measurable_ids: list[uuid.UUID]
    entries: int
    seconds: dict[str, float] = field(default_factory=dict)


def utc_today() -> date:
    """The seeded user's today (zone UTC, day start 00:00), as the app reckons it."""
    return datetime.now(UTC).date()


def _hash(password: str, argon2: dict[str, int] | None) -> str:
    """The password hash with the server's Argon2 settings (so login needs no rehash).
    Default: the production cost, as Settings has it."""
    cost = argon2 or {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}
    return PasswordHasher(**cost).hash(password)


def _entry_rows(
    habit_id: uuid.UUID,
    user_id: uuid.UUID,
    kind: str,
    start: date,
    last: date,
    rng: random.Random,
) -> Iterator[dict[str, Any]]:
    day = start
    while day <= last:
        if rng.random() < DONE_SHARE:
            logged = datetime(day.year, day.month, day.day, 7, tzinfo=UTC) + timedelta(
                minutes=rng.randrange(14 * 60)
            )
            yield {
                "id": uuid.uuid4(),
                "habit_id": habit_id,
                "user_id": user_id,
                "local_date": day,
                "status": "done",
                "value": float(rng.randint(1, 3)) if kind == "measurable" else None,
                "note": None,
                "logged_at": logged,
                "logged_tz": "UTC",
                "source": "seed",
                "created_at": logged,
                "updated_at": logged,
            }
        day += timedelta(days=1)


async def seed(
    database_url: str,
    *,
    habits: int = 50,
    years: int = 10,
    email: str = "bench@example.org",
    argon2: dict[str, int] | None = None,
    rng_seed: int = 20261121,
    migrate: bool = True,
    keep_states: bool = True,
) -> Seeded:
    """Migrate `database_url` and fill it. Blocking parts (Alembic) run in a thread."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    if migrate:
        await asyncio.to_thread(upgrade, database_url)
    timings["migrate"] = time.perf_counter() - started

    rng = random.Random(rng_seed)
    today = utc_today()
    start = today - timedelta(days=round(years * 365.25) - 1)
    yesterday = today - timedelta(days=1)
    now = datetime.now(UTC)
    user_id = uuid.uuid4()
    password_hash = await asyncio.to_thread(_hash, PASSWORD, argon2)

    habit_rows: list[dict[str, Any]] = []
    schedule_rows: list[dict[str, Any]] = []
    measurable_ids: list[uuid.UUID] = []
    for position in range(habits):
        label, schedule, kind, direction = MIX[position % len(MIX)]
        habit_id = uuid.uuid4()
        if kind == "measurable" and direction == "at_least":
            measurable_ids.append(habit_id)
        habit_rows.append(
            {
                "id": habit_id,
                "user_id": user_id,
                "name": f"{label} #{position + 1}",
                "description": None,
                "kind": kind,
                "polarity": "build",
                "target_value": 2.0 if kind == "measurable" else None,
                "unit": "times" if kind == "measurable" else None,
                "direction": direction,
                "start_date": start,
                "end_date": None,
                "backfill_days": None,
                "category": None,
                "tags": [],
                "color": None,
                "position": position,
                "archived_at": None,
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
                "effective_from": start,
                "schedule": schedule_to_json(schedule),
                "created_at": now,
            }
        )
    if not measurable_ids:
        raise ValueError("seed at least 6 habits: the 6th of the mix is the measurable one")

    engine = create_engine(database_url)
    count = 0
    try:
        started = time.perf_counter()
        async with engine.begin() as connection:
            await connection.execute(
                insert(User),
                [
                    {
                        "id": user_id,
                        "email": email,
                        "email_key": email.lower(),
                        "password_hash": password_hash,
                        "display_name": "Bench",
                        "timezone": "UTC",
                        "day_start_hour": 0,
                        "week_start": "mon",
                        "is_admin": False,
                        "created_at": now,
                        "updated_at": now,
                    }
                ],
            )
            await connection.execute(insert(Habit), habit_rows)
            await connection.execute(insert(HabitSchedule), schedule_rows)
            batch: list[dict[str, Any]] = []
            for row in habit_rows:
                for entry in _entry_rows(row["id"], user_id, row["kind"], start, yesterday, rng):
                    batch.append(entry)
                    if len(batch) >= CHUNK:
                        await connection.execute(insert(Entry), batch)
                        count += len(batch)
                        batch = []
            if batch:
                await connection.execute(insert(Entry), batch)
                count += len(batch)
        timings["insert"] = time.perf_counter() - started

        if keep_states:
            started = time.perf_counter()
            # The app's own code: each habit's version bumped and its state kept, as
            # after a change that touches every habit; committed like a CLI job.
            # The reactions (summaries) must be wired, as the CLI does before every
            # command: a seed run before any app was built published to an empty
            # registry, so SQLite (seeded first) had no summaries (found in issue 22).
            register_all()
            async with job_transaction(create_sessionmaker(engine)) as session:
                user = (await session.scalars(select(User).where(User.id == user_id))).one()
                await service.refresh_states(session, user, None, changed_from=None)
            timings["states"] = time.perf_counter() - started
    finally:
        await engine.dispose()
    return Seeded(
        user_id=user_id,
        email=email,
        password=PASSWORD,
        habit_ids=[row["id"] for row in habit_rows],
        measurable_ids=measurable_ids,
        entries=count,
        seconds=timings,
    )


# --- throw-away databases ---------------------------------------------------------------


def _async_url(name: str) -> str:
    admin = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0]
    return admin.replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"


@asynccontextmanager
async def postgres_database(label: str) -> AsyncIterator[str]:
    """A new, empty `habitus_bench_<label>_<hex>` database (its SQLAlchemy URL),
    dropped on exit."""
    name = f"habitus_bench_{label}_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(POSTGRES_ADMIN_DSN)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    try:
        yield _async_url(name)
    finally:
        connection = await asyncpg.connect(POSTGRES_ADMIN_DSN)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


@contextmanager
def sqlite_database(directory: Path, label: str) -> Iterator[str]:
    """A SQLite file URL in `directory` (removed on exit, with its WAL files)."""
    path = directory / f"habitus_bench_{label}_{uuid.uuid4().hex[:8]}.db"
    try:
        yield f"sqlite+aiosqlite:///{path}"
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)


async def on_each_database(
    label: str, only: str | None, run: Callable[[str, str, Path], Awaitable[Any]]
) -> dict[str, Any]:
    """`run(url, "sqlite" | "postgresql", data_dir)` on a fresh database of each kind
    (`only`: just that one), in one temporary data directory; the results by kind."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="habitus-bench-") as tmp:
        data_dir = Path(tmp)
        if only in (None, "sqlite"):
            with sqlite_database(data_dir, label) as url:
                results["sqlite"] = await run(url, "sqlite", data_dir)
        if only in (None, "postgresql"):
            async with postgres_database(label) as url:
                results["postgresql"] = await run(url, "postgresql", data_dir)
    return results


def describe(seeded: Seeded) -> str:
    parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in seeded.seconds.items())
    return f"{len(seeded.habit_ids)} habits, {seeded.entries} entries ({parts})"


async def _main(url: str, habits: int, years: int) -> None:
    seeded = await seed(url, habits=habits, years=years)
    print(f"seeded {url}: {describe(seeded)}; login {seeded.email} / {seeded.password}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python bench/seed.py DATABASE_URL [HABITS] [YEARS]")
    asyncio.run(
        _main(
            sys.argv[1],
            int(sys.argv[2]) if len(sys.argv) > 2 else 50,
            int(sys.argv[3]) if len(sys.argv) > 3 else 10,
        )
    )
