"""Every query of the admin pages."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.kit.pagination import parse_time_id_key
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
    if (key := parse_time_id_key(after)) is not None:
        created_at, user_id = key
        query = query.where(
            or_(
                User.created_at < created_at,
                and_(User.created_at == created_at, User.id < user_id),
            )
        )
    return list(await session.scalars(query))


async def invite_by_token_hash(session: AsyncSession, token_hash: str) -> Invite | None:
    return await session.scalar(select(Invite).where(Invite.token_hash == token_hash))


async def invite_by_id(session: AsyncSession, invite_id: uuid.UUID) -> Invite | None:
    return await session.get(Invite, invite_id)


async def list_invites(
    session: AsyncSession, *, limit: int, after: list[Any] | None
) -> list[Invite]:
    query = select(Invite).order_by(Invite.created_at.desc(), Invite.id.desc()).limit(limit)
    if (key := parse_time_id_key(after)) is not None:
        created_at, invite_id = key
        query = query.where(
            or_(
                Invite.created_at < created_at,
                and_(Invite.created_at == created_at, Invite.id < invite_id),
            )
        )
    return list(await session.scalars(query))
