"""Health logs and the weight goal (issue 19, D15.1): create, list, change and delete
logs, read one field as a series for a chart, get and set the goal.

Every function takes the user and reads or changes only that user's rows: another
user's log is "not found", never "forbidden" (its existence is not disclosed). Values
are checked against their ranges here as well as in the request bodies, so callers
other than the JSON API (the confirm step of a photo, the web form) cannot store an
implausible value. Values are kept at each field's stored precision (`metrics`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any, Literal

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.core import time as core_time
from habitus.errors import FieldError, NotFound, ValidationFailed
from habitus.events.kinds import HealthLogged
from habitus.events.service import publish
from habitus.health import metrics
from habitus.kit import clock
from habitus.kit.validation import check_window
from habitus.models import User
from habitus.models.health import HealthGoal, HealthLog

NOT_FOUND = "No such health log."
# A chart asked for without a window shows the last 90 days (issue 19: 30/90/365).
DEFAULT_SERIES_DAYS = 90

Source = Literal["manual", "photo"]


def local_now(user: User) -> tuple[date, time]:
    """The user's wall-clock date and time (to the minute), when a log names neither.
    The calendar date, not the habit day: a weigh-in at 1 a.m. is on the new date."""
    moment = clock.now().astimezone(core_time.zone(user.timezone))
    return moment.date(), moment.time().replace(second=0, microsecond=0, tzinfo=None)


def values_of(log: HealthLog) -> dict[str, float]:
    """The fields a log holds, in field order."""
    found = {name: getattr(log, name) for name in metrics.FIELD_NAMES}
    return {name: value for name, value in found.items() if value is not None}


def _checked(values: Mapping[str, float | None]) -> dict[str, float | None]:
    unknown = sorted(set(values) - set(metrics.FIELD_NAMES))
    errors = [FieldError(name, "is not a health field", rule="extra_forbidden") for name in unknown]
    errors += [
        FieldError(problem.field, problem.message, rule="range")
        for problem in metrics.out_of_range(values)
    ]
    if errors:
        raise ValidationFailed(errors)
    return {
        name: None if value is None else metrics.stored(name, value)
        for name, value in values.items()
    }


def _check_date(user: User, day: date) -> None:
    today, _ = local_now(user)
    if day > today:
        raise ValidationFailed(
            [FieldError("date", f"must not be after today ({today.isoformat()})", rule="future")]
        )


def _logged(log: HealthLog, *, created: bool) -> HealthLogged:
    """The event a write of `log` publishes (D10 health achievements react): no values."""
    return HealthLogged(
        local_date=log.date,
        log_id=str(log.id),
        has_weight=log.weight_kg is not None,
        created=created,
    )


async def create_log(
    session: AsyncSession,
    user: User,
    *,
    values: Mapping[str, float | None],
    day: date | None = None,
    at: time | None = None,
    source: Source = "manual",
) -> HealthLog:
    """D15.1: a log of at least one field; date and time default to the user's now."""
    stored = {name: value for name, value in _checked(values).items() if value is not None}
    if not stored:
        raise ValidationFailed(
            [FieldError("body", "give at least one of the 27 health fields", rule="required")]
        )
    today, now = local_now(user)
    day = day or today
    _check_date(user, day)
    log = HealthLog(
        user_id=user.id,
        date=day,
        time=(at or now).replace(second=0, microsecond=0, tzinfo=None),
        source=source,
        **stored,
    )
    session.add(log)
    await session.flush()
    await publish(session, user, [_logged(log, created=True)])
    return log


async def get_log(session: AsyncSession, user: User, log_id: uuid.UUID) -> HealthLog:
    log = await session.get(HealthLog, log_id)
    if log is None or log.user_id != user.id:
        raise NotFound(NOT_FOUND)
    return log


@dataclass(frozen=True, slots=True)
class LogKey:
    """Where a newest-first listing stopped: (date, time, id) of the last log seen."""

    day: date
    at: time
    log_id: uuid.UUID

    def as_list(self) -> list[Any]:
        return [self.day.isoformat(), self.at.isoformat(), str(self.log_id)]

    @classmethod
    def of(cls, log: HealthLog) -> LogKey:
        return cls(log.date, log.time, log.id)

    @classmethod
    def parse(cls, after: list[Any]) -> LogKey:
        """A cursor's key; ValueError or TypeError when it is no such key."""
        day, at, log_id = after
        if not all(isinstance(part, str) for part in (day, at, log_id)):
            raise TypeError("not text")
        return cls(date.fromisoformat(day), time.fromisoformat(at), uuid.UUID(log_id))


