"""Problem details for the API, pages for the web, and never a 500 for bad input."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from habitus.main import create_app
from tests.conftest import settings_for
from tests.fixtures.personas import Persona
from tests.fixtures.web import web_login

PROBLEM_JSON = "application/problem+json"


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The RFC 9457 body of `response`, checked for the shape API.md promises."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert isinstance(body["type"], str)
    assert body["type"]
    assert isinstance(body["title"], str)
    assert body["title"]
    assert body["status"] == status
    assert isinstance(body["detail"], str)
    assert body["detail"]
    for error in body.get("errors", []):
        assert set(error) >= {"field", "message", "rule", "location"}
        assert all(isinstance(error[name], str) and error[name] for name in error)
        assert error["location"] in {"body", "query", "path", "header", "cookie"}
    return body


async def test_422_names_each_field(client):
    """API.md Conventions: validation errors are 422 with `errors` naming each bad field."""
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "not-an-address", "password": 12, "timezone": "Mars/Olympus", "x": 1},
    )
    body = _problem(response, 422)
    assert body["title"] == "Unprocessable Entity"
    fields = {error["field"]: error for error in body["errors"]}
    assert set(fields) == {"email", "password", "timezone", "x"}
    assert all(error["location"] == "body" for error in fields.values())
    assert fields["x"]["rule"] == "extra_forbidden"
    assert "Mars/Olympus" in fields["timezone"]["message"]
    assert body["detail"].startswith(body["errors"][0]["field"])


async def test_422_in_the_path_and_query_names_the_parameter(client, admin):
    """errors.py: a bad path or query parameter is named, with where it was."""
    response = await client.get("/api/v1/admin/users/not-a-uuid", headers=admin.headers)
    body = _problem(response, 422)
    assert [(e["field"], e["location"]) for e in body["errors"]] == [("user_id", "path")]
    response = await client.get("/api/v1/admin/users?limit=x", headers=admin.headers)
    body = _problem(response, 422)
    assert [(e["field"], e["location"]) for e in body["errors"]] == [("limit", "query")]


async def test_422_for_a_nested_field_uses_a_dotted_name(client):
    """errors.py: a field inside the body is named by its path (`a.b.0`), not by a tuple."""
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "dora@example.org", "password": "a long and quiet meadow", "x": {"y": 1}},
    )
    body = _problem(response, 422)
    assert [error["field"] for error in body["errors"]] == ["x"]


async def test_401_is_a_problem_with_a_challenge(client):
    """API.md Conventions: no or a bad token is 401 problem+json with WWW-Authenticate."""
    for headers in ({}, {"Authorization": "Bearer not.a.token"}, {"Authorization": "Basic eA=="}):
        response = await client.get("/api/v1/me", headers=headers)
        body = _problem(response, 401)
        assert body["title"] == "Unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("accept", [None, "text/html", "*/*", "application/json"])
async def test_unknown_api_path_is_a_json_404(client, accept: str | None):
    """API.md Conventions: an unknown /api/v1 path is a problem+json 404, never an HTML page."""
    headers = {"Accept": accept} if accept else {}
    response = await client.get("/api/v1/no/such/thing", headers=headers)
    body = _problem(response, 404)
    assert body["title"] == "Not Found"
    assert body["type"] != "about:blank"
    assert "<html" not in response.text


async def test_405_is_a_problem_with_allow(client, alice):
    """API.md Conventions: a wrong verb is a 405 problem; RFC 9110 wants an `Allow` header."""
    response = await client.put("/api/v1/me", json={}, headers=alice.headers)
    body = _problem(response, 405)
    assert body["title"] == "Method Not Allowed"
    allowed = {method.strip() for method in response.headers["allow"].split(",")}
    assert {"GET", "PATCH", "DELETE"} <= allowed
    assert "PUT" not in allowed


async def test_unknown_web_path_is_an_html_page(client):
    """errors.py: pages answer HTML; an unknown page is a 404 page, not JSON."""
    response = await client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text
    assert "Not found" in response.text
    assert 'href="/"' in response.text  # a way back


async def test_unknown_web_path_for_a_json_client_is_a_problem(client):
    """errors.py wants_json: a client that only accepts JSON gets problem+json anywhere."""
    response = await client.get("/no-such-page", headers={"Accept": "application/json"})
    _problem(response, 404)


async def test_error_pages_for_a_signed_in_browser_render(client, alice):
    """routing.py: a 4xx page for a signed-in user is that page (with the user), never a 500."""
    await web_login(client, alice.email, alice.password)
    forbidden = await client.get("/admin", headers={"Accept": "text/html"})
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"].startswith("text/html")
    assert "administrators" in forbidden.text
    refused = await client.post("/logout", data={"csrf_token": "made-up"})
    assert refused.status_code == 403
    # Still signed in: the refused request changed nothing.
    assert (await client.get("/today", headers={"Accept": "text/html"})).status_code == 200
    assert client.cookies.get("habitus_session")


# --- 500 ----------------------------------------------------------------------------


class Boom(RuntimeError):
    pass


@pytest.fixture
async def exploding_client(database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The real app plus test-only routes that raise (added to this app object only)."""
    app: FastAPI = create_app(settings_for(database_url, tmp_path))

    async def explode() -> None:
        raise Boom("secret internals: password=hunter2")

    app.add_api_route("/api/v1/test-only/explode", explode, methods=["GET", "POST"])
    app.add_api_route("/test-only/explode", explode, methods=["GET"])
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def test_unhandled_exception_is_a_500_problem_with_the_request_id(exploding_client):
    """API.md Conventions: a 500 is a bug; it is problem+json carrying the request ID."""
    response = await exploding_client.get("/api/v1/test-only/explode")
    body = _problem(response, 500)
    request_id = response.headers["x-request-id"]
    assert request_id
    assert request_id in body["detail"]
    assert "hunter2" not in response.text  # internals stay in the log
    assert "Boom" not in response.text
    # The security headers are on the 500 too.
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" in response.headers


