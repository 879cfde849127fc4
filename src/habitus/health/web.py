"""The Health page (issue 19, D15): GET /health shows the summary cards (latest value,
change over 30 days, progress towards the weight goal), a chart of any field over 30, 90
or 365 days with its 7-day moving average, the log form (the short form, "More" for the
rest), the weight goal, the kg/lb and cm/in setting, and my logs newest first, a page at
a time; each log can be edited or deleted.

Every form is a plain POST checked for CSRF and answered with a redirect and a flash
message, or, when what was typed is wrong, with the page again (422) showing each
field's problem beside it and keeping what was typed. So the page needs no JavaScript;
static/js/health.js only draws the chart (a table says the same without it). Values are
typed and shown in the user's units and stored in metric ones (`settings.Units`). The
rules live in `service`; another user's log is 404 there.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.auth.pages import CsrfChecked, Form, PageUser
from habitus.errors import FieldError, ValidationFailed
from habitus.health import extraction, metrics, service, web_forms, web_views
from habitus.health import settings as health_settings
from habitus.health.settings import Units
from habitus.http.dependencies import DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import flash
from habitus.kit.pagination import decode_cursor, encode_cursor
from habitus.kit.templating import render
from habitus.models import User
from habitus.models.health import HealthLog

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

HEALTH_PAGE = "/health"
LOGS_PER_PAGE = 20
MIN_CHART_DAYS = 14
MASS_CHOICES = {"kg": "Kilograms (kg)", "lb": "Pounds (lb)"}
LENGTH_CHOICES = {"cm": "Centimetres (cm)", "in": "Inches (in)"}
DIRECTIONS = {"lose": "Lose weight", "gain": "Gain weight"}


def day_text(day: date) -> str:
    """ "Sun 6 Dec 2026" """
    return f"{day:%a} {day.day} {day:%b %Y}"


@dataclass(frozen=True, slots=True)
class LogRow:
    """A log in the list: when, where from, and its values as the user reads them."""

    id: uuid.UUID
    day: date
    when: str
    source: str
    values: tuple[tuple[str, str], ...]  # (label, "160.5 lb")


def _log_rows(logs: list[HealthLog], units: Units) -> list[LogRow]:
    return [
        LogRow(
            id=log.id,
            day=log.date,
            when=f"{day_text(log.date)}, {log.time:%H:%M}",
            source=log.source,
            values=tuple(
                (metrics.metric(name).label, units.text(name, value))
                for name, value in service.values_of(log).items()
            ),
        )
        for log in logs
    ]


def _cursor_key(cursor: str | None) -> service.LogKey | None:
    if not cursor:
        return None
    try:
        return service.LogKey.parse(decode_cursor(cursor))
    except (ValueError, TypeError) as error:
        raise ValidationFailed(
            [
                FieldError(
                    "cursor",
                    "is not a cursor this page made; follow the page's Older link",
                    rule="cursor_format",
                    location="query",
                )
            ]
        ) from error


def _chart_choice(field: str | None, days: int | None) -> tuple[str | None, int]:
    errors = []
    if field is not None and field not in metrics.BY_NAME:
        errors.append(
            FieldError(
                "field", "must be one of the 27 health fields", rule="enum", location="query"
            )
        )
    if days is not None and days not in web_views.WINDOWS:
        errors.append(FieldError("days", "must be 30, 90 or 365", rule="enum", location="query"))
    if errors:
        raise ValidationFailed(errors)
    return field, days or web_views.DEFAULT_WINDOW


def _chart_data(
    units: Units, field: str, days: int, points: list[web_views.ChartPoint], today: date
) -> dict[str, Any]:
    """What health.js draws: x is days since the window's first day, so readings keep
    their real spacing (a week without a weigh-in is a gap, not one step). When the
    readings start well inside the window (a new user's five days in a 90-day chart),
    the axis starts just before the first one, though never showing under 14 days,
    rather than squeezing them against the right edge."""
    first = today.toordinal() - days + 1
    shown_from = 0
    if points:
        first_x = points[0].day.toordinal() - first
        shown_from = max(0, min(first_x - 1, days - MIN_CHART_DAYS))
    return {
        "from": shown_from,
        "label": metrics.metric(field).label,
        "unit": units.unit_of(field),
        "start": date.fromordinal(first).isoformat(),
        "days": days,
        "decimals": units.decimals_of(field),
        "averageLabel": f"{web_views.AVERAGE_DAYS}-day average",
        "points": [
            {"x": point.day.toordinal() - first, "y": point.value, "avg": point.average}
            for point in points
        ],
    }


async def _page(
    request: Request,
    session: AsyncSession,
    user: User,
    *,
    field: str | None = None,
    days: int = web_views.DEFAULT_WINDOW,
    cursor: str | None = None,
    log_form: web_forms.LogForm | None = None,
    status_code: int = 200,
) -> Response:
    units = await health_settings.units_of(session, user)
    today, now = service.local_now(user)
    summaries = [
        found
        for name in web_forms.SHORT_FORM
        if (found := await web_views.summary_of(session, user, units, name, today)) is not None
    ]
    goal = await service.goal_of(session, user)
    progress = await web_views.goal_progress(session, user, units, goal)
    if field is None:
        field = summaries[0].field if summaries else "weight_kg"
    points = await web_views.chart_points(session, user, units, field, days, today)
    after = _cursor_key(cursor)
    logs = await service.logs_of(session, user, after=after, limit=LOGS_PER_PAGE + 1)
    more = len(logs) > LOGS_PER_PAGE
    logs = logs[:LOGS_PER_PAGE]
    typed = log_form.typed if log_form is not None else None
    errors = log_form.errors if log_form is not None else None
    context: dict[str, Any] = {
        "units": units,
        "today": today,
        "now": now,
        "summaries": summaries,
        "progress": progress,
        "goal_input": web_forms.inputs(("weight_kg",), units)[0],
        "chart_field": field,
        "chart_label": metrics.metric(field).label,
        "chart_unit": units.unit_of(field),
        "chart_decimals": units.decimals_of(field),
        "chart_days": days,
        "windows": web_views.WINDOWS,
        "chart_points": points,
        "chart_data": _chart_data(units, field, days, points, today),
        "field_choices": _field_choices(),
        "short_inputs": web_forms.inputs(web_forms.SHORT_FORM, units, typed=typed, errors=errors),
        "more_groups": [
            (title, web_forms.inputs(names, units, typed=typed, errors=errors))
            for title, names in web_forms.more_groups()
        ],
        "more_open": _more_was_used(log_form),
        "typed": typed or {},
        "errors": errors or {},
        "logs": _log_rows(logs, units),
        "next_cursor": encode_cursor(service.LogKey.of(logs[-1]).as_list()) if more else None,
        "first_page": after is None,
        "mass_choices": MASS_CHOICES,
        "length_choices": LENGTH_CHOICES,
        "directions": DIRECTIONS,
        "day_text": day_text,
        # The "Log from a photo" form shows only when something here can read one.
        "photo_reading": extraction.can_read_photos(request.app.state.ctx),
    }
    if log_form is not None and log_form.errors:
        context["flash"] = {
            "kind": "error",
            "text": "The reading was not saved: " + "; ".join(log_form.errors.values()) + ".",
            "extra": {},
        }
    return render(request, "health/index.html", context, status_code=status_code)


def _more_was_used(log_form: web_forms.LogForm | None) -> bool:
    """A form coming back shows "More" open when something was typed there."""
    if log_form is None:
        return False
    return any(
        log_form.typed.get(name) or name in log_form.errors
        for _, names in web_forms.more_groups()
        for name in names
    )


def _field_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The chart's field picker: the short form's fields first, then "More" grouped."""
    short = [(name, metrics.metric(name).label) for name in web_forms.SHORT_FORM]
    rest = [
        (title, [(name, metrics.metric(name).label) for name in names])
        for title, names in web_forms.more_groups()
    ]
    return [("Common", short), *rest]


@router.get(HEALTH_PAGE, response_class=HTMLResponse)
async def health_page(
    request: Request,
    user: PageUser,
    session: DbSession,
    field: Annotated[str | None, Query(max_length=40)] = None,
    days: int | None = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """Summary, chart, the log form, goal, units and my logs (newest first, paged)."""
    chosen, window = _chart_choice(field, days)
    return await _page(request, session, user, field=chosen, days=window, cursor=cursor)


@router.post(f"{HEALTH_PAGE}/logs", response_class=HTMLResponse)
async def create_log(request: Request, user: PageUser, form: Form, session: DbSession) -> Response:
    """D15.1: a manual log of the fields typed, in the user's units; date and time
    default to the user's now."""
    units = await health_settings.units_of(session, user)
    read = web_forms.read_log_form(form, units)
    if not read.errors:
        try:
            log = await service.create_log(
                session, user, values=read.values, day=read.day, at=read.at, source="manual"
            )
        except ValidationFailed as error:
            read.add(error)
        else:
            count = len(service.values_of(log))
            what = "1 value" if count == 1 else f"{count} values"
            return flash.redirect(request, HEALTH_PAGE, f"Saved {what} for {day_text(log.date)}.")
    return await _page(request, session, user, log_form=read, status_code=422)


async def _edit_page(
    request: Request,
    session: AsyncSession,
    user: User,
    log: HealthLog,
    read: web_forms.LogForm | None = None,
    status_code: int = 200,
) -> Response:
    units = await health_settings.units_of(session, user)
    held = service.values_of(log)
    typed = read.typed if read is not None else None
    errors = read.errors if read is not None else None
    context: dict[str, Any] = {
        "log": log,
        "when": day_text(log.date),
        "date_value": typed.get("date") if typed else log.date.isoformat(),
        "time_value": typed.get("time") if typed else f"{log.time:%H:%M}",
        "today": service.local_now(user)[0],
        "short_inputs": web_forms.inputs(
            web_forms.SHORT_FORM, units, typed=typed, held=held, errors=errors
        ),
        "more_groups": [
            (title, web_forms.inputs(names, units, typed=typed, held=held, errors=errors))
            for title, names in web_forms.more_groups()
        ],
        "errors": errors or {},
    }
    if errors:
        context["flash"] = {
            "kind": "error",
            "text": "The change was not saved: " + "; ".join(errors.values()) + ".",
            "extra": {},
        }
    return render(request, "health/edit.html", context, status_code=status_code)


@router.get(f"{HEALTH_PAGE}/logs/{{log_id}}/edit", response_class=HTMLResponse)
async def edit_page(
    request: Request, log_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    """Every field of one log, in the user's units. Another user's log: 404."""
    log = await service.get_log(session, user, log_id)
    return await _edit_page(request, session, user, log)


@router.post(f"{HEALTH_PAGE}/logs/{{log_id}}/edit", response_class=HTMLResponse)
async def update_log(
    request: Request, log_id: uuid.UUID, user: PageUser, form: Form, session: DbSession
) -> Response:
    """Save the form: changed values change, emptied ones are cleared (a log keeps at
    least one: D15.1), the date and time as typed."""
    log = await service.get_log(session, user, log_id)
    units = await health_settings.units_of(session, user)
    read = web_forms.read_log_form(form, units, held=service.values_of(log))
    if not read.errors:
        try:
            await service.update_log(
                session, user, log_id, values=read.values, day=read.day, at=read.at
            )
        except ValidationFailed as error:
            read.add(error)
        else:
            return flash.redirect(
                request, HEALTH_PAGE, f"Saved the reading of {day_text(log.date)}."
            )
    await session.refresh(log)  # the page shows the log as stored, beside what was typed
    return await _edit_page(request, session, user, log, read, status_code=422)


@router.post(f"{HEALTH_PAGE}/logs/{{log_id}}/delete", dependencies=[CsrfChecked])
async def delete_log(
    request: Request, log_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    log = await service.get_log(session, user, log_id)
    when = day_text(log.date)
    await service.delete_log(session, user, log_id)
    return flash.redirect(request, HEALTH_PAGE, f"Deleted the reading of {when}.")


@router.post(f"{HEALTH_PAGE}/goal")
async def set_goal(request: Request, user: PageUser, form: Form, session: DbSession) -> Response:
    """The weight goal (D10 `weight_goal`), typed in the user's mass unit."""
    units = await health_settings.units_of(session, user)
    here = f"{HEALTH_PAGE}#goal"
    chosen = form.get("direction", "")
    if chosen not in DIRECTIONS:
        return flash.redirect(
            request, here, "Choose whether you want to lose or gain weight.", "error"
        )
    direction: Literal["lose", "gain"] = "lose" if chosen == "lose" else "gain"
    read = web_forms.read_log_form({"weight_kg": form.get("weight_kg", "")}, units)
    if read.errors:
        message = read.errors.get("weight_kg", "Enter the weight you are aiming for.")
        return flash.redirect(request, here, f"The goal was not saved: {message}.", "error")
    goal = await service.set_goal(
        session, user, weight_kg=float(read.values["weight_kg"] or 0), direction=direction
    )
    target = units.text("weight_kg", goal.weight_kg)
    return flash.redirect(request, here, f"Goal saved: {direction} weight to {target}.")


@router.post(f"{HEALTH_PAGE}/settings")
async def set_units(request: Request, user: PageUser, form: Form, session: DbSession) -> Response:
    """kg or lb, cm or in: how the page shows values and reads what is typed."""
    here = f"{HEALTH_PAGE}#units"
    try:
        units = await health_settings.set_units(
            session,
            user,
            mass_unit=form.get("mass_unit", ""),
            length_unit=form.get("length_unit", ""),
        )
    except ValidationFailed:
        return flash.redirect(request, here, "Choose kg or lb, and cm or in.", "error")
    return flash.redirect(request, here, f"Units saved: {units.mass_unit} and {units.length_unit}.")
