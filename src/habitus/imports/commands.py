"""What `habitus import FILE --user EMAIL` does, on the same service as POST /import."""

from __future__ import annotations

from habitus import db
from habitus.auth import repository
from habitus.config import Settings
from habitus.errors import AppError
from habitus.imports import service
from habitus.imports.destination import Destination
from habitus.imports.service import ImportResult, Progress


class ImportFailed(Exception):
    """The import was refused (nothing was written) or failed midway (what was written
    stays; running the same import again completes it). The message says why."""


async def import_for(
    settings: Settings,
    *,
    email: str,
    data: bytes,
    fmt: str | None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import `data` into the account of `email`, as POST /import does: checked whole
    within HABITUS_IMPORT_PARSE_SECONDS, then written in short transactions (this
    process has no writer queue: SQLite's busy timeout orders it with a running server).
    The schema must be migrated already."""
    if len(data) > settings.import_max_bytes:
        raise ImportFailed(
            f"the file is larger than the import limit of {settings.import_max_bytes} bytes "
            "(HABITUS_IMPORT_MAX_BYTES)"
        )
    engine = db.create_engine(settings.database_url)
    try:
        maker = db.create_sessionmaker(engine)
        async with maker() as session:
            user = await repository.user_by_email(session, email)
        if user is None:
            raise ImportFailed(f"no account with the address {email}")
        try:
            return await service.import_file(
                Destination(maker, None),
                user.id,
                data=data,
                fmt=fmt,
                parse_seconds=settings.import_parse_seconds,
                progress=progress,
            )
        except AppError as error:
            detail = "; ".join(f"{item.field}: {item.message}" for item in error.errors)
            raise ImportFailed(detail or error.message) from error
    finally:
        await engine.dispose()
