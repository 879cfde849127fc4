"""A habit's rules across fields (the schema checks each field alone): shared by the
habits service and the importer, which checks a whole file before writing any of it."""

from __future__ import annotations

from datetime import date
from typing import Any

from habitus.errors import ValidationFailed


def check_rules(
    *,
    kind: str,
    polarity: str,
    target: dict[str, Any] | None,
    start_date: date,
    end_date: date | None,
) -> None:
    """Rules across fields (the schema checks each field alone), as 422s naming one."""
    if kind == "measurable" and target is None:
        raise ValidationFailed.field(
            "target", "a measurable habit needs a target {value, unit, direction}", "required"
        )
    if kind == "boolean" and target is not None:
        raise ValidationFailed.field("target", "only measurable habits have a target", "forbidden")
    if kind == "measurable" and polarity == "quit" and target and target["direction"] != "at_most":
        raise ValidationFailed.field(
            "target.direction",
            "a quit habit counts what you want less of: use at_most",
            "quit_needs_at_most",
        )
    if end_date is not None and end_date < start_date:
        raise ValidationFailed.field(
            "end_date", f"must not be before start_date ({start_date.isoformat()})", "after_start"
        )
