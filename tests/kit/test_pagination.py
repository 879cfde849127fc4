"""Keyset pagination with opaque cursors (API.md Conventions: `limit`, `cursor`, `next_cursor`)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from habitus.errors import ValidationFailed
from habitus.kit.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    decode_cursor,
    encode_cursor,
    page_of,
    page_params,
    parse_time_id_key,
    time_id_key,
)

INVITES = "/api/v1/admin/invites"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "key",
    [
        [],
        ["2026-11-21T12:00:00+00:00", "6f1c1a52-5e1b-4f38-9d57-2d3b7d6e1f00"],
        [1, 2.5, None, True, "text"],
        ["naïve ümlaut ✓ 漢字", 'quote" and back\\slash', "/+=?&"],
        [["nested", 1], {"a": 1}],
        ["x" * 300],
    ],
)
def test_cursor_round_trip(key: list[Any]):
    """pagination.py: a cursor decodes to the sort key it was made from."""
    cursor = encode_cursor(key)
    assert decode_cursor(cursor) == key
    # Opaque and URL-safe: no padding, nothing that needs escaping in a query string.
    assert "=" not in cursor
    assert all(char.isalnum() or char in "-_" for char in cursor)


def test_cursor_of_a_time_id_key_round_trips():
    """pagination.py: (created_at, id) survives the trip, time zone included."""
    created_at = datetime(2026, 11, 21, 12, 0, 0, 123456, tzinfo=UTC)
    row_id = uuid.uuid4()
    cursor = encode_cursor(time_id_key(created_at, row_id))
    assert parse_time_id_key(decode_cursor(cursor)) == (created_at, row_id)
    assert parse_time_id_key(None) is None


def _assert_bad_cursor(error: ValidationFailed) -> None:
    assert error.status_code == 422
    assert [(item.field, item.location) for item in error.errors] == [("cursor", "query")]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        "%%%",
        "a",
        "eyJub3QiOiJhIGxpc3QifQ",  # {"not":"a list"}
        _b64(b'"a string"'),
        _b64(b"42"),
        _b64(b"null"),
        _b64(b"\xff\xfe\xfd"),
        _b64(b"[1, 2"),
        "ü" * 10,
    ],
)
def test_garbage_cursor_is_422(cursor: str):
    """API.md Conventions: a cursor the server did not issue is a 422 naming `cursor`."""
    with pytest.raises(ValidationFailed) as caught:
        decode_cursor(cursor)
    _assert_bad_cursor(caught.value)


@pytest.mark.parametrize(
    "key",
    [
        [],
        ["only-one"],
        ["2026-11-21T12:00:00+00:00", "not-a-uuid"],
        ["not-a-date", str(uuid.uuid4())],
        ["2026-11-21T12:00:00", str(uuid.uuid4())],  # naive: not one of ours
        ["2026-11-21T12:00:00+00:00", 5],
        ["2026-11-21T12:00:00+00:00", None],
        [5, str(uuid.uuid4())],
        [["nested"], {"a": 1}],
        ["2026-11-21T12:00:00+00:00", str(uuid.uuid4()), "extra"],
    ],
)
def test_well_formed_cursor_of_the_wrong_shape_is_422(key: list[Any]):
    """pagination.py: a decodable cursor with the wrong sort key is still a 422 on `cursor`."""
    with pytest.raises(ValidationFailed) as caught:
        parse_time_id_key(decode_cursor(encode_cursor(key)))
    _assert_bad_cursor(caught.value)


async def test_page_params_defaults_and_cursor():
    """API.md Conventions: `limit` defaults to 50; the cursor carries the last sort key."""
    assert DEFAULT_LIMIT == 50
    assert MAX_LIMIT == 500
    params = await page_params()
    assert (params.limit, params.after) == (50, None)
    params = await page_params(limit=7, cursor=encode_cursor(["a", 1]))
    assert (params.limit, params.after) == (7, ["a", 1])
    with pytest.raises(ValidationFailed):
        await page_params(limit=7, cursor="not a cursor at all")


def _key(item: int) -> list[Any]:
    return [item]


def test_page_of_with_more_rows_than_the_limit():
    """pagination.py page_of: `limit + 1` rows give `limit` items and a cursor to the last."""
    page = page_of([10, 9, 8, 7], 3, _key)
    assert page.items == [10, 9, 8]
    assert page.next_cursor is not None
    assert decode_cursor(page.next_cursor) == [8]  # the last item shown, not the extra one


@pytest.mark.parametrize("rows", [[], [1], [3, 2, 1]])
def test_page_of_the_last_page_has_no_cursor(rows: list[int]):
    """API.md Conventions: `next_cursor` is null when there is nothing more."""
    page = page_of(rows, 3, _key)
    assert page.items == rows
    assert page.next_cursor is None


def test_page_of_limit_one():
    """pagination.py page_of: the smallest page still points past its one item."""
    page = page_of(["b", "a"], 1, lambda item: [item])
    assert page.items == ["b"]
    assert page.next_cursor is not None
    assert decode_cursor(page.next_cursor) == ["b"]
    assert json.loads(page.model_dump_json()) == {"items": ["b"], "next_cursor": page.next_cursor}


# --- through HTTP -------------------------------------------------------------------


async def test_walking_the_pages_sees_each_row_once(frozen_clock, client, admin):
    """API.md Conventions: following next_cursor visits every item once, newest first."""
    # Same created_at for all (the clock is frozen): the id breaks the tie.
    created = []
    for index in range(7):
        response = await client.post(INVITES, json={"note": str(index)}, headers=admin.headers)
        assert response.status_code == 201
        created.append(response.json()["id"])

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor is not None:
            params["cursor"] = cursor
        response = await client.get(INVITES, params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "next_cursor"}
        assert len(body["items"]) <= 3
        seen.extend(item["id"] for item in body["items"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == sorted(created)
    assert len(seen) == len(set(seen))
    assert seen == sorted(seen, key=uuid.UUID, reverse=True)


async def test_default_limit_and_exact_fit(client, admin):
    """API.md Conventions: a page that holds everything has `next_cursor: null`."""
    for _ in range(3):
        await client.post(INVITES, json={}, headers=admin.headers)
    response = await client.get(INVITES, params={"limit": 3}, headers=admin.headers)
    assert response.json()["next_cursor"] is None
    assert len(response.json()["items"]) == 3
    response = await client.get(INVITES, headers=admin.headers)
    assert response.json()["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "garbage!!"}, "cursor"),
        ({"cursor": encode_cursor(["2026-11-21T12:00:00+00:00", 5])}, "cursor"),
        ({"cursor": encode_cursor(["yesterday", str(uuid.uuid4())])}, "cursor"),
        ({"cursor": "x" * 600}, "cursor"),
        ({"limit": 0}, "limit"),
        ({"limit": MAX_LIMIT + 1}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "9" * 40}, "limit"),
    ],
)
async def test_bad_paging_parameters_are_422(client, admin, params: dict[str, Any], field: str):
    """API.md Conventions: limit is 1..500 and the cursor opaque; bad ones are 422, never 500."""
    response = await client.get(INVITES, params=params, headers=admin.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [(error["field"], error["location"]) for error in errors] == [(field, "query")]


async def test_max_limit_is_accepted(client, admin):
    """API.md Conventions: limit max 500."""
    response = await client.get(INVITES, params={"limit": MAX_LIMIT}, headers=admin.headers)
    assert response.status_code == 200
