"""Proposing health values from a photo and confirming them (issue 19, D15.2).

`extract` cleans the photo (images), reads it with the configured vision model when the
admin named one, else, or when the model fails, with the offline OCR engine and the
report parser, and keeps the proposals with the encrypted photo for at most a day.
Nothing is a log until `confirm`, which writes one (source `photo`) from the values the
user confirmed or corrected and deletes the photo at once.

The slow parts (decoding, OCR, the model) run before the request takes its writer turn
(`db.start_writing`) and off the event loop (a worker thread), so a photo being read
blocks neither other users' writes nor other requests.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Final

import structlog
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.coach import calls as model_calls
from habitus.context import AppContext
from habitus.errors import AppError, Conflict, NotFound
from habitus.health import images, ocr, photo_store, report_parser, service, vision
from habitus.health.report_parser import Parsed
from habitus.kit import clock, llm
from habitus.models import User
from habitus.models.health import HealthExtraction, HealthLog, HealthPhoto
from habitus.registry import JobContext

log = structlog.get_logger(__name__)

KEEP_FOR: Final = timedelta(hours=24)
NOT_FOUND: Final = "No such extraction (it may have expired: photos are kept for 24 hours)."
NO_READER: Final = (
    "This server cannot read photos: offline reading is not installed (the 'ocr' extra, "
    "which `make run` installs) and no vision model is configured. Enter the values by hand."
)


@dataclass(frozen=True, slots=True)
class Reading:
    """What one photo gave, before anything is stored."""

    photo: images.CleanPhoto
    parsed: Parsed
    source: str  # "vision" | "ocr"
    model: str | None
    fallback_reason: str | None  # why the model did not answer, when it was asked


def can_read_photos(ctx: AppContext) -> bool:
    return ocr.available() or vision.configured(
        model_calls.client_of(ctx), ctx.settings.llm_vision_model
    )


def _read_offline(photo: images.CleanPhoto) -> Parsed:
    return report_parser.parse_boxes(ocr.read_text(photo.image))


async def read(ctx: AppContext, data: bytes) -> Reading:
    """The photo cleaned and read: by the vision model when configured, else offline.
    413/415/422 for a file that is not an acceptable photo; 503 when nothing can read it."""
    try:
        photo = await asyncio.to_thread(images.clean_upload, data)
    except images.TooLarge as error:
        raise images.too_large() from error
    except images.NotAnImage as error:
        raise images.unsupported() from error
    client = model_calls.client_of(ctx)
    fallback_reason = None
    if vision.configured(client, ctx.settings.llm_vision_model):
        try:
            parsed, model = await vision.read_photo(client, photo.data)
            return Reading(photo, parsed, "vision", model, None)
        except llm.LlmUnavailable as failure:
            fallback_reason = failure.reason
    if not ocr.available():
        raise AppError(NO_READER, status_code=503, code="no-photo-reader")
    parsed = await asyncio.to_thread(_read_offline, photo)
    return Reading(photo, parsed, "ocr", None, fallback_reason)


async def extract(
    session: AsyncSession, ctx: AppContext, user: User, data: bytes
) -> HealthExtraction:
    """D15.2: propose values from a photo; nothing is saved as a log."""
    await ctx.check_rate(
        f"health-extract:{user.id}",
        ctx.settings.health_extraction_rate,
        "You have sent many photos in a short time; wait a little.",
    )
    with model_calls.collecting() as made:
        reading = await read(ctx, data)
    await db.start_writing(session)
    model_calls.save(session, made)
    now = clock.now()
    extraction = HealthExtraction(
        id=uuid.uuid4(),
        user_id=user.id,
        source=reading.source,
        model=reading.model,
        fallback_reason=reading.fallback_reason,
        fields={
            name: {
                "value": proposal.value,
                "confidence": round(proposal.confidence, 3),
                "box": list(proposal.box) if proposal.box else None,
            }
            for name, proposal in reading.parsed.fields.items()
        },
        dropped=[{"field": d.field, "reason": d.reason} for d in reading.parsed.dropped],
        width=reading.photo.width,
        height=reading.photo.height,
        created_at=now,
        expires_at=now + KEEP_FOR,
    )
    session.add(extraction)
    await session.flush()
    photo_store.keep(
        session,
        ctx.settings,
        extraction_id=extraction.id,
        user_id=user.id,
        data=reading.photo.data,
    )
    # Counts only: which reader answered and how much it found, never a value.
    log.info(
        "health.extraction",
        source=reading.source,
        fields=len(extraction.fields),
        dropped=len(extraction.dropped),
        fallback_reason=reading.fallback_reason,
    )
    return extraction


async def get(session: AsyncSession, user: User, extraction_id: uuid.UUID) -> HealthExtraction:
    """The user's extraction while it lasts; another user's, or an expired one, is 404."""
    found = await session.get(HealthExtraction, extraction_id)
    if found is None or found.user_id != user.id or found.expires_at <= clock.now():
        raise NotFound(NOT_FOUND)
    return found


async def confirm(
    session: AsyncSession,
    user: User,
    extraction_id: uuid.UUID,
    *,
    values: Mapping[str, float | None],
    day: date | None = None,
    at: time | None = None,
) -> HealthLog:
    """D15.2: the confirmed (possibly corrected) values become one log of source
    `photo`, and the photo is deleted. The values are the user's: any of the 27 fields,
    checked like a typed log (422 naming each field out of range); a second confirm is 409."""
    await db.start_writing(session)
    extraction = await get(session, user, extraction_id)
    if extraction.confirmed_at is not None:
        raise Conflict("This extraction was confirmed already.")
    created = await service.create_log(session, user, values=values, day=day, at=at, source="photo")
    extraction.confirmed_at = clock.now()
    extraction.log_id = created.id
    await photo_store.forget(session, extraction.id)
    await session.flush()
    return created


async def discard(session: AsyncSession, user: User, extraction_id: uuid.UUID) -> None:
    """The user threw the proposal away: the extraction and its photo go now."""
    await db.start_writing(session)
    extraction = await get(session, user, extraction_id)
    await photo_store.forget(session, extraction.id)
    await session.execute(delete(HealthExtraction).where(HealthExtraction.id == extraction.id))


async def photo_of(
    session: AsyncSession, ctx: AppContext, user: User, extraction_id: uuid.UUID
) -> bytes:
    """The whole stored photo (the confirm step shows it beside the values)."""
    extraction = await get(session, user, extraction_id)
    photo = await photo_store.read(session, ctx.settings, extraction.id)
    if photo is None:
        raise NotFound("The photo is no longer kept.")
    return photo


async def crop_of(
    session: AsyncSession, ctx: AppContext, user: User, extraction_id: uuid.UUID, field: str
) -> bytes:
    """The photo around where OCR found `field`'s value, for the confirm step; 404 when
    there is no such crop (a model's reading has no places; a confirmed photo is gone)."""
    extraction = await get(session, user, extraction_id)
    proposal = extraction.fields.get(field)
    box = proposal.get("box") if isinstance(proposal, dict) else None
    if not box:
        raise NotFound("No part of the photo is known for this field.")
    photo = await photo_store.read(session, ctx.settings, extraction.id)
    if photo is None:
        raise NotFound("The photo is no longer kept.")
    left, top, right, bottom = (int(side) for side in box)
    return await asyncio.to_thread(images.crop, photo, (left, top, right, bottom))


EXPIRY_INTERVAL_SECONDS: Final = 600.0


async def run_expiry(ctx: JobContext) -> int:
    """The worker's job (every 10 minutes): photos never outlive their day by more."""
    async with db.job_transaction(ctx.maker) as session:
        removed = await expire(session)
    if removed:
        log.info("health.extractions_expired", count=removed)
    return removed


async def expire(session: AsyncSession) -> int:
    """Housekeeping (D15.2): extractions past their day go, with their photos."""
    ids = list(
        await session.scalars(
            select(HealthExtraction.id).where(HealthExtraction.expires_at <= clock.now())
        )
    )
    if ids:
        await session.execute(delete(HealthPhoto).where(HealthPhoto.extraction_id.in_(ids)))
        await session.execute(delete(HealthExtraction).where(HealthExtraction.id.in_(ids)))
    return len(ids)
