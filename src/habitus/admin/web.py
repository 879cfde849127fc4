"""The admin page: users (search, disable, enable), invites, and password-reset links
waiting to be passed on (a server without SMTP)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from habitus.admin import model_calls, service
from habitus.admin.schemas import DisableIn, InviteIn, PlanIn
from habitus.auth import identifiers, reset_links
from habitus.auth.pages import CsrfChecked, Form, PageAdmin
from habitus.errors import AppError, field_errors_from_pydantic
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import flash
from habitus.kit.pagination import decode_cursor, encode_cursor, time_id_key
from habitus.kit.templating import in_zone, render

router = APIRouter(prefix="/admin", route_class=TransactionalRoute, include_in_schema=False)
PAGE_SIZE = 25


async def _page(
    request: Request,
    session: DbSession,
    *,
    q: str | None,
    cursor: str | None,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    after = decode_cursor(cursor) if cursor else None
    users = await service.list_users(session, search=q, limit=PAGE_SIZE, after=after)
    next_cursor = (
        encode_cursor(time_id_key(users[PAGE_SIZE - 1].created_at, users[PAGE_SIZE - 1].id))
        if len(users) > PAGE_SIZE
        else None
    )
    invites = await service.list_invites(session, limit=PAGE_SIZE, after=None)
    context: dict[str, Any] = {
        "users": users[:PAGE_SIZE],
        "q": q or "",
        "next_cursor": next_cursor,
        "invites": [(invite, service.invite_status(invite)) for invite in invites[:PAGE_SIZE]],
        "reset_links": await reset_links.waiting_links(session),
        "model_days": await model_calls.by_day(session),
        "errors": {},
    }
    context.update(extra or {})
    return render(request, "admin/page.html", context, status_code=status_code)


@router.get("", response_class=HTMLResponse)
async def admin_page(
    request: Request,
    _admin: PageAdmin,
    session: DbSession,
    q: str | None = None,
    cursor: str | None = None,
) -> Response:
    return await _page(request, session, q=q, cursor=cursor)


@router.post("/users/{user_id}/disable")
async def disable(
    request: Request, user_id: uuid.UUID, admin: PageAdmin, form: Form, session: DbSession
) -> Response:
    try:
        body = DisableIn(reason=form.get("reason", "").strip())
        user = await service.disable_user(session, admin=admin, user_id=user_id, reason=body.reason)
    except ValidationError as error:
        errors = {
            f"reason-{user_id}": e.message for e in field_errors_from_pydantic(error.errors())
        }
        return await _page(
            request, session, q=None, cursor=None, extra={"errors": errors}, status_code=422
        )
    except AppError as error:
        # A rule about the reason goes next to that row's field; any other (your own
        # account, an unknown user) above the table.
        key = f"reason-{user_id}" if any(e.field == "reason" for e in error.errors) else "users"
        return await _page(
            request,
            session,
            q=None,
            cursor=None,
            extra={"errors": {key: error.message}},
            status_code=error.status_code,
        )
    response = RedirectResponse("/admin", status_code=303)
    flash.show(
        response, request, f"{identifiers.shown(user)} is disabled and signed out.", "success"
    )
    return response


@router.post("/users/{user_id}/plan")
async def set_plan(
    request: Request, user_id: uuid.UUID, _admin: PageAdmin, form: Form, session: DbSession
) -> Response:
    """Issue 21: the plan select of a user's row (shown with HABITUS_PLANS=on)."""
    try:
        body = PlanIn.model_validate({"plan": form.get("plan", "")})
    except ValidationError:
        return await _page(
            request,
            session,
            q=None,
            cursor=None,
            extra={"errors": {"users": "Choose the free or the pro plan."}},
            status_code=422,
        )
    user = await service.set_plan(session, user_id=user_id, plan=body.plan)
    response = RedirectResponse("/admin", status_code=303)
    text = f"{identifiers.shown(user)} is on the {user.plan} plan."
    flash.show(response, request, text, "success")
    return response


@router.post("/users/{user_id}/enable", dependencies=[CsrfChecked])
async def enable(
    request: Request, user_id: uuid.UUID, _admin: PageAdmin, session: DbSession
) -> Response:
    user = await service.enable_user(session, user_id=user_id)
    response = RedirectResponse("/admin", status_code=303)
    flash.show(response, request, f"{identifiers.shown(user)} can sign in again.", "success")
    return response


@router.post("/invites", response_class=HTMLResponse)
async def create_invite(
    request: Request, admin: PageAdmin, form: Form, session: DbSession, ctx: Context
) -> Response:
    try:
        body = InviteIn(
            email=form.get("email", "").strip() or None,
            note=form.get("note", "").strip() or None,
            expires_in_days=int(form.get("expires_in_days") or ctx.settings.invite_days),
        )
    except (ValidationError, ValueError) as error:
        messages = (
            {f"invite-{e.field}": e.message for e in field_errors_from_pydantic(error.errors())}
            if isinstance(error, ValidationError)
            else {"invite-expires_in_days": "must be a whole number of days"}
        )
        return await _page(
            request, session, q=None, cursor=None, extra={"errors": messages}, status_code=422
        )
    created = await service.create_invite(
        session,
        ctx,
        admin=admin,
        email=str(body.email) if body.email else None,
        note=body.note,
        expires_in_days=body.expires_in_days,
    )
    # Redirect, then show the link once: it rides in the signed flash cookie (never
    # stored in clear), so a reload neither repeats the POST nor shows it again.
    response = RedirectResponse("/admin", status_code=303)
    expires = in_zone(created.invite.expires_at, admin.timezone, "%Y-%m-%d %H:%M")
    flash.show(
        response,
        request,
        "Invite created.",
        "success",
        extra={"invite_url": created.url, "invite_expires": expires},
    )
    return response


@router.post("/invites/{invite_id}/revoke", dependencies=[CsrfChecked])
async def revoke_invite(
    request: Request, invite_id: uuid.UUID, _admin: PageAdmin, session: DbSession
) -> Response:
    await service.revoke_invite(session, invite_id=invite_id)
    response = RedirectResponse("/admin", status_code=303)
    flash.show(response, request, "Invite revoked.", "success")
    return response


RESET_LINK_GONE = (
    "That link is not here any more: it was shown already, used, or has expired. "
    "The person can ask for a new one."
)


@router.post(
    "/reset-links/{notice_id}/show", response_class=HTMLResponse, dependencies=[CsrfChecked]
)
async def show_reset_link(
    request: Request,
    notice_id: uuid.UUID,
    admin: PageAdmin,
    session: DbSession,
    ctx: Context,
) -> Response:
    """Show a waiting reset link once, in this answer, and forget it. No redirect: the
    link is never carried in a cookie, and a reload finds it gone."""
    revealed = await reset_links.reveal(session, ctx, notice_id=notice_id, admin=admin)
    if revealed is None:
        return await _page(
            request,
            session,
            q=None,
            cursor=None,
            extra={"errors": {"reset-links": RESET_LINK_GONE}},
            status_code=404,
        )
    return await _page(request, session, q=None, cursor=None, extra={"revealed": revealed})
