"""Application errors and how they reach a client.

The JSON API answers RFC 9457 problem details (`application/problem+json`); web
pages get an HTML page (or a redirect to sign in). Bad input is always a 422 that
names each field and the rule it broke, never a 500.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from habitus.db import WriterBusy, is_lock_timeout

log = structlog.get_logger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:habitus:problem:"


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str
    rule: str = "invalid"
    location: str = "body"

    def as_dict(self) -> dict[str, str]:
        return {
            "field": self.field,
            "message": self.message,
            "rule": self.rule,
            "location": self.location,
        }


class AppError(Exception):
    """An error with a message fit for the user and an HTTP status."""

    status_code = 400
    code = "bad-request"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        errors: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        if code is not None:
            self.code = code
        self.errors = list(errors)
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


class NotFound(AppError):
    status_code = 404
    code = "not-found"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"

    def __init__(self, message: str = "Sign in to continue.", **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kwargs)


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class AccountDisabled(Forbidden):
    code = "account-disabled"

    def __init__(self, reason: str | None) -> None:
        message = "This account has been disabled"
        message += f": {reason}" if reason else "."
        super().__init__(message, extra={"reason": reason})
        self.reason = reason


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class TooManyRequests(AppError):
    status_code = 429
    code = "rate-limited"

    def __init__(self, retry_after: float, message: str | None = None) -> None:
        seconds = max(1, int(retry_after + 0.999))
        super().__init__(
            message or f"Too many requests; try again in {_humanize(seconds)}.",
            headers={"Retry-After": str(seconds)},
        )
        self.retry_after = seconds


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload-too-large"

    def __init__(self, limit: int, message: str | None = None) -> None:
        super().__init__(message or f"The request body is larger than the limit of {_size(limit)}.")
        self.limit = limit


def _size(limit: int) -> str:
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    if limit >= 1024 and limit % 1024 == 0:
        return f"{limit // 1024} KiB"
    return f"{limit} bytes"


class ValidationFailed(AppError):
    status_code = 422
    code = "validation-error"

    def __init__(self, errors: Sequence[FieldError], message: str | None = None) -> None:
        super().__init__(message or summarize(errors), errors=errors)

    @classmethod
    def field(cls, field: str, message: str, rule: str = "invalid") -> ValidationFailed:
        return cls([FieldError(field=field, message=message, rule=rule)])


def summarize(errors: Sequence[FieldError]) -> str:
    if not errors:
        return "The request is not valid."
    first = errors[0]
    text = f"{first.field}: {first.message}"
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more)"
    return text


def _humanize(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    minutes = (seconds + 59) // 60
    return f"{minutes} minutes"


def problem_body(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    errors: Iterable[FieldError] = (),
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + code if code else "about:blank",
        "title": phrase,
        "status": status,
        "detail": detail,
    }
    error_list = [error.as_dict() for error in errors]
    if error_list:
        body["errors"] = error_list
    if extra:
        body.update(extra)
    return body


def problem_response(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    errors: Iterable[FieldError] = (),
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    return JSONResponse(
        problem_body(status, detail, code=code, errors=errors, extra=extra),
        status_code=status,
        headers=dict(headers or {}),
        media_type=PROBLEM_JSON,
    )


# Pydantic puts the tag of a discriminated union into the error location
# (`schedule.weekdays.days`); a client sent `schedule.days`. Features register theirs.
_UNION_TAGS: dict[str, frozenset[str]] = {}


def register_union_tags(field: str, tags: set[str]) -> None:
    _UNION_TAGS[field] = frozenset(tags)


def _without_union_tags(path: list[str]) -> list[str]:
    """Drop the one tag pydantic puts right after a union field. Only that one: a tag
    can also be a field's name (`schedule.dates.dates.0` is `schedule.dates.0`)."""
    kept: list[str] = []
    previous: str | None = None
    for part in path:
        if previous is not None and part in _UNION_TAGS.get(previous, ()):
            previous = None
            continue
        kept.append(part)
        previous = part
    return kept


def field_errors_from_pydantic(raw: Sequence[Any]) -> list[FieldError]:
    """Turn FastAPI/pydantic error dicts into named fields: `schedule.days.0`, not a tuple."""
    errors = []
    for item in raw:
        location, *path = [str(part) for part in item.get("loc", ())] or ["body"]
        message = str(item.get("msg", "is not valid"))
        if item.get("type") == "json_invalid":
            # FastAPI puts the character offset where a field name would be: the field
            # that is wrong is the body itself.
            reason = (item.get("ctx") or {}).get("error")
            offset = f" at character {path[0]}" if path else ""
            message = f"is not valid JSON ({reason}){offset}" if reason else message
            path = []
        path = _without_union_tags(path)
        field = ".".join(path) if path else location
        if location == "header":
            field = field.title()  # idempotency-key -> Idempotency-Key
        message = message.removeprefix("Value error, ")
        errors.append(
            FieldError(
                field=field,
                message=message,
                rule=str(item.get("type", "invalid")),
                location=location,
            )
        )
    return errors


def wants_json(request: Request) -> bool:
    """API paths answer JSON; pages answer HTML."""
    path = request.url.path
    if path.startswith(("/api/", "/healthz", "/readyz", "/metrics", "/openapi.json")):
        return True
    accept = request.headers.get("accept", "")
    return "text/html" not in accept and "*/*" not in accept and bool(accept)


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)  # type: ignore[arg-type]
    app.add_exception_handler(DBAPIError, _database_error)  # type: ignore[arg-type]
    app.add_exception_handler(WriterBusy, _writer_busy)
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


async def _database_error(request: Request, error: DBAPIError) -> Response:
    if is_lock_timeout(error):
        # Another request held what this one needed for too long: not the client's
        # fault, and a retry will most likely succeed.
        return await _app_error(request, _busy())
    raise error


async def _validation_error(request: Request, error: RequestValidationError) -> Response:
    errors = field_errors_from_pydantic(error.errors())
    return await _app_error(request, ValidationFailed(errors))


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

    methods: set[str] = set()
    # Included routers are nested (not copied into app.routes): walk their routes too.
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods)


def is_htmx(request: Request) -> bool:
    """A page's script asking for a fragment (HTMX, or the Today page's own sender)."""
    return request.headers.get("hx-request") == "true"


def _htmx_error(request: Request, error: AppError) -> Response:
    """An HTMX request that fails gets a small toast (swapped into `#toasts`), never a
    whole error page inside a button. Signed out or disabled: the page goes to sign-in."""
    from html import escape

    if error.status_code == 401 or isinstance(error, AccountDisabled):
        # The page the user is on, not the fragment's URL, is where to come back to.
        current = request.headers.get("hx-current-url", "")
        parts = urlsplit(current)
        here = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        target = f"/login?next={_quote(here)}" if error.status_code == 401 else "/login"
        response = Response(status_code=error.status_code, headers={"HX-Redirect": target})
        if isinstance(error, AccountDisabled):
            from habitus.auth.dependencies import SESSION_COOKIE
            from habitus.kit import flash

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
    from habitus.kit.templating import render  # templates import errors indirectly

    if is_htmx(request):
        return _htmx_error(request, error)
    if error.status_code == 401:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)
    if isinstance(error, AccountDisabled):
        # Signed out on the spot; the sign-in page says why.
        from habitus.auth.dependencies import SESSION_COOKIE
        from habitus.kit import flash

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
    from urllib.parse import quote

    return quote(path, safe="/")
