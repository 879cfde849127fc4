"""OpenAPI descriptions of the problem answers every route may give; ETags and 304s."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import Request, Response, status
from pydantic import BaseModel, Field


class ProblemFieldError(BaseModel):
    field: str = Field(
        description="The input that broke a rule, e.g. `email` or `schedule.days.0`."
    )
    message: str
    rule: str = Field(description="A machine-readable name of the rule.")
    location: str = Field(description="`body`, `query`, `path` or `header`.")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemFieldError] | None = None


PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": PROBLEM_REF}},
    }


def problem_components() -> dict[str, Any]:
    """`Problem` and `ProblemFieldError` as OpenAPI components, for `PROBLEM_REF`."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components: dict[str, Any] = schema.pop("$defs", {})
    components["Problem"] = schema
    return components


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for these statuses, in problem+json."""
    described = {
        400: "Bad request",
        401: "Not signed in, or the token is invalid",
        403: "Not allowed (a disabled account, an admin-only route)",
        404: "Not found (or another user's)",
        409: "Conflict",
        413: "Too large",
        415: "Not a supported media type",
        422: "Invalid input: `errors` names each field and rule",
        429: "Too many requests; see Retry-After",
        503: "A service this needs is not available here",
    }
    return {status: _problem(described[status]) for status in statuses}


# Every API route can be rate limited and can receive malformed input.
COMMON_PROBLEMS = problems(422, 429)
AUTHENTICATED_PROBLEMS = problems(401, 403, 422, 429)


def etag(*parts: object, weak: bool = False) -> str:
    """The one ETag recipe (API.md Conventions: heavy reads send one): a hash of the
    `repr` of `parts`, so it changes exactly when one of them does. Pass everything the
    answer depends on: versions of the rows read, the user's calendar and today, the
    query. Strong (`"..."`) unless `weak` (`W/"..."`)."""
    digest = hashlib.sha256(repr(list(parts)).encode()).hexdigest()[:32]
    return f'W/"{digest}"' if weak else f'"{digest}"'


def not_modified(request: Request, etag: str) -> Response | None:
    """A 304 when `If-None-Match` names the current ETag (weak comparison, RFC 9110)."""
    header = request.headers.get("if-none-match")
    if header is None:
        return None
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    if "*" in tags or etag.removeprefix("W/") in tags:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
    return None


def rounded_ratio(value: float | None) -> float | None:
    """Rates and ratios in answers: four decimals (a share of 1 in 10,000), null kept."""
    return None if value is None else round(value, 4)
