"""The health page's forms (issue 19): which fields the short form asks for, how the rest
are grouped under "More", and reading what was typed, in the user's units, into stored
(metric) values with a message per field for anything wrong.

Values are checked against their plausible range here, in the unit the user typed
("must be between 22.05 and 881.85 lb"), before the service checks them again in metric
units (it does for every caller).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time

from habitus.errors import ValidationFailed
from habitus.health import metrics
from habitus.health.settings import Units

# The short form: what a bathroom scale and a tape measure give at home. Weight, body fat
# and muscle mass are on every body-composition scale's first screen; BMI is what most
# people know their weight by; the waist is the one tape measurement with a health
# meaning of its own (it is no scale's reading, so it would otherwise hide under "More").
# Body water, the fifth "common" field of `metrics`, reads off the same scale screens as
# the rest of the composition and waits under "More" with them.
SHORT_FORM: tuple[str, ...] = ("weight_kg", "body_fat_pct", "muscle_mass_kg", "bmi", "waist_cm")

GROUP_TITLES: dict[str, str] = {
    "composition": "Body composition",
    "targets": "Targets from your scale",
    "vitals": "Heart",
    "measurements": "Tape measurements",
}

_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)(:[0-5]\d)?")


def more_groups() -> list[tuple[str, tuple[str, ...]]]:
    """The fields past the short form, under their group titles, in `metrics` order. The
    common fields the short form leaves out join the body composition group."""
    groups: dict[str, list[str]] = {name: [] for name in GROUP_TITLES}
    for found in metrics.METRICS:
        if found.name in SHORT_FORM:
            continue
        group = "composition" if found.group == "common" else found.group
        groups[group].append(found.name)
    return [(GROUP_TITLES[group], tuple(names)) for group, names in groups.items() if names]


@dataclass(frozen=True, slots=True)
class FieldInput:
    """One number input as the page draws it."""

    name: str
    label: str
    unit: str
    low: float  # the plausible range in the user's unit (the input's min and max)
    high: float
    value: str  # as typed, or the stored value in the user's unit
    error: str | None


@dataclass
class LogForm:
    """A log form as typed: the values to store, and what is wrong (field -> message)."""

    typed: dict[str, str] = field(default_factory=dict)
    values: dict[str, float | None] = field(default_factory=dict)
    day: date | None = None
    at: time | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def add(self, error: ValidationFailed) -> None:
        """The service's refusal, field by field (a range, a date after today...)."""
        for problem in error.errors:
            label = metrics.BY_NAME[problem.field].label if problem.field in metrics.BY_NAME else ""
            self.errors.setdefault(
                problem.field, f"{label} {problem.message}" if label else problem.message
            )
        if not error.errors:
            self.errors.setdefault("body", error.message)


def _number(text: str) -> float | None:
    """ "72.4" or "72,4" (a decimal comma, as much of Europe types it); None for anything
    that is not a finite number."""
    try:
        number = float(text.replace(",", ".").replace(" ", ""))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def read_log_form(
    form: Mapping[str, str], units: Units, *, held: Mapping[str, float] | None = None
) -> LogForm:
    """The fields typed (empty ones skipped), converted to stored values. `held`: the
    log's values when editing: emptying a field that had one clears it, and a field
    left as the form showed it is not sent (its shown value is rounded: 72.57 kg shows
    as 160 lb, which sent back would be 72.57 kg again, but 72.55 kg would drift to
    72.57). A new log needs at least one value."""
    read = LogForm()
    for found in metrics.METRICS:
        name = found.name
        text = form.get(name, "").strip()
        read.typed[name] = text
        if held is not None and name in held and text == units.number(name, held[name]):
            continue
        if not text:
            if held is not None and name in held and name in form:
                read.values[name] = None
            continue
        number = _number(text)
        if number is None:
            read.errors[name] = f"{found.label} must be a number, like 72.4"
            continue
        value = units.parse(name, number)
        if not found.in_range(value):
            read.errors[name] = f"{found.label} {units.range_message(name)}"
            continue
        read.values[name] = value
    _read_when(form, read)
    if held is None and not read.errors and not read.values:
        read.errors["body"] = "Enter at least one measurement."
    return read


def _read_when(form: Mapping[str, str], read: LogForm) -> None:
    raw_day = form.get("date", "").strip()
    read.typed["date"] = raw_day
    if raw_day:
        try:
            read.day = date.fromisoformat(raw_day)
        except ValueError:
            read.errors["date"] = "The date must be a date, like 2026-12-06"
    raw_time = form.get("time", "").strip()
    read.typed["time"] = raw_time
    if raw_time:
        match = _CLOCK.fullmatch(raw_time)
        if match is None:
            read.errors["time"] = "The time must be a time of day, like 07:30"
        else:
            read.at = time(int(match[1]), int(match[2]))


def inputs(
    names: tuple[str, ...],
    units: Units,
    *,
    typed: Mapping[str, str] | None = None,
    held: Mapping[str, float] | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[FieldInput]:
    """The inputs for `names`: what was typed when the form comes back with an error,
    else the log's values (editing), else empty."""
    found_inputs = []
    for name in names:
        found = metrics.metric(name)
        system = units.system_for(name)
        if typed is not None:
            value = typed.get(name, "")
        elif held is not None and name in held:
            value = units.number(name, held[name])
        else:
            value = ""
        found_inputs.append(
            FieldInput(
                name=name,
                label=found.label,
                unit=units.unit_of(name),
                low=metrics.to_display(name, found.low, system),
                high=metrics.to_display(name, found.high, system),
                value=value,
                error=(errors or {}).get(name),
            )
        )
    return found_inputs
