"""The habit page (streaks, score, calendar, heatmap, history) and the History month."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from habitus.auth.pages import Form, PageUser
from habitus.errors import FieldError, ValidationFailed
from habitus.gamification.badges import streak_badges
from habitus.http.dependencies import DbSession
from habitus.http.routing import TransactionalRoute
from habitus.insights import calendar, day_editor, presenters, service
from habitus.kit import flash
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
    year: str | None = None,
) -> Response:
    insights = await service.habit_insights(
        session,
        user,
        habit_id,
        month=_month(month),
        history_before=_day(before),
        year=_year(year),
    )
    page = presenters.habit_page(insights)
    # D10.1's 7/21/100 streak badges (issue 14).
    page["badges"] = streak_badges(insights.current.length, insights.longest.length, insights.unit)
    return render(request, "insights/habit.html", page)


def _year(text: str | None) -> int | None:
    if not text:
        return None
    if not text.isdigit() or not 1900 <= int(text) <= 9998:
        raise ValidationFailed(
            [FieldError("year", "must be a year like 2025", "year", "query")],
            "That year is not one we can show.",
        )
    return int(text)


# --- one day of one habit: the day editor (issue 13) ----------------------------------------


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _back(habit_id: uuid.UUID, day: date, origin: str | None) -> str:
    """Where the editor returns to: the month of the day on the page it was opened from
    (only these two, so the parameter cannot send anyone elsewhere)."""
    month = calendar.month_key(day)
    if origin == "history":
        return f"/history?month={month}#calendar"
    return f"/habits/{habit_id}?month={month}#calendar"


def _editor_response(
    request: Request,
    editor: day_editor.DayEditor,
    origin: str | None,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = presenters.day_editor_page(
        editor, back=_back(editor.habit_id, editor.day, origin), origin=origin, errors=errors
    )
    template = "insights/_day_editor.html" if _is_htmx(request) else "insights/day.html"
    return render(request, template, context, status_code=status_code)


@router.get("/habits/{habit_id}/days/{day}", response_class=HTMLResponse)
async def day_page(
    request: Request,
    habit_id: uuid.UUID,
    day: str,
    user: PageUser,
    session: DbSession,
    origin: str | None = None,
) -> Response:
    """The day editor: a page of its own, or (htmx) the body of the calendar's dialog."""
    editor = await day_editor.load(session, user, habit_id, day_editor.parse_day(day))
    return _editor_response(request, editor, origin)


@router.post("/habits/{habit_id}/days/{day}", response_class=HTMLResponse)
async def save_day(
    request: Request,
    habit_id: uuid.UUID,
    day: str,
    user: PageUser,
    session: DbSession,
    form: Form,
    origin: str | None = None,
) -> Response:
    """Saves the day through the API's service (D4.3, events); a problem re-renders the
    editor (422) with each field's error and writes nothing."""
    when = day_editor.parse_day(day)
    try:
        saved = await day_editor.save(session, user, habit_id, when, form)
    except ValidationFailed as error:
        by_field: dict[str, str] = {}
        for problem in error.errors:
            by_field.setdefault(problem.field, problem.message)
        submitted = day_editor.DayForm(
            form.get("status", ""), form.get("amount", ""), form.get("note", "")
        )
        editor = await day_editor.load(session, user, habit_id, when, form=submitted)
        return _editor_response(request, editor, origin, errors=by_field, status_code=422)
    target = _back(habit_id, when, origin)
    response: Response
    if _is_htmx(request):
        # The calendar, list and charts all change: the page is loaded again.
        response = Response(status_code=200, headers={"HX-Redirect": target})
    else:
        response = RedirectResponse(target, status_code=303)
    flash.show(
        response, request, day_editor.saved_words(calendar.short_date(when), saved), "success"
    )
    return response


@router.get("/history/days/{day}", response_class=HTMLResponse)
async def history_day(request: Request, day: str, user: PageUser, session: DbSession) -> Response:
    """One day across the user's habits, each opening its day editor."""
    result = await service.history_day(session, user, day_editor.parse_day(day))
    template = "insights/_history_day.html" if _is_htmx(request) else "insights/history_day.html"
    return render(request, template, presenters.history_day_page(result))


@router.get("/history", response_class=HTMLResponse)
async def history_page(
    request: Request, user: PageUser, session: DbSession, month: str | None = None
) -> Response:
    result = await service.history_month(session, user, _month(month))
    return render(request, "insights/history.html", presenters.history_page(result))
