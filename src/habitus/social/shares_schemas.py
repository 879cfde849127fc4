"""Bodies of the share-link endpoints (API.md "Profiles, friends, sharing")."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field


class ShareCreatedOut(BaseModel):
    id: uuid.UUID
    url: str = Field(description="The link; shown only now (the server keeps a hash).")


class ShareOut(BaseModel):
    id: uuid.UUID
    habit_id: uuid.UUID
    habit_name: str
    created_at: datetime
    revoked_at: datetime | None


class PublicDayOut(BaseModel):
    date: date
    done: bool


class PublicShareOut(BaseModel):
    """What anyone with the link sees (D12.2): nothing private."""

    name: str
    current_streak: int
    longest_streak: int
    heatmap: list[PublicDayOut] = Field(description="The last year, oldest day first.")
