"""The Analytics page (issue 21): a window (from/to, or the last 30, 90 or 365 days)
and a category; the weekly consistency chart and the monthly trend (Chart.js from a
JSON island, with tables for readers and for browsers without script), the consistency
score, a line per habit, and downloads (CSV, iCalendar, JSON) of the same selection.

Thin: the figures are `analytics.figures`, read through `analytics.queries`.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from habitus.analytics import figures as analytics_figures
from habitus.analytics.figures import PRESETS, Bucket, Figures, Filters
from habitus.auth.pages import PageUser
from habitus.errors import ValidationFailed
from habitus.events.kinds import ExportRequested
from habitus.events.service import publish
from habitus.habits.evaluation import today_of
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit.forms import form_errors
from habitus.kit.templating import WEEKDAY_WORDS, render
from habitus.plans import notes
from habitus.plans.dependencies import Plans
from habitus.plans.limits import PlanLimits, check_analytics_window, check_exports

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

ANALYTICS_PAGE = "/analytics"
NONE_YET = "\N{EN DASH}"


def percent(value: float | None) -> str:
    return NONE_YET if value is None else f"{round(value * 100)}%"


def _day_words(day: date, today: date) -> str:
    """ "8 Dec", or "8 Dec 2025" outside this year."""
    text = f"{day.day} {day:%b}"
    return text if day.year == today.year else f"{text} {day.year}"


def _chart(items: list[Bucket], label: str, words: Any) -> dict[str, Any]:
    """A chart's JSON island: labels, percentages (null: nothing was required)."""
    return {
        "label": label,
        "labels": [words(item.start) for item in items],
        "values": [None if item.rate is None else round(item.rate * 100, 1) for item in items],
    }


def _export_links(filters: Filters) -> dict[str, str]:
    query = urlencode(filters.query())
    return {
        "csv": f"/api/v1/export/entries.csv?{query}",
        "ics": f"/api/v1/export/calendar.ics?{query}",
        "json": f"{ANALYTICS_PAGE}/export.json?{query}",
    }


def _context(found: Figures) -> dict[str, Any]:
    today = found.today

    def month_words(day: date) -> str:
        return f"{day:%b}" if day.year == today.year else f"{day:%b} {day.year}"

    def week_words(day: date) -> str:
        return _day_words(day, today)

    return {
        "found": found,
        "filters": found.filters,
        "presets": PRESETS,
        "percent": percent,
        "week_words": week_words,
        "month_words": month_words,
        "weekly_chart": _chart(found.weeks, "Weekly consistency", week_words),
        "monthly_chart": _chart(found.months, "Monthly completion", month_words),
        "exports": _export_links(found.filters),
        "from_words": _day_words(found.filters.first, today),
        "to_words": _day_words(found.filters.last, today),
        "week_start_word": WEEKDAY_WORDS.get(found.week_start, "Monday"),  # type: ignore[call-overload]
    }


def _free_window(filters: Filters, limits: PlanLimits) -> Filters:
    """The longest window the free plan shows, ending where the asked one ends."""
    days = limits.free_analytics_days
    first = filters.last - timedelta(days=days - 1)
    preset = days if filters.preset is not None and days in PRESETS else None
    return Filters(first, filters.last, filters.category, preset)


@router.get(ANALYTICS_PAGE, response_class=HTMLResponse)
async def analytics_page(
    request: Request, user: PageUser, session: DbSession, ctx: Context, limits: Plans
) -> Response:
    """`?days=30|90|365` or `?from=&to=`, and `?category=`; bad input is shown by its
    field (422) with the default window's figures. With plans on, a free account asking
    for a longer window than its plan shows gets an upgrade note and the free window."""
    params = dict(request.query_params)
    today = today_of(user)
    errors: dict[str, str] = {}
    try:
        filters = analytics_figures.filters_of(params, today)
    except ValidationFailed as error:
        errors = form_errors(error, {"from": "from", "to": "to", "days": "days"})
        filters = analytics_figures.filters_of({"category": params.get("category", "")[:60]}, today)
    upgrade = notes.analytics_note(user, limits, ctx.settings, filters.days)
    if upgrade is not None:
        filters = _free_window(filters, limits)
    found = await analytics_figures.figures(
        session, user, filters, threshold=ctx.settings.summary_threshold_days
    )
    context = _context(found)
    context["errors"] = errors
    context["upgrade"] = upgrade
    context["exports_upgrade"] = notes.exports_note(user, limits, ctx.settings)
    # What was typed, shown back by the fields that refused it.
    context["typed"] = {name: params.get(name, "") for name in ("from", "to")} if errors else {}
    return render(request, "analytics/page.html", context, status_code=422 if errors else 200)


@router.get(f"{ANALYTICS_PAGE}/export.json")
async def analytics_json(
    request: Request, user: PageUser, session: DbSession, ctx: Context, limits: Plans
) -> Response:
    """The page's figures for the same filters as a JSON download (a 422 problem for bad
    filters, naming the field; with plans on, a 403 `plan-limit` for a free account)."""
    filters = analytics_figures.filters_of(dict(request.query_params), today_of(user))
    check_exports(user, limits)
    check_analytics_window(user, limits, filters.days)
    found = await analytics_figures.figures(
        session, user, filters, threshold=ctx.settings.summary_threshold_days
    )
    await publish(session, user, [ExportRequested(format="json")])
    name = f"habitus-analytics-{filters.first.isoformat()}-{filters.last.isoformat()}.json"
    return Response(
        json.dumps(found.as_json(), indent=2),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )
