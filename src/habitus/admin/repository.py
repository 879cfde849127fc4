"""Every query of the admin pages."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.kit.pagination import after_time_id
from habitus.models import Invite, User


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_users(
    session: AsyncSession, *, search: str | None, limit: int, after: list[Any] | None
) -> list[User]:
    """Newest first, then by id; `search` matches part of the address (any case) or of
    the phone number."""
    query = select(User).order_by(User.created_at.desc(), User.id.desc()).limit(limit)
    if search:
        pattern = f"%{_escape_like(search.lower())}%"
        query = query.where(
            or_(User.email_key.like(pattern, escape="\\"), User.phone.like(pattern, escape="\\"))
        )
    if (later := after_time_id(User, after)) is not None:
        query = query.where(later)
    return list(await session.scalars(query))


async def invite_by_id(session: AsyncSession, invite_id: uuid.UUID) -> Invite | None:
    return await session.get(Invite, invite_id)


async def list_invites(
    session: AsyncSession, *, limit: int, after: list[Any] | None
) -> list[Invite]:
    query = select(Invite).order_by(Invite.created_at.desc(), Invite.id.desc()).limit(limit)
    if (later := after_time_id(Invite, after)) is not None:
        query = query.where(later)
    return list(await session.scalars(query))
