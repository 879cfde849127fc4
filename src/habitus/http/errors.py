"""How errors reach a client: the handlers `create_app` installs. RFC 9457 problem+json
for the API; for pages an HTML page, a redirect to sign in, or, for an HTMX request, a
small toast (never a whole error page swapped into a button)."""

from __future__ import annotations

from dataclasses import replace
from html import escape
from http import HTTPStatus
from urllib.parse import quote, urlsplit

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from habitus.db import WriterBusy, is_lock_timeout
from habitus.errors import (
    AccountDisabled,
    AppError,
    FieldError,
    ValidationFailed,
    field_errors_from_pydantic,
    problem_response,
    wants_json,
)
from habitus.http.dependencies import SESSION_COOKIE
from habitus.kit import flash
from habitus.kit.forms import plain_words
from habitus.kit.templating import render

log = structlog.get_logger(__name__)


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)  # type: ignore[arg-type]
    app.add_exception_handler(DBAPIError, _database_error)  # type: ignore[arg-type]
    app.add_exception_handler(WriterBusy, _writer_busy)
    app.add_exception_handler(StaleDataError, _stale_row)
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]


async def _app_error(request: Request, error: AppError) -> Response:
    if error.status_code >= 500:
        log.error("app_error", detail=error.message, status=error.status_code)
    if wants_json(request):
        return problem_response(
            error.status_code,
            error.message,
            code=error.code,
            errors=error.errors,
            headers=error.headers,
            extra=error.extra,
        )
    return await _web_error(request, error)


def _busy() -> AppError:
    return AppError(
        "The server is busy with a conflicting change; retry in a moment.",
        status_code=503,
        code="busy",
        headers={"Retry-After": "1"},
    )


async def _writer_busy(request: Request, _error: Exception) -> Response:
    return await _app_error(request, _busy())


async def _stale_row(request: Request, _error: Exception) -> Response:
    # A row changed or deleted by a concurrent request between our read and our write.
    # Writes lock what they change, so this is a safety net: a retry reads the new state.
    log.warning("stale_row", path=request.url.path)
    return await _app_error(
        request,
        AppError(
            "This was changed or deleted by another request at the same moment; "
            "load it again and retry.",
            status_code=409,
            code="changed-meanwhile",
        ),
    )


async def _database_error(request: Request, error: DBAPIError) -> Response:
    if is_lock_timeout(error):
        # Another request held what this one needed for too long: not the client's
        # fault, and a retry will most likely succeed.
        return await _app_error(request, _busy())
    raise error


async def _validation_error(request: Request, error: RequestValidationError) -> Response:
    if not wants_json(request) and _bad_path(error):
        # A page address with a malformed id (/habits/not-a-uuid) names nothing that
        # exists: the 404 page, not pydantic's words about UUIDs. The API keeps its 422
        # naming the parameter (API.md says nothing else for a malformed id).
        return await _app_error(
            request,
            AppError("There is nothing at this address.", status_code=404, code="not-found"),
        )
    raw = error.errors()
    errors = field_errors_from_pydantic(raw)
    if not wants_json(request):
        # A person reads this page: pydantic's messages in plain words (kit.forms).
        errors = [
            replace(found, message=plain_words(found.rule, found.message, item.get("ctx") or {}))
            for found, item in zip(errors, raw, strict=True)
        ]
    return await _app_error(request, ValidationFailed(errors))


def _bad_path(error: RequestValidationError) -> bool:
    return any(tuple(item.get("loc") or ())[:1] == ("path",) for item in error.errors())


async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
    detail = error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
    if error.status_code == 400 and isinstance(error.__cause__, (ValueError, RecursionError)):
        # FastAPI's answer to a body it cannot decode (not UTF-8, say): bad input is a
        # 422 that names the field, like every other malformed request.
        reason = (
            "is nested too deeply"
            if isinstance(error.__cause__, RecursionError)
            else "is not valid JSON text (UTF-8)"
        )
        invalid = FieldError("body", reason, rule="json_invalid")
        return await _app_error(request, ValidationFailed([invalid]))
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    code = {404: "not-found", 405: "method-not-allowed"}.get(error.status_code)
    return await _app_error(
        request, AppError(detail, status_code=error.status_code, code=code, headers=headers)
    )


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path. Starlette's own `Allow` names only
    the first route that matched, and GET and POST on one path are two routes here."""
    from fastapi.routing import iter_route_contexts
    from starlette.routing import Match

    static: set[str] = set()
    dynamic: set[str] = set()
    # Included routers are nested (not copied into app.routes): walk their routes too.
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            found = static if not getattr(route, "param_convertors", None) else dynamic
            found.update(getattr(route, "methods", None) or ())
    # A path some route names exactly (/friends/requests) is that resource, not a value
    # of another route's parameter (/friends/{user_id}).
    return sorted(static or dynamic)


def is_htmx(request: Request) -> bool:
    """A page's script asking for a fragment (HTMX, or the Today page's own sender)."""
    return request.headers.get("hx-request") == "true"


def _htmx_error(request: Request, error: AppError) -> Response:
    """An HTMX request that fails gets a small toast (swapped into `#toasts`), never a
    whole error page inside a button. Signed out or disabled: the page goes to sign-in."""

    if error.status_code == 401 or isinstance(error, AccountDisabled):
        # The page the user is on, not the fragment's URL, is where to come back to.
        current = request.headers.get("hx-current-url", "")
        parts = urlsplit(current)
        here = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        target = f"/login?next={_quote(here)}" if error.status_code == 401 else "/login"
        response = Response(status_code=error.status_code, headers={"HX-Redirect": target})
        if isinstance(error, AccountDisabled):
            response.delete_cookie(SESSION_COOKIE, path="/")
            flash.show(response, request, error.message, "error")
        return response
    text = error.message
    if error.errors:
        text = "; ".join(
            f"{item.field.replace('_', ' ').capitalize()} {item.message}" for item in error.errors
        )
    body = f'<div class="toast error" role="alert">{escape(text)}</div>'
    headers = {**error.headers, "HX-Retarget": "#toasts", "HX-Reswap": "beforeend"}
    return HTMLResponse(body, status_code=error.status_code, headers=headers)


async def _web_error(request: Request, error: AppError) -> Response:
    if is_htmx(request):
        return _htmx_error(request, error)
    if error.status_code == 401:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)
    if isinstance(error, AccountDisabled):
        # Signed out on the spot; the sign-in page says why.
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        flash.show(response, request, error.message, "error")
        return response
    return render(
        request,
        "error.html",
        {"status": error.status_code, "message": error.message, "errors": error.errors},
        status_code=error.status_code,
        headers=error.headers,
    )


def _quote(path: str) -> str:
    return quote(path, safe="/")
