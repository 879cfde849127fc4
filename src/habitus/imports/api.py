"""Import: Habitus JSON, Loop Habit Tracker (SQLite backup, CSV zip), HabitBull CSV."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from habitus import db
from habitus.auth.dependencies import CurrentUser, idempotent
from habitus.errors import PayloadTooLarge, ValidationFailed
from habitus.http import idempotency
from habitus.http.dependencies import Context
from habitus.http.routing import TransactionalRoute
from habitus.imports import service
from habitus.imports.destination import Destination
from habitus.imports.schemas import ImportOut
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, problems

router = APIRouter(route_class=TransactionalRoute, tags=["import"])
# The multipart envelope around the file (boundaries, headers, the format field).
ENVELOPE_BYTES = 64 * 1024
READ_CHUNK = 64 * 1024

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


def _too_large_message(limit: int) -> str:
    return f"The file is larger than the import limit of {limit} bytes."


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(limit, _too_large_message(limit))


def body_limit(limit: int) -> tuple[int, str]:
    """The request-body limit of this route (http.middleware.BodyLimitMiddleware): the
    file's limit and the multipart envelope around it, and the 413's words."""
    return limit + ENVELOPE_BYTES, _too_large_message(limit)


async def read_body(request: Request, limit: int) -> None:
    """Read the request body, counting bytes as they arrive: more than `limit` (plus the
    multipart envelope) is a 413 before anything is parsed or stored."""
    if hasattr(request, "_body"):
        return
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise ValidationFailed.field(
            "file", "send the file as multipart/form-data (field `file`)", "multipart"
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + ENVELOPE_BYTES:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit + ENVELOPE_BYTES:
            raise _too_large(limit)
    request._body = bytes(body)  # request.body() and request.form() read it from here


async def within_limit(request: Request, _user: CurrentUser, ctx: Context) -> None:
    """Runs before the Idempotency-Key guard, which reads the whole body."""
    await read_body(request, ctx.settings.import_max_bytes)


async def read_upload(request: Request, limit: int) -> tuple[bytes, str | None]:
    """The uploaded file and the format field (the body within `limit`)."""
    await read_body(request, limit)
    try:
        form = await request.form(max_files=1, max_fields=4)
    except (MultiPartException, HTTPException) as error:
        detail = getattr(error, "detail", None) or getattr(error, "message", str(error))
        raise ValidationFailed.field("file", f"the upload cannot be read: {detail}") from error
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ValidationFailed.field("file", "is required (a file part)", "required")
        data = bytearray()
        while chunk := await upload.read(READ_CHUNK):
            data.extend(chunk)
            if len(data) > limit:
                raise _too_large(limit)
        # An empty format (the web form's "Tell from the file") is no format named.
        fmt = form.get("format") or None
        if fmt is not None and not isinstance(fmt, str):
            raise ValidationFailed.field("format", "must be text", "type")
        if fmt is not None and fmt not in service.FORMAT_NAMES:
            raise ValidationFailed.field(
                "format", f"must be one of {', '.join(service.FORMAT_NAMES)}", "one_of"
            )
        if not data:
            raise ValidationFailed.field("file", "is empty", "not_empty")
        return bytes(data), fmt or None
    finally:
        await form.close()


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
