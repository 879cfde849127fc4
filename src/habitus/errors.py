"""Application errors and their RFC 9457 problem bodies.

The JSON API answers problem details (`application/problem+json`); web pages get an HTML
page (or a redirect to sign in) from `http.errors`, which installs the handlers. Bad
input is always a 422 that names each field and the rule it broke, never a 500. This
module imports nothing of Habitus: every layer may raise these.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

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
