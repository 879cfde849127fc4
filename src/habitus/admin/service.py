"""Use cases of administration."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.admin import repository
from habitus.admin.schemas import InviteStatus
from habitus.auth import repository as auth_repository
from habitus.auth.tokens import new_opaque_token, token_digest
from habitus.context import AppContext
from habitus.errors import NotFound, ValidationFailed
from habitus.kit import clock
from habitus.models import Invite, User


@dataclass(frozen=True, slots=True)
class NewInvite:
    invite: Invite
    token: str
    url: str


def invite_status(invite: Invite) -> InviteStatus:
    if invite.revoked_at is not None:
        return "revoked"
    if invite.used_at is not None:
        return "used"
    if invite.expires_at <= clock.now():
        return "expired"
    return "active"


async def list_users(
    session: AsyncSession, *, search: str | None, limit: int, after: list[Any] | None
) -> list[User]:
    """`limit + 1` users (the extra one tells the caller there is another page)."""
    return await repository.list_users(session, search=search, limit=limit + 1, after=after)


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await auth_repository.user_by_id(session, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


async def disable_user(
    session: AsyncSession, *, admin: User, user_id: uuid.UUID, reason: str
) -> User:
    """Disable an account: every sign-in ends now, and sign-in shows `reason`."""
    user = await get_user(session, user_id)
    if user.id == admin.id:
        raise ValidationFailed.field(
            "user_id", "is your own account; another admin must disable it", rule="not_self"
        )
    now = clock.now()
    user.disabled_at = user.disabled_at or now
    user.disabled_reason = reason.strip()
    await auth_repository.revoke_user_sessions(session, user.id, now=now, reason="account disabled")
    await session.flush()
    return user


async def set_plan(session: AsyncSession, *, user_id: uuid.UUID, plan: str) -> User:
    """Move an account to the free or pro plan (issue 21; an admin's word, whatever a
    billing provider said last)."""
    user = await get_user(session, user_id)
    user.plan = plan
    await session.flush()
    return user


async def enable_user(session: AsyncSession, *, user_id: uuid.UUID) -> User:
    user = await get_user(session, user_id)
    user.disabled_at = None
    user.disabled_reason = None
    await session.flush()
    return user


async def create_invite(
    session: AsyncSession,
    ctx: AppContext,
    *,
    admin: User,
    email: str | None,
    note: str | None,
    expires_in_days: int | None,
) -> NewInvite:
    token = new_opaque_token()
    days = expires_in_days or ctx.settings.invite_days
    invite = Invite(
        token_hash=token_digest(token),
        email_key=auth_repository.email_key(email) if email else None,
        note=note,
        created_by_id=admin.id,
        expires_at=clock.now() + timedelta(days=days),
    )
    session.add(invite)
    await session.flush()
    return NewInvite(invite=invite, token=token, url=invite_url(ctx, token))


def invite_url(ctx: AppContext, token: str) -> str:
    return f"{ctx.settings.base_url}/register?invite={token}"


async def list_invites(
    session: AsyncSession, *, limit: int, after: list[Any] | None
) -> list[Invite]:
    return await repository.list_invites(session, limit=limit + 1, after=after)


async def revoke_invite(session: AsyncSession, *, invite_id: uuid.UUID) -> None:
    invite = await repository.invite_by_id(session, invite_id)
    if invite is None:
        raise NotFound("No such invite.")
    if invite.used_at is None and invite.revoked_at is None:
        invite.revoked_at = clock.now()
    await session.flush()
