"""Copying the database out and back in: SQLite through its online backup API,
PostgreSQL through `pg_dump` and `pg_restore` (run here, with the connection of the
configured URL passed in the environment, never a password on a command line)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from habitus.db import create_engine
from habitus.migrations_runner import current_revision

# A backup waits this long for a writer to finish (SQLite), like the app's statements.
BUSY_TIMEOUT_MS = 10_000
REVISION_TABLE = "alembic_version"


class DatabaseProblem(Exception):
    """The database or its tools refused (a message fit for an operator)."""


def dialect_of(database_url: str) -> str:
    return make_url(database_url).get_backend_name()


# --- what is there -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DatabaseState:
    revision: str | None
    tables_with_rows: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.tables_with_rows


async def state_of(database_url: str) -> DatabaseState:
    """The schema revision and which tables hold a row (the revision table aside)."""
    if dialect_of(database_url) == "sqlite" and not sqlite_path(database_url).exists():
        return DatabaseState(None, ())  # looking must not create the file
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            revision = await connection.run_sync(current_revision)
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            quote = engine.dialect.identifier_preparer.quote
            filled = []
            for name in sorted(names):
                if name == REVISION_TABLE:
                    continue
                found = await connection.execute(text(f"SELECT 1 FROM {quote(name)} LIMIT 1"))
                if found.first() is not None:
                    filled.append(name)
    except (OSError, SQLAlchemyError) as error:
        said = getattr(error, "orig", None) or error  # the driver's words, not SQLAlchemy's
        raise DatabaseProblem(f"the database cannot be read ({said})") from error
    finally:
        await engine.dispose()
    return DatabaseState(revision, tuple(filled))


# --- SQLite --------------------------------------------------------------------------


def sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise DatabaseProblem(f"the SQLite database must be a file, not {database!r}")
    return Path(database)


def _open(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return connection


def dump_sqlite(database_url: str, into: Path) -> Path:
    """A consistent copy of the live database (WAL: the app keeps writing meanwhile; the
    copy is one snapshot, taken in one step of the online backup API), as a single file
    with no journal beside it."""
    path = sqlite_path(database_url)
    if not path.is_file():
        raise DatabaseProblem(f"there is no database at {path}")
    target = into / "database.sqlite3"
    source, copy = _open(path), _open(target)
    try:
        # pages=-1: everything in one step, under one read transaction, so a write
        # between steps can neither tear the copy nor make the copy start over.
        source.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode=DELETE")
        problems = [row[0] for row in copy.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise DatabaseProblem(f"the copy fails SQLite's check: {'; '.join(problems[:5])}")
    except sqlite3.Error as error:
        raise DatabaseProblem(f"SQLite could not copy {path}: {error}") from error
    finally:
        source.close()
        copy.close()
    return target


def restore_sqlite(dump: Path, database_url: str) -> None:
    """Replace the configured database's whole content with the dump's, through the same
    backup API (the target is locked while it is written, and is either the old database
    or the new one, never a mix)."""
    path = sqlite_path(database_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    source, target = _open(dump), _open(path)
    try:
        source.backup(target, pages=-1)
    except sqlite3.Error as error:
        raise DatabaseProblem(
            f"SQLite could not write {path}: {error} (stop the app and its workers first)"
        ) from error
    finally:
        source.close()
        target.close()


# --- PostgreSQL ----------------------------------------------------------------------


def find_tool(name: str) -> str:
    """`name` from PATH, else from the newest PostgreSQL under /usr/lib/postgresql."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    if candidates:
        return str(candidates[-1])
    raise DatabaseProblem(
        f"{name} was not found: install the PostgreSQL client tools (the server's version "
        "or newer) or put them on PATH"
    )


_SSL_MODES = {"true": "require", "1": "require", "false": "disable", "0": "disable"}


