"""OpenTelemetry tracing (issue 22): spans for requests (named by route template), their
SQL (never a bound value), outgoing HTTP (with `traceparent`) and worker jobs; log lines
carrying the trace id; nothing at all while it is off; and the real OTLP/HTTP protocol
to a collector on loopback."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy.ext.asyncio import AsyncEngine

from habitus import worker
from habitus.config import Settings
from habitus.kit import tracing
from habitus.main import create_app
from habitus.registry import Job
from tests.conftest import settings_for
from tests.fixtures import fake_llm as fake
from tests.fixtures.personas import Persona, create_persona

API = "/api/v1"
# A value only a bound parameter carries: it must reach no span.
HABIT_NAME = "Journal about my therapy 4f1c"


@dataclass
class Traced:
    client: httpx.AsyncClient
    app: FastAPI
    exporter: InMemorySpanExporter | None

    def clear(self) -> None:
        assert self.exporter is not None
        self.app.state.tracing.provider.force_flush()
        self.exporter.clear()

    def spans(self) -> list[ReadableSpan]:
        """Every span ended so far (the batch processor flushed first)."""
        assert self.exporter is not None
        self.app.state.tracing.provider.force_flush()
        return list(self.exporter.get_finished_spans())


async def _traced(
    settings: Settings, exporter: InMemorySpanExporter | None = None
) -> AsyncIterator[Traced]:
    """The app of `settings` started, and a client; spans go to `exporter` if given,
    else to the OTLP exporter the settings configure."""
    app = create_app(settings, span_exporter=exporter)
    try:
        async with (
            LifespanManager(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as client,
        ):
            yield Traced(client, app, exporter)
    finally:
        # The lifespan stops tracing; if it never started, the next test must not find
        # this process traced (httpx patched) still.
        if (left := tracing.active()) is not None:
            left.shutdown()


@pytest.fixture
async def traced(
    database_url: str, data_dir: Path, engine: AsyncEngine, fake_llm: fake.FakeLlm
) -> AsyncIterator[Traced]:
    """An app of its own with tracing on, spans kept in memory, logs at INFO, the model
    client pointed at the loopback fake (an outgoing HTTP call inside a request)."""
    settings = settings_for(
        database_url,
        data_dir,
        otel_enabled=True,
        log_level="INFO",
        **fake.llm_overrides(fake_llm),
    )
    async for traced in _traced(settings, InMemorySpanExporter()):
        yield traced


async def _alice(traced: Traced) -> Persona:
    return await create_persona(traced.app, "alice@example.org", display_name="Alice")


def _attribute_values(span: ReadableSpan) -> list[str]:
    return [str(value) for value in (span.attributes or {}).values()]


def _server_span(spans: list[ReadableSpan]) -> ReadableSpan:
    [server] = [span for span in spans if span.kind == trace.SpanKind.SERVER]
    return server


async def test_a_request_is_a_server_span_named_by_route_with_its_sql_inside(
    traced: Traced,
) -> None:
    """Issue 22: a read is one trace, the server span named by the route template (no id
    in the name), its SQL statements child spans; no span holds a bound value (the habit's
    name, the account's email, the ids the queries filter by)."""
    alice = await _alice(traced)
    created = await traced.client.post(
        f"{API}/habits",
        json={"name": HABIT_NAME, "schedule": {"type": "daily"}},
        headers=alice.headers,
    )
    assert created.status_code == 201, created.text
    habit_id = created.json()["id"]
    written = traced.spans()
    traced.clear()

    answer = await traced.client.get(f"{API}/habits/{habit_id}", headers=alice.headers)
    assert answer.status_code == 200
    spans = traced.spans()
    server = _server_span(spans)
    assert server.name == "GET /api/v1/habits/{habit_id}"
    assert (server.attributes or {})["http.route"] == "/api/v1/habits/{habit_id}"
    sql = [span for span in spans if span.attributes and "db.statement" in span.attributes]
    assert sql, [span.name for span in spans]
    assert {span.context.trace_id for span in spans} == {server.context.trace_id}
    assert all(span.parent is not None for span in spans if span is not server)
    assert any("SELECT" in str((span.attributes or {})["db.statement"]) for span in sql)

    for span in [*written, *spans]:
        values = " ".join(_attribute_values(span))
        assert HABIT_NAME not in values, span.name
        assert alice.email not in values, span.name
    for span in [*sql, *(s for s in written if s.attributes and "db.statement" in s.attributes)]:
        values = " ".join(_attribute_values(span))
        # Ids the statements were bound with (as text or as 32 hex digits).
        for secret in (habit_id, habit_id.replace("-", ""), str(alice.id), alice.id.hex):
            assert secret not in values, (span.name, values)


async def test_unmatched_paths_and_probes(traced: Traced) -> None:
    """Issue 22: a path no route serves keeps the method alone as name (a raw path is
    cardinality without end); probes and static files make no span; a query string
    (tokens travel there) is not recorded."""
    await traced.client.get("/no/such/thing/12345")
    await traced.client.get("/healthz")
    await traced.client.get("/static/no-such-file.css")
    await traced.client.get(f"{API}/habits?token=s3cr3t-t0ken")
    names = sorted(span.name for span in traced.spans() if span.kind == trace.SpanKind.SERVER)
    assert names == ["GET", "GET /api/v1/habits"]
    for span in traced.spans():
        assert "s3cr3t-t0ken" not in " ".join(_attribute_values(span)), span.name


async def test_an_outgoing_call_carries_traceparent_and_is_a_client_span(
    traced: Traced, fake_llm: fake.FakeLlm
) -> None:
    """Issue 22: the model call the coach makes inside a request goes out with the
    request's trace in `traceparent` (W3C), and is a client span of that trace whose URL
    keeps the origin only (webhook and push URLs are secrets)."""
    alice = await _alice(traced)
    traced.clear()
    good = {"kind": "quit", "questions": ["Why now?", "What tempts you?", "When is it worst?"]}
    fake_llm.script(fake.text(json.dumps(good)))
    answer = await traced.client.post(
        f"{API}/coach/classify", json={"goal": "stop doomscrolling"}, headers=alice.headers
    )
    assert answer.json()["source"] == "llm"
    spans = traced.spans()
    server = _server_span(spans)
    assert server.name == "POST /api/v1/coach/classify"
    [call] = [span for span in spans if span.kind == trace.SpanKind.CLIENT and span.name == "POST"]
    [request] = fake_llm.chat_requests
    version, trace_id, span_id, flags = request.headers["traceparent"].split("-")
    assert version == "00"
    assert int(flags, 16) & 1, "sampled"
    assert int(trace_id, 16) == server.context.trace_id == call.context.trace_id
    assert int(span_id, 16) == call.context.span_id
    assert not any("chat/completions" in value for value in _attribute_values(call))


async def test_a_log_line_inside_a_request_carries_its_trace_id(traced: Traced) -> None:
    """Issue 22: the access line written inside a request names the request's trace and
    span, as 32 and 16 hex digits (what tracing backends search by)."""
    formatter = logging.getLogger().handlers[0].formatter
    kept = _Keep(formatter)
    logging.getLogger().addHandler(kept)
    try:
        answer = await traced.client.get(f"{API}/habits")
    finally:
        logging.getLogger().removeHandler(kept)
    assert answer.status_code == 401
    [line] = [line for line in kept.lines if line.get("event") == "request"]
    server = _server_span(traced.spans())
    assert line["trace_id"] == format(server.context.trace_id, "032x")
    assert len(line["span_id"]) == 16


async def test_a_worker_job_is_a_span_and_idle_polls_are_not_exported(traced: Traced) -> None:
    """Issue 22: a job run that did something is a span of its own (with its SQL inside);
    one that found nothing is dropped, children and all (each job polls every second)."""

    async def busy(ctx: Any) -> int:
        async with ctx.maker() as session:
            await session.execute(_select_one())
        return 3

    async def idle(ctx: Any) -> int:
        async with ctx.maker() as session:
            await session.execute(_select_one())
        return 0

    ctx = _job_context(traced)
    traced.clear()
    assert await worker.traced_step(Job("test.busy", busy), ctx) == 3
    assert await worker.traced_step(Job("test.idle", idle), ctx) == 0
    spans = traced.spans()
    [job] = [span for span in spans if span.name.startswith("job ")]
    assert job.name == "job test.busy"
    assert (job.attributes or {})[tracing.JOB_FOUND_ATTRIBUTE] == 3
    assert {span.context.trace_id for span in spans} == {job.context.trace_id}
    assert len(spans) >= 2  # the SELECT, inside the job's trace


async def test_tracing_off_adds_nothing(
    database_url: str, data_dir: Path, engine: AsyncEngine
) -> None:
    """Issue 22, off by default: no middleware, no global provider, no httpx patch, no
    tracing state in the app, no ids in log lines."""
    settings = settings_for(database_url, data_dir, log_level="INFO")
    assert settings.otel_enabled is False
    app = create_app(settings)
    names = {getattr(middleware.cls, "__name__", "") for middleware in app.user_middleware}
    assert "RequestContextMiddleware" in names
    assert names.isdisjoint({"OpenTelemetryMiddleware", "_NameByRoute"}), names
    kept = _Keep(logging.getLogger().handlers[0].formatter)
    logging.getLogger().addHandler(kept)
    try:
        async with LifespanManager(app):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as client:
                assert (await client.get(f"{API}/habits")).status_code == 401
            assert app.state.tracing is None
            assert tracing.active() is None
            assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
            assert not hasattr(httpx.AsyncHTTPTransport.handle_async_request, "__wrapped__")
            assert not hasattr(httpx2.AsyncHTTPTransport.handle_async_request, "__wrapped__")
    finally:
        logging.getLogger().removeHandler(kept)
    [line] = [line for line in kept.lines if line.get("event") == "request"]
    assert "trace_id" not in line
    assert "span_id" not in line


@pytest.mark.parametrize("ratio", ["-0.1", "1.5", "often"])
def test_the_sample_ratio_is_checked(ratio: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 22: a ratio outside 0..1 is refused at start-up, not silently clamped."""
    monkeypatch.setenv("HABITUS_OTEL_SAMPLE_RATIO", ratio)
    with pytest.raises(ValueError, match="otel_sample_ratio"):
        Settings()


def test_the_otlp_endpoint_defaults_to_the_standard_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 22: unset (or blank) `HABITUS_OTEL_ENDPOINT` leaves the choice to the
    standard OTEL_EXPORTER_OTLP_* variables, then to localhost:4318."""
    monkeypatch.setenv("HABITUS_OTEL_ENDPOINT", " ")
    assert Settings().otel_endpoint is None
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector.internal:4318")
    exporter = tracing.OTLPSpanExporter(endpoint=Settings().otel_endpoint)
    assert exporter._endpoint == "http://collector.internal:4318/v1/traces"


async def test_spans_reach_an_otlp_collector_over_http(
    database_url: str, data_dir: Path, engine: AsyncEngine, collector: Collector
) -> None:
    """Issue 22: the real exporter posts OTLP/HTTP protobuf to the configured endpoint;
    a collector on loopback decodes the request's span, with the service's name, version
    and role. Shutting the app down sends what was buffered (no flush by hand)."""
    settings = settings_for(
        database_url,
        data_dir,
        otel_enabled=True,
        otel_endpoint=collector.url,
        otel_service_name="habitus-test",
    )
    async for traced in _traced(settings):
        assert (await traced.client.get(f"{API}/habits")).status_code == 401
    assert collector.requests, "nothing reached the collector"
    names = []
    for request in collector.requests:
        assert (request.path, request.content_type) == ("/v1/traces", "application/x-protobuf")
        for resource_spans in ExportTraceServiceRequest.FromString(request.body).resource_spans:
            resource = {
                item.key: item.value.string_value for item in resource_spans.resource.attributes
            }
            assert resource["service.name"] == "habitus-test"
            assert resource["habitus.process.role"] == "web"
            assert resource["service.version"]
            names += [span.name for scope in resource_spans.scope_spans for span in scope.spans]
    assert "GET /api/v1/habits" in names


# --- helpers --------------------------------------------------------------------------


class _Keep(logging.Handler):
    """Log records, formatted as the app formats them (JSON), kept parsed."""

    def __init__(self, formatter: logging.Formatter | None) -> None:
        super().__init__()
        self.setFormatter(formatter)
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


def _select_one() -> Any:
    from sqlalchemy import text

    return text("SELECT 1")


def _job_context(traced: Traced) -> Any:
    from habitus.registry import JobContext

    return JobContext(traced.app.state.sessionmaker, traced.app.state.settings, "test-worker")


@dataclass
class Received:
    path: str
    content_type: str
    body: bytes


@dataclass
class Collector:
    url: str
    requests: list[Received] = field(default_factory=list)


@pytest.fixture
def collector() -> Iterator[Collector]:
    """An OTLP/HTTP trace receiver on loopback: keeps each POST to /v1/traces, answers
    200 with an empty ExportTraceServiceResponse (what a collector sends)."""
    state = Collector(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.requests.append(Received(self.path, self.headers.get("Content-Type", ""), body))
            self.send_response(200 if self.path == "/v1/traces" else 404)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1/traces"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