async def test_500_echoes_the_callers_request_id(exploding_client):
    """middleware.py: the request ID the client sent is the one a 500 names."""
    response = await exploding_client.post(
        "/api/v1/test-only/explode", headers={"X-Request-ID": "trace-abc.123"}
    )
    body = _problem(response, 500)
    assert response.headers["x-request-id"] == "trace-abc.123"
    assert "trace-abc.123" in body["detail"]


async def test_500_on_a_page_is_html(exploding_client):
    """errors.py: a browser gets an HTML error page with the request ID, not JSON."""
    response = await exploding_client.get("/test-only/explode", headers={"Accept": "text/html"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-request-id"] in response.text
    assert "hunter2" not in response.text


async def test_the_app_keeps_serving_after_a_500(exploding_client):
    """middleware.py: one failing request does not break the next."""
    assert (await exploding_client.get("/api/v1/test-only/explode")).status_code == 500
    assert (await exploding_client.get("/healthz")).status_code == 200


# --- bad input is never a 500 -------------------------------------------------------

HUGE_LIST = list(range(200_000))
NASTY_BODIES: list[tuple[str, bytes, str]] = [
    ("not-json", b"this is not json {", "application/json"),
    ("truncated", b'{"email": "a@example.org", "password": ', "application/json"),
    ("not-utf8", b'{"email": "\xff\xfe"}', "application/json"),
    ("empty", b"", "application/json"),
    ("null", b"null", "application/json"),
    ("array", b"[1, 2, 3]", "application/json"),
    ("string", b'"hello"', "application/json"),
    ("number", b"1e999", "application/json"),
    ("huge-int", b'{"email": ' + b"9" * 5000 + b"}", "application/json"),
    ("nan", b'{"email": NaN, "password": Infinity}', "application/json"),
    ("deep", b"[" * 50_000 + b"]" * 50_000, "application/json"),
    ("deep-object", b'{"a":' * 20_000 + b"1" + b"}" * 20_000, "application/json"),
    (
        "huge-list",
        json.dumps({"email": HUGE_LIST, "password": HUGE_LIST}).encode(),
        "application/json",
    ),
    (
        "huge-strings",
        json.dumps({"email": "a" * 2_000_000, "password": "b" * 2_000_000}).encode(),
        "application/json",
    ),
    (
        "wrong-types",
        json.dumps({"email": {"a": [1]}, "password": [None], "timezone": 5}).encode(),
        "application/json",
    ),
    ("form", b"email=a%40example.org&password=x", "application/x-www-form-urlencoded"),
    ("text", b"email=a@example.org", "text/plain"),
    ("multipart-garbage", b"--xyz\r\nnot really\r\n", "multipart/form-data; boundary=xyz"),
    ("no-content-type", b'{"email": "a@example.org"}', ""),
]

BAD_INPUT_TARGETS: list[tuple[str, str, bool]] = [
    ("POST", "/api/v1/auth/register", False),
    ("POST", "/api/v1/auth/login", False),
    ("POST", "/api/v1/auth/refresh", False),
    ("POST", "/api/v1/auth/logout", False),
    ("POST", "/api/v1/auth/token", False),
    ("PATCH", "/api/v1/me", True),
    ("DELETE", "/api/v1/me", True),
    ("POST", "/api/v1/admin/invites", True),
]


@pytest.mark.parametrize(("method", "path", "signed_in"), BAD_INPUT_TARGETS)
async def test_bad_bodies_are_never_a_500(
    client, admin: Persona, method: str, path: str, signed_in: bool
):
    """API.md Conventions: a server never answers 500 to bad input."""
    headers = dict(admin.headers) if signed_in else {}
    for name, content, content_type in NASTY_BODIES:
        sent = {**headers, "Content-Type": content_type} if content_type else headers
        response = await client.request(method, path, content=content, headers=sent)
        assert 400 <= response.status_code < 500, (name, response.status_code, response.text)
        assert response.headers["content-type"] == PROBLEM_JSON, name
        assert response.json()["status"] == response.status_code
    # And the account is still there, unchanged.
    assert (await client.get("/api/v1/me", headers=admin.headers)).status_code == 200


UNPARSEABLE = {
    "not-json": b"this is not json {",
    "truncated": b'{"email": "a@example.org", "password": ',
    "not-utf8": b'{"email": "\xff\xfe"}',
    "trailing-comma": b'{"email": "a@example.org",}',
    "deep": b"[" * 50_000 + b"]" * 50_000,
    "huge-int": b'{"email": ' + b"9" * 5000 + b"}",
}


@pytest.mark.parametrize("name", list(UNPARSEABLE))
@pytest.mark.parametrize(
    ("method", "path", "signed_in"),
    [
        ("POST", "/api/v1/auth/register", False),
        ("PATCH", "/api/v1/me", True),
        ("POST", "/api/v1/admin/invites", True),
    ],
)
async def test_unparseable_json_is_a_422_naming_the_body(
    client, admin: Persona, name: str, method: str, path: str, signed_in: bool
):
    """API.md Conventions: bad input is a 422 naming the field; for unparseable JSON, `body`."""
    headers = {**(admin.headers if signed_in else {}), "Content-Type": "application/json"}
    response = await client.request(method, path, content=UNPARSEABLE[name], headers=headers)
    body = _problem(response, 422)
    assert [(e["field"], e["location"]) for e in body["errors"]] == [("body", "body")]
    assert body["errors"][0]["rule"] == "json_invalid"


@pytest.mark.parametrize(
    ("method", "path", "params", "headers"),
    [
        ("GET", "/api/v1/admin/users", {"limit": "-1"}, {}),
        ("GET", "/api/v1/admin/users", {"limit": "1" * 400}, {}),
        ("GET", "/api/v1/admin/users", {"q": "%" * 5000}, {}),
        ("GET", "/api/v1/admin/users", {"cursor": "A" * 5000}, {}),
        ("GET", "/api/v1/admin/users?q=%FF%FE%ED%B3%BF", {}, {}),
        ("GET", "/api/v1/admin/users/" + "9" * 300, {}, {}),
        ("GET", "/api/v1/admin/users/%00", {}, {}),
        ("GET", "/api/v1/admin/users/..%2F..%2Fetc%2Fpasswd", {}, {}),
        ("DELETE", "/api/v1/admin/invites/not-an-id", {}, {}),
        ("POST", "/api/v1/admin/users/00000000-0000-0000-0000-000000000000/disable", {}, {}),
        ("POST", "/api/v1/admin/invites", {}, {"Idempotency-Key": "x" * 10_000}),
        ("POST", "/api/v1/admin/invites", {}, {"Idempotency-Key": "café".encode()}),
        ("POST", "/api/v1/admin/invites", {}, {"Idempotency-Key": b"\xff\xfe"}),
    ],
)
async def test_bad_paths_queries_and_headers_are_never_a_500(
    client, admin: Persona, method: str, path: str, params: dict[str, str], headers: dict[str, Any]
):
    """API.md Conventions: a server never answers 500 to bad input, wherever it is."""
    response = await client.request(
        method, path, params=params, headers={**admin.headers, **headers}, json={}
    )
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == PROBLEM_JSON


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer",
        "Bearer ",
        "Bearer " + "a" * 20_000,
        "Bearer a.b.c",
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",  # alg none
        "Bearer ÿþ",
        "bearer x y z",
    ],
)
async def test_garbage_tokens_are_401_not_500(client, authorization: str):
    """API.md Conventions: a malformed Authorization header is a 401, never a 500."""
    response = await client.get("/api/v1/me", headers={"Authorization": authorization.encode()})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM_JSON