def postgres_environment(database_url: str) -> dict[str, str]:
    """libpq's variables for the configured URL (`postgresql+asyncpg://...`): the tools
    read the password from PGPASSWORD, so it never shows in a process list."""
    url: URL = make_url(database_url)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    # Certificates and service files configured for libpq stay usable.
    env.update({k: v for k, v in os.environ.items() if k in ("PGSSLROOTCERT", "PGSERVICEFILE")})
    for variable, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value is not None:
            env[variable] = str(value)
    ssl = url.query.get("sslmode") or url.query.get("ssl")
    if isinstance(ssl, str):
        env["PGSSLMODE"] = _SSL_MODES.get(ssl.lower(), ssl)
    env["PGAPPNAME"] = "habitus-backup"
    return env


def _failed(tool: str, stderr: bytes | str) -> DatabaseProblem:
    said = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    last = " / ".join(line for line in said.strip().splitlines()[-5:] if line.strip())
    return DatabaseProblem(f"{tool} failed: {last or 'no message'}")


def dump_postgres(database_url: str, into: Path) -> Path:
    target = into / "database.pgdump"
    done = subprocess.run(
        [find_tool("pg_dump"), "--format=custom", "--no-password", f"--file={target}"],
        env=postgres_environment(database_url),
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise _failed("pg_dump", done.stderr)
    return target


# Everything of the old schema goes, not only what the dump recreates: a database at a
# newer revision than the backup has tables the dump does not know, and `habitus
# migrate` would trip over them afterwards. Run in the restore's one transaction.
_EMPTY_SCHEMA = """
DO $$
DECLARE item record;
BEGIN
  FOR item IN
    SELECT c.relname, c.relkind FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format(
      CASE item.relkind
        WHEN 'v' THEN 'DROP VIEW IF EXISTS public.%I CASCADE'
        WHEN 'm' THEN 'DROP MATERIALIZED VIEW IF EXISTS public.%I CASCADE'
        WHEN 'f' THEN 'DROP FOREIGN TABLE IF EXISTS public.%I CASCADE'
        WHEN 'S' THEN 'DROP SEQUENCE IF EXISTS public.%I CASCADE'
        ELSE 'DROP TABLE IF EXISTS public.%I CASCADE'
      END, item.relname);
  END LOOP;
  FOR item IN
    SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP TYPE IF EXISTS public.%I CASCADE', item.typname);
  END LOOP;
  FOR item IN
    SELECT p.oid::regprocedure AS signature FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', item.signature);
  END LOOP;
END $$;
"""


def restore_postgres(dump: Path, database_url: str, workspace: Path) -> None:
    """Empty the configured database's schema and load the dump, in ONE transaction
    (psql --single-transaction, stopping at the first error): a restore that fails
    leaves the database as it was. Objects are owned by the restoring user (the dump's
    owners and grants are left out)."""
    env = postgres_environment(database_url)
    preamble = workspace / "empty-schema.sql"
    preamble.write_text(_EMPTY_SCHEMA, encoding="utf-8")
    script = subprocess.Popen(
        [find_tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(dump)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert script.stdout is not None
    try:
        loaded = subprocess.run(
            [
                find_tool("psql"),
                "--no-psqlrc",
                "--no-password",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                f"--file={preamble}",
                "--file=-",
            ],
            env=env,
            stdin=script.stdout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
    finally:
        script.stdout.close()
        _, unpacking_errors = script.communicate()
    # psql first: when it stops at an error, pg_restore fails too, on a closed pipe.
    if loaded.returncode != 0:
        raise _failed("psql", loaded.stderr)
    if script.returncode != 0:
        raise _failed("pg_restore", unpacking_errors)


def sqlite_revision(copy: Path) -> str | None:
    """The Alembic revision inside a SQLite copy (read from the copy itself, so it is
    the copy's schema even if a migration ran while it was taken)."""
    connection = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        row = connection.execute(f"SELECT version_num FROM {REVISION_TABLE}").fetchone()
    except sqlite3.Error:
        return None
    finally:
        connection.close()
    return None if row is None else str(row[0])
