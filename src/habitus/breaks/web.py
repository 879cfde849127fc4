"""Breaks: plan days off for all habits or one."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from habitus.auth.pages import CsrfChecked, Form, PageUser
from habitus.breaks import service
from habitus.breaks.schemas import BreakIn
from habitus.errors import AppError, FieldError, NotFound, field_errors_from_pydantic
from habitus.http.dependencies import DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import flash
from habitus.kit.templating import render
from habitus.models import HabitBreak, User

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

# Pydantic's words for a malformed field, in plain ones.
_PLAIN = {
    "start_date": "enter the first day off",
    "end_date": "enter the last day off",
    "habit_id": "choose all habits or one of yours",
}


def day_label(day: date, today: date) -> str:
    """ "Sat 21 Nov", with the year when it is not this year's."""
    text = f"{day:%a} {day.day} {day:%b}"
    return text if day.year == today.year else f"{text} {day.year}"


def _items(rows: list[HabitBreak], overview: service.BreaksOverview) -> list[dict[str, Any]]:
    return [
        {
            "id": row.id,
            "start": day_label(row.start_date, overview.today),
            "end": day_label(row.end_date, overview.today),
            "start_iso": row.start_date.isoformat(),
            "end_iso": row.end_date.isoformat(),
            "single_day": row.start_date == row.end_date,
            "days": (row.end_date - row.start_date).days + 1,
            "habit": overview.habit_names.get(row.habit_id, "a deleted habit")
            if row.habit_id
            else None,
            "reason": row.reason,
            "days_left": (row.end_date - overview.today).days + 1,
            "starts_in": (row.start_date - overview.today).days,
        }
        for row in rows
    ]


async def _page(
    request: Request,
    session: DbSession,
    user: User,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    overview = await service.breaks_overview(session, user)
    today = overview.today
    context = {
        "today": today.isoformat(),
        "today_label": day_label(today, today),
        "current": _items(overview.current, overview),
        "planned": _items(overview.planned, overview),
        "past": _items(overview.past, overview),
        "habits": [(str(habit_id), name) for habit_id, name in overview.active_habits],
        "values": values
        or {
            "habit_id": "",
            "start_date": (today + timedelta(days=1)).isoformat(),
            "end_date": (today + timedelta(days=7)).isoformat(),
            "reason": "",
        },
        "errors": errors or {},
    }
    return render(request, "breaks/page.html", context, status_code=status_code)


@router.get("/breaks", response_class=HTMLResponse)
async def breaks_page(request: Request, user: PageUser, session: DbSession) -> Response:
    return await _page(request, session, user)


@router.post("/breaks", response_class=HTMLResponse)
async def create_break(
    request: Request, user: PageUser, form: Form, session: DbSession
) -> Response:
    values = {
        name: form.get(name, "").strip()
        for name in ("habit_id", "start_date", "end_date", "reason")
    }
    errors: list[FieldError] = []
    try:
        body = BreakIn.model_validate(
            {
                "start_date": values["start_date"] or None,
                "end_date": values["end_date"] or None,
                "habit_id": values["habit_id"] or None,
                "reason": values["reason"] or None,
            }
        )
        pause = await service.create_break(session, user, body)
    except ValidationError as error:
        errors = [
            FieldError(e.field, _PLAIN[e.field], e.rule) if e.field in _PLAIN else e
            for e in field_errors_from_pydantic(error.errors())
        ]
    except AppError as error:
        errors = [
            FieldError(e.field, "must not be before the first day off", e.rule)
            if e.rule == "after_start"
            else e
            for e in error.errors
        ] or [FieldError("form", error.message)]
    else:
        response = RedirectResponse("/breaks", status_code=303)
        days = (pause.end_date - pause.start_date).days + 1
        what = "all your habits" if pause.habit_id is None else "that habit"
        flash.show(
            response,
            request,
            f"Break planned: {'1 day' if days == 1 else f'{days} days'} off for {what}. "
            "Those days won't break a streak.",
            "success",
        )
        return response
    by_field: dict[str, str] = {}
    for problem in errors:
        by_field.setdefault(problem.field, problem.message)
    return await _page(request, session, user, values=values, errors=by_field, status_code=422)


@router.post("/breaks/{break_id}/delete", dependencies=[CsrfChecked])
async def delete_break(
    request: Request, break_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    response = RedirectResponse("/breaks", status_code=303)
    try:
        await service.delete_break(session, user, break_id)
    except NotFound:
        flash.show(response, request, "That break was already gone.", "info")
        return response
    flash.show(response, request, "Break deleted.", "success")
    return response
