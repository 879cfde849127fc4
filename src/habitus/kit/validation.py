"""Validators shared by request schemas."""

from __future__ import annotations

from pydantic import AfterValidator

NUL_MESSAGE = "must not contain NUL characters"


def _refuse_nul(value: str | None) -> str | None:
    # PostgreSQL text cannot hold U+0000; caught here it is a 422 naming the field,
    # not a driver error (a 500) deep in a query.
    if value is not None and "\x00" in value:
        raise ValueError(NUL_MESSAGE)
    return value


NoNul = AfterValidator(_refuse_nul)
