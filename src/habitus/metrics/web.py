"""Pages: the admin metrics page (/admin/metrics, with charts) and the NPS card's form
posts (the card itself is drawn on Today, from the `nps_survey` page extra)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.auth.pages import Form, PageAdmin, PageUser
from habitus.errors import AppError, TooManyRequests
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import clock, flash
from habitus.kit.templating import render
from habitus.metrics import nps, service
from habitus.metrics.schemas import NpsIn
from habitus.models import User

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)


async def nps_extra(session: AsyncSession, user: User) -> dict[str, Any]:
    """The page extra: whether Today shows the NPS card."""
    return {"nps_survey": await nps.should_ask(session, user)}


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{round(100 * value)}%"


def _charts(figures: dict[str, Any]) -> dict[str, Any]:
    days = figures["days"]
    labels = [item["day"].isoformat() for item in days]
    return {
        "active": {
            "labels": labels,
            "series": [
                {"label": "DAU", "values": [item["dau"] for item in days]},
                {"label": "WAU", "values": [item["wau"] for item in days]},
                {"label": "MAU", "values": [item["mau"] for item in days]},
            ],
        },
        "activity": {
            "labels": labels,
            "series": [
                {"label": "Sign-ups", "values": [item["signups"] for item in days]},
                {"label": "Check-ins", "values": [item["logs"] for item in days]},
            ],
        },
        "streak": {
            "labels": labels,
            "series": [
                {"label": "Average current streak", "values": [item["avg_streak"] for item in days]}
            ],
        },
    }


def _parse_day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@router.get("/admin/metrics", response_class=HTMLResponse)
async def metrics_page(
    request: Request,
    _admin: PageAdmin,
    session: DbSession,
) -> Response:
    today = clock.now().date()
    raw_from, raw_to = request.query_params.get("from"), request.query_params.get("to")
    first, last = _parse_day(raw_from), _parse_day(raw_to)
    errors: dict[str, str] = {}
    if raw_from and first is None:
        errors["from"] = "is not a date (YYYY-MM-DD)"
    if raw_to and last is None:
        errors["to"] = "is not a date (YYYY-MM-DD)"
    window = None
    if not errors:
        try:
            window = service.window_of(first, last, today)
        except AppError as error:
            errors = {item.field: item.message for item in error.errors}
    if window is None:
        window = service.window_of(None, None, today)
    figures = await service.metrics_for(session, window, today)
    return render(
        request,
        "admin/metrics.html",
        {
            "m": figures,
            "charts": _charts(figures),
            "percent": _percent,
            "errors": errors,
            "raw_from": raw_from or window.first.isoformat(),
            "raw_to": raw_to or window.last.isoformat(),
        },
        status_code=422 if errors else 200,
    )


@router.post("/surveys/nps")
async def nps_submit(
    request: Request, user: PageUser, form: Form, session: DbSession, ctx: Context
) -> Response:
    """The Today card's form: the same answer as POST /api/v1/surveys/nps."""
    try:
        body = NpsIn.model_validate(
            {"score": form.get("score", ""), "comment": form.get("comment") or None}
        )
    except ValidationError:
        response = RedirectResponse("/today", status_code=303)
        flash.show(response, request, "Pick a score from 0 to 10 first.", "error")
        return response
    response = RedirectResponse("/today", status_code=303)
    try:
        await nps.answer(session, ctx, user, body.score, body.comment)
    except TooManyRequests as error:
        flash.show(response, request, error.message, "info")
        return response
    flash.show(response, request, "Thank you! Your answer helps us make Habitus better.", "success")
    return response


@router.post("/surveys/nps/dismiss")
async def nps_dismiss(user: PageUser, _form: Form, session: DbSession) -> Response:
    await nps.dismiss(session, user)
    return RedirectResponse("/today", status_code=303)
