"""JSON API of photo extraction: /api/v1/health/extractions (API.md "Health metrics",
D15.2). Send a photo, get proposals; confirm them (corrected as needed) to write a log.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request, Response, status

from habitus import db
from habitus.auth.dependencies import CurrentUser, idempotent
from habitus.health import extraction, images
from habitus.health.api import log_out
from habitus.health.extraction_schemas import (
    ConfirmIn,
    DroppedValue,
    ExtractionOut,
    ProposedValue,
)
from habitus.health.schemas import HealthLogOut
from habitus.http import idempotency, uploads
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, problems
from habitus.models.health import HealthExtraction

router = APIRouter(
    prefix="/health/extractions",
    tags=["health metrics"],
    route_class=TransactionalRoute,
    responses=AUTHENTICATED_PROBLEMS,
)
PHOTO_LIMIT = uploads.Limit(images.MAX_BYTES, "The photo is larger than 10 MB.")
PATH = "/api/v1/health/extractions"

PHOTO_BODY: dict[str, Any] = {
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
                            "description": "A photo of a scale's report: JPEG, PNG or WebP "
                            "(by content), at most 10 MB.",
                        }
                    },
                }
            }
        },
    }
}


def extraction_out(found: HealthExtraction) -> ExtractionOut:
    return ExtractionOut(
        id=found.id,
        source="vision" if found.source == "vision" else "ocr",
        model=found.model,
        fallback_reason=found.fallback_reason,
        fields={
            name: ProposedValue(
                value=item["value"], confidence=item["confidence"], box=item.get("box")
            )
            for name, item in found.fields.items()
        },
        dropped=[DroppedValue(**item) for item in found.dropped],
        width=found.width,
        height=found.height,
        expires_at=found.expires_at,
        confirmed=found.confirmed_at is not None,
        log_id=found.log_id,
    )


async def within_limit(request: Request, _user: CurrentUser) -> None:
    """Runs before the Idempotency-Key guard, which reads the whole body."""
    await uploads.read_body(request, PHOTO_LIMIT)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=PHOTO_BODY,
    responses=problems(413, 415, 422, 429, 503),
    dependencies=[Depends(within_limit), idempotent()],
)
@db.prepares_before_writing
async def create_extraction(
    request: Request, user: CurrentUser, session: DbSession, ctx: Context
) -> ExtractionOut:
    """D15.2: read a photo of a scale report. The values are proposals: nothing is
    saved until they are confirmed. `source` says who read it (`vision`: the configured
    model; `ocr`: offline, also when the model failed, with `fallback_reason`). 503 when
    this server has neither."""
    upload = await uploads.read_file(request, PHOTO_LIMIT, max_fields=2)
    found = await extraction.extract(session, ctx, user, upload.data)
    await idempotency.claim_late(request)
    return extraction_out(found)


@router.get("/{extraction_id}", responses=problems(404))
async def get_extraction(
    extraction_id: uuid.UUID, user: CurrentUser, session: DbSession
) -> ExtractionOut:
    return extraction_out(await extraction.get(session, user, extraction_id))


@router.get(
    "/{extraction_id}/crops/{field}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, **problems(404)},
)
async def get_crop(
    extraction_id: uuid.UUID, field: str, user: CurrentUser, session: DbSession, ctx: Context
) -> Response:
    """The photo around where the offline reader found `field`'s value."""
    data = await extraction.crop_of(session, ctx, user, extraction_id, field)
    return Response(
        data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"}
    )


@router.post(
    "/{extraction_id}/confirm",
    status_code=status.HTTP_201_CREATED,
    responses=problems(404, 409, 422),
    dependencies=[idempotent()],
)
@db.prepares_before_writing
async def confirm_extraction(
    extraction_id: uuid.UUID, body: ConfirmIn, user: CurrentUser, session: DbSession
) -> HealthLogOut:
    """D15.2: save the confirmed (or corrected) values as a log of source `photo`; the
    photo is deleted at once."""
    created = await extraction.confirm(
        session,
        user,
        extraction_id,
        values=body.fields.given(),
        day=body.date,
        at=body.time,
    )
    return log_out(created)


@router.delete("/{extraction_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404))
@db.prepares_before_writing
async def discard_extraction(
    extraction_id: uuid.UUID, user: CurrentUser, session: DbSession
) -> Response:
    """Throw the proposal and its photo away."""
    await extraction.discard(session, user, extraction_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
