"""Issue 13 item 1: the new-habit form sets a reminder too ("Remind me at", and days),
in one transaction through the reminders feature's rules (DOMAIN.md D9.1: a reminder
without days follows the habit's required days)."""

from __future__ import annotations

from sqlalchemy import func, select

from habitus.models import Habit, Reminder
from tests.habits.test_web import error_of, post_form, signed_in


async def _counts(db_session) -> tuple[int, int]:
    habits = await db_session.scalar(select(func.count()).select_from(Habit))
    reminders = await db_session.scalar(select(func.count()).select_from(Reminder))
    return int(habits or 0), int(reminders or 0)


async def test_a_habit_and_its_reminder_are_created_together(client, alice, db_session):
    """D9.1: the reminder belongs to the new habit; no days ticked: the habit's days."""
    async with signed_in(client, alice) as web:
        response = await post_form(
            web, "/habits/new", "/habits/new", name="Stretch", reminder_time="07:30"
        )
    assert response.status_code == 303, response.text
    habit = (await db_session.scalars(select(Habit))).one()
    reminder = (await db_session.scalars(select(Reminder))).one()
    assert (reminder.habit_id, reminder.time, reminder.days) == (habit.id, "07:30", None)
    assert reminder.next_fire_at is not None


async def test_the_reminder_days_are_kept(client, alice, db_session):
    """D9.1: days ticked on the form are the reminder's days."""
    async with signed_in(client, alice) as web:
        response = await post_form(
            web,
            "/habits/new",
            "/habits/new",
            name="Stretch",
            reminder_time="18:05",
            reminder_day_mon="on",
            reminder_day_thu="on",
        )
    assert response.status_code == 303, response.text
    reminder = (await db_session.scalars(select(Reminder))).one()
    assert reminder.days == ["mon", "thu"]


async def test_no_time_no_reminder(client, alice, db_session):
    """Issue 13: the reminder is optional."""
    async with signed_in(client, alice) as web:
        response = await post_form(web, "/habits/new", "/habits/new", name="Stretch")
    assert response.status_code == 303
    assert await _counts(db_session) == (1, 0)


async def test_a_bad_time_shows_by_the_field_and_creates_nothing(client, alice, db_session):
    """Issue 13: a bad time is a field error in plain words; neither habit nor reminder
    is written, and the other fields' errors show as well."""
    async with signed_in(client, alice) as web:
        response = await post_form(
            web, "/habits/new", "/habits/new", name="Stretch", reminder_time="25:99"
        )
        assert response.status_code == 422
        assert "like 07:30" in error_of(response.text, "reminder_time")
        both = await post_form(web, "/habits/new", "/habits/new", name="", reminder_time="7pm")
        assert both.status_code == 422
        assert error_of(both.text, "name") == "Give the habit a name."
        assert "like 07:30" in error_of(both.text, "reminder_time")
        days_only = await post_form(
            web, "/habits/new", "/habits/new", name="Stretch", reminder_day_mon="on"
        )
        assert days_only.status_code == 422
        assert "time" in error_of(days_only.text, "reminder_time")
    assert await _counts(db_session) == (0, 0)
