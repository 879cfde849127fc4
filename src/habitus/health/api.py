"""JSON API of health metrics: /api/v1/health (API.md "Health metrics", D15.1).

Logs, series, the weight goal and the units the user reads them in (kg/lb, cm/in).
Photo extraction and the analysis (the rest of issue 19) are built on these and are not
here yet.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Query, Response, status

from habitus.auth.dependencies import CurrentUser, idempotent
from habitus.errors import FieldError, ValidationFailed
from habitus.health import metrics, service
from habitus.health import settings as health_settings
from habitus.health.schemas import (
    GoalIn,
    GoalOut,
    HealthLogIn,
    HealthLogOut,
    HealthLogPatch,
    HealthSettingsIn,
    HealthSettingsOut,
    SeriesOut,
    SeriesPoint,
)
from habitus.http.dependencies import DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit.pagination import Page, Pagination, encode_cursor
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, problems
from habitus.kit.validation import QueryDate
from habitus.models.health import HealthLog

router = APIRouter(
    prefix="/health",
    tags=["health metrics"],
    route_class=TransactionalRoute,
    responses=AUTHENTICATED_PROBLEMS,
)
FromDate = Annotated[QueryDate | None, Query(alias="from", description="Local date, inclusive.")]
ToDate = Annotated[QueryDate | None, Query(alias="to", description="Local date, inclusive.")]


def log_out(log: HealthLog) -> HealthLogOut:
    return HealthLogOut(
        id=log.id,
        date=log.date,
        time=log.time.strftime("%H:%M"),
        source=cast(Literal["manual", "photo"], log.source),
        fields=service.values_of(log),
    )


def _after(cursor: list[object] | None) -> service.LogKey | None:
    if cursor is None:
        return None
    try:
        return service.LogKey.parse(list(cursor))
    except (ValueError, TypeError) as error:
        raise ValidationFailed(
            [
                FieldError(
                    "cursor",
                    "is not a cursor this server issued; use next_cursor from the previous page",
                    rule="cursor_format",
                    location="query",
                )
            ]
        ) from error


@router.post(
    "/metrics",
    status_code=status.HTTP_201_CREATED,
    responses=problems(422),
    dependencies=[idempotent()],
)
async def create_log(body: HealthLogIn, user: CurrentUser, session: DbSession) -> HealthLogOut:
    """D15.1: log any of the 27 fields (metric units); date and time default to now."""
    log = await service.create_log(
        session, user, values=body.given(), day=body.date, at=body.time, source="manual"
    )
    return log_out(log)


@router.get("/metrics", responses=problems(422))
async def list_logs(
    user: CurrentUser,
    session: DbSession,
    paging: Pagination,
    first: FromDate = None,
    last: ToDate = None,
) -> Page[HealthLogOut]:
    """My logs, newest first."""
    logs = await service.logs_of(
        session,
        user,
        first=first,
        last=last,
        after=_after(paging.after),
        limit=paging.limit + 1,
    )
    more = len(logs) > paging.limit
    logs = logs[: paging.limit]
    cursor = encode_cursor(service.LogKey.of(logs[-1]).as_list()) if more else None
    return Page(items=[log_out(log) for log in logs], next_cursor=cursor)


@router.get("/metrics/{log_id}", responses=problems(404))
async def get_log(log_id: uuid.UUID, user: CurrentUser, session: DbSession) -> HealthLogOut:
    return log_out(await service.get_log(session, user, log_id))


@router.patch("/metrics/{log_id}", responses=problems(404, 422))
async def update_log(
    log_id: uuid.UUID, body: HealthLogPatch, user: CurrentUser, session: DbSession
) -> HealthLogOut:
    """Change the fields given (null clears one; a log keeps at least one), the date or
    the time."""
    log = await service.update_log(
        session, user, log_id, values=body.given(), day=body.date, at=body.time
    )
    return log_out(log)


@router.delete("/metrics/{log_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404))
async def delete_log(log_id: uuid.UUID, user: CurrentUser, session: DbSession) -> Response:
    await service.delete_log(session, user, log_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/series", responses=problems(422))
async def get_series(
    user: CurrentUser,
    session: DbSession,
    field: Annotated[str, Query(max_length=40, description="One of the 27 fields.")],
    first: FromDate = None,
    last: ToDate = None,
) -> SeriesOut:
    """One field over a window (default: the last 90 days), one point a date."""
    points = await service.series(session, user, field, first=first, last=last)
    return SeriesOut(
        field=field,
        unit=metrics.metric(field).unit,
        items=[SeriesPoint(date=day, value=value) for day, value in points],
    )


@router.get("/goals")
async def get_goal(user: CurrentUser, session: DbSession) -> GoalOut:
    goal = await service.goal_of(session, user)
    if goal is None:
        return GoalOut(weight_kg=None, direction=None)
    return GoalOut(
        weight_kg=goal.weight_kg, direction=cast(Literal["lose", "gain"], goal.direction)
    )


@router.put("/goals", responses=problems(422))
async def put_goal(body: GoalIn, user: CurrentUser, session: DbSession) -> GoalOut:
    """The weight goal (D10 `weight_goal`): reach `weight_kg` by losing or gaining."""
    goal = await service.set_goal(session, user, weight_kg=body.weight_kg, direction=body.direction)
    return GoalOut(weight_kg=goal.weight_kg, direction=body.direction)


def _settings_out(units: health_settings.Units) -> HealthSettingsOut:
    return HealthSettingsOut(mass_unit=units.mass_unit, length_unit=units.length_unit)


@router.get("/settings")
async def get_settings(user: CurrentUser, session: DbSession) -> HealthSettingsOut:
    """The units the user reads and writes in (kg and cm until chosen). The API itself
    always speaks metric units; this is for clients that convert, like the web page."""
    return _settings_out(await health_settings.units_of(session, user))


@router.put("/settings", responses=problems(422))
async def put_settings(
    body: HealthSettingsIn, user: CurrentUser, session: DbSession
) -> HealthSettingsOut:
    """Choose kg or lb and cm or in (both at once)."""
    units = await health_settings.set_units(
        session, user, mass_unit=body.mass_unit, length_unit=body.length_unit
    )
    return _settings_out(units)
