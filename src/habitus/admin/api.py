"""JSON API: /api/v1/admin/*. Administrators only."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from habitus.admin import service
from habitus.admin.schemas import (
    AdminUserOut,
    DisableIn,
    InviteCreated,
    InviteIn,
    InviteOut,
    PlanIn,
)
from habitus.auth.dependencies import AdminUser, idempotent
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit.pagination import Page, Pagination, page_of, time_id_key
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, problems
from habitus.kit.validation import NoNul
from habitus.models import Invite, User

router = APIRouter(
    prefix="/admin",
    tags=["admin"],
    route_class=TransactionalRoute,
    responses=AUTHENTICATED_PROBLEMS,
)


def admin_user_out(user: User) -> AdminUserOut:
    return AdminUserOut.model_validate(
        {
            **{
                name: getattr(user, name)
                for name in AdminUserOut.model_fields
                if hasattr(user, name)
            },
            "disabled": user.is_disabled,
        }
    )


def invite_out(invite: Invite) -> InviteOut:
    return InviteOut(
        id=invite.id,
        email=invite.email_key,
        note=invite.note,
        status=service.invite_status(invite),
        created_at=invite.created_at,
        expires_at=invite.expires_at,
        used_at=invite.used_at,
        used_by_id=invite.used_by_id,
        revoked_at=invite.revoked_at,
    )


@router.get("/users")
async def list_users(
    _admin: AdminUser,
    session: DbSession,
    page: Pagination,
    q: Annotated[
        str | None,
        Query(max_length=320, description="Part of an email address, any case."),
        NoNul,
    ] = None,
) -> Page[AdminUserOut]:
    users = await service.list_users(session, search=q, limit=page.limit, after=page.after)
    result = page_of(users, page.limit, lambda user: time_id_key(user.created_at, user.id))
    return Page(
        items=[admin_user_out(user) for user in result.items], next_cursor=result.next_cursor
    )


@router.get("/users/{user_id}", responses=problems(404))
async def get_user(user_id: uuid.UUID, _admin: AdminUser, session: DbSession) -> AdminUserOut:
    return admin_user_out(await service.get_user(session, user_id))


@router.patch("/users/{user_id}", responses=problems(404))
async def update_user(
    user_id: uuid.UUID, body: PlanIn, _admin: AdminUser, session: DbSession
) -> AdminUserOut:
    """Set the account's `plan` ("free" or "pro"; issue 21). Plans limit anything only
    with HABITUS_PLANS=on."""
    return admin_user_out(await service.set_plan(session, user_id=user_id, plan=body.plan))


@router.post("/users/{user_id}/disable", responses=problems(404), dependencies=[idempotent()])
async def disable_user(
    user_id: uuid.UUID, body: DisableIn, admin: AdminUser, session: DbSession
) -> AdminUserOut:
    """Disable an account: its tokens and sessions stop working on the next request,
    and signing in shows `reason`."""
    user = await service.disable_user(session, admin=admin, user_id=user_id, reason=body.reason)
    return admin_user_out(user)


@router.post("/users/{user_id}/enable", responses=problems(404), dependencies=[idempotent()])
async def enable_user(user_id: uuid.UUID, _admin: AdminUser, session: DbSession) -> AdminUserOut:
    return admin_user_out(await service.enable_user(session, user_id=user_id))


@router.post("/invites", status_code=status.HTTP_201_CREATED, dependencies=[idempotent()])
async def create_invite(
    body: InviteIn, admin: AdminUser, session: DbSession, ctx: Context
) -> InviteCreated:
    """A single-use sign-up link that expires. The token is shown only in this answer."""
    created = await service.create_invite(
        session,
        ctx,
        admin=admin,
        email=str(body.email) if body.email else None,
        note=body.note,
        expires_in_days=body.expires_in_days,
    )
    return InviteCreated(
        **invite_out(created.invite).model_dump(), token=created.token, url=created.url
    )


@router.get("/invites")
async def list_invites(_admin: AdminUser, session: DbSession, page: Pagination) -> Page[InviteOut]:
    invites = await service.list_invites(session, limit=page.limit, after=page.after)
    result = page_of(invites, page.limit, lambda invite: time_id_key(invite.created_at, invite.id))
    return Page(
        items=[invite_out(invite) for invite in result.items], next_cursor=result.next_cursor
    )


@router.delete(
    "/invites/{invite_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404)
)
async def revoke_invite(invite_id: uuid.UUID, _admin: AdminUser, session: DbSession) -> Response:
    await service.revoke_invite(session, invite_id=invite_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
