"""What one database round trip costs in this stack: 5 single-row updates and a commit,
through an ORM session, a Core connection, `exec_driver_sql` and the raw driver.

Explains the check-in figures (a check-in is 6 statements, the floor 1). Run:

    .venv/bin/python -m bench.roundtrip_bench [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, Table, bindparam, update

from bench.seed import postgres_database, sqlite_database
from habitus.db import create_engine, create_sessionmaker

REPS = 400


async def measure(url: str, label: str) -> None:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    metadata = MetaData()
    table = Table(
        "roundtrip", metadata, Column("id", Integer, primary_key=True), Column("v", Integer)
    )
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        await connection.execute(table.insert().values(id=1, v=0))
    statement = (
        update(table)
        .where(table.c.id == bindparam("i"))
        .values(v=table.c.v + 1)
        .returning(table.c.v)
    )
    postgres = url.startswith("postgresql")
    raw = f"UPDATE roundtrip SET v = v + 1 WHERE id = {'$1' if postgres else '?'} RETURNING v"

    async def orm_session() -> None:
        async with sessions() as session:
            for _ in range(5):
                (await session.execute(statement, {"i": 1})).one()
            await session.commit()

    async def core_connection() -> None:
        async with engine.connect() as connection:
            for _ in range(5):
                (await connection.execute(statement, {"i": 1})).one()
            await connection.commit()

    async def driver_sql() -> None:
        async with engine.connect() as connection:
            for _ in range(5):
                (await connection.exec_driver_sql(raw, (1,))).one()
            await connection.commit()

    async def raw_driver() -> None:
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            if postgres:
                async with driver.transaction():
                    for _ in range(5):
                        await driver.fetchval(raw, 1)
            else:
                for _ in range(5):
                    async with driver.execute(raw, (1,)) as cursor:
                        await cursor.fetchone()
                await driver.commit()

    cases: list[tuple[str, Callable[[], Awaitable[None]]]] = [
        ("ORM session, prebuilt Core statement", orm_session),
        ("Core connection", core_connection),
        ("connection.exec_driver_sql", driver_sql),
        ("raw driver (aiosqlite / asyncpg)", raw_driver),
    ]
    print(f"  {label}: 5 single-row updates + commit, one connection, median of {REPS}")
    for name, case in cases:
        for _ in range(40):
            await case()
        samples = []
        for _ in range(REPS):
            started = time.perf_counter()
            await case()
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        print(f"    {name:<40} {samples[len(samples) // 2]:6.3f} ms")
    await engine.dispose()


async def main_async(only: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="habitus-roundtrip-") as tmp:
        if only in (None, "sqlite"):
            with sqlite_database(Path(tmp), "roundtrip") as url:
                await measure(url, "sqlite")
        if only in (None, "postgresql"):
            async with postgres_database("roundtrip") as url:
                await measure(url, "postgresql")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    asyncio.run(main_async(parser.parse_args(argv).only))
    return 0


if __name__ == "__main__":
    sys.exit(main())
