"""The account export's `surveys`: the user's own NPS answers."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import NpsResponse


async def export_of(session: AsyncSession, user_id: uuid.UUID) -> dict[str, Any]:
    rows = await session.scalars(
        select(NpsResponse)
        .where(NpsResponse.user_id == user_id)
        .order_by(NpsResponse.created_at, NpsResponse.id)
    )
    return {
        "nps": [
            {"score": row.score, "comment": row.comment, "created_at": row.created_at}
            for row in rows
        ]
    }
