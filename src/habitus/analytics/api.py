"""JSON API: /api/v1/heatmap, /reports/weekly, /reports/monthly, /reports/yearly."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from habitus.analytics import queries
from habitus.analytics.schemas import (
    HeatmapDay,
    HeatmapOut,
    OverviewHabit,
    OverviewOut,
    ReportLine,
    ReportOut,
    ReportTotals,
)
from habitus.auth.dependencies import CurrentUser
from habitus.habits.evaluation import today_of
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit.responses import (
    AUTHENTICATED_PROBLEMS,
    not_modified,
    problems,
    rounded_ratio,
)
from habitus.kit.validation import QueryDate, check_window
from habitus.plans.dependencies import Plans
from habitus.plans.limits import check_analytics_window, check_report

router = APIRouter(
    route_class=TransactionalRoute, tags=["reports"], responses=AUTHENTICATED_PROBLEMS
)
HEAVY: dict[int | str, dict[str, Any]] = {
    **problems(404),
    304: {"description": "Not modified: the `If-None-Match` ETag is still current."},
}
HabitFilter = Annotated[
    uuid.UUID | None, Query(description="Only this habit (404 when it is not yours).")
]
CategoryFilter = Annotated[
    str | None, Query(max_length=60, description="Only habits of this category.")
]


@router.get("/heatmap", response_model=HeatmapOut, responses=HEAVY)
async def heatmap(
    request: Request,
    response: Response,
    user: CurrentUser,
    session: DbSession,
    ctx: Context,
    first: Annotated[QueryDate, Query(alias="from", description="Local date, inclusive.")],
    last: Annotated[QueryDate, Query(alias="to", description="Local date, inclusive.")],
    habit_id: HabitFilter = None,
    category: CategoryFilter = None,
) -> HeatmapOut | Response:
    """Each day of `from`..`to` (at most 3660 days) with the required days done and
    required across your habits (or one habit, or one category). A `times_per_period`
    day counts 1 of 1 when done and nothing otherwise. Sends an `ETag`."""
    check_window(first, last)
    # Issue 22: the habits are read once, for the ETag and for the answer.
    habits = await queries.all_habits(session, user)
    etag = queries.etag_of(user, habits, habit_id, "heatmap", first, last, category)
    if (unchanged := not_modified(request, etag)) is not None:
        return unchanged
    found = await queries.heatmap(
        session,
        user,
        first,
        last,
        habit_id=habit_id,
        category=category,
        threshold=ctx.settings.summary_threshold_days,
        habits=habits,
    )
    response.headers["ETag"] = etag
    return HeatmapOut(
        from_date=found.first,
        to_date=found.last,
        source=found.source,
        items=[
            HeatmapDay(
                date=day.day,
                done=day.done,
                required=day.required,
                ratio=rounded_ratio(day.ratio),
            )
            for day in found.days
        ],
    )


async def _report(
    request: Request,
    response: Response,
    user: Any,
    session: Any,
    ctx: Any,
    period: str,
    first: date,
    last: date,
    habit_id: uuid.UUID | None,
    category: str | None,
) -> ReportOut | Response:
    etag = await queries.etag(session, user, habit_id, "report", first, last, category)
    if (unchanged := not_modified(request, etag)) is not None:
        return unchanged
    found = await queries.report(
        session,
        user,
        first,
        last,
        habit_id=habit_id,
        category=category,
        threshold=ctx.settings.summary_threshold_days,
    )
    response.headers["ETag"] = etag
    return ReportOut(
        period=period,
        from_date=first,
        to_date=last,
        source=found.source,
        habits=[
            ReportLine(
                habit_id=line.habit.id,
                name=line.habit.name,
                done=line.done,
                missed=line.missed,
                rate=rounded_ratio(line.rate),
            )
            for line in found.habits
        ],
        overall=ReportTotals(
            done=found.done,
            missed=found.missed,
            rate=rounded_ratio(found.rate),
        ),
    )


@router.get("/reports/weekly", response_model=ReportOut, responses=HEAVY)
async def weekly_report(
    request: Request,
    response: Response,
    user: CurrentUser,
    session: DbSession,
    ctx: Context,
    week: Annotated[str, Query(max_length=10, description="ISO week, e.g. 2026-W47.")],
    habit_id: HabitFilter = None,
    category: CategoryFilter = None,
) -> ReportOut | Response:
    """Per habit and overall: units done and missed that end in the week (starting on
    your week start, D3.1), and the completion rate (D8.1). Sends an `ETag`."""
    first, last = queries.week_window(week, user.week_start)
    return await _report(
        request, response, user, session, ctx, week, first, last, habit_id, category
    )


@router.get("/reports/monthly", response_model=ReportOut, responses=HEAVY)
async def monthly_report(
    request: Request,
    response: Response,
    user: CurrentUser,
    session: DbSession,
    ctx: Context,
    month: Annotated[str, Query(max_length=7, description="Month, e.g. 2026-11.")],
    limits: Plans,
    habit_id: HabitFilter = None,
    category: CategoryFilter = None,
) -> ReportOut | Response:
    """The weekly report's figures for a calendar month. Sends an `ETag`. Part of Pro
    when plans are on (403 `plan-limit`, `advanced_analytics`)."""
    check_report(user, limits, "monthly")
    first, last = queries.month_window(month)
    return await _report(
        request, response, user, session, ctx, month, first, last, habit_id, category
    )


@router.get("/reports/yearly", response_model=ReportOut, responses=HEAVY)
async def yearly_report(
    request: Request,
    response: Response,
    user: CurrentUser,
    session: DbSession,
    ctx: Context,
    year: Annotated[int, Query(ge=1900, le=2199, description="Calendar year, e.g. 2026.")],
    limits: Plans,
    habit_id: HabitFilter = None,
    category: CategoryFilter = None,
) -> ReportOut | Response:
    """The weekly report's figures for a calendar year (read from monthly summaries).
    Sends an `ETag`. Part of Pro when plans are on (403 `plan-limit`)."""
    check_report(user, limits, "yearly")
    first, last = queries.year_window(year)
    return await _report(
        request, response, user, session, ctx, str(year), first, last, habit_id, category
    )


@router.get("/stats", response_model=OverviewOut, responses=HEAVY)
async def overall_stats(
    request: Request,
    response: Response,
    user: CurrentUser,
    session: DbSession,
    ctx: Context,
    limits: Plans,
    first: Annotated[
        QueryDate | None, Query(alias="from", description="Default: 29 days before `to`.")
    ] = None,
    last: Annotated[QueryDate | None, Query(alias="to", description="Default: today.")] = None,
) -> OverviewOut | Response:
    """Across your active habits: the consistency score (the mean habit strength), the
    completion rate over the window and over the last 7 and 30 days, and each habit's
    strength, streak and rate. Sends an `ETag`. With plans on, a free account's window
    is at most `HABITUS_PLAN_FREE_ANALYTICS_DAYS` days (403 `plan-limit`)."""
    last = last or today_of(user)
    first = first or last - timedelta(days=29)
    check_window(first, last)
    check_analytics_window(user, limits, (last - first).days + 1)
    etag = await queries.etag(session, user, None, "stats", first, last)
    if (unchanged := not_modified(request, etag)) is not None:
        return unchanged
    found = await queries.overview(
        session, user, first, last, threshold=ctx.settings.summary_threshold_days
    )
    response.headers["ETag"] = etag
    return OverviewOut(
        from_date=found.first,
        to_date=found.last,
        consistency=rounded_ratio(found.consistency),
        completion_rate=rounded_ratio(found.rate),
        done=found.done,
        missed=found.missed,
        rate_7d=rounded_ratio(found.rate_7d),
        rate_30d=rounded_ratio(found.rate_30d),
        habits=[
            OverviewHabit(
                habit_id=line.habit.id,
                name=line.habit.name,
                score=round(line.score, 6),
                current_streak=line.current_streak,
                done=line.done,
                missed=line.missed,
                rate=rounded_ratio(line.rate),
            )
            for line in found.habits
        ],
    )
