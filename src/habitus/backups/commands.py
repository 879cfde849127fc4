"""What `habitus backup` and `habitus restore` do, and what the worker's schedule calls.
Every refusal is a `Refused` with a message for the operator; the CLI prints it."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory

from habitus import __version__
from habitus.backups import archive
from habitus.backups.archive import BadBackup, Manifest
from habitus.backups.databases import (
    DatabaseProblem,
    DatabaseState,
    dialect_of,
    dump_postgres,
    dump_sqlite,
    restore_postgres,
    restore_sqlite,
    sqlite_path,
    sqlite_revision,
    state_of,
)
from habitus.config import Settings
from habitus.migrations_runner import alembic_config, head_revision, upgrade

DIALECT_WORDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class Refused(Exception):
    """Nothing was done, for this reason (a message fit for an operator)."""


def default_folder(settings: Settings) -> Path:
    return settings.backup_dir or settings.data_dir / "backups"


# --- backup --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BackupMade:
    path: Path
    size: int
    manifest: Manifest


async def take_backup(settings: Settings, folder: Path | None = None) -> BackupMade:
    """Back up the configured database and the data directory's secrets into a new file
    in `folder` (default: `default_folder`)."""
    url = settings.database_url
    dialect = dialect_of(url)
    if dialect not in archive.DUMP_NAMES:
        raise Refused(f"backups of {dialect} databases are not supported")
    try:
        if dialect == "sqlite" and not sqlite_path(url).is_file():
            raise Refused(f"there is no database at {sqlite_path(url)}: nothing to back up")
        state = await state_of(url)
    except DatabaseProblem as error:
        raise Refused(str(error)) from error
    if state.revision is None:
        raise Refused("the database has no schema yet (habitus migrate): nothing to back up")
    folder = folder or default_folder(settings)
    try:
        archive.private_folder(folder)
        workspace = Path(tempfile.mkdtemp(dir=folder, prefix=".habitus-backup-"))
    except OSError as error:
        raise Refused(f"cannot write into {folder}: {error}") from error
    try:
        if dialect == "sqlite":
            dump = await asyncio.to_thread(dump_sqlite, url, workspace)
            revision = await asyncio.to_thread(sqlite_revision, dump) or state.revision
        else:
            dump = await asyncio.to_thread(dump_postgres, url, workspace)
            revision = state.revision
        secrets = archive.read_secrets(settings.data_dir)
        manifest = Manifest(
            dialect=dialect,
            revision=revision,
            created_at=archive.now(),
            app_version=__version__,
            secrets=tuple(sorted(secrets)),
        )
        path = await asyncio.to_thread(archive.write, folder, manifest, dump, secrets)
    except (DatabaseProblem, BadBackup, OSError) as error:
        raise Refused(str(error)) from error
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    return BackupMade(path, path.stat().st_size, manifest)


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete the oldest backups beyond the newest `keep`; the deleted paths."""
    found = archive.backups_in(folder)
    doomed = found[: max(0, len(found) - max(keep, 1))]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


# --- restore -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RestorePlan:
    path: Path
    manifest: Manifest
    secrets: dict[str, bytes]
    target: DatabaseState

    @property
    def replaces(self) -> bool:
        return not self.target.empty


def _known_revision(revision: str) -> bool:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    try:
        return script.get_revision(revision) is not None
    except Exception:  # CommandError, ResolutionError ...: a revision Alembic cannot place
        return False