async def logs_of(
    session: AsyncSession,
    user: User,
    *,
    first: date | None = None,
    last: date | None = None,
    after: LogKey | None = None,
    limit: int = 50,
) -> list[HealthLog]:
    """The user's logs, newest first (date, then time), at most `limit`."""
    if first is not None and last is not None:
        check_window(first, last)
    query = select(HealthLog).where(HealthLog.user_id == user.id)
    if first is not None:
        query = query.where(HealthLog.date >= first)
    if last is not None:
        query = query.where(HealthLog.date <= last)
    if after is not None:
        query = query.where(
            or_(
                HealthLog.date < after.day,
                and_(HealthLog.date == after.day, HealthLog.time < after.at),
                and_(
                    HealthLog.date == after.day,
                    HealthLog.time == after.at,
                    HealthLog.id < after.log_id,
                ),
            )
        )
    query = query.order_by(HealthLog.date.desc(), HealthLog.time.desc(), HealthLog.id.desc())
    return list(await session.scalars(query.limit(limit)))


async def update_log(
    session: AsyncSession,
    user: User,
    log_id: uuid.UUID,
    *,
    values: Mapping[str, float | None],
    day: date | None = None,
    at: time | None = None,
) -> HealthLog:
    """Change the fields named (None clears one), and the date or time when given. A
    log keeps at least one field (D15.1): clearing the last one is a 422."""
    log = await get_log(session, user, log_id)
    changes = _checked(values)
    after = {**values_of(log), **changes}
    if not any(value is not None for value in after.values()):
        raise ValidationFailed(
            [
                FieldError(
                    name,
                    "is the log's last field; delete the log instead",
                    rule="required",
                )
                for name in sorted(changes)
            ]
        )
    if day is not None:
        _check_date(user, day)
        log.date = day
    if at is not None:
        log.time = at.replace(second=0, microsecond=0, tzinfo=None)
    for name, value in changes.items():
        setattr(log, name, value)
    await session.flush()
    await publish(session, user, [_logged(log, created=False)])
    return log


async def delete_log(session: AsyncSession, user: User, log_id: uuid.UUID) -> None:
    log = await get_log(session, user, log_id)
    await session.execute(delete(HealthLog).where(HealthLog.id == log.id))


def _field_column(field: str) -> Any:
    if field not in metrics.BY_NAME:
        raise ValidationFailed(
            [
                FieldError(
                    "field",
                    "must be one of the 27 health fields (D15.1), such as weight_kg",
                    rule="enum",
                    location="query",
                )
            ]
        )
    return getattr(HealthLog, field)


async def series(
    session: AsyncSession,
    user: User,
    field: str,
    *,
    first: date | None = None,
    last: date | None = None,
) -> list[tuple[date, float]]:
    """One field over a window (default: the last 90 days up to the user's today), one
    point a date: that date's last reading of the field, oldest date first."""
    column = _field_column(field)
    last = last or local_now(user)[0]
    first = first or last - timedelta(days=DEFAULT_SERIES_DAYS - 1)
    check_window(first, last)
    rows = await session.execute(
        select(HealthLog.date, column)
        .where(
            HealthLog.user_id == user.id,
            column.is_not(None),
            HealthLog.date >= first,
            HealthLog.date <= last,
        )
        .order_by(HealthLog.date, HealthLog.time, HealthLog.created_at, HealthLog.id)
    )
    by_day: dict[date, float] = {}
    for day, value in rows:
        by_day[day] = float(value)  # a later reading of the day replaces an earlier one
    return list(by_day.items())


async def goal_of(session: AsyncSession, user: User) -> HealthGoal | None:
    return await session.get(HealthGoal, user.id)


async def set_goal(
    session: AsyncSession, user: User, *, weight_kg: float, direction: Literal["lose", "gain"]
) -> HealthGoal:
    """The user's one weight goal, made or replaced."""
    _checked({"weight_kg": weight_kg})
    goal = await goal_of(session, user)
    if goal is None:
        goal = HealthGoal(user_id=user.id, weight_kg=0.0, direction=direction)
        session.add(goal)
    goal.weight_kg = metrics.stored("weight_kg", weight_kg)
    goal.direction = direction
    await session.flush()
    return goal
