"""Jinja2 pages: one environment, CSRF tokens, flash messages, cache-busted static URLs,
and the words pages use for weekdays."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
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


templates.env.globals["static_url"] = static_url
templates.env.globals["app_version"] = __version__


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
