"""The Reminders page (issue 21): every habit reminder of the user in one list, grouped
by habit, each with an on/off switch and its time, days, only-if-pending and channels
edited in place. With script each form posts through HTMX and the answer is the
reminder's item re-rendered; without script the same forms post normally and come back
to the page (a 422 page with the errors in place when something is wrong).

The next firing shown is the one the worker will fire: `next_fire_at`, which
`reminders.schedule` computes on every change (`service.update_reminder`), in the
viewer's zone. Thin: every rule lives in `reminders.service`.

Reads are bounded whatever the number of habits: the reminders, the habits and the
channels, one query each.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from habitus.auth.pages import Form, PageUser
from habitus.core.time import WEEKDAYS
from habitus.errors import ValidationFailed
from habitus.habits import queries as habit_queries
from habitus.habits import repository as habits_repository
from habitus.http.dependencies import DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import flash
from habitus.kit.forms import form_errors
from habitus.kit.templating import WEEKDAY_WORDS, render
from habitus.models import Channel, Reminder, User
from habitus.reminders import repository, service
from habitus.reminders.schemas import ReminderUpdate

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

REMINDERS_PAGE = "/reminders"
# Where each API field's error goes on a reminder's form (`kit.forms`).
_FIELDS = {"time": "time", "days": "days", "channel_ids": "channels"}


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _days_in_words(days: list[str] | None) -> str:
    if days is None:
        return "the habit's days"
    if len(days) == len(WEEKDAYS):
        return "every day"
    return ", ".join(WEEKDAY_WORDS[day][:3] for day in days if day in WEEKDAY_WORDS)


@dataclass(frozen=True, slots=True)
class Item:
    """One reminder as the page shows it, with the values of its form (what was typed,
    when a save failed) and that form's errors."""

    reminder: Reminder
    habit_name: str
    values: dict[str, Any]
    errors: dict[str, str]
    saved: str = ""  # said after an in-place save (HTMX), for screen readers too

    @property
    def days_text(self) -> str:
        return _days_in_words(self.reminder.days)


def _values_of(reminder: Reminder) -> dict[str, Any]:
    return {
        "time": reminder.time,
        "days": list(reminder.days or []),
        "only_if_pending": reminder.only_if_pending,
        "channel_ids": [str(value) for value in reminder.channel_ids or []],
    }


def _channel_choices(channels: list[Channel]) -> list[dict[str, Any]]:
    return [
        {"id": str(channel.id), "name": channel.name, "enabled": channel.enabled}
        for channel in channels
    ]


def _context(channels: list[Channel]) -> dict[str, Any]:
    return {"day_names": WEEKDAY_WORDS, "channels": _channel_choices(channels)}


async def _page(
    request: Request,
    session: DbSession,
    user: User,
    *,
    failed: Item | None = None,
    status_code: int = 200,
) -> Response:
    reminders = [
        row
        for row in await repository.reminders_of_user(session, user.id)
        if row.kind == "habit" and row.habit_id is not None
    ]
    habits = await habits_repository.habits_of(session, user.id, archived=None)
    channels = await repository.channels_of(session, user.id)
    by_habit: dict[uuid.UUID, list[Item]] = {}
    for row in reminders:
        mine = failed if failed is not None and row.id == failed.reminder.id else None
        by_habit.setdefault(row.habit_id, []).append(  # type: ignore[arg-type]  # not None
            mine or Item(row, "", _values_of(row), {})
        )
    groups = []
    for habit in habits:  # in the user's habit order; reminders by time within each
        items = by_habit.get(habit.id)
        if items:
            named = [
                Item(item.reminder, habit.name, item.values, item.errors, item.saved)
                for item in items
            ]
            groups.append(
                {"habit": habit, "archived": habit.archived_at is not None, "items": named}
            )
    context = {"groups": groups, "count": len(reminders), **_context(channels)}
    return render(request, "reminders/overview.html", context, status_code=status_code)


@router.get(REMINDERS_PAGE, response_class=HTMLResponse)
async def reminders_page(request: Request, user: PageUser, session: DbSession) -> Response:
    return await _page(request, session, user)


async def _answer(
    request: Request,
    session: DbSession,
    user: User,
    item: Item,
    said: str,
) -> Response:
    """HTMX: the item re-rendered in place; a plain post: back to the page, with a flash
    when it worked and the whole page with the item's errors when it did not."""
    if _is_htmx(request):
        habit = await habit_queries.get_habit(session, user, item.reminder.habit_id)  # type: ignore[arg-type]  # a habit reminder
        named = Item(item.reminder, habit.name, item.values, item.errors, said)
        channels = await repository.channels_of(session, user.id)
        # 200 even with errors: htmx swaps only successful answers.
        return render(
            request, "reminders/_overview_item.html", {"item": named, **_context(channels)}
        )
    if item.errors:
        return await _page(request, session, user, failed=item, status_code=422)
    response = RedirectResponse(f"{REMINDERS_PAGE}#reminder-{item.reminder.id}", status_code=303)
    flash.show(response, request, said, "success")
    return response


@router.post(f"{REMINDERS_PAGE}/{{reminder_id}}", response_class=HTMLResponse)
async def edit_reminder(
    request: Request, reminder_id: uuid.UUID, user: PageUser, form: Form, session: DbSession
) -> Response:
    """Time, days (none ticked: the habit's days, D9.1), only-if-pending (D9.3) and
    channels (none ticked: every enabled channel) from the reminder's form."""
    reminder = await service.get_reminder(session, user, reminder_id)  # 404 when not hers
    days = [day for day in WEEKDAYS if form.get(f"day_{day}")]
    values: dict[str, Any] = {
        "time": form.get("time", "").strip(),
        "days": days,
        "only_if_pending": bool(form.get("only_if_pending")),
        "channel_ids": [key.removeprefix("channel_") for key in form if key.startswith("channel_")],
    }
    try:
        body = ReminderUpdate.model_validate(
            {
                "time": values["time"],
                "days": days or None,
                "only_if_pending": values["only_if_pending"],
                "channel_ids": values["channel_ids"],
            }
        )
        reminder = await service.update_reminder(session, user, reminder_id, body)
    except (ValidationError, ValidationFailed) as error:
        errors = form_errors(error, _FIELDS)
        return await _answer(request, session, user, Item(reminder, "", values, errors), "")
    said = f"Saved: {reminder.time} on {_days_in_words(reminder.days)}."
    return await _answer(request, session, user, Item(reminder, "", _values_of(reminder), {}), said)


@router.post(f"{REMINDERS_PAGE}/{{reminder_id}}/enabled", response_class=HTMLResponse)
async def switch_reminder(
    request: Request, reminder_id: uuid.UUID, user: PageUser, form: Form, session: DbSession
) -> Response:
    """On or off: an off reminder keeps its settings and fires nothing (no next firing)."""
    enabled = form.get("enabled") == "true"
    reminder = await service.update_reminder(
        session, user, reminder_id, ReminderUpdate(enabled=enabled)
    )  # 404 when not hers
    said = f"The reminder at {reminder.time} is {'on' if enabled else 'off'}."
    return await _answer(request, session, user, Item(reminder, "", _values_of(reminder), {}), said)
