"""Pure ASGI middleware: request IDs, access log, metrics, security headers, IP limits.

Pure ASGI (not BaseHTTPMiddleware) so context variables bound here, such as the
request ID, reach the handler and every log line it writes.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import structlog
from prometheus_client import Counter, Histogram
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from habitus.errors import PROBLEM_JSON, PayloadTooLarge, TooManyRequests, problem_body
from habitus.kit.ratelimit import Limiter
from habitus.kit.rates import Rate

log = structlog.get_logger("habitus.http")

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

HTTP_REQUESTS = Counter(
    "habitus_http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "habitus_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI and ReDoc set inline styles and ReDoc runs a blob: worker. Scripts stay
# 'self' only: both are served from our static folder.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
_DOCS_PATHS = ("/docs", "/redoc")


def client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RequestContextMiddleware:
    """Outermost layer: every answer, a 500 included, carries the request ID and the
    security headers, and is logged and counted."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        # A state dict of this request's own: some servers hand every request the same
        # lifespan state object, and per-request values must never leak between them.
        scope["state"] = {**scope.get("state", {}), "request_id": request_id}
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        response_started = False
        path: str = scope["path"]
        https = self.hsts or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                _security_headers(headers, path, https)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("unhandled_error", method=scope["method"], path=path)
            if response_started:
                raise
            status = 500
            await _send_internal_error(scope, send_with_headers, request_id)
        finally:
            elapsed = time.perf_counter() - started
            template = _route_template(scope) or (
                "static" if path.startswith("/static") else "unmatched"
            )
            HTTP_REQUESTS.labels(scope["method"], template, str(status)).inc()
            HTTP_LATENCY.labels(scope["method"], template).observe(elapsed)
            state = scope.get("state", {})
            log.info(
                "request",
                method=scope["method"],
                path=path,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
                client=client_ip(scope),
                user_id=state.get("user_id"),
            )
            structlog.contextvars.unbind_contextvars("request_id")


def _route_template(scope: Scope) -> str | None:
    """The matched route's full template, e.g. `/api/v1/admin/users/{user_id}`.

    FastAPI nests included routers: `scope["route"]` is the route as its own router
    declared it (`/admin/users/{user_id}`, without the `/api/v1` prefix); the effective
    route FastAPI matched carries the full template.
    """
    fastapi_scope = scope.get("fastapi")
    effective = fastapi_scope.get("effective_route_context") if fastapi_scope else None
    template = getattr(effective, "path_format", None) or getattr(scope.get("route"), "path", None)
    return str(template) if template else None


def _security_headers(headers: MutableHeaders, path: str, https: bool) -> None:
    headers.setdefault(
        "Content-Security-Policy", DOCS_CSP if path.startswith(_DOCS_PATHS) else STRICT_CSP
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    if https:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


async def _send_internal_error(scope: Scope, send: Send, request_id: str) -> None:
    detail = f"Something went wrong on our side. The request ID is {request_id}."
    accept = Headers(scope=scope).get("accept", "")
    if not scope["path"].startswith("/api/") and "text/html" in accept:
        content_type = "text/html; charset=utf-8"
        payload = (
            "<!doctype html><title>Error · Habitus</title><h1>Something went wrong</h1>"
            f'<p>{detail}</p><p><a href="/">Back to the start page</a></p>'
        ).encode()
    else:
        content_type = PROBLEM_JSON
        payload = json.dumps(problem_body(500, detail, code="internal-error")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class IPRateLimitMiddleware:
    """Per-client-address limit on the API and the sign-in and sign-up forms."""

    def __init__(self, app: ASGIApp, *, limiter_from_app: Any, rate: Rate) -> None:
        self.app = app
        self.limiter_from_app = limiter_from_app
        self.rate = rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _limited(scope):
            await self.app(scope, receive, send)
            return
        limiter: Limiter = self.limiter_from_app(scope)
        decision = await limiter.hit("ip:" + client_ip(scope), self.rate)
        if decision.allowed:
            await self.app(scope, receive, send)
            return
        await _send_problem(send, TooManyRequests(decision.retry_after))


def _limited(scope: Scope) -> bool:
    path: str = scope["path"]
    if path.startswith("/api/"):
        return True
    return scope["method"] == "POST" and path in ("/login", "/register")


class BodyLimitMiddleware:
    """Issue 11 item 5: no request body larger than its limit is ever held in memory.

    `default_limit` applies to every path; upload paths name their own in `limits`
    (exact paths: the limit and the words of the 413). A declared `Content-Length` over
    the limit is refused before anything is read; a body sent without one (chunked) is
    counted as it arrives and refused the moment it passes the limit. Both answer 413
    with a problem body."""

    def __init__(
        self, app: ASGIApp, *, default_limit: int, limits: dict[str, tuple[int, str]]
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, words = self.limits.get(scope["path"], (self.default_limit, None))
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _send_problem(send, PayloadTooLarge(limit, words))
            return
        received = 0
        exceeded = False
        answered = False

        async def counted() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Read no further: to the app the client has gone away. Whatever it
                    # answers to that (FastAPI: 400 "error parsing the body") is replaced
                    # by the 413 below.
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def answer(message: Message) -> None:
            nonlocal answered
            if not exceeded:
                await send(message)
            elif not answered:
                answered = True
                await _send_problem(send, PayloadTooLarge(limit, words))

        try:
            await self.app(scope, counted, answer)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not answered:
            await _send_problem(send, PayloadTooLarge(limit, words))


async def _send_problem(send: Send, error: PayloadTooLarge | TooManyRequests) -> None:
    payload = json.dumps(problem_body(error.status_code, error.message, code=error.code)).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(payload)).encode()),
    ]
    if isinstance(error, PayloadTooLarge):
        # The client may still be sending the rest: this connection will not be reused.
        headers.append((b"connection", b"close"))
    headers += [(name.lower().encode(), value.encode()) for name, value in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


class PageCompressionMiddleware(GZipMiddleware):
    """Gzips pages and API answers (Starlette's middleware: it leaves alone what is
    small, already encoded, an event stream or an image). Static files are not its
    business: http.static serves their pre-compressed copies and its own `Vary`."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
