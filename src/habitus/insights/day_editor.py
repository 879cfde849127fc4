"""Editing one past day of one habit from its calendar (issue 13, bug 1): status, amount
and note. Writes go through the habit service's `set_entry` / `remove_entry`, the same
ones the REST API uses, so the D4.3 backfill window, the events and the streaks are
exactly the API's. This module only reads the form, in plain words per field."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.errors import AppError, FieldError, NotFound, ValidationFailed
from habitus.habits import queries as habit_queries
from habitus.habits.day_port import DAY_WRITER
from habitus.habits.evaluation import today_of
from habitus.insights.calendar import format_value, long_date, short_date
from habitus.models import Entry, Habit, User
from habitus.registry import registry

NOTE_LIMIT = 1000
AMOUNT_LIMIT = 1_000_000
NONE = "none"  # the form's word for "no entry on this day"


@dataclass(frozen=True, slots=True)
class Choice:
    value: str  # done | skipped | failed | none
    label: str
    hint: str


@dataclass(frozen=True, slots=True)
class DayForm:
    status: str
    amount: str
    note: str


@dataclass(frozen=True, slots=True)
class DayEditor:
    habit_id: uuid.UUID
    habit_name: str
    measurable: bool
    unit: str | None
    target_text: str | None
    day: date
    title: str  # "Saturday 21 November 2026"
    short: str  # "Sat 21 Nov"
    choices: list[Choice]
    form: DayForm
    problem: str | None  # why the day cannot be changed (D4.3), in plain words
    entry_text: str | None  # what is logged, for a day that cannot be changed


def parse_day(text: str) -> date:
    """The day of the URL; a malformed one is a page that does not exist (404)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise NotFound("No such day.") from None


def choices_for(habit: Habit) -> list[Choice]:
    """The statuses a day can have, in the words of the habit's kind and polarity."""
    none_hint = "a clean day, nothing to log" if habit.polarity == "quit" else "no entry"
    if habit.kind == "measurable":
        first = Choice("done", "Logged an amount", "the amount below counts")
    elif habit.polarity == "quit":
        first = Choice("failed", "Slipped", "the day is missed")
    else:
        first = Choice("done", "Done", "")
    choices = [first]
    if habit.kind == "boolean" and habit.polarity == "build":
        choices.append(Choice("failed", "Missed", "an explicit miss"))
    choices.append(Choice("skipped", "Skipped", "not required that day, streak kept"))
    choices.append(Choice(NONE, "Nothing logged", none_hint))
    return choices


def window_problem(habit: Habit, day: date, today: date) -> str | None:
    """D4.3 (and the habit's life, archiving) in plain words; None when the day can
    be changed."""
    if day > today:
        return "This day has not happened yet: days can be logged up to today."
    window = habit.backfill_days
    if window is not None and day < today - timedelta(days=window):
        if window == 0:
            reach = "only today"
        else:
            reach = f"from {short_date(today - timedelta(days=window))} to today"
        return (
            f"This day is outside the habit's backfill window of {window} "
            f"day{'' if window == 1 else 's'}: it can change {reach}. "
            "Widen the window on the habit's Edit page to change older days."
        )
    if day < habit.start_date:
        return f"The habit starts on {short_date(habit.start_date)}: this day is before it."
    if habit.end_date is not None and day > habit.end_date:
        return f"The habit ended on {short_date(habit.end_date)}: this day is after it."
    if habit.archived_at is not None:
        return "This habit is archived: restore it on the Habits page to change its days."
    return None


async def _entry(session: AsyncSession, habit: Habit, day: date) -> Entry | None:
    return await session.scalar(
        select(Entry).where(
            Entry.habit_id == habit.id, Entry.user_id == habit.user_id, Entry.local_date == day
        )
    )


def _target_text(habit: Habit) -> str | None:
    if habit.kind != "measurable" or habit.target_value is None:
        return None
    amount = format_value(habit.target_value, habit.unit)
    return f"at most {amount}" if habit.direction == "at_most" else f"at least {amount}"


def _logged_text(entry: Entry | None, habit: Habit) -> str:
    if entry is None:
        return "Nothing logged."
    words = {"done": "Done", "skipped": "Skipped", "failed": "Missed"}[entry.status]
    if habit.polarity == "quit" and entry.status == "failed":
        words = "Slipped"
    value = format_value(entry.value, habit.unit) if entry.status != "skipped" else None
    return f"{words}, {value}." if value else f"{words}."