NUL = "a\x00b"


@pytest.mark.parametrize(
    ("method", "path", "body", "signed_in"),
    [
        ("POST", "/api/v1/auth/refresh", {"refresh_token": NUL}, False),
        ("POST", "/api/v1/auth/logout", {"refresh_token": NUL}, False),
        ("POST", "/api/v1/auth/register", {"email": "a\x00@example.org", "password": NUL}, False),
        ("PATCH", "/api/v1/me", {"timezone": NUL}, True),
        ("POST", "/api/v1/auth/login", {"email": NUL, "password": NUL}, False),
        (
            "POST",
            "/api/v1/auth/register",
            {
                "email": "dora@example.org",
                "password": "a long and quiet meadow",
                "display_name": NUL,
            },
            False,
        ),
        ("PATCH", "/api/v1/me", {"display_name": NUL}, True),
        ("POST", "/api/v1/admin/invites", {"note": NUL}, True),
        (
            "POST",
            "/api/v1/admin/users/00000000-0000-4000-8000-000000000000/disable",
            {"reason": NUL},
            True,
        ),
    ],
)
async def test_nul_characters_are_never_a_500(
    client, admin: Persona, method: str, path: str, body: dict[str, Any], signed_in: bool
):
    """API.md Conventions: a server never answers 500 to bad input, NUL characters included."""
    headers = admin.headers if signed_in else {}
    response = await client.request(method, path, json=body, headers=headers)
    assert response.status_code < 500, response.text


