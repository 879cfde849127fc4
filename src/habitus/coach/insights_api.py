"""JSON API of insights: GET /api/v1/insights, POST /api/v1/insights/train (a background
job: 202) and POST /api/v1/insights/alerts/dismiss (API.md "Coach", D14)."""

from __future__ import annotations

import uuid
from datetime import date as LocalDay
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from habitus.auth.dependencies import CurrentUser, idempotent
from habitus.coach import insights
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, problems

router = APIRouter(
    prefix="/insights",
    tags=["insights"],
    route_class=TransactionalRoute,
    responses=AUTHENTICATED_PROBLEMS,
)

AlertKind = Literal["missed_habit", "low_consistency", "at_risk", "suggestion"]


class AlertOut(BaseModel):
    kind: AlertKind
    habit_id: uuid.UUID
    message: str
    action: str = Field(description="The one thing to do about it, in words.")
    action_url: str


class PredictionOut(BaseModel):
    habit_id: uuid.UUID
    date: LocalDay = Field(description="The day predicted: the user's today.")
    probability: float = Field(ge=0, le=1)
    model: Literal["logistic", "baseline"]
    trained_at: datetime | None
    samples: int
    why: list[str] = Field(description="The strongest factors, in plain words.")


class WeekOut(BaseModel):
    first_day: LocalDay
    rate: float | None


class InsightsOut(BaseModel):
    alerts: list[AlertOut]
    predictions: list[PredictionOut]
    weekly_average: float | None = Field(description="Done units a week over the last 4.")
    rate_7d: float | None
    rate_30d: float | None
    weeks: list[WeekOut] = Field(description="The completion rate of each of the last 8 weeks.")


class TrainOut(BaseModel):
    status: Literal["queued"] = Field(description="The worker retrains in the background.")


class DismissIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    habit_id: uuid.UUID
    kind: AlertKind


def insights_out(found: insights.Insights) -> InsightsOut:
    return InsightsOut(
        alerts=[
            AlertOut(
                kind=alert.kind,  # type: ignore[arg-type]
                habit_id=alert.habit_id,
                message=alert.message,
                action=alert.action,
                action_url=alert.action_url,
            )
            for alert in found.alerts
        ],
        predictions=[
            PredictionOut(
                habit_id=item.habit_id,
                date=item.day,
                probability=item.probability,
                model=item.model,  # type: ignore[arg-type]
                trained_at=item.trained_at,
                samples=item.samples,
                why=list(item.why),
            )
            for item in found.predictions
        ],
        weekly_average=found.weekly_average,
        rate_7d=found.rate_7d,
        rate_30d=found.rate_30d,
        weeks=[WeekOut(first_day=first, rate=rate) for first, rate in found.weekly],
    )


@router.get("")
async def get_insights(user: CurrentUser, session: DbSession) -> InsightsOut:
    """D14: alerts, a prediction per active habit (the user's model, or the baseline
    while data is thin: `model` says which), and the moving rates."""
    return insights_out(await insights.view(session, user))


@router.post(
    "/train",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problems(429),
    dependencies=[idempotent()],
)
async def train(user: CurrentUser, session: DbSession, ctx: Context) -> TrainOut:
    """D14.2: retrain now, in the background (the worker)."""
    await insights.request_training(session, ctx, user.id)
    return TrainOut(status="queued")


@router.post(
    "/alerts/dismiss",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(404, 422),
    dependencies=[idempotent()],
)
async def dismiss(body: DismissIn, user: CurrentUser, session: DbSession) -> Response:
    """Hide an alert card until the week ends."""
    await insights.dismiss_alert(session, user, body.habit_id, body.kind)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
