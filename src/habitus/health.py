"""/healthz (the process answers), /readyz (database reachable, schema at head), /metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from habitus.errors import Unauthorized, problem_response
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
        # Reported, not fatal: without Redis the rate limits let requests through.
        healthy = await request.app.state.ctx.limiter.healthy()
        body["rate_limiter"] = "ok" if healthy else "unreachable"
    return JSONResponse(body)


@router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
async def metrics(request: Request) -> Response:
    token = request.app.state.settings.metrics_token
    if token and request.headers.get("authorization") != f"Bearer {token}":
        raise Unauthorized("This endpoint needs the metrics token.")
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
