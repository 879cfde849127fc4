"""The application factory."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from opentelemetry.sdk.trace.export import SpanExporter

from habitus import __version__, db, probes, worker
from habitus.admin import api as admin_api
from habitus.admin import web as admin_web
from habitus.analytics import api as analytics_api
from habitus.analytics import web as analytics_web
from habitus.auth import (
    access_tokens_api,
    access_tokens_web,
    oidc_web,
    passkeys_api,
    passkeys_web,
    signin_cache,
    verification_api,
    verification_web,
)
from habitus.auth import api as auth_api
from habitus.auth import web as auth_web
from habitus.breaks import api as breaks_api
from habitus.breaks import web as breaks_web
from habitus.chat import api as chat_api
from habitus.chat import disconnects as chat_disconnects
from habitus.chat import web as chat_web
from habitus.chat import ws as chat_ws
from habitus.coach import api as coach_api
from habitus.coach import insights_api
from habitus.coach import insights_web as coach_insights_web
from habitus.coach import web as coach_web
from habitus.config import Settings
from habitus.context import AppContext
from habitus.exports import api as exports_api
from habitus.gamification import api as gamification_api
from habitus.gamification import web as gamification_web
from habitus.habits import api as habits_api
from habitus.habits import today_web
from habitus.habits import web as habits_web
from habitus.health import analysis_api as health_analysis_api
from habitus.health import analysis_web as health_analysis_web
from habitus.health import api as health_api
from habitus.health import extraction_api as health_extraction_api
from habitus.health import photo_web as health_photo_web
from habitus.health import web as health_web
from habitus.http.errors import install_handlers
from habitus.http.middleware import (
    BodyLimitMiddleware,
    IPRateLimitMiddleware,
    PageCompressionMiddleware,
    RequestContextMiddleware,
)
from habitus.http.static import CompressedStaticFiles
from habitus.imports import api as imports_api
from habitus.imports import web as imports_web
from habitus.insights import web as insights_web
from habitus.kit import tracing
from habitus.kit.fanout import build_fanout
from habitus.kit.logging import configure_logging
from habitus.kit.ratelimit import build_limiter
from habitus.kit.responses import problem_components
from habitus.metrics import api as metrics_api
from habitus.metrics import web as metrics_web
from habitus.migrations_runner import upgrade_async
from habitus.plans import billing_web
from habitus.reminders import api as reminders_api
from habitus.reminders import overview_web as reminders_overview_web
from habitus.reminders import unsubscribe as unsubscribe_web
from habitus.reminders import web as reminders_web
from habitus.reminders.vapid import load_or_create_vapid
from habitus.social import (
    challenges_api,
    challenges_web,
    leaderboards_api,
    leaderboards_web,
    people_api,
    people_web,
    shares_api,
    shares_web,
)
from habitus.web import pages, pwa
from habitus.wiring import register_all

log = structlog.get_logger(__name__)
STATIC_DIR = Path(__file__).parent / "static"
# Below about a kilobyte, gzip's header and the CPU cost outweigh what it saves.
COMPRESS_MINIMUM_BYTES = 1024

DESCRIPTION = """
Habitus is a self-hostable habit tracker. Every path below lives under `/api/v1`.

**Auth**: `POST /api/v1/auth/login` gives an access token (Bearer, 15 minutes) and a
refresh token; Swagger's *Authorize* button uses `POST /api/v1/auth/token`.

