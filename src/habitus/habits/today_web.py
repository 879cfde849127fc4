"""Today: the habits due today, one-tap check-ins updated in place (HTMX).

Every check-in route answers an HTMX request with the habit's card re-rendered, the
progress ring and a screen-reader announcement (out-of-band swaps); a plain form post
(no script) is redirected back to /today with a flash message. Each POST accepts an
`Idempotency-Key` (made by the page at tap time, kept with a check-in queued offline),
so a retried or replayed tap never counts twice.
"""

from __future__ import annotations

import math
import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from habitus.auth.dependencies import IdempotencyKeyHeader, OptionalPrincipal
from habitus.auth.pages import PageUser
from habitus.errors import NotFound, ValidationFailed
from habitus.habits import service
from habitus.habits import today_views as views
from habitus.habits.evaluation import today_of
from habitus.habits.schemas import MAX_VALUE
from habitus.http import idempotency
from habitus.http.dependencies import DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import csrf, flash
from habitus.kit.templating import render
from habitus.models import User

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)


async def _form(request: Request, _principal: OptionalPrincipal) -> dict[str, str]:
    """The CSRF-checked fields (as `web.dependencies.Form`), with the raw body read first
    and kept: the idempotency key's fingerprint is made of it."""
    await request.body()
    return await csrf.verified_form(request)


CheckinForm = Annotated[dict[str, str], Depends(_form)]


async def _guard(
    request: Request, user: PageUser, _fields: CheckinForm, key: IdempotencyKeyHeader = None
) -> None:
    """The CSRF check first, then the key is claimed in this transaction."""
    await idempotency.guard(request, user.id, key, required=False)


Guarded = [Depends(_guard)]


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _day(form: dict[str, str]) -> date | None:
    """The day the page showed when the tap was made (an offline tap replayed after
    midnight still counts for its own day); none: today."""
    text = form.get("date", "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed.field("date", "must be a date like 2026-11-21", "date") from None


def _amount(form: dict[str, str]) -> float:
    text = form.get("amount", "").strip().replace(",", ".")
    try:
        amount = float(text)
    except ValueError:
        amount = math.nan
    if not math.isfinite(amount) or amount == 0 or abs(amount) > MAX_VALUE:
        raise ValidationFailed.field(
            "amount", "must be a number other than 0, like 1 or -0.5", "number"
        )
    return amount


@router.get("/today", response_class=HTMLResponse)
async def today_page(request: Request, user: PageUser, session: DbSession) -> Response:
    view = await views.load(session, user)
    return render(request, "today/page.html", {"view": view, "ring": view.ring})


async def _answer(
    request: Request,
    session: DbSession,
    user: User,
    habit_id: uuid.UUID,
    said: str,
    celebrate: dict[str, Any] | None = None,
) -> Response:
    """The card re-rendered (with the ring and an announcement), or back to the page."""
    view = await views.load(session, user)
    card = view.card(habit_id)
    if card is None:  # archived or deleted in between
        raise NotFound("No such habit.")
    ring = view.ring
    announcement = f"{card.name}: {said}. {ring.label}."
    if celebrate:
        one, _many = views.UNIT_WORDS.get(celebrate["unit"], ("day", "days"))
        celebrate = {**celebrate, "text": f"{celebrate['milestone']}-{one} streak!"}
        announcement += f" {card.name}: {celebrate['text']}"
    if not _is_htmx(request):
        response = RedirectResponse("/today", status_code=303)
        flash.show(response, request, announcement, "success")
        return response
    return render(
        request,
        "today/_update.html",
        {
            "card": card,
            "ring": ring,
            "announcement": announcement,
            "celebrate": celebrate,
            "in_later": not card.shown_today,
        },
    )


@router.post("/today/{habit_id}/done", response_class=HTMLResponse, dependencies=Guarded)
async def done(
    request: Request, habit_id: uuid.UUID, user: PageUser, form: CheckinForm, session: DbSession
) -> Response:
    """A yes/no habit's day is done (API.md check-in)."""
    written = await service.check_in(
        session, user, habit_id, day=_day(form), value=None, note=None, source="web"
    )
    return await _answer(
        request, session, user, habit_id, "done", views.milestone_of(written.events)
    )


@router.post("/today/{habit_id}/add", response_class=HTMLResponse, dependencies=Guarded)
async def add(
    request: Request, habit_id: uuid.UUID, user: PageUser, form: CheckinForm, session: DbSession
) -> Response:
    """A measurable habit's day grows by `amount` (negative takes away, never below 0)."""
    amount = _amount(form)
    written = await service.check_in(
        session, user, habit_id, day=_day(form), value=amount, note=None, source="web"
    )
    value = written.entry.value if written.entry else None
    said = f"now {views.number(value)}"
    return await _answer(request, session, user, habit_id, said, views.milestone_of(written.events))


async def _set_status(
    request: Request,
    session: DbSession,
    user: User,
    habit_id: uuid.UUID,
    form: dict[str, str],
    status: str,
    said: str,
) -> Response:
    day = _day(form) or today_of(user)
    await service.set_entry(
        session, user, habit_id, day=day, status=status, value=None, note=None, source="web"
    )
    return await _answer(request, session, user, habit_id, said)


@router.post("/today/{habit_id}/skip", response_class=HTMLResponse, dependencies=Guarded)
async def skip(
    request: Request, habit_id: uuid.UUID, user: PageUser, form: CheckinForm, session: DbSession
) -> Response:
    """D3.3: a skipped day is not required; the streak neither breaks nor grows."""
    return await _set_status(request, session, user, habit_id, form, "skipped", "skipped today")


@router.post("/today/{habit_id}/slip", response_class=HTMLResponse, dependencies=Guarded)
async def slip(
    request: Request, habit_id: uuid.UUID, user: PageUser, form: CheckinForm, session: DbSession
) -> Response:
    """D2.2: a quit habit's slip is a `failed` entry; the day is missed."""
    return await _set_status(request, session, user, habit_id, form, "failed", "slipped today")


@router.post("/today/{habit_id}/undo", response_class=HTMLResponse, dependencies=Guarded)
async def undo(
    request: Request, habit_id: uuid.UUID, user: PageUser, form: CheckinForm, session: DbSession
) -> Response:
    """The day's entry is removed (nothing happens when there is none)."""
    day = _day(form) or today_of(user)
    await service.remove_entry(session, user, habit_id, day=day)
    return await _answer(request, session, user, habit_id, "undone")
