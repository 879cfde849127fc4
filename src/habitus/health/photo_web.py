"""Logging from a photo on the web (issue 19, D15.2): POST /health/photo takes the
photo (the file input offers the camera on a phone), GET /health/photo/{id} shows what
was read for confirmation, POST .../confirm saves it as a log, POST .../discard throws it
away.

The confirm page is one form. On a phone `static/js/health-photo.js` turns its steps
(a few fields each, with the crop of the photo around each value when the offline reader
found one) into a wizard, one step at a time; on a desktop the photo and every step sit
side by side; without JavaScript every step shows, one under the other. Values are shown
and typed in the user's units (`settings.Units`) and stored in metric ones; a value left
as proposed keeps the proposal's exact stored value (a round trip through pounds would
otherwise move it by a rounding step). Nothing is saved before Save.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from habitus import db
from habitus.auth.pages import CsrfChecked, Form, PageUser
from habitus.errors import AppError, NotFound, ValidationFailed
from habitus.health import extraction, metrics, service, web_forms
from habitus.health import settings as health_settings
from habitus.health.extraction_api import PHOTO_LIMIT
from habitus.http import uploads
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import csrf, flash
from habitus.kit.templating import render
from habitus.models.health import HealthExtraction

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

HEALTH_PAGE: Final = "/health"
PHOTO_PATH: Final = "/health/photo"
FIELDS_PER_STEP: Final = 4
# Below this the reader was unsure: the field is marked "check this".
SURE: Final = 0.8


@dataclass(frozen=True, slots=True)
class ProposedInput:
    input: web_forms.FieldInput
    confidence: float | None  # None: a field the photo did not give
    has_crop: bool

    @property
    def unsure(self) -> bool:
        return self.confidence is not None and self.confidence < SURE


def _proposed_values(found: HealthExtraction) -> dict[str, float]:
    return {
        name: float(item["value"])
        for name, item in found.fields.items()
        if name in metrics.BY_NAME and isinstance(item, dict)
    }


def _steps(
    found: HealthExtraction,
    units: health_settings.Units,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> tuple[list[list[ProposedInput]], list[ProposedInput]]:
    """The proposed fields in `metrics` order, FIELDS_PER_STEP a step, and the fields the
    photo did not give (offered under "Add a value the photo missed")."""
    proposed = _proposed_values(found)
    order = [m.name for m in metrics.METRICS]
    read_names = tuple(name for name in order if name in proposed)
    missing = tuple(name for name in order if name not in proposed)

    def rows(names: tuple[str, ...]) -> list[ProposedInput]:
        made = web_forms.inputs(names, units, typed=typed, held=proposed, errors=errors)
        return [
            ProposedInput(
                input=item,
                confidence=found.fields[item.name]["confidence"] if item.name in proposed else None,
                has_crop=bool(found.fields.get(item.name, {}).get("box")),
            )
            for item in made
        ]

    read = rows(read_names)
    steps = [read[i : i + FIELDS_PER_STEP] for i in range(0, len(read), FIELDS_PER_STEP)]
    return steps, rows(missing)


async def _confirm_page(
    request: Request,
    session: DbSession,
    user: PageUser,
    found: HealthExtraction,
    *,
    form: web_forms.LogForm | None = None,
    status_code: int = 200,
) -> Response:
    units = await health_settings.units_of(session, user)
    typed = form.typed if form is not None else None
    errors = form.errors if form is not None else None
    steps, missing = _steps(found, units, typed=typed, errors=errors)
    return render(
        request,
        "health/photo.html",
        {
            "extraction": found,
            "steps": steps,
            "missing": missing,
            "missing_open": bool(typed and any(typed.get(m.input.name) for m in missing)),
            "dropped": [
                (metrics.BY_NAME[d["field"]].label if d["field"] in metrics.BY_NAME else d["field"])
                + ": "
                + d["reason"]
                for d in found.dropped
            ],
            "today": service.local_now(user)[0],
            "typed_date": (typed or {}).get("date", ""),
            "typed_time": (typed or {}).get("time", ""),
            "errors": errors or {},
            "photo_path": f"{PHOTO_PATH}/{found.id}",
        },
        status_code=status_code,
    )


@router.post(PHOTO_PATH, response_class=HTMLResponse)
@db.prepares_before_writing
async def upload_photo(
    request: Request, user: PageUser, session: DbSession, ctx: Context
) -> Response:
    """Read the photo, then show what was read. A photo that cannot be used comes back
    to the health page with the reason."""
    try:
        # The body first, counted within the limit; then the form's CSRF token from it
        # (a forged post is refused before the photo is looked at).
        await uploads.read_body(request, PHOTO_LIMIT, field="photo")
        await csrf.verified_form(request)
        upload = await uploads.read_file(request, PHOTO_LIMIT, field="photo")
        found = await extraction.extract(session, ctx, user, upload.data)
    except AppError as error:
        if error.status_code in (401, 403):
            raise
        reason = error.errors[0].message if error.errors else error.message
        text = reason if not error.errors else f"That photo cannot be used: {reason}."
        return flash.redirect(request, HEALTH_PAGE + "#photo", text, "error")
    return RedirectResponse(f"{PHOTO_PATH}/{found.id}", status_code=303)


@router.get(f"{PHOTO_PATH}/{{extraction_id}}", response_class=HTMLResponse)
async def confirm_page(
    extraction_id: uuid.UUID, request: Request, user: PageUser, session: DbSession
) -> Response:
    found = await extraction.get(session, user, extraction_id)
    if found.confirmed_at is not None:
        return flash.redirect(request, HEALTH_PAGE, "That photo was saved already.", "info")
    return await _confirm_page(request, session, user, found)


@router.get(f"{PHOTO_PATH}/{{extraction_id}}/image")
async def photo_image(
    extraction_id: uuid.UUID, user: PageUser, session: DbSession, ctx: Context
) -> Response:
    data = await extraction.photo_of(session, ctx, user, extraction_id)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private"})


@router.get(f"{PHOTO_PATH}/{{extraction_id}}/crops/{{field}}")
async def photo_crop(
    extraction_id: uuid.UUID, field: str, user: PageUser, session: DbSession, ctx: Context
) -> Response:
    data = await extraction.crop_of(session, ctx, user, extraction_id, field)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private"})


@router.post(f"{PHOTO_PATH}/{{extraction_id}}/confirm", response_class=HTMLResponse)
@db.prepares_before_writing
async def confirm(
    extraction_id: uuid.UUID, request: Request, user: PageUser, form: Form, session: DbSession
) -> Response:
    """D15.2: what the form holds becomes one log of source `photo`; anything wrong
    comes back on the page, field by field, with what was typed kept."""
    found = await extraction.get(session, user, extraction_id)
    if found.confirmed_at is not None:
        return flash.redirect(request, HEALTH_PAGE, "That photo was saved already.", "info")
    units = await health_settings.units_of(session, user)
    read = web_forms.read_log_form(form, units)
    proposed = _proposed_values(found)
    for name, value in proposed.items():
        if read.typed.get(name) == units.number(name, value):
            read.values[name] = value  # left as proposed: the exact stored value
    if not read.errors:
        try:
            await extraction.confirm(
                session, user, extraction_id, values=read.values, day=read.day, at=read.at
            )
        except ValidationFailed as error:
            read.add(error)
    if read.errors:
        return await _confirm_page(request, session, user, found, form=read, status_code=422)
    saved = len([v for v in read.values.values() if v is not None])
    return flash.redirect(
        request,
        HEALTH_PAGE,
        f"Saved {saved} value{'' if saved == 1 else 's'} from your photo; the photo is deleted.",
    )


@router.post(f"{PHOTO_PATH}/{{extraction_id}}/discard", dependencies=[CsrfChecked])
@db.prepares_before_writing
async def discard(
    extraction_id: uuid.UUID, request: Request, user: PageUser, session: DbSession
) -> Response:
    # Gone already (expired, a second click) is the outcome the user wanted.
    with contextlib.suppress(NotFound):
        await extraction.discard(session, user, extraction_id)
    return flash.redirect(request, HEALTH_PAGE, "The photo and what was read from it are deleted.")
