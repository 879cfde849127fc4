"""Backups taken by the worker (HABITUS_BACKUP_INTERVAL_HOURS, off by default), with
retention (HABITUS_BACKUP_KEEP). Every worker checks every CHECK_SECONDS; one backs up
when the newest backup in the folder is older than the interval, then deletes the oldest
beyond the number kept. Two workers never back up at once: on PostgreSQL they take a
session advisory lock, on SQLite (one machine) a file lock in the backup folder."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import structlog
from sqlalchemy import text
from sqlalchemy.pool import NullPool

from habitus.backups import archive
from habitus.backups.commands import default_folder, prune, take_backup
from habitus.backups.databases import dialect_of
from habitus.config import Settings
from habitus.db import create_engine
from habitus.kit import clock
from habitus.registry import JobContext

log = structlog.get_logger(__name__)
CHECK_SECONDS = 600.0
# pg_advisory_lock's key for "a worker is taking the scheduled backup" (any constant no
# other lock of the app uses: the bytes of "habitus:backup" folded into 63 bits).
LOCK_KEY = int.from_bytes(b"habitus:backup", "big") & ((1 << 63) - 1)


def due(folder: Path, interval: timedelta) -> bool:
    found = archive.backups_in(folder)
    if not found:
        return True
    newest = archive.taken_at(found[-1])
    return newest is None or clock.now() - newest[0] >= interval


@contextlib.asynccontextmanager
async def only_one_worker(settings: Settings, folder: Path) -> AsyncIterator[bool]:
    """Yield True to the one worker that holds the backup lock now, False to the others."""
    if dialect_of(settings.database_url) == "postgresql":
        engine = create_engine(settings.database_url, poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                held = bool(
                    await autocommit.scalar(
                        text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}
                    )
                )
                try:
                    yield held
                finally:
                    if held:
                        await autocommit.execute(
                            text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY}
                        )
        finally:
            await engine.dispose()
        return
    archive.private_folder(folder)
    # A tiny local file, opened without waiting on anything: no thread needed.
    with open(folder / ".lock", "a+b") as lock_file:  # noqa: ASYNC230
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


async def run(ctx: JobContext) -> int:
    """The worker's job: 1 when it took a backup, else 0."""
    settings = ctx.settings
    if settings.backup_interval_hours <= 0:
        return 0
    folder = default_folder(settings)
    interval = timedelta(hours=settings.backup_interval_hours)
    async with only_one_worker(settings, folder) as mine:
        if not mine or not due(folder, interval):
            return 0
        made = await take_backup(settings, folder)
        removed = prune(folder, settings.backup_keep)
    log.info(
        "backup_made",
        path=str(made.path),
        bytes=made.size,
        removed=[path.name for path in removed],
    )
    return 1
