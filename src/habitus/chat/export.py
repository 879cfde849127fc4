"""The user's own chat messages for the account export, decrypted: what they wrote,
where and when. Others' messages stay out (their data), as do read markers."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.chat import keys, repository
from habitus.config import Settings
from habitus.models import Conversation


async def export_of(
    session: AsyncSession, settings: Settings, user_id: uuid.UUID
) -> dict[str, Any]:
    sent = await repository.sent_by(session, user_id)
    kinds: dict[uuid.UUID, str] = {}
    for conversation_id in {message.conversation_id for message in sent}:
        conversation = await session.get(Conversation, conversation_id)
        kinds[conversation_id] = conversation.kind if conversation is not None else "direct"
    return {
        "chat_messages": [
            {
                "id": message.id,
                "conversation_id": str(message.conversation_id),
                "conversation_kind": kinds[message.conversation_id],
                "body": keys.decrypt(settings, message.body_encrypted),
                "created_at": message.created_at.isoformat(),
            }
            for message in sent
        ]
    }
