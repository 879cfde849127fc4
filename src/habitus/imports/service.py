"""Import a file into a user's account: POST /import and `habitus import` alike.

1. The format is named or guessed; a file imported before (same SHA-256 for the user)
   is answered at once, one being imported right now is a 409 (`claims.look`).
2. The file is parsed and checked against the API's rules (`rules`) in a thread of the
   import pool, within `HABITUS_IMPORT_PARSE_SECONDS`: outside any transaction and any
   writer turn, so a slow or hostile file costs one thread for at most that long and
   stalls no one (issue 11, item 2). Every refusal (a 422 on `file`) happens here,
   before the first write.
3. The file is claimed (`claims.claim`), written in bounded steps, each a short
   transaction of its own (`writer`), and its record completed. A failure midway (the
   database's, never the file's) releases the claim; what was written stays and the
   same import run again completes it: resumable, not atomic (docs/IMPORT.md).
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from habitus.errors import ValidationFailed
from habitus.imports import claims, habitbull, habitus_json, loop_csv, loop_db, rules, writer
from habitus.imports.budget import Deadline
from habitus.imports.destination import Destination
from habitus.imports.parsed import ImportRefused, Parsed
from habitus.imports.rules import Plan
from habitus.imports.schemas import ImportFormat
from habitus.imports.writer import Progress, Written

__all__ = ["FORMATS", "FORMAT_NAMES", "Destination", "ImportResult", "Progress", "import_file"]

FORMATS: dict[ImportFormat, Callable[[bytes, Deadline], Parsed]] = {
    "loop_db": loop_db.parse_loop_db,
    "loop_csv": loop_csv.parse_loop_csv,
    "habitus_json": habitus_json.parse_habitus_json,
    "habitbull_csv": habitbull.parse_habitbull_csv,
}
FORMAT_NAMES = tuple(FORMATS)
# Files are parsed in threads of their own: imports wait for each other, never for the
# threads that hash passwords or serialise exports, and at most this many files are in
# memory at once.
_PARSERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="habitus-import")


@dataclass(slots=True)
class ImportResult:
    format: ImportFormat
    sha256: str
    habits_created: int = 0
    entries_created: int = 0
    entries_skipped: int = 0
    already_imported: bool = False
    report: list[str] = field(default_factory=list)


def sniff(data: bytes) -> ImportFormat | None:
    """The format a file looks like, from its first bytes (None: no idea)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf")
    if head.startswith(b"SQLite format 3\x00"):
        return "loop_db"
    if head.startswith(b"PK\x03\x04"):
        return "loop_csv"
    if head.lstrip().startswith(b"{"):
        return "habitus_json"
    if head.startswith(b"HabitName"):
        return "habitbull_csv"
    return None


def _format(data: bytes, fmt: str | None) -> ImportFormat:
    chosen = fmt or sniff(data)
    if chosen is None:
        raise ValidationFailed.field(
            "format",
            f"could not tell the file's format: name one of {', '.join(FORMAT_NAMES)}",
            "required",
        )
    for name in FORMAT_NAMES:
        if name == chosen:
            return name
    raise ValidationFailed.field("format", f"must be one of {', '.join(FORMAT_NAMES)}", "one_of")


def parse(data: bytes, fmt: ImportFormat, deadline: Deadline) -> Parsed:
    """Read the file (no database); `ImportRefused` when it is bad or foreign."""
    return FORMATS[fmt](data, deadline)


def prepare(data: bytes, fmt: ImportFormat, seconds: float) -> Plan:
    """Parse and check the file within `seconds` (run in an import thread)."""
    deadline = Deadline(seconds)
    return rules.check(parse(data, fmt, deadline), deadline)


async def _prepared(data: bytes, fmt: ImportFormat, seconds: float) -> Plan:
    running = asyncio.get_running_loop()
    try:
        return await running.run_in_executor(_PARSERS, prepare, data, fmt, seconds)
    except ImportRefused as refused:
        raise ValidationFailed.field("file", refused.message, refused.rule) from refused


def _already(fmt: ImportFormat, digest: str, earlier: claims.Earlier) -> ImportResult:
    return ImportResult(
        format=fmt,
        sha256=digest,
        already_imported=True,
        report=[f"this file was already imported on {earlier.on}: nothing was created"],
    )


async def import_file(
    destination: Destination,
    user_id: uuid.UUID,
    *,
    data: bytes,
    fmt: str | None,
    parse_seconds: float,
    progress: Progress | None = None,
) -> ImportResult:
    """Import `data` (format `fmt`, or guessed) into the account of `user_id`, writing
    through `destination` (see the module). A bad file: ValidationFailed (422)."""
    chosen = _format(data, fmt)
    digest = hashlib.sha256(data).hexdigest()
    earlier = await claims.look(destination, user_id, digest)
    if earlier is not None:
        return _already(chosen, digest, earlier)
    plan = await _prepared(data, chosen, parse_seconds)
    claimed = await claims.claim(destination, user_id, fmt=chosen, sha256=digest, size=len(data))
    if isinstance(claimed, claims.Earlier):  # another import finished it meanwhile
        return _already(chosen, digest, claimed)
    try:
        written = await writer.write(destination, user_id, plan, progress)
        result = _result(chosen, digest, plan, written)
        await claims.finish(
            destination,
            claimed,
            habits_created=result.habits_created,
            entries_created=result.entries_created,
            entries_skipped=result.entries_skipped,
            report=result.report,
        )
    except BaseException:
        # Shielded: a cancelled request still gives its claim back.
        await asyncio.shield(claims.release(destination, claimed))
        raise
    return result


def _result(fmt: ImportFormat, digest: str, plan: Plan, written: Written) -> ImportResult:
    report = [*plan.report, *written.report]
    if plan.repeats:
        report.append(
            f"{plan.repeats} days appear more than once in the file: the first of each was imported"
        )
    for count, what in (
        (written.duplicate, "were already there"),
        (written.future, "are in the future"),
        (written.outside, "fall outside their habit's start and end dates"),
        (written.invalid, "had no usable value"),
    ):
        if count:
            report.append(f"{count} days were not imported: they {what}")
    return ImportResult(
        format=fmt,
        sha256=digest,
        habits_created=written.habits_created,
        entries_created=written.entries_created,
        entries_skipped=plan.repeats + written.skipped(),
        report=report,
    )