**Errors** are RFC 9457 problem details; a 422 lists each bad field in `errors`.
**Idempotency**: POSTs that create something accept an `Idempotency-Key` header.
"""


def create_app(
    settings: Settings | None = None, *, span_exporter: SpanExporter | None = None
) -> FastAPI:
    """The app. `span_exporter` replaces the OTLP exporter when tracing is on (tests)."""
    settings = settings or Settings()
    register_all()
    configure_logging(settings.log_level, settings.log_format)
    settings.signing_key  # noqa: B018 - create or read the secret now, not mid-request
    # Issue 22: off unless HABITUS_OTEL_ENABLED; then spans for requests (below), SQL
    # (the engine, in the lifespan), outgoing HTTP and worker jobs (kit/tracing.py).
    traces = (
        tracing.start(settings, role="web", exporter=span_exporter)
        if settings.otel_enabled
        else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            await upgrade_async(settings.database_url)
        engine = db.create_engine(
            settings.database_url, lock_timeout_seconds=settings.lock_timeout_seconds
        )
        limiter = build_limiter(settings.redis_url, settings.redis_prefix + "rl:")
        app.state.engine = engine
        if traces is not None:
            traces.instrument_engine(engine)
        app.state.sessionmaker = db.create_sessionmaker(engine)
        app.state.writer_queue = db.WriterQueue(
            enabled=engine.dialect.name == "sqlite",
            timeout_seconds=settings.lock_timeout_seconds,
        )
        app.state.ctx = AppContext.build(settings, limiter)
        # Issue 22: verified sign-ins kept per process, revocations shared via Redis.
        app.state.signins = signin_cache.build(
            settings.sign_in_cache_seconds, settings.redis_url, settings.redis_prefix
        )
        # Work a request started and does not wait for (a coach plan being written);
        # the worker takes over what a stopped process left (its lease runs out).
        app.state.tasks = set()
        # Chat (issue 16): sockets of this process, and of the others through Redis.
        app.state.fanout = build_fanout(settings.redis_url, settings.redis_prefix)
        await app.state.fanout.start()
        chat_disconnects.watch(app.state.fanout)
        # Issue 6: the Web Push key pair is made at first start and kept after.
        await asyncio.to_thread(load_or_create_vapid, settings.data_dir)
        worker_stop = asyncio.Event()
        background = (
            [
                asyncio.create_task(
                    worker.run_forever(app.state.sessionmaker, settings, stop=worker_stop)
                )
            ]
            if settings.run_worker
            else []
        )
        log.info("started", version=__version__, database=engine.url.get_backend_name())
        # What start-up built lives as long as the process: keep it out of the
        # garbage collector's full passes (they paused requests for ~80 ms).
        gc.freeze()
        try:
            yield
        finally:
            for task in background:
                # Issue 22: deliveries being sent finish and are recorded (cut off after
                # the grace), rather than being cancelled mid-send and sent again later.
                await worker.stop_within(task, worker_stop, settings.shutdown_grace_seconds)
            for task in list(app.state.tasks):
                task.cancel()
            await asyncio.gather(*app.state.tasks, return_exceptions=True)
            if app.state.ctx.llm is not None:
                await app.state.ctx.llm.aclose()
            await app.state.fanout.close()
            await limiter.close()
            await app.state.signins.close()
            await engine.dispose()
            if traces is not None:
                # Sends the spans still buffered: a blocking POST (at most the exporter's
                # timeout, 10 s, when the collector is down), kept off the event loop.
                await asyncio.to_thread(traces.shutdown)

    app = FastAPI(
        title="Habitus",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by web.pages from our own static files (no CDN)
        redoc_url=None,
        openapi_tags=[
            {"name": "auth", "description": "Sign up, sign in, tokens."},
            {"name": "account", "description": "The signed-in user's profile and data."},
            {"name": "habits", "description": "Habits, their schedules, stats and days."},
            {"name": "entries", "description": "Check-ins and the entry of each day."},
            {"name": "today", "description": "What is due today."},
            {"name": "breaks", "description": "Days off that never break a streak."},
            {"name": "reports", "description": "Heatmap, weekly and monthly reports."},
            {"name": "export", "description": "Your entries as CSV and iCalendar."},
            {"name": "import", "description": "Bring data in from Habitus, Loop and HabitBull."},
            {"name": "rewards", "description": "Achievements, coins, gems and streak freezes."},
            {"name": "admin", "description": "Users and invites (administrators only)."},
            {"name": "health", "description": "Liveness, readiness and metrics."},
            {"name": "health metrics", "description": "Body measurements, series and goals."},
        ],
    )
    app.state.settings = settings
    app.state.tracing = traces  # None while tracing is off
    install_handlers(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]

    api = APIRouter(prefix="/api/v1")
    api.include_router(auth_api.router)
    api.include_router(verification_api.router)
    api.include_router(passkeys_api.router)
    api.include_router(access_tokens_api.router)
    api.include_router(habits_api.router)
    api.include_router(breaks_api.router)
    api.include_router(admin_api.router)
    api.include_router(metrics_api.router)
    api.include_router(analytics_api.router)
    api.include_router(exports_api.router)
    api.include_router(imports_api.router)
    api.include_router(reminders_api.router)
    api.include_router(gamification_api.router)
    api.include_router(leaderboards_api.router)
    api.include_router(challenges_api.router)
    api.include_router(people_api.router)
    api.include_router(shares_api.router)
    api.include_router(chat_api.router)
    api.include_router(chat_ws.router)
    api.include_router(coach_api.router)
    api.include_router(insights_api.router)
    api.include_router(health_api.router)
    api.include_router(health_analysis_api.router)
    api.include_router(health_extraction_api.router)
    app.include_router(api)
    app.include_router(probes.router)
    app.include_router(auth_web.router)
    app.include_router(verification_web.router)
    app.include_router(passkeys_web.router)
    app.include_router(access_tokens_web.router)
    app.include_router(oidc_web.router)
    app.include_router(imports_web.router)
    # /admin/metrics before the admin pages' own paths.
    app.include_router(metrics_web.router)
    app.include_router(admin_web.router)
    app.include_router(billing_web.router)
    app.include_router(today_web.router)
    app.include_router(gamification_web.router)
    app.include_router(challenges_web.router)
    app.include_router(leaderboards_web.router)
    app.include_router(people_web.router)
    # /habits/new and the other fixed paths before /habits/{id} (the habit page).
    app.include_router(habits_web.router)
    app.include_router(insights_web.router)
    app.include_router(breaks_web.router)
    app.include_router(reminders_web.router)
    app.include_router(reminders_overview_web.router)
    app.include_router(analytics_web.router)
    app.include_router(pwa.router)
    app.include_router(pages.router)
    app.include_router(unsubscribe_web.router)
    app.include_router(shares_web.router)
    app.include_router(chat_web.router)
    app.include_router(coach_web.router)
    app.include_router(coach_insights_web.router)
    app.include_router(health_web.router)
    app.include_router(health_photo_web.router)
    app.include_router(health_analysis_web.router)
    app.mount("/static", CompressedStaticFiles(directory=STATIC_DIR), name="static")

    # Added innermost first: the request context wraps everything else.
    if settings.rate_limit_enabled:
        app.add_middleware(
            IPRateLimitMiddleware,
            limiter_from_app=_limiter_of,
            rate=settings.rate_limit_ip,
        )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-None-Match"],
            expose_headers=["X-Request-ID", "Retry-After", "ETag", "Idempotent-Replayed"],
            max_age=600,
        )
    app.add_middleware(
        BodyLimitMiddleware,
        default_limit=settings.max_body_bytes,
        limits={
            "/api/v1/import": imports_api.body_limit(settings.import_max_bytes),
            # Settings → Your data → Import: the same upload, from the web form.
            "/settings/import": imports_api.body_limit(settings.import_max_bytes),
            # A photo of a scale report (D15.2), at most 10 MB.
            health_extraction_api.PATH: health_extraction_api.PHOTO_LIMIT.body_limit(),
            health_photo_web.PHOTO_PATH: health_extraction_api.PHOTO_LIMIT.body_limit(),
        },
    )
    # Pages and API answers are compressed on the way out (static files come compressed
    # already, and event streams and zips are left alone): docs/OPERATIONS.md and, for
    # why the CSRF token in a compressed page is safe, docs/SECURITY.md.
    app.add_middleware(
        PageCompressionMiddleware, minimum_size=COMPRESS_MINIMUM_BYTES, compresslevel=6
    )
    app.add_middleware(RequestContextMiddleware, hsts=settings.https)
    if traces is not None:
        traces.install(app)  # outermost: the span times everything above
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, plus the problem+json schemas the error answers refer to."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        schema.setdefault("components", {}).setdefault("schemas", {}).update(problem_components())
        app.openapi_schema = schema
    return app.openapi_schema


def _limiter_of(scope: dict[str, Any]) -> Any:
    return scope["app"].state.ctx.limiter
