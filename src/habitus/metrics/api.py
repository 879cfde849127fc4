"""JSON API: GET /admin/metrics (administrators) and POST /surveys/nps (API.md "Product
metrics and plans")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from habitus.auth.dependencies import AdminUser, CurrentUser, idempotent
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import clock
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, problems
from habitus.kit.validation import QueryDate
from habitus.metrics import nps, service
from habitus.metrics.schemas import MetricsOut, NpsIn, NpsOut

router = APIRouter(route_class=TransactionalRoute, responses=AUTHENTICATED_PROBLEMS)

FromDate = Annotated[QueryDate | None, Query(alias="from", description="UTC day, inclusive.")]
ToDate = Annotated[QueryDate | None, Query(alias="to", description="UTC day, inclusive.")]


@router.get("/admin/metrics", tags=["admin"], responses=problems(403, 422))
async def get_metrics(
    _admin: AdminUser, session: DbSession, first: FromDate = None, last: ToDate = None
) -> MetricsOut:
    """DAU, WAU, MAU, weekly retention cohorts, reminder delivery success, check-ins per
    active user-day and NPS for the window (default: the 30 days ending today), from the
    daily rollup (docs/METRICS.md)."""
    today = clock.now().date()
    window = service.window_of(first, last, today)
    return MetricsOut.model_validate(await service.metrics_for(session, window, today))


@router.post(
    "/surveys/nps",
    tags=["account"],
    status_code=status.HTTP_201_CREATED,
    responses=problems(422, 429),
    dependencies=[idempotent()],
)
async def answer_nps(body: NpsIn, user: CurrentUser, session: DbSession, ctx: Context) -> NpsOut:
    """The in-app question "How likely are you to recommend Habitus?": a score 0..10 and
    an optional comment. Not asked again for 90 days."""
    response = await nps.answer(session, ctx, user, body.score, body.comment)
    return NpsOut.model_validate(response, from_attributes=True)
