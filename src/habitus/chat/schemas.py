"""Bodies of the chat endpoints (API.md "Chat")."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from habitus.chat.service import MAX_BODY, MAX_CLIENT_ID


class ConversationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID = Field(description="A friend's id.")


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=MAX_BODY)
    client_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_CLIENT_ID,
        description="The sender's own id for the message: a resend returns the first.",
    )


class ReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_id: int


class MessageOut(BaseModel):
    id: int
    conversation_id: uuid.UUID
    sender_id: uuid.UUID
    body: str
    client_id: str | None = None
    created_at: datetime


class ConversationOut(BaseModel):
    id: uuid.UUID
    kind: Literal["direct", "challenge"]
    title: str
    unread: int
    last_message: MessageOut | None
