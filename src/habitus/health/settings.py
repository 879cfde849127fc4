"""How a user reads and writes health values (issue 19): masses in kg or lb, lengths in
cm or in. Values are always stored in metric units (D15.1); this setting only changes
what the page shows and how it reads what was typed.

No row means kg and cm. A field stored in kg converts with the mass unit, one in cm with
the length unit, every other field (%, kcal, bpm, years, BMI) is shown as stored. The
conversion itself is `metrics.to_display` / `metrics.from_display`; this module picks,
per field, which of the two unit systems applies.

Shown, pounds and inches are rounded to one decimal, as scales and tape measures show
them: 160 lb typed is stored as 72.57 kg, which is 159.99 lb exactly, and the page says
"160 lb" (what was typed), never the artefact. Forms only send a value the user changed
(`web_forms`), so a rounded value shown in an edit form is never written back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.errors import FieldError, ValidationFailed
from habitus.health import metrics
from habitus.models import User
from habitus.models.health import HealthSettings

MassUnit = Literal["kg", "lb"]
LengthUnit = Literal["cm", "in"]
# Pounds and inches shown to a tenth: finer than a bathroom scale or a tape measure.
IMPERIAL_DECIMALS = 1
MASS_UNITS: tuple[str, ...] = get_args(MassUnit)
LENGTH_UNITS: tuple[str, ...] = get_args(LengthUnit)


@dataclass(frozen=True, slots=True)
class Units:
    mass_unit: MassUnit = "kg"
    length_unit: LengthUnit = "cm"

    def system_for(self, name: str) -> metrics.UnitSystem:
        """The unit system `name` is shown in: imperial only for a kg field when the user
        weighs in pounds, or a cm field when they measure in inches."""
        stored_unit = metrics.metric(name).unit
        if stored_unit == "kg" and self.mass_unit == "lb":
            return "imperial"
        if stored_unit == "cm" and self.length_unit == "in":
            return "imperial"
        return "metric"

    def unit_of(self, name: str) -> str:
        """ "lb", "kg", "%", "" ...: the unit `name` is shown and typed in."""
        return metrics.metric(name).display_unit(self.system_for(name))

    def decimals_of(self, name: str) -> int:
        """Decimals a value is shown with: the stored precision, one for lb and in."""
        if self.system_for(name) == "imperial":
            return IMPERIAL_DECIMALS
        return metrics.metric(name).decimals

    def show(self, name: str, value: float) -> float:
        """A stored (metric) value in the user's unit, rounded as shown."""
        exact = metrics.to_display(name, value, self.system_for(name))
        return round(exact, self.decimals_of(name))

    def parse(self, name: str, value: float) -> float:
        """A value typed in the user's unit, as stored (metric, stored precision)."""
        return metrics.from_display(name, value, self.system_for(name))

    def number(self, name: str, value: float) -> str:
        """ "160.5", "72.4", "1650": a stored value in the user's unit, without the
        trailing zeros a fixed precision would add (72.40 kg reads 72.4)."""
        return plain(self.show(name, value), self.decimals_of(name))

    def text(self, name: str, value: float) -> str:
        """ "160.5 lb", "18.5 %", "1650 kcal": a stored value as the page writes it."""
        number = self.number(name, value)
        unit = self.unit_of(name)
        return f"{number} {unit}" if unit else number

    def range_message(self, name: str) -> str:
        """The field's plausible range in the user's unit: "must be between 22.05 and
        881.85 lb" (the range itself is metric; its ends are converted)."""
        found = metrics.metric(name)
        system = self.system_for(name)
        low = metrics.to_display(name, found.low, system)
        high = metrics.to_display(name, found.high, system)
        unit = self.unit_of(name)
        return f"must be between {low:g} and {high:g}{f' {unit}' if unit else ''}"


DEFAULT = Units()


def plain(number: float, decimals: int) -> str:
    """`number` at `decimals`, trailing zeros dropped: 72.40 -> "72.4", 160.0 -> "160"."""
    text = f"{number:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _units_of_row(row: HealthSettings | None) -> Units:
    if row is None:
        return DEFAULT
    mass: MassUnit = "lb" if row.mass_unit == "lb" else "kg"
    length: LengthUnit = "in" if row.length_unit == "in" else "cm"
    return Units(mass_unit=mass, length_unit=length)


async def units_of(session: AsyncSession, user: User) -> Units:
    """The user's units; kg and cm until they choose."""
    return _units_of_row(await session.get(HealthSettings, user.id))


async def set_units(
    session: AsyncSession, user: User, *, mass_unit: str, length_unit: str
) -> Units:
    """Choose the units (both at once). Anything but kg/lb and cm/in is a 422 naming the
    field; nothing is written then."""
    errors = []
    if mass_unit not in MASS_UNITS:
        errors.append(FieldError("mass_unit", "must be kg or lb", rule="enum"))
    if length_unit not in LENGTH_UNITS:
        errors.append(FieldError("length_unit", "must be cm or in", rule="enum"))
    if errors:
        raise ValidationFailed(errors)
    row = await session.get(HealthSettings, user.id)
    if row is None:
        row = HealthSettings(user_id=user.id)
        session.add(row)
    row.mass_unit = mass_unit
    row.length_unit = length_unit
    await session.flush()
    return _units_of_row(row)
