"""Issue 22: `habitus backup` and `habitus restore`, and the worker's scheduled backups.

The issue's CI requirement is the first test: real data in many tables, backed up by the
real `habitus` command, restored by it into a fresh database, and every table compared
row by row. It runs on the suite's database, so on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import re
import stat
import tarfile
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.pool import NullPool

from habitus.backups import archive, schedule
from habitus.backups.archive import Manifest
from habitus.chat import keys as chat_keys
from habitus.config import SECRET_FILE_NAME
from habitus.db import create_engine, create_sessionmaker
from habitus.kit import clock
from habitus.migrations_runner import alembic_config, head_revision, upgrade
from habitus.models import Message
from habitus.registry import JobContext
from habitus.reminders.vapid import VAPID_KEY_FILE_NAME
from tests.chat.chat_factories import direct, send
from tests.conftest import settings_for
from tests.fixtures.database import backend, drop_postgres_database, new_database
from tests.fixtures.events import read_through
from tests.fixtures.personas import Persona
from tests.habits.helpers import checked_in, create_habit
from tests.ops.backup_support import cli_env, every_table, run_here

API = "/api/v1"
BACKUP_NAME = re.compile(r"^habitus-\d{8}T\d{6}Z\.tar\.gz$")


async def seed(client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona) -> None:
    """Data across many tables, written the way the app writes it: accounts and sign-ins,
    habits and their schedules, a reminder, check-ins (entries, summaries, streaks, rewards, product
    events, the event log), a direct conversation with a message (friendships, members,
    an encrypted body), a health log; then the worker's consumers read the log
    (achievements, notices, cursors)."""
    read = await create_habit(client, alice, name="Read")
    await checked_in(client, alice, read["id"])
    reminder = await client.post(
        f"{API}/habits/{read['id']}/reminders", json={"time": "08:00"}, headers=alice.headers
    )
    assert reminder.status_code == 201, reminder.text
    water = await create_habit(
        client, alice, name="Water", kind="measurable", target={"value": 8, "unit": "glasses"}
    )
    await checked_in(client, alice, water["id"], value=5)
    walk = await create_habit(client, bob, name="Walk")
    await checked_in(client, bob, walk["id"])
    conversation = await direct(client, app, alice, bob)
    await send(app, alice, conversation, "Walk at 7?")
    logged = await client.post(
        f"{API}/health/metrics", json={"weight_kg": 72.35}, headers=alice.headers
    )
    assert logged.status_code == 201, logged.text
    await read_through(app.state.sessionmaker, app.state.settings)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_backup_restored_into_a_fresh_database_has_every_table_the_same(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    database_url: str,
    data_dir: Path,
    fresh_database_url: str,
    tmp_path: Path,
) -> None:
    """Issue 22 (CI requirement): `habitus backup`, then `habitus restore --yes` into a
    new, empty database; every table (reflected from both databases, Alembic's
    included) holds the same rows, compared in primary-key order. The file is private
    (0600 in a 0700 folder), named by its UTC time, and carries the data directory's
    secrets: with the restored chat.keys alone the restored message can be read."""
    await seed(client, app, alice, bob)
    before = await every_table(database_url)
    filled = sorted(name for name, rows in before.items() if rows)
    assert len(filled) >= 20, filled  # a comparison of empty tables would prove nothing

    folder = tmp_path / "backups"
    made = await run_here("backup", "--output", str(folder), env=cli_env(database_url, data_dir))
    assert made.exit_code == 0, made.output
    [backup] = list(folder.iterdir())
    assert BACKUP_NAME.match(backup.name)
    assert made.stdout.startswith(f"{backup} (")
    assert "KiB)" in made.stdout
    assert (mode(folder), mode(backup)) == (0o700, 0o600)

    restored_dir = tmp_path / "restored-data"
    done = await run_here(
        "restore", str(backup), "--yes", env=cli_env(fresh_database_url, restored_dir)
    )
    assert done.exit_code == 0, done.output
    assert f"Restored {backup.name}" in done.stdout

    after = await every_table(fresh_database_url)
    assert list(after) == list(before)
    for name in before:
        assert after[name] == before[name], f"table {name} differs"

    for name in ("chat.keys", VAPID_KEY_FILE_NAME):
        assert (restored_dir / name).read_bytes() == (data_dir / name).read_bytes()
        assert mode(restored_dir / name) == 0o600
    settings = settings_for(fresh_database_url, restored_dir)
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    async with engine.connect() as connection:
        body = (await connection.execute(select(Message.body_encrypted))).scalar_one()
    await engine.dispose()
    assert chat_keys.decrypt(settings, body) == "Walk at 7?"


async def test_restore_refuses_a_database_with_data_asks_first_and_force_replaces(
    client: httpx.AsyncClient,
    alice: Persona,
    database_url: str,
    data_dir: Path,
    fresh_database_url: str,
    tmp_path: Path,
) -> None:
    """Issue 22: into a database that holds rows, restore refuses without --force (exit 1,
    nothing changed); with --force it asks, and "n" changes nothing; --force --yes
    replaces the whole content with the backup's."""
    await create_habit(client, alice, name="Read")
    made = await run_here(
        "backup", "--output", str(tmp_path / "b"), env=cli_env(database_url, data_dir)
    )
    assert made.exit_code == 0, made.output
    [backup] = list((tmp_path / "b").iterdir())
    target = cli_env(fresh_database_url, tmp_path / "data")
    first = await run_here("restore", str(backup), "--yes", env=target)
    assert first.exit_code == 0, first.output
    original = await every_table(fresh_database_url)

    engine = create_engine(fresh_database_url, poolclass=NullPool)
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE habits SET name = 'Changed'"))
    await engine.dispose()
    changed = await every_table(fresh_database_url)
    assert changed != original

    refused = await run_here("restore", str(backup), "--yes", env=target)
    assert refused.exit_code == 1
    assert "not empty" in refused.output
    assert "--force" in refused.output
    assert "Traceback" not in refused.output
    assert await every_table(fresh_database_url) == changed

    declined = await run_here("restore", str(backup), "--force", env=target, answer="n\n")
    assert declined.exit_code == 1
    assert "replacing everything in it? [y/N]" in declined.output
    assert "Nothing restored." in declined.output
    assert await every_table(fresh_database_url) == changed

    replaced = await run_here("restore", str(backup), "--force", "--yes", env=target)
    assert replaced.exit_code == 0, replaced.output
    assert await every_table(fresh_database_url) == original


