"""The reminders feature's side of `habits.ports.HABIT_REMINDERS`: a reminder set while
the habit is created, in the same transaction, through the same service and rules as
POST /habits/{id}/reminders."""

from __future__ import annotations

import uuid

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.errors import ValidationFailed, field_errors_from_pydantic
from habitus.models import User
from habitus.reminders import service
from habitus.reminders.schemas import ReminderCreate


def _body(time: str, days: list[str] | None) -> ReminderCreate:
    try:
        return ReminderCreate.model_validate({"time": time, "days": days})
    except ValidationError as error:
        raw = [{**item, "loc": ("body", *item["loc"])} for item in error.errors()]
        raise ValidationFailed(field_errors_from_pydantic(raw)) from None


def check(time: str, days: list[str] | None) -> None:
    _body(time, days)


async def add(
    session: AsyncSession,
    user: User,
    habit_id: uuid.UUID,
    *,
    time: str,
    days: list[str] | None,
) -> None:
    await service.create_reminder(session, user, habit_id, _body(time, days))
