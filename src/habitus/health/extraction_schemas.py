"""Bodies of the photo extraction endpoints (API.md "Health metrics", D15.2)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from habitus.health.schemas import HealthFields, WallClock
from habitus.kit.validation import SupportedDate


class ProposedValue(BaseModel):
    value: float = Field(description="In the field's metric unit.")
    confidence: float = Field(ge=0, le=1, description="How sure the reader is, 0 to 1.")
    box: list[int] | None = Field(
        default=None,
        description="Where on the photo the value was read (left, top, right, bottom, in "
        "pixels of the stored photo), when the offline reader found it; its crop is at "
        "/health/extractions/{id}/crops/{field}.",
    )


class DroppedValue(BaseModel):
    field: str
    reason: str


class ExtractionOut(BaseModel):
    id: uuid.UUID
    source: Literal["vision", "ocr"] = Field(
        description="Who read the photo: the configured vision model or the offline OCR."
    )
    model: str | None = Field(description="The model that answered (vision only).")
    fallback_reason: str | None = Field(
        description="Why the vision model did not answer when it was asked (e.g. "
        "`timeout`, `malformed`); the offline reader answered instead."
    )
    fields: dict[str, ProposedValue] = Field(
        description="Proposed values by field name; nothing is saved until confirmed."
    )
    dropped: list[DroppedValue] = Field(description="Values read but left out, and why.")
    width: int
    height: int
    expires_at: datetime = Field(description="When the proposal and its photo are deleted.")
    confirmed: bool
    log_id: uuid.UUID | None


class ConfirmIn(BaseModel):
    """The values the user confirmed or corrected (any of the 27 fields, metric units)."""

    model_config = ConfigDict(extra="forbid")

    fields: HealthFields
    date: SupportedDate | None = Field(
        default=None, description="Local date of the reading (default: today, the user's)."
    )
    time: WallClock | None = Field(
        default=None, description="Local time as HH:MM (default: now, the user's)."
    )

    @model_validator(mode="after")
    def _some_field(self) -> ConfirmIn:
        if not any(value is not None for value in self.fields.given().values()):
            raise PydanticCustomError(
                "required", "confirm at least one of the 27 health fields (D15.1)"
            )
        return self
