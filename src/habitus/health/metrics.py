"""The 27 fields of a health log (D15.1): what each one measures, in which unit it is
stored, what values are plausible, and how it reads in imperial units.

Pure: no database, no web framework, no tables (tests import this module alone).

Values are stored in metric units at a fixed precision per field (`decimals`). A user
who prefers pounds or inches sees mass and length fields converted; the conversion is
done in decimal arithmetic and shown with enough decimals that converting the shown
value back lands on the stored one exactly (`to_display` then `from_display` is the
identity at the stored precision). A pound is smaller than a kilogram, so pounds need
no more decimals than kilograms; an inch is larger than a centimetre (2.54 cm), so
inches get one decimal more than centimetres.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

UnitSystem = Literal["metric", "imperial"]
Group = Literal["common", "composition", "targets", "vitals", "measurements"]

# Exact by definition (the international yard and pound agreement of 1959).
KG_PER_LB = Decimal("0.45359237")
CM_PER_IN = Decimal("2.54")


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    label: str
    unit: str  # the stored (metric) unit: "kg", "cm", "%", "kcal", "bpm", "years" or ""
    low: float  # the plausible range, both ends included
    high: float
    decimals: int  # the stored precision
    group: Group

    @property
    def imperial_unit(self) -> str:
        return {"kg": "lb", "cm": "in"}.get(self.unit, self.unit)

    def display_unit(self, system: UnitSystem) -> str:
        return self.imperial_unit if system == "imperial" else self.unit

    def display_decimals(self, system: UnitSystem) -> int:
        """Decimals that keep the round trip exact (see the module's docstring)."""
        if system == "imperial" and self.unit == "cm":
            return self.decimals + 1
        return self.decimals

    def in_range(self, value: float) -> bool:
        return self.low <= value <= self.high

    def range_message(self) -> str:
        """ "must be between 10 and 400 kg": the field's name goes beside it."""
        unit = f" {self.unit}" if self.unit else ""
        return f"must be between {_plain(self.low)} and {_plain(self.high)}{unit}"


def _plain(number: float) -> str:
    """10.0 -> "10", 0.5 -> "0.5": a range reads like people write it."""
    return f"{number:g}"


def _m(
    name: str, label: str, unit: str, low: float, high: float, decimals: int, group: Group
) -> Metric:
    return Metric(name, label, unit, low, high, decimals, group)


# The order is the order of forms and exports: the common five first (the short form),
# then the rest ("more"), grouped. Ranges are wide enough for any adult a scale can
# weigh, narrow enough to catch a slipped decimal point (724 for 72.4 kg). "Control"
# fields are how much to gain (positive) or lose (negative) to reach the standard, so
# they may be negative; so may the obesity degree (the excess over the standard weight).
METRICS: tuple[Metric, ...] = (
    _m("weight_kg", "Weight", "kg", 10, 400, 2, "common"),
    _m("bmi", "BMI", "", 8, 80, 1, "common"),
    _m("body_fat_pct", "Body fat", "%", 2, 75, 1, "common"),
    _m("muscle_mass_kg", "Muscle mass", "kg", 5, 150, 2, "common"),
    _m("body_water_pct", "Body water", "%", 20, 80, 1, "common"),
    _m("fat_mass_kg", "Fat mass", "kg", 0.5, 250, 2, "composition"),
    _m("muscle_pct", "Muscle rate", "%", 10, 95, 1, "composition"),
    _m("skeletal_muscle_kg", "Skeletal muscle", "kg", 3, 100, 2, "composition"),
    _m("skeletal_muscle_pct", "Skeletal muscle rate", "%", 10, 70, 1, "composition"),
    _m("visceral_fat_index", "Visceral fat", "", 1, 60, 1, "composition"),
    _m("subcutaneous_fat_pct", "Subcutaneous fat", "%", 1, 70, 1, "composition"),
    _m("bone_mass_kg", "Bone mass", "kg", 0.5, 8, 2, "composition"),
    _m("protein_mass_kg", "Protein mass", "kg", 1, 40, 2, "composition"),
    _m("protein_pct", "Protein", "%", 5, 30, 1, "composition"),
    _m("water_weight_kg", "Water weight", "kg", 5, 200, 2, "composition"),
    _m("lean_body_mass_kg", "Lean body mass", "kg", 10, 250, 2, "composition"),
    _m("fat_free_weight_kg", "Fat-free weight", "kg", 10, 250, 2, "composition"),
    _m("bmr_kcal", "Basal metabolic rate", "kcal", 500, 5000, 0, "composition"),
    _m("body_age", "Body age", "years", 10, 110, 0, "composition"),
    _m("obesity_degree_pct", "Obesity degree", "%", -60, 300, 1, "targets"),
    _m("standard_weight_kg", "Standard weight", "kg", 20, 150, 2, "targets"),
    _m("weight_control_kg", "Weight control", "kg", -300, 150, 2, "targets"),
    _m("fat_control_kg", "Fat control", "kg", -250, 100, 2, "targets"),
    _m("muscle_control_kg", "Muscle control", "kg", -60, 60, 2, "targets"),
    _m("heart_rate_bpm", "Heart rate", "bpm", 25, 250, 0, "vitals"),
    _m("waist_cm", "Waist", "cm", 30, 250, 1, "measurements"),
    _m("hip_cm", "Hip", "cm", 40, 250, 1, "measurements"),
)

BY_NAME: Mapping[str, Metric] = {metric.name: metric for metric in METRICS}
FIELD_NAMES: tuple[str, ...] = tuple(metric.name for metric in METRICS)
COMMON: tuple[str, ...] = tuple(metric.name for metric in METRICS if metric.group == "common")


def metric(name: str) -> Metric:
    """The field called `name`; KeyError for anything else."""
    return BY_NAME[name]


def _quantize(value: Decimal, decimals: int) -> float:
    # Half up, as people round; Decimal, so 2.675 is 2.675 and not 2.67499999...
    return float(value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def stored(name: str, value: float) -> float:
    """`value` at the field's stored precision."""
    return _quantize(Decimal(str(value)), metric(name).decimals)


def _factor(found: Metric) -> Decimal | None:
    return {"kg": KG_PER_LB, "cm": CM_PER_IN}.get(found.unit)


def to_display(name: str, value: float, system: UnitSystem) -> float:
    """A stored (metric) value as a user of `system` sees it."""
    found = metric(name)
    factor = _factor(found)
    number = Decimal(str(value))
    if system == "imperial" and factor is not None:
        number = number / factor
    return _quantize(number, found.display_decimals(system))


def from_display(name: str, value: float, system: UnitSystem) -> float:
    """What a user of `system` typed, as the value to store (metric, stored precision)."""
    found = metric(name)
    factor = _factor(found)
    number = Decimal(str(value))
    if system == "imperial" and factor is not None:
        number = number * factor
    return _quantize(number, found.decimals)


@dataclass(frozen=True, slots=True)
class OutOfRange:
    field: str
    message: str  # names the range: "must be between 10 and 400 kg"


def out_of_range(values: Mapping[str, float | None]) -> list[OutOfRange]:
    """D15.1: every given value outside its field's plausible range, in field order.
    Names that are not fields are the caller's to refuse."""
    return [
        OutOfRange(found.name, found.range_message())
        for found in METRICS
        if (value := values.get(found.name)) is not None and not found.in_range(value)
    ]
