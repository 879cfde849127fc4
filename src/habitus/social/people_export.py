"""The user's own people data for the account export (D12.1): their profile, their
friends (ids and handles only), the requests they sent and that are still open (a
decline is not shown to the sender, here either), and whom they blocked. Requests
others sent them and blocks others made stay out: those are the other person's data."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import Block, FriendRequest
from habitus.social.blocks import blocked_by
from habitus.social.friends import friends_of
from habitus.social.profiles import handles_of, profile_of


async def export_of(session: AsyncSession, user_id: uuid.UUID) -> dict[str, Any]:
    profile = await profile_of(session, user_id)
    friends = await friends_of(session, user_id)
    requests = list(
        await session.scalars(
            select(FriendRequest)
            .where(
                FriendRequest.from_user_id == user_id,
                FriendRequest.via_email.is_(False),  # see FriendRequest.via_email
            )
            .order_by(FriendRequest.created_at, FriendRequest.id)
        )
    )
    blocked = await blocked_by(session, user_id)
    blocked_at = {
        row.blocked_id: row.created_at
        for row in await session.scalars(select(Block).where(Block.blocker_id == user_id))
    }
    handles = await handles_of(session, [row.to_user_id for row in requests] + blocked)
    return {
        "profile": None
        if profile is None
        else {"handle": profile.handle, "bio": profile.bio, "public": profile.public},
        "friends": [
            {"user_id": str(f.user.id), "handle": f.user.handle, "since": f.since.isoformat()}
            for f in friends
        ],
        "friend_requests_sent": [
            {
                "to_user_id": str(row.to_user_id),
                "to_handle": handles.get(row.to_user_id),
                # A decline is never announced to the sender: it reads as pending.
                "status": "accepted" if row.status == "accepted" else "pending",
                "created_at": row.created_at.isoformat(),
            }
            for row in requests
        ],
        "blocks": [
            {
                "user_id": str(found),
                "handle": handles.get(found),
                "created_at": blocked_at[found].isoformat(),
            }
            for found in blocked
        ],
    }
