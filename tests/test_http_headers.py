"""Security headers, request IDs and CORS on every kind of answer."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.fixtures.personas import Persona

HEX_ID = re.compile(r"^[0-9a-f]{32}$")


def _directives(csp: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


async def _answers(client: httpx.AsyncClient, persona: Persona) -> dict[str, httpx.Response]:
    """An API answer, a page, an API 404, a page 404 and an error (401)."""
    answers = {
        "api": await client.get("/api/v1/me", headers=persona.headers),
        "page": await client.get("/login", headers={"Accept": "text/html"}),
        "home": await client.get("/", headers={"Accept": "text/html"}),
        "api-404": await client.get("/api/v1/nothing-here"),
        "page-404": await client.get("/nothing-here", headers={"Accept": "text/html"}),
        "api-401": await client.get("/api/v1/me"),
        "health": await client.get("/healthz"),
        "static": await client.get("/static/dist/app.css"),
    }
    assert answers["api"].status_code == 200
    assert answers["page"].status_code == 200
    assert answers["api-404"].status_code == 404
    assert answers["page-404"].status_code == 404
    assert answers["static"].status_code == 200
    return answers


async def test_security_headers_everywhere(client, alice):
    """middleware.py: CSP without inline scripts, no framing, nosniff, a referrer policy."""
    for name, response in (await _answers(client, alice)).items():
        csp = _directives(response.headers["content-security-policy"])
        assert "'unsafe-inline'" not in csp["script-src"], name
        assert "'unsafe-eval'" not in csp["script-src"], name
        assert csp["script-src"] == ["'self'"], name  # no CDN: assets are ours
        assert csp["frame-ancestors"] == ["'none'"], name
        assert csp["object-src"] == ["'none'"], name
        assert response.headers["x-content-type-options"] == "nosniff", name
        assert response.headers["referrer-policy"] in {
            "no-referrer",
            "same-origin",
            "strict-origin",
            "strict-origin-when-cross-origin",
        }, name
        assert response.headers["x-frame-options"] == "DENY", name


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_docs_pages_keep_scripts_strict(client, path: str):
    """middleware.py: the API docs relax styles only; scripts stay 'self' (no CDN, no inline)."""
    response = await client.get(path)
    assert response.status_code == 200
    csp = _directives(response.headers["content-security-policy"])
    assert csp["script-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]


async def test_no_hsts_over_plain_http(client, alice):
    """middleware.py: HSTS only when the site is served over HTTPS."""
    for name, response in (await _answers(client, alice)).items():
        assert "strict-transport-security" not in response.headers, name


async def test_hsts_with_an_https_base_url(make_client):
    """middleware.py: with base_url https://..., every answer carries HSTS."""
    from tests.fixtures.personas import make_persona

    client = await make_client(base_url="https://habits.example")
    persona = await make_persona(client, "hsts@example.org")
    for name, response in (await _answers(client, persona)).items():
        hsts = response.headers.get("strict-transport-security", "")
        assert "max-age=" in hsts, name
        assert int(re.search(r"max-age=(\d+)", hsts)[1]) >= 15552000, name  # half a year


async def test_request_id_is_generated(client):
    """middleware.py: every answer carries an X-Request-ID, a new one per request."""
    first = await client.get("/healthz")
    second = await client.get("/api/v1/nothing")
    assert HEX_ID.match(first.headers["x-request-id"])
    assert HEX_ID.match(second.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


@pytest.mark.parametrize(
    "sent", ["abc-123", "0f8fad5b-d9cb-469f-a165-70867728950e", "trace:span.1_a", "x" * 128]
)
async def test_a_sane_request_id_is_echoed(client, sent: str):
    """middleware.py: a request ID from a proxy or client is kept, so logs line up."""
    response = await client.get("/healthz", headers={"X-Request-ID": sent})
    assert response.headers["x-request-id"] == sent


@pytest.mark.parametrize(
    "sent",
    [
        "has spaces in it",
        "x" * 300,
        "x" * 129,
        "<script>alert(1)</script>",
        "semi;colon",
        'quote"d',
        "",
        "é-accent",
    ],
)
async def test_a_malicious_request_id_is_replaced(client, sent: str):
    """middleware.py: an odd request ID (spaces, markup, 300 chars) is replaced by our own."""
    response = await client.get("/api/v1/nothing", headers={"X-Request-ID": sent.encode()})
    returned = response.headers["x-request-id"]
    assert returned != sent
    assert HEX_ID.match(returned)


async def test_a_request_id_with_a_newline_is_replaced(client):
    """middleware.py: header injection through the request ID is impossible."""
    app = client._transport.app  # raw ASGI: httpx refuses to send a newline itself
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await app(
        {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/healthz",
            "raw_path": b"/healthz",
            "root_path": "",
            "query_string": b"",
            "headers": [(b"x-request-id", b"abc\r\nSet-Cookie: evil=1")],
            "client": ("203.0.113.9", 1234),
            "server": ("testserver", 80),
        },
        receive,
        send,
    )
    start = next(message for message in sent if message["type"] == "http.response.start")
    headers = dict(start["headers"])
    assert HEX_ID.match(headers[b"x-request-id"].decode())
    assert b"set-cookie" not in {name.lower() for name, _ in start["headers"]}


# --- CORS ---------------------------------------------------------------------------


def _preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }


async def test_cors_is_off_by_default(client, alice):
    """config.py: no CORS origins configured, no cross-origin access."""
    preflight = await client.options("/api/v1/me", headers=_preflight("https://app.example"))
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-credentials" not in preflight.headers
    response = await client.get(
        "/api/v1/me", headers={**alice.headers, "Origin": "https://app.example"}
    )
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


async def test_cors_allows_the_configured_origin_only(make_client):
    """config.py HABITUS_CORS_ORIGINS: that origin may call the API; no other may."""
    from tests.fixtures.personas import make_persona

    client = await make_client(cors_origins=["https://app.example"])
    persona = await make_persona(client, "cors@example.org")

    preflight = await client.options("/api/v1/me", headers=_preflight("https://app.example"))
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert "GET" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()

    response = await client.get(
        "/api/v1/me", headers={**persona.headers, "Origin": "https://app.example"}
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://app.example"
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "x-request-id" in exposed
    assert "retry-after" in exposed

    for other in ("https://evil.example", "http://app.example", "https://app.example.evil"):
        refused = await client.options("/api/v1/me", headers=_preflight(other))
        assert "access-control-allow-origin" not in refused.headers, other
        response = await client.get("/api/v1/me", headers={**persona.headers, "Origin": other})
        assert "access-control-allow-origin" not in response.headers, other