async def plan_restore(settings: Settings, path: Path, *, force: bool) -> RestorePlan:
    """Read the backup and the target and refuse what must not happen: another kind of
    database, a schema newer than this code, a target with data (unless `force`)."""
    try:
        opened = await asyncio.to_thread(archive.read_manifest, path)
    except BadBackup as error:
        raise Refused(f"{path} cannot be restored: {error}") from error
    manifest = opened.manifest
    dialect = dialect_of(settings.database_url)
    if manifest.dialect != dialect:
        raise Refused(
            f"{path.name} holds a {DIALECT_WORDS[manifest.dialect]} database and the "
            f"configured database is {DIALECT_WORDS.get(dialect, dialect)}: a backup is "
            "restored into the same kind of database only (SQLite to SQLite, PostgreSQL "
            "to PostgreSQL); move between them with each user's export and import"
        )
    if not _known_revision(manifest.revision):
        raise Refused(
            f"{path.name} was made by a newer Habitus (schema revision {manifest.revision}, "
            f"app {manifest.app_version or 'unknown'}) than this one ({__version__}) knows: "
            "upgrade Habitus, then restore"
        )
    try:
        target = await state_of(settings.database_url)
    except DatabaseProblem as error:
        raise Refused(str(error)) from error
    if not target.empty and not force:
        shown = ", ".join(target.tables_with_rows[:5])
        more = len(target.tables_with_rows) - 5
        if more > 0:
            shown += f" and {more} more"
        raise Refused(
            f"the configured database is not empty ({shown} hold rows): restore into an "
            "empty database, or pass --force to replace everything in it"
        )
    return RestorePlan(path, manifest, opened.secrets, target)


@dataclass(frozen=True, slots=True)
class Restored:
    migrated_to: str | None  # the head, when the backup's schema was older
    notes: list[str]


async def restore(settings: Settings, plan: RestorePlan) -> Restored:
    """Replace the configured database with the backup's, put its secrets into the data
    directory, and migrate an older schema to this code's head."""
    url = settings.database_url
    try:
        archive.private_folder(settings.data_dir)
        workspace = Path(tempfile.mkdtemp(dir=settings.data_dir, prefix=".habitus-restore-"))
    except OSError as error:
        raise Refused(f"cannot write into the data directory: {error}") from error
    try:
        dump = await asyncio.to_thread(archive.extract_dump, plan.path, plan.manifest, workspace)
        if plan.manifest.dialect == "sqlite":
            await asyncio.to_thread(restore_sqlite, dump, url)
        else:
            await asyncio.to_thread(restore_postgres, dump, url, workspace)
    except (DatabaseProblem, BadBackup, OSError) as error:
        raise Refused(str(error)) from error
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    try:
        notes = put_secrets(settings, plan.secrets)
    except OSError as error:
        raise Refused(
            f"the database is restored but its secret files could not be written: {error}"
        ) from error
    migrated_to = None
    if plan.manifest.revision != head_revision():
        await asyncio.to_thread(upgrade, url)
        migrated_to = head_revision()
    return Restored(migrated_to, notes)


def put_secrets(settings: Settings, secrets: dict[str, bytes]) -> list[str]:
    """Write the backup's secret files into the data directory (mode 0600). A different
    file already there is kept beside it as `<name>.before-restore-<time>`: the restored
    database needs the backup's keys, but nothing is thrown away."""
    notes = []
    folder = archive.private_folder(settings.data_dir)
    stamp = archive.now().strftime("%Y%m%dT%H%M%SZ")
    for name, data in sorted(secrets.items()):
        path = folder / name
        if path.is_file() and path.read_bytes() == data:
            continue
        if path.exists():
            kept = path.with_name(f"{name}.before-restore-{stamp}")
            os.replace(path, kept)
            notes.append(f"{name} replaced by the backup's (the previous one is {kept.name})")
        else:
            notes.append(f"{name} restored")
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    if settings.secret_key is not None and "secret_key" in secrets:
        notes.append(
            "HABITUS_SECRET_KEY is set, so the app signs with it, not with the restored "
            "secret_key file"
        )
    if settings.chat_keys and "chat.keys" in secrets:
        notes.append(
            "HABITUS_CHAT_KEYS is set, so the restored chat.keys file is not read: add its "
            "keys to the setting for older messages to open"
        )
    return notes
