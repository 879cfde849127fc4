"""Helpers of the backup tests (issue 22): every table of a database read whole, and the
`habitus` command run in this process (the real one runs in test_backup's round trip)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, select
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner, Result

from habitus import cli
from habitus.db import create_engine


async def every_table(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table the database has (reflected, so tables no model declares count too,
    such as Alembic's), each with all its rows ordered by primary key."""
    engine = create_engine(database_url, poolclass=NullPool)
    contents: dict[str, list[tuple[Any, ...]]] = {}
    try:
        async with engine.connect() as connection:
            metadata = MetaData()
            await connection.run_sync(metadata.reflect)
            for table in metadata.sorted_tables:
                keys = list(table.primary_key.columns)
                rows = [
                    tuple(row) for row in await connection.execute(select(table).order_by(*keys))
                ]
                contents[table.name] = rows if keys else sorted(rows, key=repr)
    finally:
        await engine.dispose()
    return contents


def cli_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    return {"HABITUS_DATABASE_URL": database_url, "HABITUS_DATA_DIR": str(data_dir), **extra}


async def run_here(*args: str, env: dict[str, str], answer: str | None = None) -> Result:
    """`habitus <args>` through typer's runner, in a thread (the command runs its own
    event loop), with `answer` typed at its prompt."""
    runner = CliRunner()
    return await asyncio.to_thread(
        runner.invoke, cli.app, list(args), input=answer, env=env, catch_exceptions=False
    )
