"""The habit page (streaks, score, calendar, heatmap, history) and the History month."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from habitus.auth.pages import PageUser
from habitus.errors import FieldError, ValidationFailed
from habitus.http.dependencies import DbSession
from habitus.http.routing import TransactionalRoute
from habitus.insights import calendar, presenters, service
from habitus.kit.templating import render

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)


def _month(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return calendar.parse_month(text)
    except ValueError as error:
        raise ValidationFailed(
            [FieldError("month", f"{error} (for example 2026-10)", "month", "query")],
            "That month is not one we can show.",
        ) from None


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            [FieldError("before", "must be a date like 2026-10-31", "date", "query")],
            "That page of history does not exist.",
        ) from None


@router.get("/habits/{habit_id}", response_class=HTMLResponse)
async def habit_page(
    request: Request,
    habit_id: uuid.UUID,
    user: PageUser,
    session: DbSession,
    month: str | None = None,
    before: str | None = None,
) -> Response:
    insights = await service.habit_insights(
        session, user, habit_id, month=_month(month), history_before=_day(before)
    )
    return render(request, "insights/habit.html", presenters.habit_page(insights))


@router.get("/history", response_class=HTMLResponse)
async def history_page(
    request: Request, user: PageUser, session: DbSession, month: str | None = None
) -> Response:
    result = await service.history_month(session, user, _month(month))
    return render(request, "insights/history.html", presenters.history_page(result))
