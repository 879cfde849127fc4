"""Jinja2 pages: one environment, CSRF tokens, flash messages, cache-busted static URLs,
the words pages use for weekdays, and instants shown in the viewer's own zone."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.requests import Request
from starlette.responses import Response

from habitus import __version__
from habitus.core.time import WEEKDAYS, Weekday
from habitus.kit import csrf, flash

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))

# How pages say the weekdays of `core.time.WEEKDAYS` (the names stored and sent): the one
# table of their words. The short form is the first three letters ("Mon").
WEEKDAY_WORDS: dict[Weekday, str] = dict(
    zip(
        WEEKDAYS,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
)


@lru_cache(maxsize=256)
def _fingerprint(path: str) -> str:
    try:
        return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]
    except OSError:
        return __version__


def static_url(path: str) -> str:
    """`/static/<path>?v=<content hash>`: browsers may cache it for good."""
    return f"/static/{path}?v={_fingerprint(path)}"


# How pages show an instant unless they say otherwise: "Sun 06 Dec, 09:05".
LOCAL_TIME_FORMAT = "%a %d %b, %H:%M"


def in_zone(moment: datetime, zone: str | None, fmt: str = LOCAL_TIME_FORMAT) -> str:
    """`moment` (stored in UTC; a naive one is UTC) as the wall clock of `zone` reads it.
    An unknown or missing zone shows UTC and says so, rather than failing the page."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        local = moment.astimezone(ZoneInfo(zone)) if zone else None
    except (ZoneInfoNotFoundError, ValueError):
        local = None
    if local is None:
        return f"{moment.astimezone(UTC):{fmt}} UTC"
    return f"{local:{fmt}}"


@pass_context
def local_time(context: Context, moment: datetime | None, fmt: str = LOCAL_TIME_FORMAT) -> str:
    """The one filter every page shows instants through (issue 13, item 6):
    `{{ row.created_at|local_time }}`, in the signed-in viewer's zone (D1.1)."""
    if moment is None:
        return ""
    viewer = context.get("user")
    return in_zone(moment, getattr(viewer, "timezone", None), fmt)


templates.env.filters["local_time"] = local_time
templates.env.globals["static_url"] = static_url
templates.env.globals["app_version"] = __version__
# A habit with no colour of its own is drawn in this one everywhere (Today, Habits,
# History, the habit page): the app's teal, also the form's first choice.
DEFAULT_HABIT_COLOR = "#0f766e"
templates.env.globals["default_habit_color"] = DEFAULT_HABIT_COLOR


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    values: dict[str, Any] = {
        # A plain snapshot (auth.dependencies.Viewer), safe to read after a rollback.
        "user": getattr(request.state, "viewer", None),
        "csrf_token": csrf.token_for(request),
        "flash": flash.pop(request),
        "settings": request.app.state.settings,
    }
    values.update(context or {})
    response = templates.TemplateResponse(
        request, template, values, status_code=status_code, headers=dict(headers or {})
    )
    response.headers.setdefault("Cache-Control", "no-store")
    settings = request.app.state.settings
    if new_cookie := csrf.new_anon_cookie(request):
        response.set_cookie(
            csrf.ANON_COOKIE,
            new_cookie,
            httponly=True,
            samesite="lax",
            secure=settings.https,
            path="/",
        )
    flash.clear_if_shown(request, response)
    return response
