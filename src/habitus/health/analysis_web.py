"""The health analysis on the web (issue 19): the form on /health posts here and the
answer is a page of its own: the summary, the findings grouped by kind, and who wrote it
(the configured model, or the offline analyser and why). A plain CSRF-checked POST, so
no JavaScript is needed; the rules and the rate limit live in `analysis_service`.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from habitus import db
from habitus.auth.pages import Form, PageUser
from habitus.errors import TooManyRequests, ValidationFailed
from habitus.health import analysis_service
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import flash
from habitus.kit.templating import render

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

PATH: Final = "/health/analysis"
WINDOWS: Final = (30, 90, 365)
KIND_TITLES: Final = {
    "goal": "Your goal",
    "trend": "Trends",
    "warning": "Readings to check",
    "habit_link": "Habits that go together with your weight",
}
REASON_WORDS: Final = {
    "not_configured": "no model is configured on this server",
    "timeout": "the model took too long",
    "rate_limited": "the model's service asked us to wait",
    "server_error": "the model's service failed",
    "network": "the model's service could not be reached",
    "invalid_answer": "the model's answer could not be used",
}


def _back(request: Request, text: str) -> Response:
    response = RedirectResponse("/health#analysis", status_code=303)
    flash.show(response, request, text, "error")
    return response


@router.post(PATH, response_class=HTMLResponse)
@db.prepares_before_writing
async def analyse(
    request: Request, user: PageUser, form: Form, session: DbSession, ctx: Context
) -> Response:
    try:
        days = int(form.get("days", analysis_service.DEFAULT_DAYS))
    except ValueError:
        days = analysis_service.DEFAULT_DAYS
    try:
        answered, first, last = await analysis_service.analyse(session, ctx, user, days=days)
    except TooManyRequests as error:
        return _back(request, error.message)
    except ValidationFailed:
        return _back(request, "Choose 30, 90 or 365 days.")
    groups: dict[str, list[str]] = {}
    for finding in answered.findings:
        kind = str(finding.get("kind", ""))
        groups.setdefault(KIND_TITLES.get(kind, "Other findings"), []).append(
            str(finding.get("text", ""))
        )
    return render(
        request,
        "health/analysis.html",
        {
            "answered": answered,
            "groups": groups,
            "first": first,
            "last": last,
            "days": days,
            "windows": WINDOWS,
            "reason_words": REASON_WORDS.get(answered.reason or "", answered.reason),
        },
    )
