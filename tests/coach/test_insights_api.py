"""Insights over the API (issue 18, D14): predictions (the user's model, or the baseline
while data is thin), alerts and their inbox notices (one per habit per week, none in a
break), retraining every 20 completions (exactly once, even with two workers and a
burst of 40), on demand (202), isolation and account deletion."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import time_machine
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.coach import commands, insights
from habitus.models import (
    AlertNotice,
    Notification,
    PredictionModel,
    TrainingState,
)
from habitus.registry import JobContext
from tests.conftest import FROZEN_AT
from tests.fixtures.events import read_through
from tests.fixtures.live import habitus_env, run_cli
from tests.fixtures.personas import Persona
from tests.habits.helpers import create_habit, entry_put, error_fields, problem

API = "/api/v1"
TODAY = FROZEN_AT.date()  # a Saturday


def job(app: FastAPI) -> JobContext:
    return JobContext(app.state.sessionmaker, app.state.settings, "test-worker")


async def history_of(
    client: httpx.AsyncClient,
    persona: Persona,
    days: int,
    done: Any,
    name: str = "Walk",
) -> dict[str, Any]:
    """A daily habit started `days` ago, done on the days `done(day)` says (the rest
    missed, D5)."""
    start = TODAY - timedelta(days=days)
    habit = await create_habit(
        client, persona, name=name, start_date=start.isoformat(), backfill_days=None
    )
    for back in range(days, 0, -1):
        day = TODAY - timedelta(days=back)
        if done(day):
            await entry_put(client, persona, habit["id"], day.isoformat(), status="done")
    return habit


async def get_insights(client: httpx.AsyncClient, persona: Persona) -> dict[str, Any]:
    response = await client.get(f"{API}/insights", headers=persona.headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def test_thin_data_gives_the_labelled_baseline(
    frozen_clock: time_machine.Coordinates, client: httpx.AsyncClient, alice: Persona
) -> None:
    """D14.2: with fewer than 30 labelled days the prediction is the baseline (the
    smoothed weekday rate over 30 days) and says `model: "baseline"`."""
    habit = await history_of(client, alice, 10, lambda day: day.weekday() < 5)
    found = await get_insights(client, alice)
    [prediction] = found["predictions"]
    assert prediction["habit_id"] == habit["id"]
    assert prediction["model"] == "baseline"
    assert prediction["date"] == TODAY.isoformat()
    assert 0 < prediction["probability"] < 1
    assert found["rate_7d"] == round(5 / 7, 4)


async def test_a_trained_model_predicts_and_explains(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    db_session: AsyncSession,
) -> None:
    """D14.1/D14.2: 90 days done on weekdays, missed at weekends: the trained model
    (coefficients stored as JSON) gives this Saturday a low probability, and says why
    in plain words."""
    await history_of(client, alice, 90, lambda day: day.weekday() < 5)
    response = await client.post(f"{API}/insights/train", headers=alice.headers)
    assert response.status_code == 202, response.text
    assert await insights.train_due(job(app)) == 1
    stored = await db_session.get(PredictionModel, alice.id)
    await db_session.commit()
    assert stored is not None
    assert isinstance(stored.model, dict)
    [prediction] = (await get_insights(client, alice))["predictions"]
    assert prediction["model"] == "logistic"
    assert prediction["samples"] >= 60
    assert prediction["probability"] < 0.3
    assert prediction["why"]


async def test_twenty_completions_train_once_even_in_a_burst_of_forty(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    db_session: AsyncSession,
) -> None:
    """D14.2: 19 completions: not due; 40 in a burst: due once; two workers at once
    train once; the count starts again from what the training covered."""
    habit = await history_of(client, alice, 19, lambda _day: True)
    await read_through(app.state.sessionmaker, app.state.settings)
    state = await db_session.get(TrainingState, alice.id)
    await db_session.commit()
    assert state is not None
    assert (state.completions, state.due_at) == (19, None)
    other = await history_of(client, alice, 21, lambda _day: True, name="Read")
    assert other["id"] != habit["id"]
    await read_through(app.state.sessionmaker, app.state.settings)
    trained = await asyncio.gather(insights.train_due(job(app)), insights.train_due(job(app)))
    assert sum(trained) == 1
    state = await db_session.get(TrainingState, alice.id)
    await db_session.refresh(state)
    await db_session.commit()
    assert state is not None
    assert (state.completions, state.due_at) == (0, None)
    assert state.last_trained_at is not None
    assert await insights.train_due(job(app)) == 0


async def test_alerts_reach_the_inbox_once_a_week_and_never_in_a_break(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    db_session: AsyncSession,
) -> None:
    """D14.3: a habit missed its last 2 required days: a `missed_habit` alert with one
    action; the worker's daily pass puts it in the inbox once, and not again that week;
    a habit in a break raises none; dismissing hides the card."""
    missed = await history_of(client, alice, 12, lambda day: day < TODAY - timedelta(days=2))
    resting = await history_of(
        client, alice, 12, lambda day: day < TODAY - timedelta(days=2), name="Swim"
    )
    made = await client.post(
        f"{API}/breaks",
        json={
            "habit_id": resting["id"],
            "start_date": (TODAY - timedelta(days=2)).isoformat(),
            "end_date": (TODAY + timedelta(days=3)).isoformat(),
        },
        headers=alice.headers,
    )
    assert made.status_code == 201, made.text
    found = await get_insights(client, alice)
    kinds = {(alert["habit_id"], alert["kind"]) for alert in found["alerts"]}
    assert (missed["id"], "missed_habit") in kinds
    assert all(habit_id != resting["id"] for habit_id, _ in kinds)
    alert = next(a for a in found["alerts"] if a["kind"] == "missed_habit")
    assert alert["action"]
    assert alert["action_url"].startswith("/")

    assert await insights.check_alerts(job(app)) >= 1
    assert await insights.check_alerts(job(app)) == 0  # checked today already
    frozen_clock.move_to(FROZEN_AT + timedelta(days=1))
    assert await insights.check_alerts(job(app)) == 0  # the same week: no second notice
    await read_through(app.state.sessionmaker, app.state.settings)
    cards = await db_session.scalar(
        select(func.count()).where(Notification.user_id == alice.id, Notification.kind == "alert")
    )
    notices = await db_session.scalar(
        select(func.count()).where(AlertNotice.habit_id == uuid.UUID(missed["id"]))
    )
    await db_session.commit()
    assert notices == 1
    assert cards is not None
    assert cards >= 1

    frozen_clock.move_to(FROZEN_AT)
    dismissed = await client.post(
        f"{API}/insights/alerts/dismiss",
        json={"habit_id": missed["id"], "kind": "missed_habit"},
        headers=alice.headers,
    )
    assert dismissed.status_code == 204, dismissed.text
    after = await get_insights(client, alice)
    assert all(
        a["habit_id"] != missed["id"] or a["kind"] != "missed_habit" for a in after["alerts"]
    )


async def test_charlie_sees_only_his_own(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    alice: Persona,
    charlie: Persona,
) -> None:
    """Issue 18: another user's habits are in no prediction; dismissing an alert of
    alice's habit is a 404 for charlie; a bad kind is a 422 naming `kind`."""
    habit = await history_of(client, alice, 5, lambda _day: True)
    found = await get_insights(client, charlie)
    assert found["predictions"] == []
    assert found["alerts"] == []
    other = await client.post(
        f"{API}/insights/alerts/dismiss",
        json={"habit_id": habit["id"], "kind": "missed_habit"},
        headers=charlie.headers,
    )
    problem(other, 404)
    bad = await client.post(
        f"{API}/insights/alerts/dismiss",
        json={"habit_id": habit["id"], "kind": "boredom"},
        headers=alice.headers,
    )
    assert error_fields(problem(bad, 422)) == ["kind"]


async def test_account_deletion_takes_the_model_and_bookkeeping(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    db_session: AsyncSession,
) -> None:
    """Issue 18: deleting the account deletes its model, training state and notices."""
    await history_of(client, alice, 60, lambda day: day.weekday() < 5)
    await client.post(f"{API}/insights/train", headers=alice.headers)
    await insights.train_due(job(app))
    await insights.check_alerts(job(app))
    deleted = await client.request(
        "DELETE", f"{API}/me", json={"password": alice.password}, headers=alice.headers
    )
    assert deleted.status_code == 204, deleted.text
    for model in (PredictionModel, TrainingState, AlertNotice):
        assert await db_session.scalar(select(func.count()).select_from(model)) == 0, model
    await db_session.commit()


def test_the_week_of_follows_the_users_week_start() -> None:
    """D14.3's "one per habit per week" uses the user's week start (D3.1)."""

    class Someone:
        week_start = "sun"

    assert insights.week_of(date(2026, 11, 21), Someone()) == date(2026, 11, 15)  # type: ignore[arg-type]


async def test_habitus_train_retrains_one_user(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    db_session: AsyncSession,
) -> None:
    """D14.2 on demand: what `habitus train --user EMAIL` runs trains and stores the
    model and says on how many days (in this process: a second process on the suite's
    SQLite file broke its connections with "disk I/O error")."""
    await history_of(client, alice, 60, lambda day: day.weekday() < 5)
    done = await commands.train(app.state.settings, alice.email.upper(), show=False)
    assert done.found
    assert done.model == "logistic"
    assert done.samples >= 50
    assert await db_session.get(PredictionModel, alice.id) is not None
    await db_session.commit()


def test_habitus_train_names_an_unknown_email(fresh_database_url: str, tmp_path: Path) -> None:
    """`habitus train --user` for an address with no account exits 1 and says so (a real
    process, on a database of its own)."""
    env = habitus_env(fresh_database_url, tmp_path)
    unknown = run_cli("train", "--user", "nobody@example.org", env=env)
    assert unknown.returncode == 1, unknown.stderr
    assert "No account" in unknown.stderr
