"""Validators shared by request schemas and services."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

from habitus.errors import FieldError, ValidationFailed

NUL_MESSAGE = "must not contain NUL characters"


def _refuse_nul(value: str | None) -> str | None:
    # PostgreSQL text cannot hold U+0000; caught here it is a 422 naming the field,
    # not a driver error (a 500) deep in a query.
    if value is not None and "\x00" in value:
        raise ValueError(NUL_MESSAGE)
    return value


NoNul = AfterValidator(_refuse_nul)


# Ten years and a leap day or two: the longest window any read answers.
MAX_WINDOW_DAYS = 3660


def check_window(first: date, last: date) -> None:
    """A `from`..`to` query window: in order and at most MAX_WINDOW_DAYS long."""
    if last < first:
        raise ValidationFailed(
            [
                FieldError(
                    "to", f"must not be before from ({first.isoformat()})", "after_from", "query"
                )
            ]
        )
    if (last - first).days + 1 > MAX_WINDOW_DAYS:
        raise ValidationFailed(
            [FieldError("to", f"a window spans at most {MAX_WINDOW_DAYS} days", "window", "query")]
        )


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date_only(value: object) -> object:
    """A date in a query is YYYY-MM-DD only: pydantic alone would also read `0` as
    1970-01-01 (a Unix time). Use as `BeforeValidator(iso_date_only)`."""
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


# Dates anything in Habitus can be about (habits, entries, breaks, query windows, imports).
# Far outside, date arithmetic (a day before the start, a week's end, a month after a
# window) leaves Python's date range (issue 11 item 7), and nobody keeps a habit there.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)
DATE_RANGE_MESSAGE = f"must be between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"


def in_supported_range(day: date) -> bool:
    return EARLIEST_DATE <= day <= LATEST_DATE


def _plausible(day: date) -> date:
    if not in_supported_range(day):
        raise ValueError(DATE_RANGE_MESSAGE)
    return day


# A date in a body (pydantic reads ISO 8601) within the supported range.
SupportedDate = Annotated[date, AfterValidator(_plausible)]
# A date in a query: YYYY-MM-DD only, within the supported range.
QueryDate = Annotated[SupportedDate, BeforeValidator(iso_date_only)]
