"""People pages: your profile (with "view as a friend" and "view as the public"
previews), someone's profile, and Friends (find, requests, friends, blocks).

Thin: the rules live in `profiles`, `friends` and `blocks`. Every POST is a plain form
post checked for CSRF, answered with a redirect and a flash message in words; a bad
handle re-renders the form with the error next to the field (422).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from habitus.auth.pages import CsrfChecked, PageUser
from habitus.errors import AppError, NotFound, ValidationFailed
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import flash
from habitus.kit.templating import render
from habitus.social import blocks, friends, profiles

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

FRIENDS_PAGE = "/friends"
# Shown whatever became of a request: the page never says who has an account (D12.1).
SENT = "Request sent. If that person has an account, they will see it."
AUDIENCE_WORDS = {"friend": "a friend", "public": "someone who is not your friend"}


def _profile_page(
    request: Request,
    values: dict[str, Any],
    *,
    has_handle: bool,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "social/profile.html",
        {"values": values, "errors": errors or {}, "has_handle": has_handle},
        status_code=status_code,
    )


@router.get("/profile", response_class=HTMLResponse)
async def profile_page(request: Request, user: PageUser, session: DbSession) -> Response:
    """Your handle, bio and public toggle, with links to preview the profile."""
    found = await profiles.profile_of(session, user.id)
    values = {
        "handle": found.handle if found else "",
        "bio": (found.bio or "") if found else "",
        "public": bool(found and found.public),
    }
    return _profile_page(request, values, has_handle=found is not None)


@router.post("/profile", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def save_profile(request: Request, user: PageUser, session: DbSession) -> Response:
    form = await request.form()
    handle = str(form.get("handle", "")).strip()
    bio = str(form.get("bio", ""))
    public = form.get("public") == "on"
    try:
        await profiles.update_profile(session, user.id, handle=handle, bio=bio, public=public)
    except ValidationFailed as failed:
        errors = {
            problem.field: _sentence(problem.field, problem.message) for problem in failed.errors
        }
        found = await profiles.profile_of(session, user.id)
        values = {"handle": handle, "bio": bio, "public": public}
        return _profile_page(
            request, values, has_handle=found is not None, errors=errors, status_code=422
        )
    return flash.redirect(request, "/profile", "Profile saved.")


def _sentence(field: str, message: str) -> str:
    names = {"handle": "The handle", "bio": "The bio"}
    return f"{names.get(field, field.capitalize())} {message}."


@router.get("/profile/preview", response_class=HTMLResponse)
async def preview(
    request: Request,
    user: PageUser,
    session: DbSession,
    audience: Literal["friend", "public"] = "public",
) -> Response:
    """Your profile as a friend, or as anyone else, would see it (D12.2)."""
    found = await profiles.profile_of(session, user.id)
    if found is None:
        return flash.redirect(request, "/profile", "Choose a handle first.", "info")
    view = await profiles.view_of(session, found, audience)
    return render(
        request,
        "social/profile_view.html",
        {"view": view, "preview": AUDIENCE_WORDS[audience], "audience": audience},
    )


@router.get("/people/{handle}", response_class=HTMLResponse)
async def person_page(
    request: Request, handle: str, user: PageUser, session: DbSession
) -> Response:
    """Someone's profile: 404 unless public, a friend's or yours, or when blocked."""
    view = await profiles.view_by_handle(session, user.id, handle)
    return render(request, "social/profile_view.html", {"view": view, "preview": None})


@router.get(FRIENDS_PAGE, response_class=HTMLResponse)
async def friends_page(request: Request, user: PageUser, session: DbSession) -> Response:
    incoming, outgoing = await friends.pending_requests(session, user.id)
    blocked_ids = await blocks.blocked_by(session, user.id)
    blocked = await friends.people(session, blocked_ids)
    mine = await profiles.profile_of(session, user.id)
    return render(
        request,
        "social/friends.html",
        {
            "incoming": incoming,
            "outgoing": outgoing,
            "friends": await friends.friends_of(session, user.id),
            "blocked": blocked,
            "my_handle": mine.handle if mine else None,
        },
    )


@router.post("/friends/find", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def find(request: Request, user: PageUser, session: DbSession, ctx: Context) -> Response:
    """Send a request to a handle or an email address, whichever was typed."""
    who = str((await request.form()).get("who", "")).strip()
    if not who:
        return flash.redirect(request, FRIENDS_PAGE, "Type a handle or an email address.", "error")
    by_email = "@" in who.lstrip("@")
    try:
        await friends.send_request(
            session, ctx, user, email=who if by_email else None, handle=None if by_email else who
        )
    except ValidationFailed as failed:
        problem = failed.errors[0]
        return flash.redirect(
            request, FRIENDS_PAGE, f"That {problem.field} {problem.message}.", "error"
        )
    except AppError as refused:  # too many requests
        return flash.redirect(request, FRIENDS_PAGE, refused.message, "error")
    return flash.redirect(request, FRIENDS_PAGE, SENT)


@router.post("/friends/requests/{request_id}/accept", dependencies=[CsrfChecked])
async def accept(
    request: Request, request_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    await friends.accept(session, user, request_id)
    return flash.redirect(request, FRIENDS_PAGE, "Request accepted: you are friends now.")


@router.post("/friends/requests/{request_id}/decline", dependencies=[CsrfChecked])
async def decline(
    request: Request, request_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    await friends.decline(session, user, request_id)
    return flash.redirect(request, FRIENDS_PAGE, "Request declined.", "info")


@router.post("/friends/{user_id}/unfriend", dependencies=[CsrfChecked])
async def unfriend(
    request: Request, user_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    await friends.unfriend(session, user, user_id)
    return flash.redirect(request, FRIENDS_PAGE, "Removed from your friends.", "info")


@router.post("/friends/{user_id}/block", dependencies=[CsrfChecked])
async def block(
    request: Request, user_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    await blocks.block(session, user, user_id)
    return flash.redirect(request, FRIENDS_PAGE, "Blocked: you no longer see each other.", "info")


@router.post("/blocks/{user_id}/unblock", dependencies=[CsrfChecked])
async def unblock(
    request: Request, user_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    try:
        await blocks.unblock(session, user, user_id)
    except NotFound:
        return flash.redirect(request, FRIENDS_PAGE, "That person was not blocked.", "info")
    return flash.redirect(request, FRIENDS_PAGE, "Unblocked.", "info")
