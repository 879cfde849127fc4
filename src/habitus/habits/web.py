"""Habits: the list with filters and order, create, edit, archive, restore, delete.

The pages call the same services as the REST API (`habits.service`); this module only
turns form fields into the API's input models and errors back into messages next to
the fields they are about.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError

from habitus.auth.pages import CsrfChecked, Form, PageUser
from habitus.errors import ValidationFailed
from habitus.habits import describe, presenters, queries, repository, service
from habitus.habits.evaluation import today_of
from habitus.habits.icon import SUGGESTED as SUGGESTED_ICONS
from habitus.habits.ports import HABIT_REMINDERS
from habitus.habits.schemas import HabitCreate, HabitOut, HabitUpdate, ScheduleIn
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import flash
from habitus.kit.forms import form_errors
from habitus.kit.templating import render
from habitus.models import User
from habitus.plans import notes
from habitus.plans.dependencies import Plans
from habitus.plans.limits import PlanLimitReached
from habitus.registry import registry

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

# Accessible swatches: each is at least 3:1 against the light and the dark surface.
PALETTE = (
    ("#0f766e", "Teal"),
    ("#2563eb", "Blue"),
    ("#7c3aed", "Violet"),
    ("#c026d3", "Magenta"),
    ("#db2777", "Pink"),
    ("#dc2626", "Red"),
    ("#ea580c", "Orange"),
    ("#ca8a04", "Amber"),
    ("#16a34a", "Green"),
    ("#64748b", "Slate"),
)
SCHEDULE_TYPES = (
    ("daily", "Every day"),
    ("weekdays", "On some days of the week"),
    ("every_n_days", "Every few days"),
    ("times_per_period", "A number of times a week or month"),
    ("dates", "On specific dates"),
)
DAY_LABELS = dict(zip(describe.WEEKDAYS, describe.LONG.values(), strict=True))
DEFAULT_BACKFILL = 2
_SCHEDULE = TypeAdapter(ScheduleIn)

# Where an error of the API's input models (or the service) goes on the form.
FIELD_OF = {
    "name": "name",
    "description": "description",
    "kind": "kind",
    "polarity": "polarity",
    "target": "target_value",
    "target.value": "target_value",
    "target.unit": "unit",
    "target.direction": "direction",
    "schedule": "schedule_type",
    "schedule.type": "schedule_type",
    "schedule.days": "days",
    "schedule.n": "every_n",
    "schedule.times": "times",
    "schedule.period": "period",
    "schedule.dates": "dates",
    "start_date": "start_date",
    "end_date": "end_date",
    "backfill_days": "backfill_days",
    "category": "category",
    "tags": "tags",
    "color": "color",
    "icon": "icon",
    "visibility": "visibility",
}
# Where an error of the reminder set while creating goes.
REMINDER_FIELD_OF = {"time": "reminder_time", "days": "reminder_days"}


# --- form <-> input models ------------------------------------------------------------------


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _friendly(field: str, rule: str, message: str, ctx: Mapping[str, Any]) -> str:
    """This form's words for a person, instead of the API's field-level wording
    (`kit.forms` has already put pydantic's own messages in plain words)."""
    if field == "name" and rule in {"string_too_short", "missing", "string_type"}:
        return "Give the habit a name."
    if field == "days" and rule == "too_short":
        return "Pick at least one day."
    if field == "every_n" and rule == "greater_than_equal":
        return "Use 2 or more (for every day, choose “Every day”)."
    if field == "times" and "only 7 days" in message:
        return "A week has only 7 days: choose 7 times or fewer."
    if field == "target_value" and "more than 0" in message:
        return "Aim for more than 0 (or choose “At most”)."
    if field == "target_value" and rule == "required":
        return "Set the amount to aim for each day."
    if field == "direction" and rule == "quit_needs_at_most":
        return "A quit habit counts what you want less of: choose “At most”."
    if field == "dates" and rule == "too_short":
        return "Add at least one date."
    if field == "dates" and "twice" in message:
        return "A date is listed twice."
    if field == "tags" and "twice" in message:
        return "A tag is listed twice."
    if field == "tags" and rule == "too_long":
        return f"Use at most {ctx.get('max_length', 20)} tags."
    if field == "tags" and rule == "string_too_long":
        return f"Keep each tag to {ctx.get('max_length', 30)} characters or fewer."
    if field == "color":
        return "Pick a colour like #0f766e."
    if field == "icon":
        return "Use one emoji for the icon, like 💧 (or leave it empty)."
    if field == "visibility":
        return "Choose who can see the habit: only you, friends or everyone."
    if field == "reminder_time":
        return "Write the reminder time like 07:30 (00:00 to 23:59)."
    if field in {"start_date", "end_date"} and rule.startswith("date"):
        return "Write the date like 2026-12-24."
    if field == "end_date" and rule == "after_start":
        return "The end date must not be before the start date."
    if "between 1900-01-01 and 2199-12-31" in message:
        return "Use a date between 1900 and 2199."
    return _sentence(message)


def _collect(errors: dict[str, str], field: str, message: str) -> None:
    errors.setdefault(field, message)


def _add_errors(errors: dict[str, str], error: ValidationError | ValidationFailed) -> None:
    """The input model's or the service's errors, each next to its field; what the form
    itself already found about a field stays."""
    for field, message in form_errors(error, FIELD_OF, wording=_friendly).items():
        _collect(errors, field, message)


def _whole(form: Mapping[str, str], name: str, errors: dict[str, str], what: str) -> int | None:
    text = form.get(name, "").strip()
    if not text:
        _collect(errors, name, f"Say {what}.")
        return None
    try:
        return int(text)
    except ValueError:
        _collect(errors, name, "Use a whole number, like 3.")
        return None


def _dates(text: str, errors: dict[str, str]) -> list[str]:
    found = []
    for token in re.split(r"[\s,;]+", text.strip()):
        if not token:
            continue
        try:
            found.append(date.fromisoformat(token).isoformat())
        except ValueError:
            _collect(errors, "dates", f"“{token}” is not a date: write dates like 2026-12-24.")
    return found


def schedule_from_form(form: Mapping[str, str], errors: dict[str, str]) -> dict[str, Any]:
    """The API's `schedule` object from the chosen type and only that type's fields."""
    kind = form.get("schedule_type", "daily")
    if kind == "weekdays":
        return {"type": kind, "days": [day for day in describe.WEEKDAYS if form.get(f"day_{day}")]}
    if kind == "every_n_days":
        return {"type": kind, "n": _whole(form, "every_n", errors, "every how many days")}
    if kind == "times_per_period":
        times = _whole(form, "times", errors, "how many times")
        return {"type": kind, "times": times, "period": form.get("period", "week")}
    if kind == "dates":
        return {"type": kind, "dates": _dates(form.get("dates", ""), errors)}
    if kind != "daily":
        _collect(errors, "schedule_type", "Choose how often.")
    return {"type": "daily"}


def _target_from_form(form: Mapping[str, str], errors: dict[str, str]) -> dict[str, Any] | None:
    text = form.get("target_value", "").strip().replace(",", ".")
    value: float | None = None
    if not text:
        _collect(errors, "target_value", "Set the amount to aim for each day.")
    else:
        try:
            value = float(text)
        except ValueError:
            _collect(errors, "target_value", "Use a number, like 2 or 1.5.")
    return {
        "value": value,
        "unit": form.get("unit", "").strip() or None,
        "direction": form.get("direction", "at_least"),
    }


def _color(form: Mapping[str, str]) -> str | None:
    chosen = form.get("color", "")
    if chosen == "custom":
        chosen = form.get("color_custom", "")
    return chosen.strip() or None


def _tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.split(",") if tag.strip()]


