"""JSON API of the health analysis: POST /api/v1/health/analysis (API.md "Health
metrics", issue 19). The caller's own data only; rate-limited per user; a model when one
is configured, else (or when it fails) the offline analyser, and `source` says which."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from habitus import db
from habitus.auth.dependencies import CurrentUser, idempotent
from habitus.health import analysis_service
from habitus.health.analysis_schemas import AnalysisOut, FindingOut
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, problems

router = APIRouter(
    prefix="/health",
    tags=["health metrics"],
    route_class=TransactionalRoute,
    responses=AUTHENTICATED_PROBLEMS,
)


@router.post(
    "/analysis",
    responses=problems(422, 429),
    dependencies=[idempotent()],
    response_model_by_alias=True,
)
@db.prepares_before_writing
async def analyse(
    user: CurrentUser,
    session: DbSession,
    ctx: Context,
    days: Annotated[
        int,
        Query(
            ge=analysis_service.MIN_DAYS,
            le=analysis_service.MAX_DAYS,
            description="The window: the last `days` days up to today (7 to 365).",
        ),
    ] = analysis_service.DEFAULT_DAYS,
) -> AnalysisOut:
    """An analysis of my last `days` days of health logs: a summary in plain words and
    findings (trends, plausibility warnings, the weight goal, habits that went together
    with weight changes), from the configured model or the offline analyser (`source`)."""
    answered, first, last = await analysis_service.analyse(session, ctx, user, days=days)
    return AnalysisOut(
        summary=answered.summary,
        findings=[FindingOut.model_validate(finding) for finding in answered.findings],
        source=answered.source,
        reason=answered.reason,
        model=answered.model,
        days=days,
        from_date=first,
        to_date=last,
    )
