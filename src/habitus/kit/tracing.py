"""OpenTelemetry traces (issue 22): requests, SQL, outgoing HTTP and worker jobs, sent over
OTLP/HTTP. Off unless `HABITUS_OTEL_ENABLED=true`; then `start()` builds one provider for
the process and instruments what this process does.

Choices that matter to operators (docs/OPERATIONS.md, "Tracing"):

- The global tracer provider of the OpenTelemetry API is never set: it can be set once per
  process, so an app built twice (the tests do) could not start again. Every instrument
  here is handed our provider, and `tracer()` gives the rest of the code (the worker) the
  active one, or a no-op tracer while tracing is off.
- Server spans are named after the route template (`GET /api/v1/habits/{habit_id}`), never
  the raw path: ids in span names make every request a series of its own.
- No bound parameter of a statement is recorded (they hold people's data; the
  instrumentation keeps the SQL text with its placeholders only), nor any query string of
  an incoming request, nor the path of an outgoing one (a webhook or a Web Push endpoint
  URL is a secret capability): the client span keeps the origin alone.
- A worker job that found nothing to do is not exported (it polls every second).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.httpx import (
    HTTPX2ClientInstrumentor,
    HTTPXClientInstrumentor,
)
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.util.http import ExcludeList
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from habitus import __version__

if TYPE_CHECKING:
    # Not imported at run time: config imports kit (rates), and kit knows no one above it.
    from habitus.config import Settings

TRACER_NAME = "habitus"
# Which kind of process sent a span: "web" (`habitus serve`, its worker included) or
# "worker" (`habitus worker`). Custom resource attributes take a vendor prefix.
ROLE_ATTRIBUTE = "habitus.process.role"
JOB_ATTRIBUTE = "habitus.job"
JOB_FOUND_ATTRIBUTE = "habitus.job.found"
# Probes are asked every few seconds by the orchestrator and static files are cached
# assets: thousands of spans that tell nothing. Matched against the full request URL.
EXCLUDED_URLS = ExcludeList(
    [r"^[a-z]+://[^/]+/(healthz|readyz|metrics)/?(\?|$)", r"^[a-z]+://[^/]+/static/"]
)
# The request attributes (both semantic-convention generations) that may carry the query.
_SERVER_URL_ATTRIBUTES = ("http.target", "http.url", "url.query")
_CLIENT_URL_ATTRIBUTES = ("http.url", "url.full")

_lock = threading.Lock()
_active: Tracing | None = None


@dataclass
class Tracing:
    """The process's tracing: its provider and what it instrumented."""

    provider: TracerProvider
    role: str
    _engines: list[EngineTracer] = field(default_factory=list)
    _clients: list[HTTPXClientInstrumentor | HTTPX2ClientInstrumentor] = field(default_factory=list)

    def tracer(self) -> trace.Tracer:
        return self.provider.get_tracer(TRACER_NAME, __version__)

    def instrument_engine(self, engine: AsyncEngine) -> None:
        """A span per statement run through `engine` (the SQL with its placeholders)."""
        meter = NoOpMeterProvider().get_meter(TRACER_NAME)
        usage = meter.create_up_down_counter("db.client.connections.usage")
        self._engines.append(EngineTracer(self.tracer(), engine.sync_engine, usage))  # type: ignore[no-untyped-call]

    def install(self, app: Starlette) -> None:
        """A server span per request around everything else `app` runs (call it after
        the app's other middleware is added: the last one added is the outermost)."""
        app.add_middleware(_NameByRoute)
        app.add_middleware(
            OpenTelemetryMiddleware,
            excluded_urls=EXCLUDED_URLS,
            default_span_details=_method_only,
            server_request_hook=_drop_query,
            tracer_provider=self.provider,
            meter_provider=NoOpMeterProvider(),
            # One span per ASGI message is noise; the server span times the request.
            exclude_spans=["receive", "send"],
        )

    def shutdown(self) -> None:
        """Send what is buffered, then stop tracing in this process."""
        global _active
        with _lock:
            if _active is self:
                _active = None
            for instrumentor in self._clients:
                instrumentor.uninstrument()
            self._clients.clear()
        for engine_tracer in self._engines:
            engine_tracer.remove_all_event_listeners()  # type: ignore[no-untyped-call]
        self._engines.clear()
        self.provider.shutdown()


def build_provider(
    settings: Settings, *, role: str, exporter: SpanExporter | None = None
) -> TracerProvider:
    """A provider that batches spans to `exporter`, by default OTLP/HTTP at
    `HABITUS_OTEL_ENDPOINT` (unset: the exporter reads `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`,
    then `OTEL_EXPORTER_OTLP_ENDPOINT`, then uses http://localhost:4318/v1/traces)."""
    resource = Resource.create(
        {
            SERVICE_NAME: settings.otel_service_name,
            SERVICE_VERSION: __version__,
            ROLE_ATTRIBUTE: role,
        }
    )
    # Parent-based: a request that arrives with a sampled `traceparent` stays sampled.
    sampler = ParentBased(TraceIdRatioBased(settings.otel_sample_ratio))
    provider = TracerProvider(resource=resource, sampler=sampler)
    if exporter is None:
        exporter = OTLPSpanExporter(endpoint=settings.otel_endpoint)
    provider.add_span_processor(_QuietPolls(BatchSpanProcessor(exporter)))
    return provider


def start(settings: Settings, *, role: str, exporter: SpanExporter | None = None) -> Tracing:
    """Trace this process: build the provider and instrument outgoing HTTP. Requests and
    engines are instrumented by their owners (`install`, `instrument_engine`); `shutdown`
    undoes it all."""
    global _active
    tracing = Tracing(build_provider(settings, role=role, exporter=exporter), role)
    with _lock:
        if _active is not None:
            raise RuntimeError("tracing is started already in this process")
        # httpx (webhooks, Web Push, OpenID Connect) and httpx2, the fork the openai SDK
        # (the model client) is built on: both patched for the whole process.
        for instrumentor in (HTTPXClientInstrumentor(), HTTPX2ClientInstrumentor()):
            instrumentor.instrument(
                tracer_provider=tracing.provider,
                meter_provider=NoOpMeterProvider(),
                async_request_hook=_keep_origin_only,
                request_hook=_keep_origin_only_sync,
            )
            tracing._clients.append(instrumentor)
        _active = tracing
    return tracing


def active() -> Tracing | None:
    return _active


def tracer() -> trace.Tracer:
    """The active tracer, or one that records nothing while tracing is off."""
    current = _active
    return current.tracer() if current is not None else trace.NoOpTracer()


@contextmanager
def job_span(name: str) -> Iterator[trace.Span]:
    """A span around one run of a worker job; set `JOB_FOUND_ATTRIBUTE` to what it found
    (0: the span is not exported). An error is recorded on it and raised again."""
    with tracer().start_as_current_span(
        f"job {name}", kind=trace.SpanKind.INTERNAL, attributes={JOB_ATTRIBUTE: name}
    ) as span:
        yield span


# --- requests -----------------------------------------------------------------------


def _method_only(scope: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    # The name the span starts with: the route is not known before routing, and the raw
    # path must never be a name. `_NameByRoute` renames it once the router has matched.
    if scope.get("type") == "websocket":
        return "websocket", {}
    return str(scope.get("method") or "HTTP"), {}


class _NameByRoute:
    """Inside the server span: by the time the answer starts, the router has put the matched
    route in the scope, and the span takes its template as name and `http.route` (then,
    not after the app returns: the middleware ends the span with the last body message).
    Unmatched paths (404) keep the method alone."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        span = trace.get_current_span()

        async def naming_send(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                _name_by_route(span, scope)
            await send(message)

        await self.app(scope, receive, naming_send)


def _name_by_route(span: trace.Span, scope: Scope) -> None:
    route = _route_template(scope)
    if route and span.is_recording():
        span.set_attribute("http.route", route)
        prefix = scope.get("method") if scope["type"] == "http" else "websocket"
        span.update_name(f"{prefix} {route}")


def _route_template(scope: Scope) -> str | None:
    # As http/middleware.py's access log finds it: FastAPI's `scope["route"]` is the route
    # as its own router declared it (no `/api/v1` prefix); the effective route has it all.
    fastapi_scope = scope.get("fastapi")
    effective = fastapi_scope.get("effective_route_context") if fastapi_scope else None
    template = getattr(effective, "path_format", None) or getattr(scope.get("route"), "path", None)
    return str(template) if template else None


def _drop_query(span: trace.Span, _scope: dict[str, Any]) -> None:
    # Query strings carry tokens (unsubscribe links, OAuth codes, signed links): the path
    # is enough to find a request again.
    if not span.is_recording():
        return
    attributes = getattr(span, "attributes", None) or {}
    for name in _SERVER_URL_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str) and ("?" in value or name == "url.query"):
            span.set_attribute(name, "" if name == "url.query" else value.split("?", 1)[0])


# --- outgoing HTTP ------------------------------------------------------------------


def _keep_origin_only_sync(span: trace.Span, _request: Any) -> None:
    if not span.is_recording():
        return
    attributes = getattr(span, "attributes", None) or {}
    for name in _CLIENT_URL_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str):
            span.set_attribute(name, _origin(value))


async def _keep_origin_only(span: trace.Span, request: Any) -> None:
    _keep_origin_only_sync(span, request)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/"


# --- worker polls -------------------------------------------------------------------


class _QuietPolls(SpanProcessor):
    """Forwards spans to `delegate`, except the traces of worker jobs that found nothing:
    each job polls every second, and an idle poll (one span and a SELECT or two) would
    be most of what is exported. A job's spans are held until its root span ends, then
    sent together or dropped together (a failed run is always sent)."""

    def __init__(self, delegate: SpanProcessor) -> None:
        self._delegate = delegate
        self._held: dict[int, list[ReadableSpan]] = {}
        self._lock = threading.Lock()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self._delegate.on_start(span, parent_context=parent_context)
        if span.parent is None and JOB_ATTRIBUTE in (span.attributes or {}):
            with self._lock:
                self._held[span.context.trace_id] = []

    def on_end(self, span: ReadableSpan) -> None:
        trace_id = span.context.trace_id if span.context else 0
        with self._lock:
            held = self._held.get(trace_id)
            if held is not None and span.parent is not None:
                held.append(span)
                return
            if held is not None:
                del self._held[trace_id]
        if held is None:
            self._delegate.on_end(span)
            return
        attributes = span.attributes or {}
        idle = attributes.get(JOB_FOUND_ATTRIBUTE) == 0 and span.status.is_ok
        if not idle:
            for child in held:
                self._delegate.on_end(child)
            self._delegate.on_end(span)

    def shutdown(self) -> None:
        self._delegate.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._delegate.force_flush(timeout_millis)
