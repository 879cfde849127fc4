"""D12.1: who may see whom. A block (either way) hides two users from each other
everywhere; friendship is mutual. Each function is one query."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import Block, Friendship


async def blocked_between(session: AsyncSession, one: uuid.UUID, other: uuid.UUID) -> bool:
    """True when either blocked the other."""
    query = select(
        exists().where(
            or_(
                (Block.blocker_id == one) & (Block.blocked_id == other),
                (Block.blocker_id == other) & (Block.blocked_id == one),
            )
        )
    )
    return bool(await session.scalar(query))


async def hidden_from(session: AsyncSession, user_id: uuid.UUID) -> set[uuid.UUID]:
    """Everyone `user_id` blocked or was blocked by."""
    rows = await session.execute(
        select(Block.blocker_id, Block.blocked_id).where(
            or_(Block.blocker_id == user_id, Block.blocked_id == user_id)
        )
    )
    return {a if b == user_id else b for a, b in rows.all()}


async def are_friends(session: AsyncSession, one: uuid.UUID, other: uuid.UUID) -> bool:
    query = select(exists().where(Friendship.user_id == one, Friendship.friend_id == other))
    return bool(await session.scalar(query))


async def friend_ids(session: AsyncSession, user_id: uuid.UUID) -> set[uuid.UUID]:
    """The user's friends (a block ends a friendship, so none of them is blocked)."""
    rows = await session.scalars(select(Friendship.friend_id).where(Friendship.user_id == user_id))
    return set(rows)


def visible(ids: Iterable[uuid.UUID], hidden: set[uuid.UUID]) -> list[uuid.UUID]:
    return [found for found in ids if found not in hidden]