def _form_of(entry: Entry | None) -> DayForm:
    if entry is None:
        return DayForm(NONE, "", "")
    amount = format_value(entry.value, None) or ""
    return DayForm(entry.status, amount, entry.note or "")


async def load(
    session: AsyncSession,
    user: User,
    habit_id: uuid.UUID,
    day: date,
    *,
    form: DayForm | None = None,
) -> DayEditor:
    """The editor of `day` (the user's own habit, else 404), with the day's entry or
    the submitted `form` (to show it again with its errors)."""
    habit = await habit_queries.get_habit(session, user, habit_id)
    today = today_of(user)
    entry = await _entry(session, habit, day)
    return DayEditor(
        habit_id=habit.id,
        habit_name=habit.name,
        measurable=habit.kind == "measurable",
        unit=habit.unit,
        target_text=_target_text(habit),
        day=day,
        title=long_date(day),
        short=short_date(day),
        choices=choices_for(habit),
        form=form or _form_of(entry),
        problem=window_problem(habit, day, today),
        entry_text=_logged_text(entry, habit),
    )


def read_form(habit: Habit, fields: dict[str, str]) -> tuple[DayForm, float | None]:
    """The submitted fields, checked: every problem at once, each naming its field."""
    form = DayForm(
        status=fields.get("status", "").strip(),
        amount=fields.get("amount", "").strip(),
        note=fields.get("note", "").replace("\r\n", "\n").strip(),
    )
    errors: list[FieldError] = []
    allowed = [choice.value for choice in choices_for(habit)]
    if form.status not in allowed:
        words = ", ".join(choice.label for choice in choices_for(habit))
        errors.append(FieldError("status", f"Choose one of: {words}.", "one_of"))
    amount: float | None = None
    if habit.kind == "measurable" and form.amount:
        try:
            amount = float(form.amount.replace(",", "."))
        except ValueError:
            errors.append(FieldError("amount", "Enter a number, like 5 or 2.5.", "number"))
        else:
            if not math.isfinite(amount) or amount < 0 or amount > AMOUNT_LIMIT:
                errors.append(
                    FieldError("amount", f"Enter a number from 0 to {AMOUNT_LIMIT:,}.", "range")
                )
                amount = None
    if habit.kind == "measurable" and form.status == "done" and amount is None and not errors:
        errors.append(FieldError("amount", "Enter the amount for this day.", "required"))
    if len(form.note) > NOTE_LIMIT:
        errors.append(
            FieldError(
                "note",
                f"Keep the note to {NOTE_LIMIT} characters (it has {len(form.note)}).",
                "max_length",
            )
        )
    if "\x00" in form.note:
        errors.append(FieldError("note", "The note has a character that cannot be kept.", "nul"))
    if form.status == NONE and form.note:
        errors.append(
            FieldError(
                "note", "A note is kept with a logged day: choose a status for the day.", "status"
            )
        )
    if errors:
        raise ValidationFailed(errors, "Please check the day's fields.")
    return form, amount


async def save(
    session: AsyncSession, user: User, habit_id: uuid.UUID, day: date, fields: dict[str, str]
) -> DayForm:
    """Write the day as the form says, through the API's service (D4.3, events). Raises
    ValidationFailed with plain words per field (the window: field `day`)."""
    habit = await habit_queries.get_habit(session, user, habit_id)
    problem = window_problem(habit, day, today_of(user))
    form, amount = read_form(habit, fields)
    if problem is not None:
        raise ValidationFailed([FieldError("day", problem, "backfill_window")], problem)
    try:
        if form.status == NONE:
            await registry.port(DAY_WRITER).remove_entry(session, user, habit_id, day=day)
        else:
            await registry.port(DAY_WRITER).set_entry(
                session,
                user,
                habit_id,
                day=day,
                status=form.status,
                value=amount if habit.kind == "measurable" and form.status != "skipped" else None,
                note=form.note or None,
                source="web",
            )
    except ValidationFailed as error:
        # The service's own check (a race with the clock at midnight): its words are
        # for API clients, so the day's field carries them in the form's words.
        plain = window_problem(habit, day, today_of(user))
        raise ValidationFailed(
            [FieldError("day", plain or e.message, e.rule) for e in error.errors],
            error.message,
        ) from None
    except AppError as error:
        raise ValidationFailed([FieldError("day", error.message, error.code)]) from None
    return form


def saved_words(short: str, form: DayForm) -> str:
    """The confirmation after a save ("Sat 21 Nov: saved.")."""
    return f"{short}: cleared." if form.status == NONE else f"{short}: saved."
