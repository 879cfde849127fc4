"""An import's claim on its file: the `import_records` row (unique per user and SHA-256).

Looked at before parsing (read-only: a file imported before is answered at once, one
being imported right now is a 409), claimed in a short transaction of its own just
before the first write, completed by the last one, and released (deleted) when the
import fails after claiming. A process that crashed mid-import leaves its claim
unfinished; after STALE_AFTER another import of the file takes it over and, habits
matching by name and days by date, completes what the crashed one started.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy.exc import IntegrityError

from habitus.errors import AppError
from habitus.imports import repository
from habitus.imports.destination import Destination
from habitus.kit import clock
from habitus.models import ImportRecord

STALE_AFTER = timedelta(hours=1)
log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Earlier:
    """The file was imported before (finished): nothing is to be done."""

    on: str  # the day, ISO


def _in_progress() -> AppError:
    return AppError(
        "This file is being imported right now; it will not be imported twice.",
        status_code=409,
        code="import-in-progress",
    )


def _state(record: ImportRecord | None) -> Earlier | None:
    """None: the file may be claimed (no record, or a stale unfinished one)."""
    if record is None:
        return None
    if record.finished_at is not None:
        return Earlier(record.created_at.date().isoformat())
    if clock.now() - record.created_at < STALE_AFTER:
        raise _in_progress()
    return None


async def look(destination: Destination, user_id: uuid.UUID, sha256: str) -> Earlier | None:
    """Before parsing, without writing: Earlier when the file was imported, a 409 when
    it is being imported, None when it may be."""
    async with destination.maker() as session:
        return _state(await repository.record_of(session, user_id, sha256))


async def claim(
    destination: Destination, user_id: uuid.UUID, *, fmt: str, sha256: str, size: int
) -> uuid.UUID | Earlier:
    """Claim the file for this import (its record's id), in a transaction of its own; or
    Earlier when another import finished it meanwhile. Two imports of one file at once:
    the second gets a 409 (the unique key makes it wait for the first's claim)."""
    try:
        async with destination.transaction() as session:
            found = await repository.record_of(session, user_id, sha256)
            earlier = _state(found)
            if earlier is not None:
                return earlier
            if found is not None:  # a stale claim: taken over
                await repository.drop_unfinished(session, found.id)
            record = ImportRecord(
                user_id=user_id,
                format=fmt,
                sha256=sha256,
                size_bytes=size,
                habits_created=0,
                entries_created=0,
                entries_skipped=0,
                report=[],
                finished_at=None,
            )
            session.add(record)
            await session.flush()
            return record.id
    except IntegrityError as error:
        raise _in_progress() from error


async def finish(
    destination: Destination,
    record_id: uuid.UUID,
    *,
    habits_created: int,
    entries_created: int,
    entries_skipped: int,
    report: list[str],
) -> None:
    async with destination.transaction() as session:
        await repository.finish(
            session,
            record_id,
            habits_created=habits_created,
            entries_created=entries_created,
            entries_skipped=entries_skipped,
            report=report,
            finished_at=clock.now(),
        )


async def release(destination: Destination, record_id: uuid.UUID) -> None:
    """The compensating transaction of a failed import: its claim goes, so the same file
    can be imported again at once (what was written stays, and is matched then). When
    even this fails, the claim turns stale after STALE_AFTER."""
    try:
        async with destination.transaction() as session:
            await repository.drop_unfinished(session, record_id)
    except Exception:
        log.warning("import_claim_not_released", record_id=str(record_id), exc_info=True)
