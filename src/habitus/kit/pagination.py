"""Keyset pagination with opaque cursors (API.md: `limit`, `cursor`, `next_cursor`)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import and_, or_

from habitus.errors import FieldError, ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class PageParams(BaseModel):
    limit: int
    after: list[Any] | None  # the sort key of the last item already seen


def encode_cursor(sort_key: list[Any]) -> str:
    raw = json.dumps(sort_key, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        value = None
    if not isinstance(value, list):
        raise _bad_cursor()
    return value


async def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (at most {MAX_LIMIT}).")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=512, description="`next_cursor` of the previous page."),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, after=decode_cursor(cursor) if cursor else None)


Pagination = Annotated[PageParams, Depends(page_params)]


def _bad_cursor() -> ValidationFailed:
    return ValidationFailed(
        [
            FieldError(
                "cursor",
                "is not a cursor this server issued; use next_cursor from the previous page",
                rule="cursor_format",
                location="query",
            )
        ]
    )


def time_id_key(created_at: datetime, row_id: uuid.UUID) -> list[Any]:
    """The sort key of a row listed newest first: (created_at, id)."""
    return [created_at.isoformat(), str(row_id)]


def parse_time_id_key(after: list[Any] | None) -> tuple[datetime, uuid.UUID] | None:
    if after is None:
        return None
    try:
        stamp, row_id = after
        if not isinstance(stamp, str) or not isinstance(row_id, str):
            raise TypeError("not text")  # uuid.UUID(5) raises AttributeError, not this
        created_at = datetime.fromisoformat(stamp)
        if created_at.tzinfo is None:
            raise ValueError("naive")
        return created_at, uuid.UUID(row_id)
    except (ValueError, TypeError) as error:
        raise _bad_cursor() from error


def parse_int_id_key(after: list[Any] | None) -> tuple[int, uuid.UUID] | None:
    """A cursor of a listing sorted by (a growing integer, id), such as a message id."""
    if after is None:
        return None
    try:
        number, row_id = after
        if isinstance(number, bool) or not isinstance(number, int) or not isinstance(row_id, str):
            raise TypeError("not an (int, text) pair")
        return number, uuid.UUID(row_id)
    except (ValueError, TypeError) as error:
        raise _bad_cursor() from error


def after_time_id(model: Any, after: list[Any] | None) -> Any:
    """The rows after the cursor `after` in a newest-first (created_at, id) listing of
    `model`, as a WHERE condition; None on the first page."""
    if (key := parse_time_id_key(after)) is None:
        return None
    created_at, row_id = key
    return or_(
        model.created_at < created_at,
        and_(model.created_at == created_at, model.id < row_id),
    )


def page_of(items: list[T], limit: int, key: Callable[[T], list[Any]]) -> Page[T]:
    """A page from `limit + 1` fetched rows: the extra row only says there is more."""
    if len(items) > limit:
        return Page(items=items[:limit], next_cursor=encode_cursor(key(items[limit - 1])))
    return Page(items=items, next_cursor=None)
