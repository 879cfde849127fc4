"""Asking for a health analysis (issue 19, API.md POST /health/analysis): the caller's
logs of the last `days` days (7..365, up to the user's today), their weight goal and
their active habits' days (through the `HABIT_COMPLETION` port), analysed offline
(`analysis`) and, when a model is configured, by the model with the offline findings as
hints (`analysis_model`). Reads only; the model calls made are recorded for the admin's
counts (no user id, no text), which is the one write.

Rate-limited per user (HABITUS_HEALTH_ANALYSIS_RATE): a model call costs money and time,
and even the offline path reads up to a year of logs and two of habits.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.coach import calls
from habitus.context import AppContext
from habitus.errors import FieldError, ValidationFailed
from habitus.health import analysis, analysis_model, metrics
from habitus.health.analysis_ports import HABIT_COMPLETION, HabitHistories
from habitus.health.service import goal_of, local_now
from habitus.models import User
from habitus.models.health import HealthLog
from habitus.registry import registry

MIN_DAYS = 7
MAX_DAYS = 365
DEFAULT_DAYS = 90


def check_days(days: int) -> None:
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValidationFailed(
            [
                FieldError(
                    "days",
                    f"must be between {MIN_DAYS} and {MAX_DAYS}",
                    rule="range",
                    location="query",
                )
            ]
        )


async def readings_of(
    session: AsyncSession, user: User, first: date, last: date
) -> list[analysis.Reading]:
    """The user's logs dated `first`..`last`, in (date, time) order, one statement."""
    rows = await session.scalars(
        select(HealthLog)
        .where(HealthLog.user_id == user.id, HealthLog.date >= first, HealthLog.date <= last)
        .order_by(HealthLog.date, HealthLog.time, HealthLog.created_at, HealthLog.id)
    )
    found = []
    for row in rows:
        values = {
            name: float(value)
            for name in metrics.FIELD_NAMES
            if (value := getattr(row, name)) is not None
        }
        found.append(analysis.Reading(row.date, row.time, values))
    return found


def habit_records(histories: HabitHistories, first: date, last: date) -> list[analysis.HabitRecord]:
    """Each habit's counted days (required, not in a break) inside the window."""
    return [
        analysis.HabitRecord(
            habit_id=item.habit_id,
            name=histories.names.get(item.habit_id, "A habit"),
            days={
                fact.day: fact.done
                for fact in item.facts
                if fact.required and not fact.in_break and first <= fact.day <= last
            },
        )
        for item in histories.items
    ]


async def analyse(
    session: AsyncSession, ctx: AppContext, user: User, *, days: int = DEFAULT_DAYS
) -> tuple[analysis_model.Answered, date, date]:
    """The analysis of the last `days` days, and that window's first and last dates."""
    check_days(days)
    await ctx.check_rate(
        f"health-analysis:{user.id}",
        ctx.settings.health_analysis_rate,
        "You have asked for many health analyses; wait a little.",
    )
    last, _ = local_now(user)
    first = last - timedelta(days=days - 1)
    readings = await readings_of(session, user, first, last)
    goal_row = await goal_of(session, user)
    goal = (
        None
        if goal_row is None
        else analysis.Goal(goal_row.weight_kg, cast(analysis.Direction, goal_row.direction))
    )
    histories = await registry.port(HABIT_COMPLETION).histories_of(session, user)
    offline = analysis.analyse(
        readings,
        first=first,
        last=last,
        goal=goal,
        habits=habit_records(histories, first, last),
    )
    request = analysis_model.Request(
        first=first,
        last=last,
        series=analysis.daily_series(readings),
        goal=goal,
        offline=offline,
    )
    with calls.collecting() as made:
        answered = await analysis_model.answer(calls.client_of(ctx), request)
    if made:
        await db.start_writing(session)
        calls.save(session, made)
    return answered, first, last
