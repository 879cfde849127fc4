"""D12.1: blocking. A block is one row (who blocked whom); it ends the friendship and
any pending request either way, and `access` hides the two from each other everywhere.
Declined requests stay, so a block and unblock do not reopen the 30-day wait."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.errors import NotFound, ValidationFailed
from habitus.models import Block, FriendRequest, User
from habitus.social.friends import end_friendship


async def block(session: AsyncSession, user: User, target_id: uuid.UUID) -> Block:
    """Idempotent: blocking someone already blocked answers the same block."""
    if target_id == user.id:
        raise ValidationFailed.field("user_id", "is you: you cannot block yourself", rule="self")
    if await session.get(User, target_id) is None:
        raise NotFound("No such user.")
    found = await session.get(Block, (user.id, target_id))
    if found is None:
        found = Block(blocker_id=user.id, blocked_id=target_id)
        session.add(found)
    await end_friendship(session, user.id, target_id)
    await session.execute(
        delete(FriendRequest).where(
            FriendRequest.status == "pending",
            or_(
                and_(FriendRequest.from_user_id == user.id, FriendRequest.to_user_id == target_id),
                and_(FriendRequest.from_user_id == target_id, FriendRequest.to_user_id == user.id),
            ),
        )
    )
    await session.flush()
    return found


async def unblock(session: AsyncSession, user: User, target_id: uuid.UUID) -> None:
    result = await session.execute(
        delete(Block).where(Block.blocker_id == user.id, Block.blocked_id == target_id)
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound("No such block.")


async def blocked_by(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    """Whom the user blocked (blocks by others are not theirs to see)."""
    rows = await session.scalars(
        select(Block.blocked_id)
        .where(Block.blocker_id == user_id)
        .order_by(Block.created_at.desc(), Block.blocked_id)
    )
    return list(rows)
