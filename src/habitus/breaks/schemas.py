"""Bodies of /breaks."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from habitus.auth.schemas import StrictBody
from habitus.kit.validation import NoNul, SupportedDate

# The longest break (D3.2): a year and a day, so a leap year fits.
MAX_LENGTH_DAYS = 366


class BreakIn(StrictBody):
    start_date: SupportedDate
    end_date: SupportedDate
    habit_id: uuid.UUID | None = Field(default=None, description="Omit for all habits.")
    reason: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NoNul] | None
    ) = None


class BreakOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    start_date: date
    end_date: date
    habit_id: uuid.UUID | None
    reason: str | None
    created_at: datetime
