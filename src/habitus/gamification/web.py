"""Rewards pages: the trophy room, the ledger, and the strip's claim and freeze buttons.

Thin: the rules live in `gamification.service` and `core.rewards`. The two POSTs answer
an HTMX request with the strip re-rendered (its message says what happened, in words),
and a plain form post (no script) with a redirect back and a flash message. A refused
claim or purchase (D11.2 second claim, D11.3 short of gems) is an answer, not an error:
a double submit reads "already claimed", never a 500.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.auth.pages import CsrfChecked, PageUser
from habitus.errors import Conflict
from habitus.events.kinds import DomainEvent
from habitus.gamification import repository, service
from habitus.gamification import web_views as views
from habitus.gamification.glance import glance
from habitus.habits.evaluation import today_of
from habitus.http.dependencies import DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import flash
from habitus.kit.pagination import Pagination, page_of, time_id_key
from habitus.kit.templating import render
from habitus.models import User

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

LEDGER_PAGE_SIZE = 50
# Where a plain form post goes back to: the page it came from, when it is one of these.
BACK_TO = ("/today", "/rewards", "/trophies")


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _back(request: Request) -> str:
    path = urlsplit(request.headers.get("referer", "")).path
    return path if path in BACK_TO else "/today"


async def _answer(
    request: Request, session: DbSession, user: User, text: str, kind: flash.Kind
) -> Response:
    if not _is_htmx(request):
        response = RedirectResponse(_back(request), status_code=303)
        flash.show(response, request, text, kind)
        return response
    strip = await views.strip(session, user, text, kind)
    return render(request, "rewards/_strip.html", {"strip": strip})


@router.get("/trophies", response_class=HTMLResponse)
async def trophy_room(request: Request, user: PageUser, session: DbSession) -> Response:
    """All fifteen achievements by category (D10.1): earned ones with their date, the
    others with their progress."""
    shelves = await views.shelves(session, user)
    earned = sum(shelf.earned for shelf in shelves)
    total = sum(len(shelf.trophies) for shelf in shelves)
    return render(
        request, "rewards/trophies.html", {"shelves": shelves, "earned": earned, "total": total}
    )


@router.get("/rewards", response_class=HTMLResponse)
async def ledger_page(
    request: Request, user: PageUser, session: DbSession, page: Pagination
) -> Response:
    """Every coin and gem with its reason, newest first (D11.4), a page at a time."""
    limit = min(page.limit, LEDGER_PAGE_SIZE)
    rows = await service.ledger(session, user, limit=limit, after=page.after)
    result = page_of(rows, limit, lambda row: time_id_key(row.created_at, row.id))
    return render(
        request,
        "rewards/ledger.html",
        {
            "strip": await views.strip(session, user),
            "lines": [views.ledger_line(row) for row in result.items],
            "next_cursor": result.next_cursor,
            "first_page": page.after is None,
        },
    )


@router.post("/rewards/claim", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def claim(request: Request, user: PageUser, session: DbSession) -> Response:
    """Today's gems (D11.2); a second claim the same local day says so in words."""
    try:
        claimed = await service.claim(session, user)
    except Conflict:
        return await _answer(
            request, session, user, "Already claimed today: come back tomorrow.", "info"
        )
    text = (
        f"Claimed {views.gems_text(claimed.gems_tenths_awarded)} gems "
        f"(day {claimed.cycle_day} of 7)."
    )
    return await _answer(request, session, user, text, "success")


@router.post("/rewards/freezes", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def buy_freeze(request: Request, user: PageUser, session: DbSession) -> Response:
    """A streak freeze for 5 gems (D11.3); refused with the reason in words."""
    try:
        bought = await service.buy_freeze(session, user)
    except Conflict as refused:
        return await _answer(request, session, user, refused.message, "error")
    held = "1 freeze" if bought.freezes == 1 else f"{bought.freezes} freezes"
    return await _answer(request, session, user, f"Streak freeze bought: {held} held.", "success")


# --- what Today shows of rewards ---------------------------------------------------------


async def today_extras(request: Request, session: AsyncSession, user: User) -> dict[str, Any]:
    """The strip, and a toast for each achievement earned out of sight (by the worker, or
    a check-in from the API) since the last visit. They are marked seen in a short write
    of their own, in the writer's turn: a GET takes no turn for the whole request."""
    seen = await glance(session, user.id, today_of(user))
    unseen = await repository.unseen(session, user.id) if seen.has_unseen else []
    if unseen:
        ids = [row.achievement_id for row in unseen]
        state = request.app.state
        async with db.write_transaction(state.sessionmaker, state.writer_queue) as writing:
            await repository.mark_seen(writing, user.id, ids)
    return {"strip": views.strip_of(seen.rewards), "toasts": views.unlocked_rows(unseen)}


async def checkin_extras(
    session: AsyncSession, user: User, events: Iterable[DomainEvent]
) -> dict[str, Any]:
    """For a check-in's HTMX answer: the strip again (its coins) and a toast for each
    achievement the check-in earned, which counts as seen (in the same transaction)."""
    unlocked = views.unlocked_in(events)
    if unlocked:
        await repository.mark_seen(session, user.id, [item.id for item in unlocked])
    return {"strip": await views.strip(session, user), "toasts": unlocked}
