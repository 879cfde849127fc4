"""API documentation pages: served by the app from its own static files (no CDN)."""

from __future__ import annotations

import re

import pytest

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/", "/login", "/register"])
async def test_pages_load_only_local_assets(client, path: str):
    """DESIGN.md stack: front-end assets come from our static folder, never from a CDN,
    and every script is a file (no inline script under the CSP)."""
    response = await client.get(path)
    assert response.status_code == 200
    assets = ASSET.findall(response.text)
    assert assets, "the page links nothing: the check would be empty"
    assert [url for url in assets if not url.startswith(("/", "#"))] == []
    scripts = re.findall(r"<script([^>]*)>", response.text)
    assert scripts
    assert all("src=" in attributes for attributes in scripts)
    for url in assets:
        if url.startswith("/static/"):
            asset = await client.get(url)
            assert asset.status_code == 200, url


async def test_openapi_documents_every_api_route_and_the_problem_schema(client):
    """Issue 2: /openapi.json describes the API (the auth and account part of API.md),
    and its problem answers resolve to a real schema."""
    document = (await client.get("/openapi.json")).json()
    paths = document["paths"]
    for path, verbs in {
        "/api/v1/auth/register": {"post"},
        "/api/v1/auth/login": {"post"},
        "/api/v1/auth/token": {"post"},
        "/api/v1/auth/refresh": {"post"},
        "/api/v1/auth/logout": {"post"},
        "/api/v1/me": {"get", "patch", "delete"},
        "/api/v1/me/export": {"get"},
        "/api/v1/admin/users": {"get"},
        "/api/v1/admin/invites": {"get", "post"},
    }.items():
        assert verbs <= set(paths[path]), path
    assert {"Problem", "ProblemFieldError"} <= set(document["components"]["schemas"])
    login_401 = paths["/api/v1/auth/login"]["post"]["responses"]["401"]
    schema = login_401["content"]["application/problem+json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Problem"}
    schemes = document["components"]["securitySchemes"]
    assert any(scheme.get("flows", {}).get("password") for scheme in schemes.values())