def habit_fields_from_form(
    form: Mapping[str, str], errors: dict[str, str], *, creating: bool
) -> dict[str, Any]:
    """The body a client would send to POST /habits (or PATCH, without kind/polarity)."""
    data: dict[str, Any] = {
        "name": form.get("name", ""),
        "description": form.get("description", "").strip() or None,
        "schedule": schedule_from_form(form, errors),
        "end_date": form.get("end_date", "").strip() or None,
        "category": form.get("category", "").strip() or None,
        "tags": _tags(form.get("tags", "")),
        "color": _color(form),
        "icon": form.get("icon", "").strip() or None,
        "visibility": form.get("visibility", "private"),
    }
    if start := form.get("start_date", "").strip():
        data["start_date"] = start
    if form.get("backfill_unlimited"):
        data["backfill_days"] = None
    elif form.get("backfill_days", "").strip():
        data["backfill_days"] = _whole(form, "backfill_days", errors, "how many days back")
    elif creating:
        data["backfill_days"] = DEFAULT_BACKFILL
    if creating:
        data["kind"] = form.get("kind", "boolean")
        data["polarity"] = form.get("polarity", "build")
        kind = data["kind"]
    else:
        kind = form.get("fixed_kind", "boolean")
    if kind == "measurable":
        data["target"] = _target_from_form(form, errors)
    return data


def reminder_from_form(
    form: Mapping[str, str], errors: dict[str, str]
) -> tuple[str, list[str] | None] | None:
    """The "Remind me at" time and days of the new-habit form, checked by the reminders
    feature's own rules (None: no reminder wanted). No day ticked: the habit's days."""
    time = form.get("reminder_time", "").strip()
    days: list[str] | None = [
        str(day) for day in describe.WEEKDAYS if form.get(f"reminder_day_{day}")
    ] or None
    if not time:
        if days:
            _collect(errors, "reminder_time", "Choose a time for the reminder, or untick its days.")
        return None
    try:
        registry.port(HABIT_REMINDERS).check(time, days)
    except ValidationFailed as error:
        found = form_errors(error, REMINDER_FIELD_OF, wording=_friendly)
        for field, message in found.items():
            _collect(errors, "reminder_time" if field == "form" else field, message)
        return None
    return time, days


def form_values(habit: HabitOut) -> dict[str, str]:
    """An existing habit as the form's fields (the edit page)."""
    schedule = habit.schedule
    values = {
        "name": habit.name,
        "description": habit.description or "",
        "kind": habit.kind,
        "polarity": habit.polarity,
        "schedule_type": schedule["type"],
        "start_date": habit.start_date.isoformat(),
        "end_date": habit.end_date.isoformat() if habit.end_date else "",
        "category": habit.category or "",
        "tags": ", ".join(habit.tags),
        "backfill_days": str(habit.backfill_days if habit.backfill_days is not None else ""),
        "backfill_unlimited": "on" if habit.backfill_days is None else "",
        "icon": habit.icon or "",
        "visibility": habit.visibility,
        "every_n": str(schedule.get("n", "")),
        "times": str(schedule.get("times", "")),
        "period": schedule.get("period", "week"),
        "dates": "\n".join(schedule.get("dates", [])),
    }
    for day in schedule.get("days", []):
        values[f"day_{day}"] = "on"
    if habit.target is not None:
        values["target_value"] = describe.number_in_words(habit.target.value)
        values["unit"] = habit.target.unit or ""
        values["direction"] = habit.target.direction
    color = (habit.color or "").lower()
    if color and color not in {hex_ for hex_, _ in PALETTE}:
        values["color"], values["color_custom"] = "custom", color
    else:
        values["color"] = color
    return values


def new_values(user: User, today: date) -> dict[str, str]:
    del user
    return {
        "kind": "boolean",
        "polarity": "build",
        "schedule_type": "daily",
        "direction": "at_least",
        "period": "week",
        "start_date": today.isoformat(),
        "backfill_days": str(DEFAULT_BACKFILL),
        "color": PALETTE[0][0],
        "color_custom": PALETTE[0][0],
    }


# --- rendering ---------------------------------------------------------------------------------


async def _form_page(
    request: Request,
    session: DbSession,
    user: User,
    *,
    values: Mapping[str, str],
    errors: Mapping[str, str] | None = None,
    habit: HabitOut | None = None,
    upgrade: notes.UpgradeNote | None = None,
    status_code: int = 200,
) -> Response:
    everything = await service.list_habits(session, user, archived=None)
    categories = sorted({item.category for item in everything if item.category}, key=str.lower)
    today = today_of(user)
    preview = _preview_words(values, user.week_start, today)
    return render(
        request,
        "habits/form.html",
        {
            "habit": habit,
            "values": values,
            "errors": dict(errors or {}),
            "palette": PALETTE,
            "schedule_types": SCHEDULE_TYPES,
            "weekdays": [(day, DAY_LABELS[day]) for day in describe.week_order(user.week_start)],
            "categories": categories,
            "preview": preview,
            "today": today,
            "suggested_icons": SUGGESTED_ICONS,
            "upgrade": upgrade,
        },
        status_code=status_code,
    )


def _preview_words(values: Mapping[str, str], week_start: str, today: date) -> str | None:
    """The chosen schedule in words, or None while it is not complete yet."""
    errors: dict[str, str] = {}
    raw = schedule_from_form(values, errors)
    if errors:
        return None
    try:
        schedule = _SCHEDULE.validate_python(raw)
    except ValidationError:
        return None
    return describe.schedule_in_words(
        schedule.model_dump(mode="json"), week_start=week_start, today=today
    )


def _redirect(
    request: Request, to: str, text: str, extra: dict[str, str] | None = None
) -> Response:
    response = RedirectResponse(to, status_code=303)
    flash.show(response, request, text, "success", extra=extra)
    return response


def _quoted(name: str) -> str:
    return f"\u2018{name}\u2019"


async def _list_context(
    session: DbSession, user: User, *, category: str | None, tag: str | None
) -> dict[str, Any]:
    habits = await presenters.habits_out(
        session, user, await service.list_habits(session, user, archived=None)
    )
    active = [habit for habit in habits if not habit.archived]
    archived = [habit for habit in habits if habit.archived]
    shown = [
        habit
        for habit in active
        if (not category or habit.category == category)
        and (not tag or tag.lower() in {item.lower() for item in habit.tags})
    ]
    today = today_of(user)
    words = {
        str(habit.id): describe.habit_in_words(habit, week_start=user.week_start, today=today)
        for habit in habits
    }
    return {
        "habits": shown,
        "active_count": len(active),
        "archived": archived,
        "words": words,
        "categories": sorted({h.category for h in active if h.category}, key=str.lower),
        "tags": sorted({t for h in active for t in h.tags}, key=str.lower),
        "category": category,
        "tag": tag,
        "filtered": bool(category or tag),
        "streak_words": describe.streak_in_words,
    }


# --- routes ---------------------------------------------------------------------------------


@router.get("/habits", response_class=HTMLResponse)
async def habits_page(
    request: Request,
    user: PageUser,
    session: DbSession,
    category: str | None = None,
    tag: str | None = None,
) -> Response:
    context = await _list_context(session, user, category=category or None, tag=tag or None)
    return render(request, "habits/list.html", context)


@router.get("/habits/new", response_class=HTMLResponse)
async def new_habit_page(
    request: Request, user: PageUser, session: DbSession, limits: Plans, ctx: Context
) -> Response:
    upgrade = await notes.habit_note(session, user, limits, ctx.settings)
    values = new_values(user, today_of(user))
    return await _form_page(request, session, user, values=values, upgrade=upgrade)


@router.get("/habits/preview", response_class=HTMLResponse)
async def schedule_preview(request: Request, user: PageUser) -> Response:
    """HTMX: the schedule the form describes, in words, while the user chooses it."""
    values = dict(request.query_params)
    words = _preview_words(values, user.week_start, today_of(user))
    return render(request, "habits/_preview.html", {"preview": words})


@router.post("/habits/new", response_class=HTMLResponse)
async def create_habit(
    request: Request, user: PageUser, form: Form, session: DbSession, limits: Plans, ctx: Context
) -> Response:
    errors: dict[str, str] = {}
    data = habit_fields_from_form(form, errors, creating=True)
    reminder = reminder_from_form(form, errors)
    body: HabitCreate | None = None
    try:
        body = HabitCreate.model_validate(data)
    except ValidationError as error:
        _add_errors(errors, error)
    if body is not None and not errors:
        try:
            habit = await service.create_habit(session, user, body, limits=limits)
            if reminder is not None:
                # The same transaction: a 422 below rolls the habit back too.
                await registry.port(HABIT_REMINDERS).add(
                    session, user, habit.id, time=reminder[0], days=reminder[1]
                )
        except ValidationFailed as error:
            _add_errors(errors, error)
        except PlanLimitReached as error:
            # An upgrade note above the form, what was typed kept (issue 21).
            upgrade = notes.note_for(error, ctx.settings)
            return await _form_page(
                request, session, user, values=form, upgrade=upgrade, status_code=403
            )
        else:
            words = describe.schedule_in_words(
                data["schedule"], week_start=user.week_start, today=today_of(user)
            )
            reminded = f" Reminder at {reminder[0]}." if reminder else ""
            return _redirect(
                request, "/habits", f"Created {_quoted(habit.name)}: {words}.{reminded}"
            )
    return await _form_page(request, session, user, values=form, errors=errors, status_code=422)


@router.get("/habits/{habit_id}/edit", response_class=HTMLResponse)
async def edit_habit_page(
    request: Request, habit_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    habit = await queries.get_habit(session, user, habit_id)
    shown = (await presenters.habits_out(session, user, [habit]))[0]
    return await _form_page(request, session, user, values=form_values(shown), habit=shown)


@router.post("/habits/{habit_id}/edit", response_class=HTMLResponse)
async def update_habit(
    request: Request, habit_id: uuid.UUID, user: PageUser, form: Form, session: DbSession
) -> Response:
    habit = await queries.get_habit(session, user, habit_id)
    shown = (await presenters.habits_out(session, user, [habit]))[0]
    errors: dict[str, str] = {}
    data = habit_fields_from_form({**form, "fixed_kind": shown.kind}, errors, creating=False)
    if data["schedule"] == shown.schedule:
        # Unchanged: no new schedule version (it would start today for nothing).
        del data["schedule"]
    body: HabitUpdate | None = None
    try:
        body = HabitUpdate.model_validate(data)
    except ValidationError as error:
        _add_errors(errors, error)
    if body is not None and not errors:
        try:
            updated = await service.update_habit(session, user, habit_id, body)
        except ValidationFailed as error:
            _add_errors(errors, error)
        else:
            return _redirect(request, "/habits", f"Saved {_quoted(updated.name)}.")
    values = {**form, "kind": shown.kind, "polarity": shown.polarity}
    return await _form_page(
        request, session, user, values=values, errors=errors, habit=shown, status_code=422
    )


@router.post("/habits/{habit_id}/move", response_class=HTMLResponse)
async def move_habit(
    request: Request, habit_id: uuid.UUID, user: PageUser, form: Form, session: DbSession
) -> Response:
    """Move up / down (buttons), or to a place (`to`, 0 = first; drag and drop)."""
    habit = await queries.get_habit(session, user, habit_id)
    index = await service.habit_order_index(session, user, habit)
    direction = form.get("direction", "")
    if direction in {"up", "down"}:
        to_index = index - 1 if direction == "up" else index + 1
    else:
        try:
            to_index = int(form.get("to", ""))
        except ValueError:
            raise ValidationFailed.field("to", "must be up, down or a place number") from None
    await service.move_habit(session, user, habit_id, to_index=max(0, to_index))
    name = habit.name
    if request.headers.get("HX-Request"):
        context = await _list_context(session, user, category=None, tag=None)
        place = next(i for i, item in enumerate(context["habits"]) if item.id == habit_id)
        context.update(
            moved=str(habit_id),
            focus=direction or "up",
            status=f"Moved {_quoted(name)} to place {place + 1} of {len(context['habits'])}.",
        )
        return render(request, "habits/_moved.html", context)
    return _redirect(
        request,
        f"/habits#habit-{habit_id}",
        f"Moved {_quoted(name)} {direction or 'to its new place'}.",
    )


@router.post("/habits/{habit_id}/archive", dependencies=[CsrfChecked])
async def archive_habit(
    request: Request, habit_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    habit = await service.update_habit(session, user, habit_id, HabitUpdate(archived=True))
    # The list shows the message with a Restore button (undo), so the flash text of the
    # page frame stays empty and the message rides in `extra`.
    return _redirect(
        request,
        "/habits",
        "",
        extra={"archived_id": str(habit.id), "archived_text": f"Archived {_quoted(habit.name)}."},
    )


@router.post("/habits/{habit_id}/restore", dependencies=[CsrfChecked])
async def restore_habit(
    request: Request, habit_id: uuid.UUID, user: PageUser, session: DbSession, limits: Plans
) -> Response:
    try:
        habit = await service.update_habit(
            session, user, habit_id, HabitUpdate(archived=False), limits=limits
        )
    except PlanLimitReached as error:
        # A note on the list rather than an error page (nothing was written before the
        # check refused, so the redirect's commit changes nothing).
        response = RedirectResponse("/habits", status_code=303)
        flash.show(response, request, error.message, "info")
        return response
    return _redirect(request, f"/habits#habit-{habit.id}", f"Restored {_quoted(habit.name)}.")


@router.get("/habits/{habit_id}/delete", response_class=HTMLResponse)
async def delete_habit_page(
    request: Request, habit_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    habit = await queries.get_habit(session, user, habit_id)
    entries = await service.entry_count(session, user, habit_id)
    notes = await repository.note_count(session, habit.id)
    return render(
        request,
        "habits/delete.html",
        {
            "habit": habit,
            "entries": entries,
            "notes": notes,
            "archived": habit.archived_at is not None,
        },
    )


@router.post("/habits/{habit_id}/delete", dependencies=[CsrfChecked])
async def delete_habit(
    request: Request, habit_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    habit = await queries.get_habit(session, user, habit_id)
    name = habit.name
    await service.delete_habit(session, user, habit_id)
    return _redirect(request, "/habits", f"Deleted {_quoted(name)} and its history.")
