"""The Insights page (issue 18, D14): GET /insights shows the alerts as cards (each with
its one action and a Dismiss form), this week at a glance (the 7- and 30-day rates,
check-ins a week, the last 8 weeks as bars) and, per habit, how likely today is and why;
POST /insights/train asks the worker to retrain now.

It lives in `coach` with the predictions it shows (the `insights` package holds the
habit page and History). Everything is worked out in `coach.insights`; this module
only turns numbers into words. Every form is a plain POST checked for CSRF and answered
with a redirect and a flash message, so the page needs no JavaScript. Habit names are
the user's text: Jinja autoescapes them, nothing is marked safe.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import get_args

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from habitus.auth.pages import CsrfChecked, PageUser
from habitus.coach import insights, insights_api
from habitus.coach.learning import MIN_SAMPLES
from habitus.core import time as core_time
from habitus.errors import NotFound, TooManyRequests
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import flash
from habitus.kit.templating import render
from habitus.models import Habit, User

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

INSIGHTS_PAGE = "/insights"
ALERT_KINDS: frozenset[str] = frozenset(get_args(insights_api.AlertKind))
RETRAIN_TEXT = "Retraining in the background — refresh in a minute."
# Below this a prediction is drawn as "hard", from this up as "likely" (the meter's
# low/high marks; the number itself is always shown).
LOW, HIGH = 0.4, 0.7
ALERT_TITLES = {
    "missed_habit": "Missed twice",
    "low_consistency": "Hard to keep up",
    "at_risk": "A run at risk",
    "suggestion": "A better time?",
}
NO_VALUE = "\u2013"  # an en dash: "no value", never a made-up 0%


def _back(request: Request, text: str, kind: flash.Kind = "success") -> Response:
    response = RedirectResponse(INSIGHTS_PAGE, status_code=303)
    flash.show(response, request, text, kind)
    return response


# --- numbers into words ---------------------------------------------------------------


def percent(rate: float | None) -> str:
    """0.8249 -> "82%"; no required unit at all -> NO_VALUE."""
    return NO_VALUE if rate is None else f"{round(rate * 100)}%"


def per_week(average: float | None) -> str:
    """12.5 -> "12.5 check-ins a week"; a whole number without its ".0"."""
    if average is None:
        return NO_VALUE
    number = f"{average:.1f}".removesuffix(".0")
    return f"{number} check-in{'' if number == '1' else 's'} a week"


def _sentence(text: str) -> str:
    """The learning module writes factors as clauses ("you did it 5 of the last 7
    times"); on the page each stands alone."""
    return text[:1].upper() + text[1:] if text else text


def _day_text(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _local_day(moment: datetime, user: User) -> date:
    return moment.astimezone(core_time.zone(user.timezone)).date()


def source_text(prediction: insights.Prediction, user: User) -> str:
    """D14.2: which of the two answered, said plainly."""
    if prediction.model == "logistic":
        when = (
            f"trained {_day_text(_local_day(prediction.trained_at, user))}, "
            if prediction.trained_at is not None
            else ""
        )
        return f"Your model ({when}{prediction.samples} days)"
    return (
        "Early estimate (your recent weekday rate) — the model trains after "
        f"{MIN_SAMPLES} tracked days"
    )


@dataclass(frozen=True, slots=True)
class PredictionRow:
    habit_id: uuid.UUID
    name: str
    percent: int
    level: str  # low | mid | high: the meter's colour, the words say the same
    model: str
    source: str
    why: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AlertCard:
    kind: str
    title: str
    habit_id: uuid.UUID
    habit_name: str
    message: str
    action: str
    action_url: str


@dataclass(frozen=True, slots=True)
class WeekBar:
    first_day: date
    day: str  # "12": the week's first day, drawn over
    month: str  # "Oct"
    value: str  # "82%" or NO_VALUE
    height: int  # 0-100, the bar's height in percent of the chart
    empty: bool  # no required unit that week


def prediction_rows(found: insights.Insights, user: User) -> list[PredictionRow]:
    rows = []
    for item in found.predictions:
        level = "low" if item.probability < LOW else "high" if item.probability >= HIGH else "mid"
        rows.append(
            PredictionRow(
                habit_id=item.habit_id,
                name=item.name,
                percent=round(item.probability * 100),
                level=level,
                model=item.model,
                source=source_text(item, user),
                why=tuple(_sentence(text) for text in item.why),
            )
        )
    return rows


def alert_cards(found: insights.Insights) -> list[AlertCard]:
    return [
        AlertCard(
            kind=alert.kind,
            title=ALERT_TITLES.get(alert.kind, "Worth a look"),
            habit_id=alert.habit_id,
            habit_name=alert.habit_name,
            message=alert.message,
            action=alert.action,
            action_url=alert.action_url,
        )
        for alert in found.alerts
    ]


def week_bars(found: insights.Insights) -> list[WeekBar]:
    return [
        WeekBar(
            first_day=first,
            day=str(first.day),
            month=f"{first:%b}",
            value=percent(rate),
            height=0 if rate is None else max(2, round(rate * 100)),
            empty=rate is None,
        )
        for first, rate in found.weekly
    ]


# --- the page ---------------------------------------------------------------------------


@router.get(INSIGHTS_PAGE, response_class=HTMLResponse)
async def insights_page(request: Request, user: PageUser, session: DbSession) -> Response:
    """Alerts, this week at a glance, and per habit how likely today is and why."""
    found = await insights.view(session, user)
    return render(
        request,
        "coach/insights.html",
        {
            "alerts": alert_cards(found),
            "predictions": prediction_rows(found, user),
            "rate_7d": percent(found.rate_7d),
            "rate_30d": percent(found.rate_30d),
            "weekly_average": per_week(found.weekly_average),
            "weeks": week_bars(found),
            "today": found.today,
            "min_samples": MIN_SAMPLES,
        },
    )


@router.post(f"{INSIGHTS_PAGE}/alerts/{{habit_id}}/{{kind}}/dismiss", dependencies=[CsrfChecked])
async def dismiss(
    request: Request, habit_id: uuid.UUID, kind: str, user: PageUser, session: DbSession
) -> Response:
    """Hide an alert card until the week ends. Another user's habit, or a kind that is
    no alert: 404."""
    if kind not in ALERT_KINDS:
        raise NotFound("No such alert.")
    await insights.dismiss_alert(session, user, habit_id, kind)
    habit = await session.get(Habit, habit_id)
    name = habit.name if habit is not None else "this habit"
    return _back(request, f"Alert about “{name}” hidden until the end of the week.")


@router.post(f"{INSIGHTS_PAGE}/train", dependencies=[CsrfChecked])
async def retrain(request: Request, user: PageUser, session: DbSession, ctx: Context) -> Response:
    """D14.2 on demand: the user is due now and the worker trains (the same hourly
    budget as POST /api/v1/insights/train)."""
    try:
        await insights.request_training(session, ctx, user.id)
    except TooManyRequests as error:
        return _back(request, error.message, "error")
    return _back(request, RETRAIN_TEXT)
