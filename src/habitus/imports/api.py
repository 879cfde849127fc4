"""Import: Habitus JSON, Loop Habit Tracker (SQLite backup, CSV zip), HabitBull CSV."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from habitus import db
from habitus.auth.dependencies import CurrentUser, idempotent
from habitus.errors import ValidationFailed
from habitus.http import idempotency, uploads
from habitus.http.dependencies import Context
from habitus.http.routing import TransactionalRoute
from habitus.imports import service
from habitus.imports.destination import Destination
from habitus.imports.schemas import ImportOut
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, problems

router = APIRouter(route_class=TransactionalRoute, tags=["import"])

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The file: a Loop backup (.db), Loop's CSV "
                            "export (.zip), a Habitus export (.json) or a HabitBull CSV.",
                        },
                        "format": {
                            "type": "string",
                            "enum": list(service.FORMAT_NAMES),
                            "description": "The file's format; guessed from its first "
                            "bytes when left out.",
                        },
                    },
                }
            }
        },
    }
}


def upload_limit(limit: int) -> uploads.Limit:
    return uploads.Limit(limit, f"The file is larger than the import limit of {limit} bytes.")


def body_limit(limit: int) -> tuple[int, str]:
    """The request-body limit of this route (http.middleware.BodyLimitMiddleware)."""
    return upload_limit(limit).body_limit()


async def read_body(request: Request, limit: int) -> None:
    await uploads.read_body(request, upload_limit(limit))


async def within_limit(request: Request, _user: CurrentUser, ctx: Context) -> None:
    """Runs before the Idempotency-Key guard, which reads the whole body."""
    await read_body(request, ctx.settings.import_max_bytes)


async def read_upload(request: Request, limit: int) -> tuple[bytes, str | None]:
    """The uploaded file and the format field (the body within `limit`)."""
    upload = await uploads.read_file(request, upload_limit(limit))
    # An empty format (the web form's "Tell from the file") is no format named.
    fmt = upload.fields.get("format") or None
    if fmt is not None and fmt not in service.FORMAT_NAMES:
        raise ValidationFailed.field(
            "format", f"must be one of {', '.join(service.FORMAT_NAMES)}", "one_of"
        )
    return upload.data, fmt


@router.post(
    "/import",
    openapi_extra=UPLOAD_BODY,
    responses={**AUTHENTICATED_PROBLEMS, **problems(400, 409, 413)},
    dependencies=[Depends(within_limit), idempotent()],
)
@db.prepares_before_writing
async def import_file(request: Request, user: CurrentUser, ctx: Context) -> ImportOut:
    """Import a file: a Loop Habit Tracker backup (`loop_db`, schema 22 to 25), Loop's
    CSV export zip (`loop_csv`), a Habitus export (`habitus_json`, GET /me/export) or
    a HabitBull CSV (`habitbull_csv`). The file is checked whole before anything is
    written (a bad or foreign file: 422 naming the problem; over the size limit: 413),
    then written in short steps: a failure midway keeps what was written, and sending
    the same file again completes it. Importing the same file again creates nothing;
    habits are matched by name and days by date, so overlapping files add only what is
    new."""
    data, fmt = await read_upload(request, ctx.settings.import_max_bytes)
    # Parsed without the writer turn and outside the request's transaction, then
    # written in short transactions of the import's own (docs/IMPORT.md).
    destination = Destination(request.app.state.sessionmaker, request.app.state.writer_queue)
    result = await service.import_file(
        destination,
        user.id,
        data=data,
        fmt=fmt,
        parse_seconds=ctx.settings.import_parse_seconds,
    )
    await idempotency.claim_late(request)
    return ImportOut(
        format=result.format,
        habits_created=result.habits_created,
        entries_created=result.entries_created,
        entries_skipped=result.entries_skipped,
        already_imported=result.already_imported,
        report=result.report,
        sha256=result.sha256,
    )