def forged(folder: Path, **changes: str) -> Path:
    """A backup file whose manifest says what `changes` say (the dump is not read before
    the refusals these tests expect)."""
    dialect = changes.get("dialect", backend())
    manifest = Manifest(
        dialect=dialect,
        revision=changes.get("revision", head_revision() or ""),
        created_at=archive.now(),
        app_version="0.1.0",
        secrets=(),
    )
    dump = folder / "dump"
    dump.write_bytes(b"not read")
    return archive.write(folder, manifest, dump, {})


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        pytest.param(
            {"dialect": "postgresql" if backend() == "sqlite" else "sqlite"},
            "same kind of database",
            id="other-dialect",
        ),
        pytest.param({"revision": "ffffffffffff"}, "made by a newer Habitus", id="newer-schema"),
    ],
)
async def test_restore_refuses_another_kind_of_database_and_a_newer_schema(
    changes: dict[str, str], said: str, fresh_database_url: str, tmp_path: Path
) -> None:
    """Issue 22: SQLite to SQLite and PostgreSQL to PostgreSQL only; a backup whose schema
    this code does not know is refused (exit 1, a sentence, no traceback)."""
    backup = forged(tmp_path, **changes)
    refused = await run_here(
        "restore", str(backup), "--yes", env=cli_env(fresh_database_url, tmp_path / "d")
    )
    assert refused.exit_code == 1
    assert said in refused.output
    assert "Traceback" not in refused.output


async def test_restore_refuses_a_file_that_is_not_a_backup(
    fresh_database_url: str, tmp_path: Path
) -> None:
    """Issue 22: any other file is a clear refusal, not a traceback."""
    other = tmp_path / "notes.tar.gz"
    other.write_bytes(b"hello")
    refused = await run_here(
        "restore", str(other), "--yes", env=cli_env(fresh_database_url, tmp_path / "d")
    )
    assert refused.exit_code == 1
    assert "cannot be restored" in refused.output


async def test_an_older_backup_is_restored_then_migrated(
    fresh_database_url: str, tmp_path: Path
) -> None:
    """Issue 22: a backup of a database one migration behind this code is restored as it
    was, then migrated to the head (and says so)."""
    previous = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(
        head_revision()
    )
    assert previous is not None
    assert isinstance(previous.down_revision, str)
    older_url, older_name = await new_database(tmp_path / "older")
    try:
        await asyncio.to_thread(upgrade, older_url, previous.down_revision)
        made = await run_here(
            "backup", "--output", str(tmp_path / "b"), env=cli_env(older_url, tmp_path / "d1")
        )
        assert made.exit_code == 0, made.output
    finally:
        if older_name is not None:
            await drop_postgres_database(older_name)
    [backup] = list((tmp_path / "b").iterdir())
    done = await run_here(
        "restore", str(backup), "--yes", env=cli_env(fresh_database_url, tmp_path / "d2")
    )
    assert done.exit_code == 0, done.output
    assert f"Migrated from {previous.down_revision} to {head_revision()}." in done.output
    restored = await every_table(fresh_database_url)
    assert restored["alembic_version"] == [(head_revision(),)]