@pytest.mark.parametrize(
    "request_args",
    [
        ("POST", "/api/v1/auth/token", {"data": {"username": NUL, "password": "x"}}),
        ("GET", "/api/v1/admin/users", {"params": {"q": NUL}}),
    ],
    ids=["token-form", "users-search"],
)
async def test_nul_in_forms_and_queries_is_never_a_500(client, admin: Persona, request_args):
    """API.md Conventions: a server never answers 500 to bad input, in a form or a query."""
    method, path, options = request_args
    response = await client.request(method, path, headers=admin.headers, **options)
    assert response.status_code < 500, response.text


@pytest.mark.parametrize(
    ("method", "path", "options", "field"),
    [
        ("POST", "/api/v1/auth/login", {"json": {"email": NUL, "password": "x"}}, "email"),
        ("POST", "/api/v1/auth/token", {"data": {"username": NUL, "password": "x"}}, "username"),
        ("PATCH", "/api/v1/me", {"json": {"display_name": NUL}}, "display_name"),
        ("POST", "/api/v1/admin/invites", {"json": {"note": NUL}}, "note"),
        ("GET", "/api/v1/admin/users", {"params": {"q": NUL}}, "q"),
    ],
)
async def test_nul_is_a_422_naming_the_field(
    client, admin: Persona, method: str, path: str, options: dict[str, Any], field: str
):
    """API.md Conventions: text with a NUL character (which PostgreSQL cannot store) is
    bad input: 422 naming the field, on SQLite and PostgreSQL alike."""
    response = await client.request(method, path, headers=admin.headers, **options)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [error["field"] for error in errors] == [field]
    assert "NUL" in errors[0]["message"]
