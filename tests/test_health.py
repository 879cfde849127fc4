"""/healthz, /readyz and /metrics (API.md "Health")."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from habitus.main import create_app
from habitus.migrations_runner import head_revision
from tests.conftest import settings_for


async def _serve(settings_overrides: dict, database_url: str, data_dir: Path):
    app = create_app(settings_for(database_url, data_dir, **settings_overrides))
    manager = LifespanManager(app)
    await manager.__aenter__()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    return manager, client


def _sample(text: str, name: str, labels: dict[str, str]) -> float | None:
    """The value of one sample in Prometheus text, or None when it is not there."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', line[: line.rindex("}")]))
        if found == labels:
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_healthz(client):
    """API.md Health: GET /healthz answers 200 while the process is up."""
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_names_the_revision(client):
    """API.md Health: /readyz is 200 when the database is reachable and migrations at head."""
    response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["revision"] == head_revision()
    assert body["revision"]


async def test_readyz_is_503_before_migrations(fresh_database_url: str, tmp_path: Path):
    """API.md Health: /readyz is 503, naming the problem, when migrations are not at head."""
    manager, client = await _serve({"auto_migrate": False}, fresh_database_url, tmp_path)
    try:
        # The process is up...
        assert (await client.get("/healthz")).status_code == 200
        # ...but not ready.
        response = await client.get("/readyz")
    finally:
        await client.aclose()
        await manager.__aexit__(None, None, None)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 503
    assert head_revision() in problem["detail"]
    assert "habitus migrate" in problem["detail"]


async def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path):
    """API.md Health: /readyz is 503 when the database cannot be reached, never a 500."""
    unreachable = "postgresql+asyncpg://nobody:secret-pw@127.0.0.1:1/nothing"
    manager, client = await _serve({"auto_migrate": False}, unreachable, tmp_path)
    try:
        response = await client.get("/readyz")
        assert (await client.get("/healthz")).status_code == 200
    finally:
        await client.aclose()
        await manager.__aexit__(None, None, None)
    assert response.status_code == 503
    problem = response.json()
    assert "unreachable" in problem["detail"]
    assert "secret-pw" not in response.text  # no credentials in the answer


async def test_metrics_is_prometheus_text_by_route_template(client, alice):
    """API.md Health: /metrics is Prometheus text; requests are counted by route template."""
    user_id = uuid.uuid4()
    before = await client.get("/metrics")
    template_labels = {
        "method": "GET",
        "route": "/api/v1/admin/users/{user_id}",
        "status": "403",
    }
    start = _sample(before.text, "habitus_http_requests_total", template_labels) or 0.0
    for _ in range(2):
        response = await client.get(f"/api/v1/admin/users/{user_id}", headers=alice.headers)
        assert response.status_code == 403
    assert (await client.get("/api/v1/me", headers=alice.headers)).status_code == 200

    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "version=" in response.headers["content-type"]
    text = response.text
    assert "# TYPE habitus_http_requests_total counter" in text
    assert "# TYPE habitus_http_request_duration_seconds histogram" in text
    assert _sample(text, "habitus_http_requests_total", template_labels) == start + 2
    me_labels = {"method": "GET", "route": "/api/v1/me", "status": "200"}
    assert (_sample(text, "habitus_http_requests_total", me_labels) or 0) >= 1
    # The raw path (with its id) never becomes a label: labels stay few.
    assert str(user_id) not in text


async def test_metrics_unmatched_paths_share_one_label(client):
    """API.md Health: unknown paths are not labelled by their raw path (no label explosion)."""
    probe = f"/api/v1/no-such-thing-{uuid.uuid4().hex}"
    assert (await client.get(probe)).status_code == 404
    text = (await client.get("/metrics")).text
    assert probe not in text
    labels = {"method": "GET", "route": "unmatched", "status": "404"}
    assert (_sample(text, "habitus_http_requests_total", labels) or 0) >= 1


async def test_metrics_token(make_client):
    """API.md Health: with a metrics token set, /metrics without it is 401."""
    client = await make_client(metrics_token="scrape-me-please")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "scrape-me-please"}):
        response = await client.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert "habitus_http_requests_total" not in response.text
    response = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me-please"})
    assert response.status_code == 200
    assert "habitus_http_requests_total" in response.text
    # Health checks stay open: load balancers do not carry the token.
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/readyz")).status_code == 200


async def test_metrics_is_not_public_in_production(make_client):
    """Issue 11 item 10: in production /metrics (per-route counts, sign-in failures,
    versions) is off the public surface: 404 from an outside address without the token,
    open to the allow-listed networks (loopback by default), and to the token if set."""
    outside = await make_client(environment="production")
    response = await outside.get("/metrics")
    assert response.status_code == 404
    assert "habitus_http_requests_total" not in response.text

    inside = await make_client(environment="production", metrics_networks=["203.0.113.0/24"])
    assert (await inside.get("/metrics")).status_code == 200

    with_token = await make_client(environment="production", metrics_token="scrape-me-please")
    assert (await with_token.get("/metrics")).status_code == 401
    scraped = await with_token.get("/metrics", headers={"Authorization": "Bearer scrape-me-please"})
    assert scraped.status_code == 200
    assert "habitus_http_requests_total" in scraped.text


async def test_metrics_networks_are_checked_when_the_app_starts():
    """Issue 11 item 10: a network that is not a CIDR is a settings error, not a 500 later."""
    from pydantic import ValidationError

    from habitus.config import Settings

    with pytest.raises(ValidationError, match="metrics_networks"):
        Settings(metrics_networks=["not-a-network"])
