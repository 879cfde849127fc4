"""Share-link pages (D12.2): the public page of a link (/s/{token}, HTML, or JSON with
`Accept: application/json`), and the owner's controls on the habit page.

The controls are a panel that the habit page loads with HTMX (`_share_controls.html`)
and that every action re-renders; without script the same panel is a page of its own
(/habits/{id}/shares) and the forms post and come back to it. A new link's URL appears
once, in the answer that made it: only its hash is kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from markupsafe import Markup

from habitus.auth.pages import CsrfChecked, MaybePageUser, PageUser
from habitus.core.time import weekday_number
from habitus.errors import NotFound, TooManyRequests, wants_json
from habitus.habits import repository as habits_repository
from habitus.habits.describe import streak_in_words
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.insights import heatmap as heatmap_grid
from habitus.kit import flash
from habitus.kit.templating import render
from habitus.models import User
from habitus.social import shares
from habitus.social.shares_api import share_url
from habitus.social.shares_schemas import PublicDayOut, PublicShareOut

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

# Search engines keep out of shared pages (and their 404s): a link is for whom it is sent.
NOINDEX = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}
# How many live links the panel lists (a person has a handful; the API pages them all).
PANEL_LIMIT = 20
VISIBILITY_WORDS = {
    "private": "only you",
    "friends": "your friends",
    "public": "everyone",
}


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


# --- the public page ------------------------------------------------------------------------


def _cell_of(view: shares.PublicShare) -> Callable[[date], tuple[str, float | None, str]]:
    """(state, ratio, tooltip) of each day for the grid: done or not, never an amount."""
    by_day = {day.day: day for day in view.days}

    def cell(day: date) -> tuple[str, float | None, str]:
        found = by_day.get(day)
        label = f"{day:%a} {day.day} {day:%b}"
        if found is None or not found.required:
            if found is not None and found.done:
                return "extra", None, f"{label}: done"
            return "not_required", None, f"{label}: not required"
        if found.done:
            return "done", None, f"{label}: done"
        if day == view.today:
            return "pending", None, f"{label}: not yet"
        return "missed", None, f"{label}: missed"

    return cell


@router.get("/s/{token}", response_class=HTMLResponse)
async def public_share(
    token: str, request: Request, session: DbSession, ctx: Context, viewer: MaybePageUser
) -> Response:
    """Anyone with the link: the habit's name, streaks and year (no sign-in)."""
    try:
        view = await shares.public_view(
            session, ctx, token, viewer_id=viewer.user.id if viewer else None
        )
    except NotFound as missing:
        raise NotFound(missing.message, headers=NOINDEX) from None
    if wants_json(request):
        body = PublicShareOut(
            name=view.name,
            current_streak=view.current_streak,
            longest_streak=view.longest_streak,
            heatmap=[PublicDayOut(date=day.day, done=day.done) for day in view.days],
        )
        return JSONResponse(
            body.model_dump(mode="json"), headers={**NOINDEX, "Cache-Control": "no-store"}
        )
    grid = heatmap_grid.build(view.today, weekday_number(view.week_start), _cell_of(view))
    done_days = sum(1 for day in view.days if day.done and day.day >= grid.first)
    current = streak_in_words(view.current_streak, view.streak_unit)
    longest = streak_in_words(view.longest_streak, view.streak_unit)
    return render(
        request,
        "social/share_public.html",
        {
            "share": view,
            "current_words": current,
            "longest_words": longest,
            "done_days": done_days,
            "first_day": grid.first,
            "heatmap_svg": Markup(heatmap_grid.svg(grid, labelled_by="share-year-summary")),
            "og_description": (
                f"Current streak: {current}. Longest streak: {longest}. "
                f"Done on {done_days} day{'' if done_days == 1 else 's'} in the last year."
            ),
        },
        headers=NOINDEX,
    )


# --- the owner's controls ---------------------------------------------------------------------


async def _panel(
    request: Request,
    session: DbSession,
    user: User,
    habit_id: uuid.UUID,
    *,
    new_link: str | None = None,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    habit = await habits_repository.habit_of(session, user.id, habit_id)
    if habit is None:
        raise NotFound("No such habit.")
    links = await shares.list_of(
        session, user.id, limit=PANEL_LIMIT, habit_id=habit.id, active_only=True
    )
    context = {
        "habit": habit,
        "visibility_words": VISIBILITY_WORDS.get(habit.visibility, "only you"),
        "links": [row.share for row in links[:PANEL_LIMIT]],
        "new_link": new_link,
        "message": message,
        "error": error,
        "htmx": _is_htmx(request),
    }
    template = "social/_share_panel.html" if _is_htmx(request) else "social/share_manage.html"
    return render(request, template, context, status_code=status_code)


@router.get("/habits/{habit_id}/shares", response_class=HTMLResponse)
async def share_panel(
    habit_id: uuid.UUID, request: Request, user: PageUser, session: DbSession
) -> Response:
    """The habit's live links and a button for a new one."""
    return await _panel(request, session, user, habit_id)


@router.post("/habits/{habit_id}/shares", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def create_share(
    habit_id: uuid.UUID, request: Request, user: PageUser, session: DbSession, ctx: Context
) -> Response:
    """A new link, shown once. Too many in an hour: the panel says so in words."""
    try:
        made = await shares.create(session, ctx, user, habit_id)
    except TooManyRequests as refused:
        return await _panel(
            request,
            session,
            user,
            habit_id,
            error=refused.message,
            status_code=200 if _is_htmx(request) else 429,
        )
    return await _panel(
        request,
        session,
        user,
        habit_id,
        new_link=share_url(request, made.token),
        message="Link created. Copy it now: it is shown only once.",
    )


@router.post("/shares/{share_id}/revoke", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def revoke_share(
    share_id: uuid.UUID, request: Request, user: PageUser, session: DbSession
) -> Response:
    """The link stops working at once (404 for whoever opens it)."""
    share = await shares.revoke(session, user.id, share_id)
    text = "Link revoked: it no longer opens."
    if _is_htmx(request):
        return await _panel(request, session, user, share.habit_id, message=text)
    response = RedirectResponse(f"/habits/{share.habit_id}/shares", status_code=303)
    flash.show(response, request, text, "success")
    return response
