"""Bodies of the health endpoints (API.md "Health metrics", D15.1).

The 27 fields are written out one by one (so the OpenAPI document lists them and mypy
knows them); their descriptions and ranges come from `metrics`, and a test checks the
two lists agree. A value outside its field's plausible range is a 422 naming the field
and the range (rule `range`); a key that is not a field is a 422 too (`extra_forbidden`).
"""

from __future__ import annotations

import re
import uuid
from datetime import date, time
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from habitus.health import metrics
from habitus.kit.validation import SupportedDate

Source = Literal["manual", "photo"]
Direction = Literal["lose", "gain"]

_CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?")


def _clock_text(value: object) -> object:
    """A time of day as HH:MM (or HH:MM:SS), nothing else: pydantic alone would also
    read a number of seconds."""
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not _CLOCK.fullmatch(value):
        raise ValueError("must be a local time as HH:MM (00:00 to 23:59)")
    return value


WallClock = Annotated[time, BeforeValidator(_clock_text)]
# JSON numbers only (true is not 1, "72.4" is not a number), never NaN or infinity.
Value = Annotated[float, Strict(), Field(allow_inf_nan=False)]


def _f(name: str) -> Any:
    found = metrics.metric(name)
    unit = f", {found.unit}" if found.unit else ""
    return Field(
        default=None,
        description=f"{found.label}{unit} ({found.low:g} to {found.high:g}).",
        # Documented for clients; enforced by `_plausible`, whose 422 names the range.
        json_schema_extra={"minimum": found.low, "maximum": found.high},
    )


class HealthFields(BaseModel):
    """Any of the 27 fields of D15.1, in metric units."""

    model_config = ConfigDict(extra="forbid")

    weight_kg: Value | None = _f("weight_kg")
    bmi: Value | None = _f("bmi")
    body_fat_pct: Value | None = _f("body_fat_pct")
    muscle_mass_kg: Value | None = _f("muscle_mass_kg")
    body_water_pct: Value | None = _f("body_water_pct")
    fat_mass_kg: Value | None = _f("fat_mass_kg")
    muscle_pct: Value | None = _f("muscle_pct")
    skeletal_muscle_kg: Value | None = _f("skeletal_muscle_kg")
    skeletal_muscle_pct: Value | None = _f("skeletal_muscle_pct")
    visceral_fat_index: Value | None = _f("visceral_fat_index")
    subcutaneous_fat_pct: Value | None = _f("subcutaneous_fat_pct")
    bone_mass_kg: Value | None = _f("bone_mass_kg")
    protein_mass_kg: Value | None = _f("protein_mass_kg")
    protein_pct: Value | None = _f("protein_pct")
    water_weight_kg: Value | None = _f("water_weight_kg")
    lean_body_mass_kg: Value | None = _f("lean_body_mass_kg")
    fat_free_weight_kg: Value | None = _f("fat_free_weight_kg")
    bmr_kcal: Value | None = _f("bmr_kcal")
    body_age: Value | None = _f("body_age")
    obesity_degree_pct: Value | None = _f("obesity_degree_pct")
    standard_weight_kg: Value | None = _f("standard_weight_kg")
    weight_control_kg: Value | None = _f("weight_control_kg")
    fat_control_kg: Value | None = _f("fat_control_kg")
    muscle_control_kg: Value | None = _f("muscle_control_kg")
    heart_rate_bpm: Value | None = _f("heart_rate_bpm")
    waist_cm: Value | None = _f("waist_cm")
    hip_cm: Value | None = _f("hip_cm")

    @field_validator(*metrics.FIELD_NAMES)
    @classmethod
    def _plausible(cls, value: float | None, info: ValidationInfo) -> float | None:
        """D15.1: outside the field's range is a 422 that names the field (pydantic's
        location) and the range (the message)."""
        if value is None:
            return None
        found = metrics.metric(str(info.field_name))
        if not found.in_range(value):
            raise PydanticCustomError("range", found.range_message())
        return value

    def given(self) -> dict[str, float | None]:
        """The fields the body named (null included: a PATCH clears with it)."""
        return {
            name: getattr(self, name)
            for name in metrics.FIELD_NAMES
            if name in self.model_fields_set
        }


class HealthLogIn(HealthFields):
    date: SupportedDate | None = Field(
        default=None, description="Local date of the reading (default: today, the user's)."
    )
    time: WallClock | None = Field(
        default=None, description="Local time as HH:MM (default: now, the user's)."
    )

    @model_validator(mode="after")
    def _some_field(self) -> HealthLogIn:
        if not any(value is not None for value in self.given().values()):
            raise PydanticCustomError(
                "required", "give at least one of the 27 health fields (D15.1)"
            )
        return self


class HealthLogPatch(HealthFields):
    """A change: the keys given change, null clears a field (a log keeps at least one)."""

    date: SupportedDate | None = None
    time: WallClock | None = None

    @model_validator(mode="after")
    def _some_change(self) -> HealthLogPatch:
        if not self.model_fields_set:
            raise PydanticCustomError("required", "give at least one change")
        return self


class HealthLogOut(BaseModel):
    id: uuid.UUID
    date: date
    time: str = Field(description="Local time, HH:MM.")
    source: Source
    fields: dict[str, float] = Field(description="The fields the log holds, in metric units.")


class SeriesPoint(BaseModel):
    date: date
    value: float


class SeriesOut(BaseModel):
    field: str
    unit: str
    items: list[SeriesPoint] = Field(description="One point a date: that day's last reading.")


class GoalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weight_kg: Value
    direction: Direction

    @field_validator("weight_kg")
    @classmethod
    def _plausible(cls, value: float) -> float:
        found = metrics.metric("weight_kg")
        if not found.in_range(value):
            raise PydanticCustomError("range", found.range_message())
        return value


class GoalOut(BaseModel):
    weight_kg: float | None = Field(description="null: no goal set.")
    direction: Direction | None


class HealthSettingsIn(BaseModel):
    """How the user reads and writes masses and lengths (issue 19). Values are stored in
    metric units whatever is chosen here."""

    model_config = ConfigDict(extra="forbid")

    mass_unit: Literal["kg", "lb"] = Field(description="Masses in kilograms or pounds.")
    length_unit: Literal["cm", "in"] = Field(description="Lengths in centimetres or inches.")


class HealthSettingsOut(BaseModel):
    mass_unit: Literal["kg", "lb"]
    length_unit: Literal["cm", "in"]
