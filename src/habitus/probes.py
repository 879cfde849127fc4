"""/healthz (the process answers), /readyz (database reachable, schema at head), /metrics."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from habitus.errors import NotFound, Unauthorized, problem_response
from habitus.kit import prometheus
from habitus.migrations_runner import current_revision, head_revision

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Ready to serve: database reachable and migrations at head",
    responses={503: {"description": "Not ready; `detail` says why"}},
)
async def readyz(request: Request) -> Response:
    engine = request.app.state.engine
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            revision = await connection.run_sync(current_revision)
    except Exception as error:  # any failure to reach the database means "not ready"
        return problem_response(
            503, f"database unreachable: {type(error).__name__}", code="not-ready"
        )
    head = head_revision()
    if revision != head:
        return problem_response(
            503,
            f"database schema is at {revision or 'nothing'}, code expects {head}; "
            "run `habitus migrate`",
            code="not-ready",
        )
    body = {"status": "ready", "database": "ok", "revision": revision}
    if request.app.state.settings.redis_url:
        # Not fatal: without Redis the rate limits let requests through, so the process
        # can still serve; but it is not whole, and says so (issue 11 item 13).
        healthy = await request.app.state.ctx.limiter.healthy()
        body["rate_limiter"] = "ok" if healthy else "unreachable"
        if not healthy:
            body["status"] = "degraded"
    return JSONResponse(body)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    responses={401: {"description": "A metrics token is set and was not sent"}},
)
async def metrics(request: Request) -> Response:
    """Issue 11 item 10: open to the metrics token and the allow-listed networks; in
    production nobody else sees that it exists (404)."""
    settings = request.app.state.settings
    token = settings.metrics_token
    if token and hmac.compare_digest(
        request.headers.get("authorization", "").encode(), f"Bearer {token}".encode()
    ):
        return _exposition()
    if _from_allowed_network(request, settings.metrics_networks):
        return _exposition()
    if token:
        raise Unauthorized("This endpoint needs the metrics token.")
    if settings.environment == "production":
        raise NotFound("Not Found")
    return _exposition()


def _exposition() -> Response:
    # Summed over every `serve --workers` process (kit/prometheus.py, issue 22).
    return Response(prometheus.exposition(), media_type=CONTENT_TYPE_LATEST)


def _from_allowed_network(request: Request, networks: list[str]) -> bool:
    client = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)
