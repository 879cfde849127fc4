"""Static files and pages, compressed and cached (issue 13, "Speed as felt on a phone").

Scripts and stylesheets come pre-compressed by scripts/build-assets.mjs (`.br`, `.gz`);
pages and API answers are gzipped on the way out; versioned URLs are cached for a year.
"""

from __future__ import annotations

import gzip
import os
import re
import time
from pathlib import Path

import httpx
import pytest

from habitus.http.static import IMMUTABLE, accepted_encodings
from habitus.kit import csrf
from habitus.kit.templating import STATIC_DIR, static_url
from tests.fixtures.web import web_login

APP_JS = "js/app.js"


def _built(path: str) -> Path:
    """The file's .br copy, which `node scripts/build-assets.mjs` writes."""
    copy = STATIC_DIR / (path + ".br")
    if not copy.exists():
        pytest.fail(f"{copy} is missing: run `node scripts/build-assets.mjs` (make install)")
    return copy


async def _raw(client: httpx.AsyncClient, url: str, **headers: str) -> tuple[httpx.Response, bytes]:
    """The answer and its body as sent (not decoded by httpx)."""
    async with client.stream("GET", url, headers=headers) as response:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, body


@pytest.mark.parametrize(
    ("accept", "coding"), [("gzip, deflate, br, zstd", "br"), ("gzip", "gzip")]
)
async def test_scripts_come_precompressed(client, accept, coding):
    """The copy the browser accepts, best first, labelled, with Vary; same bytes inside."""
    _built(APP_JS)
    original = (STATIC_DIR / APP_JS).read_bytes()
    response, body = await _raw(client, static_url(APP_JS), **{"Accept-Encoding": accept})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == coding
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["content-type"].startswith("text/javascript")
    assert int(response.headers["content-length"]) == len(body) < len(original) / 2
    suffix = ".br" if coding == "br" else ".gz"
    assert body == (STATIC_DIR / (APP_JS + suffix)).read_bytes()
    if coding == "gzip":
        assert gzip.decompress(body) == original


async def test_identity_when_nothing_is_accepted(client):
    response, body = await _raw(
        client, static_url("dist/app.css"), **{"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in response.headers
    assert response.headers["vary"] == "Accept-Encoding"
    assert body == (STATIC_DIR / "dist/app.css").read_bytes()


async def test_a_stale_compressed_copy_is_never_served(client, tmp_path):
    """A script edited after the build (newer than its .br) is served as it is now."""
    copy = _built(APP_JS)
    original = STATIC_DIR / APP_JS
    stat = copy.stat()
    os.utime(copy, (stat.st_atime, original.stat().st_mtime - 60))
    try:
        response, body = await _raw(client, "/static/" + APP_JS, **{"Accept-Encoding": "br"})
        assert "content-encoding" not in response.headers
        assert body == original.read_bytes()
    finally:
        os.utime(copy, (stat.st_atime, max(stat.st_mtime, time.time())))


async def test_versioned_urls_are_cached_for_a_year(client):
    response = await client.get(static_url("dist/app.css"))
    assert response.headers["cache-control"] == IMMUTABLE == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("url", ["/static/dist/app.css", "/sw.js", "/manifest.webmanifest"])
async def test_unversioned_urls_are_revalidated(client, url):
    response = await client.get(url)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"


async def test_etag_revalidation_answers_304(client):
    """Each coding has its own ETag (they are different bytes); a match is a 304."""
    url = static_url(APP_JS)
    br, _ = await _raw(client, url, **{"Accept-Encoding": "br"})
    plain, _ = await _raw(client, url, **{"Accept-Encoding": "identity"})
    assert br.headers["etag"] != plain.headers["etag"]
    again = await client.get(
        url, headers={"Accept-Encoding": "br", "If-None-Match": br.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["cache-control"] == IMMUTABLE
    assert again.headers["vary"] == "Accept-Encoding"


async def test_pages_and_api_answers_are_gzipped(client, alice):
    page, page_body = await _raw(
        client, "/login", **{"Accept-Encoding": "gzip", "Accept": "text/html"}
    )
    assert page.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in page.headers["vary"]
    assert b"<form" in gzip.decompress(page_body)
    api = await client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
    if api.status_code == 404:
        api = await client.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert api.headers["content-encoding"] == "gzip"


async def test_small_answers_and_images_are_not_compressed(client):
    health, _ = await _raw(client, "/healthz", **{"Accept-Encoding": "gzip"})
    assert "content-encoding" not in health.headers
    icon, _ = await _raw(
        client, static_url("icons/icon-512.png"), **{"Accept-Encoding": "gzip, br"}
    )
    assert "content-encoding" not in icon.headers


def test_accepted_encodings_reads_q_values():
    assert accepted_encodings("gzip, deflate, br;q=0.5") == {"gzip", "deflate", "br"}
    assert accepted_encodings("br;q=0, gzip") == {"gzip"}
    assert accepted_encodings("") == set()


CSRF_META = re.compile(rb'name="csrf-token" content="([^"]+)"')


async def test_csrf_token_is_masked_per_response(client):
    """BREACH (docs/SECURITY.md): a compressed page never repeats the token's bytes;
    every masking of it is accepted."""
    first = await client.get("/login", headers={"Accept": "text/html"})
    second = await client.get("/login", headers={"Accept": "text/html"})
    token_one = CSRF_META.search(first.content)
    token_two = CSRF_META.search(second.content)
    assert token_one
    assert token_two
    assert token_one.group(1) != token_two.group(1)
    assert csrf.unmask(token_one.group(1).decode()) == csrf.unmask(token_two.group(1).decode())
    for token in (token_one.group(1).decode(), token_two.group(1).decode()):
        response = await client.post(
            "/login",
            data={"csrf_token": token, "email": "nobody@example.org", "password": "wrong one"},
            headers={"Accept": "text/html"},
        )
        assert response.status_code != 403, response.text


def test_mask_round_trip():
    bare = "q0vJ0Gz7mXr2cR5i8nT1kQbV4yH6aWwE3uD9fL0sPZo"
    assert csrf.mask(bare) != csrf.mask(bare)
    assert csrf.unmask(csrf.mask(bare)) == bare
    assert csrf.unmask(bare) == bare  # a bare token still works
    assert csrf.unmask("not base64 !!") == "not base64 !!"


async def test_chart_library_only_where_a_chart_is_drawn(client, alice):
    """Issue 13: Chart.js (210 KB) is loaded by the habit page only."""
    made = await client.post(
        "/api/v1/habits",
        json={"name": "Read", "schedule": {"type": "daily"}},
        headers=alice.headers,
    )
    assert made.status_code == 201, made.text
    await web_login(client, alice.email, alice.password)
    for path in ("/today", "/habits", "/history", "/breaks", "/settings", "/habits/new"):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert "chart.umd" not in page.text, path
    habit_page = await client.get(f"/habits/{made.json()['id']}")
    assert "vendor/chart/chart.umd.min.js" in habit_page.text
