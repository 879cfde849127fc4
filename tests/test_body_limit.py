"""Issue 11 item 5: no request body over its limit is read into memory. Six parallel
100 MB JSON bodies to /auth/login (no account needed) used to take the server's memory
from 223 to 572 MB: every body was read whole before anything looked at it."""

from __future__ import annotations

import json

from tests.habits.helpers import API, PROBLEM_JSON

LIMIT = 64 * 1024
CHUNK = 16 * 1024


def _too_large(response) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert "64 KiB" in response.json()["detail"]


async def test_a_declared_length_over_the_limit_is_refused_before_reading(make_client):
    """Issue 11 item 5: Content-Length over the limit: 413, and not one chunk is read."""
    client = await make_client(max_body_bytes=LIMIT)
    pulled = 0

    async def body():
        nonlocal pulled
        for _ in range(100):
            pulled += CHUNK
            yield b" " * CHUNK

    response = await client.post(
        f"{API}/auth/login",
        content=body(),
        headers={"content-type": "application/json", "content-length": str(100 * CHUNK)},
    )
    _too_large(response)
    assert pulled <= CHUNK


async def test_a_streamed_body_is_cut_off_at_the_limit(make_client):
    """Issue 11 item 5: a chunked body (no length) is counted as it arrives: 413 once it
    passes the limit; the rest is never pulled from the client."""
    client = await make_client(max_body_bytes=LIMIT)
    pulled = 0

    async def body():
        nonlocal pulled
        yield b'{"email": "a@example.org", "password": "'
        for _ in range(1000):  # 16 MB if it were all read
            pulled += CHUNK
            yield b"x" * CHUNK
        yield b'"}'

    response = await client.post(
        f"{API}/auth/login", content=body(), headers={"content-type": "application/json"}
    )
    _too_large(response)
    assert pulled <= LIMIT + 2 * CHUNK


async def test_bodies_under_the_limit_work_and_pages_get_the_limit_too(make_client):
    """Issue 11 item 5: the limit is global (forms included) and normal bodies pass."""
    client = await make_client(max_body_bytes=LIMIT)
    small = await client.post(
        f"{API}/auth/login", json={"email": "nobody@example.org", "password": "x" * 20}
    )
    assert small.status_code == 401
    form = await client.post(
        "/login",
        content=b"email=a%40b.org&password=" + b"x" * (2 * LIMIT),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 413


async def test_the_import_keeps_its_own_larger_limit(make_client, alice):
    """Issue 11 item 5: uploads have their own limit (import_max_bytes), not the JSON one."""
    client = await make_client(max_body_bytes=LIMIT)
    document = {"format_version": 1, "habits": [], "padding": "x" * (2 * LIMIT)}
    response = await client.post(
        f"{API}/import",
        files={"file": ("export.json", json.dumps(document).encode(), "application/json")},
        data={"format": "habitus_json"},
        headers=alice.headers,
    )
    assert response.status_code != 413, response.text