async def test_a_backup_taken_while_the_app_writes_is_one_consistent_moment(
    client: httpx.AsyncClient,
    alice: Persona,
    database_url: str,
    data_dir: Path,
    fresh_database_url: str,
    tmp_path: Path,
) -> None:
    """Issue 22: habits are created one after another while the backup runs; each
    creation writes its habit, its schedule and its logged event in one transaction, so
    a copy of one moment has as many of each (a copy made table by table would not)."""
    stop = asyncio.Event()

    async def keep_writing() -> int:
        made = 0
        while not stop.is_set():
            await create_habit(client, alice, name=f"Habit {made}")
            made += 1
        return made

    writer = asyncio.create_task(keep_writing())
    await asyncio.sleep(0.2)  # writes under way before the backup starts
    try:
        done = await run_here(
            "backup", "--output", str(tmp_path / "b"), env=cli_env(database_url, data_dir)
        )
    finally:
        stop.set()
        written = await writer
    assert done.exit_code == 0, done.output
    [backup] = list((tmp_path / "b").iterdir())
    restored = await run_here(
        "restore", str(backup), "--yes", env=cli_env(fresh_database_url, tmp_path / "d")
    )
    assert restored.exit_code == 0, restored.output
    engine = create_engine(fresh_database_url, poolclass=NullPool)
    async with engine.connect() as connection:
        counts = [
            (await connection.execute(text(f"SELECT count(*) FROM {query}"))).scalar_one()
            for query in ("habits", "habit_schedules", "events WHERE kind = 'habit_created'")
        ]
    await engine.dispose()
    assert counts[0] > 0, "no habit was written before the backup"
    assert counts[0] < written, "the backup ran after every write"
    assert counts == [counts[0]] * 3


def test_the_bundled_secret_files_are_the_ones_the_app_keeps() -> None:
    """Issue 22: the backup package cannot import the features that own these files, so
    it names them; if one is renamed, backups would silently leave it out."""
    assert archive.SECRET_FILES == (SECRET_FILE_NAME, chat_keys.KEYS_FILE_NAME, VAPID_KEY_FILE_NAME)


# --- the worker's schedule -------------------------------------------------------------


def old_backup(folder: Path, days_ago: int) -> Path:
    path = folder / archive.backup_name(clock.now() - timedelta(days=days_ago))
    path.write_bytes(b"an old backup")
    return path


async def test_the_worker_backs_up_when_due_and_keeps_the_newest(
    database_url: str, data_dir: Path, tmp_path: Path
) -> None:
    """Issue 22: with HABITUS_BACKUP_INTERVAL_HOURS=24 and HABITUS_BACKUP_KEEP=2, a folder
    whose newest backup is 2 days old gets a new one and keeps only the two newest (other
    files untouched); at once again, nothing is due; an interval of 0 never backs up."""
    folder = tmp_path / "scheduled"
    folder.mkdir()
    oldest, older, newest = (old_backup(folder, days) for days in (4, 3, 2))
    (folder / "README").write_text("not a backup")
    settings = settings_for(
        database_url, data_dir, backup_dir=folder, backup_interval_hours=24, backup_keep=2
    )
    job_engine = create_engine(database_url, poolclass=NullPool)
    ctx = JobContext(create_sessionmaker(job_engine), settings, "test-worker")
    try:
        assert await schedule.run(ctx) == 1
        kept = archive.backups_in(folder)
        assert len(kept) == 2
        assert kept[0] == newest
        assert not oldest.exists()
        assert not older.exists()
        assert (folder / "README").exists()
        assert mode(kept[1]) == 0o600
        with tarfile.open(kept[1]) as tar:
            assert archive.MANIFEST in tar.getnames()

        assert await schedule.run(ctx) == 0
        assert archive.backups_in(folder) == kept

        off = JobContext(
            ctx.maker, settings.model_copy(update={"backup_interval_hours": 0}), "test-worker"
        )
        kept[1].unlink()
        assert await schedule.run(off) == 0
        assert archive.backups_in(folder) == [newest]
    finally:
        await job_engine.dispose()


async def test_a_second_worker_does_not_back_up_while_one_holds_the_lock(
    database_url: str, data_dir: Path, tmp_path: Path
) -> None:
    """Issue 22: two workers never back up at once (PostgreSQL: the advisory lock; SQLite:
    the folder's lock file): while another holds it, a due backup is left to that one."""
    folder = tmp_path / "locked"
    settings = settings_for(database_url, data_dir, backup_dir=folder, backup_interval_hours=1)
    job_engine = create_engine(database_url, poolclass=NullPool)
    ctx = JobContext(create_sessionmaker(job_engine), settings, "test-worker")
    try:
        async with schedule.only_one_worker(settings, folder) as first:
            assert first is True
            assert await schedule.run(ctx) == 0
            assert archive.backups_in(folder) == []
        assert await schedule.run(ctx) == 1
        assert len(archive.backups_in(folder)) == 1
    finally:
        await job_engine.dispose()


def test_backup_names_sort_by_time_and_only_they_are_counted(tmp_path: Path) -> None:
    """Issue 22: retention orders backups by the time in their names (a second backup in
    the same second gets a counter and sorts after the first) and ignores other files."""
    when = clock.now()
    names = [
        archive.backup_name(when, 1),
        archive.backup_name(when - timedelta(seconds=1)),
        archive.backup_name(when),
        "habitus-notes.tar.gz",
        ".habitus-x.partial",
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    assert [path.name for path in archive.backups_in(tmp_path)] == [names[1], names[2], names[0]]
    assert os.listdir(tmp_path)  # nothing deleted by looking
