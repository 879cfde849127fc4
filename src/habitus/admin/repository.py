"""Every query of the admin pages."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.kit.pagination import after_time_id
from habitus.models import Invite, User


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_users(
    session: AsyncSession, *, search: str | None, limit: int, after: list[Any] | None
) -> list[User]:
    """Newest first, then by id; `search` matches part of the address, any case."""
    query = select(User).order_by(User.created_at.desc(), User.id.desc()).limit(limit)
    if search:
        query = query.where(User.email_key.like(f"%{_escape_like(search.lower())}%", escape="\\"))
    if (later := after_time_id(User, after)) is not None:
        query = query.where(later)
    return list(await session.scalars(query))


async def invite_by_token_hash(session: AsyncSession, token_hash: str) -> Invite | None:
    return await session.scalar(select(Invite).where(Invite.token_hash == token_hash))


async def invite_by_id(session: AsyncSession, invite_id: uuid.UUID) -> Invite | None:
    return await session.get(Invite, invite_id)


async def list_invites(
    session: AsyncSession, *, limit: int, after: list[Any] | None
) -> list[Invite]:
    query = select(Invite).order_by(Invite.created_at.desc(), Invite.id.desc()).limit(limit)
    if (later := after_time_id(Invite, after)) is not None:
        query = query.where(later)
    return list(await session.scalars(query))


async def forget_invite_address(session: AsyncSession, email_key: str, now: datetime) -> None:
    """Drop an address from the invites made for it (its owner deleted their account).

    An unused invite for that address is revoked too: without its address it would be
    an invite for anyone.
    """
    await session.execute(
        update(Invite)
        .where(Invite.email_key == email_key, Invite.used_at.is_(None), Invite.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(
        update(Invite).where(Invite.email_key == email_key).values(email_key=None)
    )
