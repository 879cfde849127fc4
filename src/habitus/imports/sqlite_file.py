"""Opening an uploaded SQLite file without trusting it (issue 11, item 2).

A database file is a program as much as data: a view may recurse for as long as its
author likes, a trigger or a computed column runs code on read. The file is copied to a
private temporary file and opened read-only (`mode=ro`, `immutable=1`: no locks, no
journal, nothing written beside it) with `query_only` and `trusted_schema = OFF`; a
progress handler stops any statement once the import's time budget is spent; and before
any row is read, `refuse_code` turns away every view, trigger, virtual table and
computed column, none of which a Loop backup has.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from habitus.imports.budget import Deadline
from habitus.imports.parsed import ImportRefused

SQLITE_HEADER = b"SQLite format 3\x00"
# SQLite instructions between two looks at the clock (a few microseconds' work).
PROGRESS_STEPS = 10_000
# `PRAGMA table_xinfo` column `hidden`: 0 an ordinary column; 1 a virtual table's hidden
# column; 2 and 3 a generated (computed) column.
_ORDINARY = 0


@contextlib.contextmanager
def open_untrusted(data: bytes, deadline: Deadline, what: str) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a copy of `data` that gives up at `deadline`. A file
    SQLite cannot read is refused as not being `what` ("a Loop backup")."""
    if not data.startswith(SQLITE_HEADER):
        raise ImportRefused(f"not {what}: the file is not an SQLite database")
    handle, name = tempfile.mkstemp(prefix="habitus-import-", suffix=".db")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        uri = f"{Path(name).as_uri()}?mode=ro&immutable=1"
        connection = sqlite3.connect(uri, uri=True)
        try:
            _harden(connection, len(data), deadline)
            yield connection
        except sqlite3.DatabaseError as error:
            if deadline.passed():
                raise deadline.refusal() from error
            raise ImportRefused(f"not {what}: the SQLite file cannot be read ({error})") from error
        finally:
            connection.close()
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


def _harden(connection: sqlite3.Connection, size: int, deadline: Deadline) -> None:
    connection.set_progress_handler(lambda: 1 if deadline.passed() else 0, PROGRESS_STEPS)
    # No value read from a file of `size` bytes can be longer than the file: anything
    # bigger was computed, and stops here instead of filling the memory.
    connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max(size, 1 << 20))
    for pragma in (
        "PRAGMA query_only = ON",
        # Never run what the file's schema asks for (functions in views, triggers ...).
        "PRAGMA trusted_schema = OFF",
        # Check each cell against its page, so a crafted page is an error, not a crash.
        "PRAGMA cell_size_check = ON",
    ):
        connection.execute(pragma)


def refuse_code(connection: sqlite3.Connection, tables: tuple[str, ...], what: str) -> None:
    """Refuse a file holding anything that runs code when read: views and triggers
    anywhere, and, where `what` has `tables`, anything but plain tables of ordinary
    columns. Reads only the schema, never a row."""
    rows = connection.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    wanted = {table.lower(): table for table in tables}
    for kind, name, sql in rows:
        shown = wanted.get(str(name).lower(), name)
        if kind == "view":
            raise ImportRefused(
                f"not {what}: {shown} is a view, which {what} never has", "not_a_table"
            )
        if kind == "trigger":
            raise ImportRefused(
                f"not {what}: it has a trigger ({name}), which {what} never has", "not_a_table"
            )
        if kind == "table" and str(name).lower() in wanted:
            if str(sql or "").lstrip().upper().startswith("CREATE VIRTUAL"):
                raise ImportRefused(f"not {what}: {shown} is a virtual table", "not_a_table")
            _ordinary_columns(connection, shown, what)


def _ordinary_columns(connection: sqlite3.Connection, table: str, what: str) -> None:
    computed = [
        str(row[1])
        for row in connection.execute(f"PRAGMA table_xinfo('{table}')")
        if row[6] != _ORDINARY
    ]
    if computed:
        raise ImportRefused(
            f"not {what}: {table} has a computed column ({', '.join(computed)})", "not_a_table"
        )
