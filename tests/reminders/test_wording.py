"""Reminder words by polarity (issue 13, item 6): a quit habit is never "Time for No
alcohol". One firing, and every channel's text is the same words: the webhook payload,
the inbox, and the text email, push and Apprise send (all made from `messages`)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import time_machine
from fastapi import FastAPI

from habitus.reminders import messages
from tests.fixtures.personas import Persona
from tests.habits.helpers import API, create_habit, travel
from tests.reminders.conftest import Sink, run_worker
from tests.reminders.test_engine import EVENING, inbox, reminder, webhook


def test_build_and_quit_habits_are_worded_by_polarity() -> None:
    """D9: a build habit asks to do it; a quit habit asks to keep clean."""
    build = messages.habit_reminder("Read", 3, "day", "build")
    assert (build.title, build.body) == ("Read", "Time for Read. Keep your 3-day streak going.")
    quit_ = messages.habit_reminder("No alcohol", 0, "day", "quit")
    assert quit_.title == "Stay on track: No alcohol"
    assert quit_.body == "Check in: No alcohol \N{EN DASH} still clean today?"
    assert "Time for" not in quit_.title + quit_.body
    clean = messages.habit_reminder("No alcohol", 12, "day", "quit")
    assert clean.body.endswith("Keep your 12-day streak going.")


async def test_a_quit_habit_reminder_reads_right_in_the_webhook_and_the_inbox(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    sink: Sink,
) -> None:
    """D9.1: the firing words a quit habit's reminder by its polarity, in every channel."""
    habit = await create_habit(client, alice, name="No alcohol", polarity="quit")
    await webhook(client, alice, sink)
    await reminder(client, alice, habit["id"])
    await travel(frozen_clock, client, alice, EVENING)
    assert await run_worker(app) == (1, 1)
    sent = sink.received[0].json
    assert sent["title"] == "Stay on track: No alcohol"
    assert "still clean today?" in sent["message"]
    assert "Time for" not in sent["message"]
    items = await inbox(client, alice)
    assert [(item["title"], item["body"]) for item in items] == [
        ("Stay on track: No alcohol", sent["message"])
    ]


async def test_a_quit_habit_is_never_to_do_nor_a_streak_at_risk(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    sink: Sink,
) -> None:
    """D2.2: a quit habit's day is complete unless a slip is logged, so doing nothing
    puts no streak at risk and leaves nothing to do: the evening nudge leaves it out and
    the digest names it apart, as one to stay on track with."""
    await travel(frozen_clock, client, alice, datetime(2026, 11, 16, 8, 0, tzinfo=UTC))
    await create_habit(client, alice, name="Walk", start_date="2026-11-16")
    await create_habit(client, alice, name="No alcohol", polarity="quit", start_date="2026-11-16")
    await webhook(client, alice, sink)
    saved = await client.put(
        f"{API}/me/notification-settings",
        json={
            "streak_at_risk": {"enabled": True, "time": "20:00"},
            "daily_digest": {"enabled": True, "time": "19:30"},
        },
        headers=alice.headers,
    )
    assert saved.status_code == 200, saved.text
    # By Saturday evening No alcohol has a clean streak of 5 days, Walk none.
    await travel(frozen_clock, client, alice, datetime(2026, 11, 21, 20, 0, 30, tzinfo=UTC))
    await run_worker(app)
    sent = {item.json["event"]: item.json for item in sink.received}
    assert "streak_at_risk" not in sent  # Walk has no streak, No alcohol is not at risk
    digest = sent["digest"]
    assert digest["title"] == "1 habit left today"
    assert digest["message"].endswith("• Walk\n\nStay on track:\n• No alcohol")
