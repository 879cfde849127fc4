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
from habitus.events.kinds import DomainEvent
from habitus.habits import queries, repository, service, today_prefs, today_top
from habitus.habits import today_views as views
from habitus.habits.evaluation import today_of
from habitus.habits.schemas import MAX_VALUE
from habitus.habits.today_rewards_port import TODAY_REWARDS
from habitus.habits.today_week import CHOICES
from habitus.http import idempotency
from habitus.http.dependencies import DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import csrf, flash
from habitus.kit.templating import render
from habitus.models import User
from habitus.registry import registry

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


# D4.1: a note is at most this long (the API's `Note`).
NOTE_MAX = 1000
PREFS_MAX_AGE = 365 * 24 * 3600


def _prefs(request: Request) -> today_prefs.ViewPrefs:
    return today_prefs.from_cookie(request.cookies.get(today_prefs.COOKIE))


@router.get("/today", response_class=HTMLResponse)
async def today_page(request: Request, user: PageUser, session: DbSession) -> Response:
    """The page; `?layout=&sort=&completed=` (the view toolbar, a GET form that works
    without script) changes the view and keeps the choice in a cookie."""
    current = _prefs(request)
    chosen = today_prefs.from_query(request.query_params, current)
    view = await views.load(session, user, chosen or current)
    response = render(
        request,
        "today/page.html",
        {
            "view": view,
            "ring": view.ring,
            "choices": today_prefs.CHOICES,
            # Issue 21: the best current streaks, from the cards just loaded (no query).
            "top": today_top.top_habits(view.cards),
            # The rewards strip and achievement toasts (issue 14).
            "rewards": await registry.port(TODAY_REWARDS).today_extras(request, session, user),
        },
    )
    if chosen is not None:
        response.set_cookie(
            today_prefs.COOKIE,
            chosen.cookie_value,
            max_age=PREFS_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=request.app.state.settings.https,
        )
    return response


async def _answer(
    request: Request,
    session: DbSession,
    user: User,
    habit_id: uuid.UUID,
    said: str,
    celebrate: dict[str, Any] | None = None,
    events: list[DomainEvent] | None = None,
) -> Response:
    """The card re-rendered (with the ring and an announcement), or back to the page."""
    view = await views.load(session, user, _prefs(request))
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
            "compact": view.prefs.compact,
            # The strip's coins and a toast per achievement earned (issue 14).
            "rewards": await registry.port(TODAY_REWARDS).checkin_extras(
                session, user, events or []
            ),
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
        request, session, user, habit_id, "done", views.milestone_of(written.events), written.events
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
    return await _answer(
        request, session, user, habit_id, said, views.milestone_of(written.events), written.events
    )


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


@router.post("/today/{habit_id}/amount", response_class=HTMLResponse, dependencies=Guarded)
async def set_amount(
    request: Request, habit_id: uuid.UUID, user: PageUser, form: CheckinForm, session: DbSession
) -> Response:
    """A measurable habit's day is set to the typed amount: what the API's
    `PUT .../entries/{date}` stores for `{"status": "done", "value": amount}` (D5 then
    reads it against the target: 5 of 8 is still to do)."""
    text = form.get("amount", "").strip().replace(",", ".")
    try:
        amount = float(text)
    except ValueError:
        amount = math.nan
    if not math.isfinite(amount) or amount < 0 or amount > MAX_VALUE:
        raise ValidationFailed.field(
            "amount", "must be a number, 0 or more, like 5 or 1.5", "number"
        )
    day = _day(form) or today_of(user)
    habit = await queries.get_habit(session, user, habit_id)  # 404 for another user's
    kept = await repository.entry_on(session, habit.id, day)  # its note stays
    written = await service.set_entry(
        session,
        user,
        habit_id,
        day=day,
        status="done",
        value=amount,
        note=kept.note if kept else None,
        source="web",
    )
    said = f"set to {views.number(amount)}"
    return await _answer(request, session, user, habit_id, said, events=written.events)


@router.post("/today/{habit_id}/note", response_class=HTMLResponse, dependencies=Guarded)
async def save_note(
    request: Request, habit_id: uuid.UUID, user: PageUser, form: CheckinForm, session: DbSession
) -> Response:
    """The note of today's entry (D4.1: at most 1000 characters; empty removes it). The
    entry keeps its status and amount: the same write as the API's PUT with a note."""
    note = form.get("note", "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed.field(
            "note", f"is too long: at most {NOTE_MAX} characters (it has {len(note)})", "too_long"
        )
    if "\x00" in note:
        raise ValidationFailed.field("note", "must not contain a NUL character", "invalid")
    day = _day(form) or today_of(user)
    habit = await queries.get_habit(session, user, habit_id)  # 404 for another user's
    entry = await repository.entry_on(session, habit.id, day)
    if entry is None:
        raise ValidationFailed.field(
            "note", "can be added once the day is checked in (tap Done first)", "no_entry"
        )
    await service.set_entry(
        session,
        user,
        habit_id,
        day=day,
        status=entry.status,
        value=entry.value,
        note=note or None,
        source="web",
    )
    return await _answer(request, session, user, habit_id, "note saved" if note else "note removed")


@router.post("/today/{habit_id}/days/{day}", response_class=HTMLResponse, dependencies=Guarded)
async def change_day(
    request: Request,
    habit_id: uuid.UUID,
    day: date,
    user: PageUser,
    form: CheckinForm,
    session: DbSession,
) -> Response:
    """The week strip: a tap on a day sets what the button said (`status`: done,
    skipped, failed, or clear to remove the entry), through the same service as the
    API's PUT/DELETE `.../entries/{date}`; outside the backfill window the service
    answers with the D4.3 message and nothing is written."""
    status = form.get("status", "")
    if status not in CHOICES:
        raise ValidationFailed.field(
            "status", "must be one of: done, skipped, failed, clear", "choice"
        )
    habit = await queries.get_habit(session, user, habit_id)  # 404 for another user's
    events: list[DomainEvent] = []
    if status == "clear":
        await service.remove_entry(session, user, habit_id, day=day)
        said = "cleared"
    else:
        # A measurable day marked done from the strip gets its target amount.
        measurable_done = habit.kind == "measurable" and status == "done"
        value = (habit.target_value or 1.0) if measurable_done else None
        kept = await repository.entry_on(session, habit.id, day)  # its note stays
        written = await service.set_entry(
            session,
            user,
            habit_id,
            day=day,
            status=status,
            value=value,
            note=kept.note if kept else None,
            source="web",
        )
        events = written.events
        slip = "slip recorded" if habit.polarity == "quit" else "missed"
        said = {"done": "done", "skipped": "skipped", "failed": slip}[status]
    when = f"{day:%A} {day.day} {day:%B}"
    return await _answer(request, session, user, habit_id, f"{when} {said}", events=events)
