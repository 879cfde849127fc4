"""The coach over the REST API with no model configured (issue 17, D13): classify, make
and start a plan, Today's tasks, ticking (a coin once, D11.1), regenerating, deleting,
charlie-cannot-see-alice, 422s naming fields, export and account deletion."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import time_machine
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.coach import calls, plan_rules, service
from habitus.coach import jobs as coach_jobs
from habitus.models import CoachPlan, CoachTask, Habit, RewardLedgerRow, User
from habitus.registry import JobContext
from tests.conftest import FROZEN_AT
from tests.fixtures.personas import Persona
from tests.habits.helpers import error_fields, problem, travel

API = "/api/v1"
TODAY = FROZEN_AT.date()


async def make_plan(client: httpx.AsyncClient, persona: Persona, **fields: Any) -> dict[str, Any]:
    body = {
        "goal": "I want to stop scrolling on my phone at night",
        "answers": [
            {"question": "What gets in the way?", "answer": "boredom after dinner"},
        ],
        **fields,
    }
    response = await client.post(f"{API}/coach/plans", json=body, headers=persona.headers)
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


def tasks_on(plan: dict[str, Any], day: date) -> list[dict[str, Any]]:
    return [task for task in plan["tasks"] if task["date"] == day.isoformat()]


async def test_classify_offline_says_so(client: httpx.AsyncClient, alice: Persona) -> None:
    """D13.1: build or quit and 3-5 questions; with no model the offline coach answers
    and says so (`source`)."""
    response = await client.post(
        f"{API}/coach/classify", json={"goal": "Quit smoking for good"}, headers=alice.headers
    )
    assert response.status_code == 200, response.text
    found = response.json()
    assert (found["kind"], found["source"]) == ("quit", "offline")
    assert 3 <= len(found["questions"]) <= 5
    empty = await client.post(f"{API}/coach/classify", json={"goal": ""}, headers=alice.headers)
    assert error_fields(problem(empty, 422)) == ["goal"]


async def test_a_plan_is_made_started_and_shown_on_today(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    alice: Persona,
    db_session: AsyncSession,
) -> None:
    """D13.2: 21 days x exactly 3 tasks, each <= 120 characters, none alike; its habit
    exists (polarity from the classification, daily, from the plan's first day); D13.3:
    GET /today lists today's 3 tasks under that habit, and only today's."""
    plan = await make_plan(client, alice)
    assert (plan["days"], plan["kind"], plan["source"], plan["status"]) == (
        21,
        "quit",
        "offline",
        "active",
    )
    assert len(plan["tasks"]) == 63
    assert all(len(task["text"]) <= plan_rules.MAX_TASK_CHARS for task in plan["tasks"])
    assert len({plan_rules.normalise_task(task["text"]) for task in plan["tasks"]}) == 63
    days = sorted({task["date"] for task in plan["tasks"]})
    assert days[0] == TODAY.isoformat()
    assert len(days) == 21
    habit = await db_session.get(Habit, uuid.UUID(plan["habit_id"]))
    await db_session.commit()
    assert habit is not None
    assert (habit.polarity, habit.start_date) == ("quit", TODAY)
    today = (await client.get(f"{API}/today", headers=alice.headers)).json()
    [item] = [entry for entry in today["items"] if entry["habit"]["id"] == plan["habit_id"]]
    assert [task["text"] for task in item["tasks"]] == [
        task["text"] for task in tasks_on(plan, TODAY)
    ]
    assert [task["position"] for task in item["tasks"]] == [1, 2, 3]


async def test_ticking_pays_one_coin_per_task_once(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    alice: Persona,
    db_session: AsyncSession,
) -> None:
    """D13.3 + D11.1: ticking a task pays a coin, keyed by the task: untick and tick
    again pay nothing more; progress is done / due so far; a later day's task is a
    422 naming `date`."""
    plan = await make_plan(client, alice, days=7)
    first, second, _third = tasks_on(plan, TODAY)
    for _ in range(2):
        ticked = await client.post(f"{API}/coach/tasks/{first['id']}/done", headers=alice.headers)
        assert ticked.status_code == 200, ticked.text
        assert ticked.json()["done"] is True
    untick = await client.delete(f"{API}/coach/tasks/{first['id']}/done", headers=alice.headers)
    assert untick.status_code == 204
    again = await client.post(f"{API}/coach/tasks/{first['id']}/done", headers=alice.headers)
    assert again.status_code == 200
    await client.post(f"{API}/coach/tasks/{second['id']}/done", headers=alice.headers)
    coins = await db_session.scalar(
        select(func.count()).where(
            RewardLedgerRow.user_id == alice.id, RewardLedgerRow.kind == "coach_task"
        )
    )
    await db_session.commit()
    assert coins == 2
    found = (await client.get(f"{API}/coach/plans/{plan['id']}", headers=alice.headers)).json()
    assert found["progress"] == {"done": 2, "due": 3, "ratio": round(2 / 3, 4)}
    [later, *_] = tasks_on(plan, TODAY + timedelta(days=1))
    early = await client.post(f"{API}/coach/tasks/{later['id']}/done", headers=alice.headers)
    assert error_fields(problem(early, 422)) == ["date"]


async def test_charlie_cannot_see_or_touch_alices_plan(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """Issue 17: another user's plan and tasks answer 404 everywhere; lists hold only
    one's own."""
    plan = await make_plan(client, alice, days=7)
    task = plan["tasks"][0]["id"]
    base = f"{API}/coach/plans/{plan['id']}"
    for response in (
        await client.get(base, headers=charlie.headers),
        await client.delete(base, headers=charlie.headers),
        await client.post(f"{base}/start", headers=charlie.headers),
        await client.post(f"{base}/regenerate-rest", headers=charlie.headers),
        await client.post(
            f"{base}/regenerate-day", json={"date": TODAY.isoformat()}, headers=charlie.headers
        ),
        await client.post(f"{API}/coach/tasks/{task}/done", headers=charlie.headers),
        await client.delete(f"{API}/coach/tasks/{task}/done", headers=charlie.headers),
    ):
        problem(response, 404)
    listed = (await client.get(f"{API}/coach/plans", headers=charlie.headers)).json()
    assert listed["items"] == []
    still = (await client.get(base, headers=alice.headers)).json()
    assert still["tasks"][0]["done"] is False


async def test_bad_input_is_a_422_naming_the_field(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 17: goal 1..500, days 7..66, kind build|quit, at most 5 answers, start_date
    near today; nothing is written."""
    cases = [
        ({"goal": ""}, "goal"),
        ({"goal": "x" * 501}, "goal"),
        ({"goal": "Read", "days": 6}, "days"),
        ({"goal": "Read", "days": 67}, "days"),
        ({"goal": "Read", "kind": "maybe"}, "kind"),
        ({"goal": "Read", "answers": [{"question": "q", "answer": "a"}] * 6}, "answers"),
        ({"goal": "Read", "start_date": "2020-01-01"}, "start_date"),
        ({"goal": "Read", "surprise": 1}, "surprise"),
    ]
    for body, field in cases:
        response = await client.post(f"{API}/coach/plans", json=body, headers=alice.headers)
        assert field in error_fields(problem(response, 422)), (body, response.text)
    assert await db_session.scalar(select(func.count()).select_from(CoachPlan)) == 0
    await db_session.commit()


async def test_regenerating_a_day_and_the_rest(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    alice: Persona,
) -> None:
    """Issue 17: "too hard" replaces the day's tasks not done yet (a done one stays)
    with easier ones none of which repeats a task of the plan; regenerating the rest
    replaces every day after today and keeps today; the plan stays D13.2-valid."""
    plan = await make_plan(client, alice, goal="Read more books", kind="build")
    today = tasks_on(plan, TODAY)
    await client.post(f"{API}/coach/tasks/{today[0]['id']}/done", headers=alice.headers)
    response = await client.post(
        f"{API}/coach/plans/{plan['id']}/regenerate-day",
        json={"date": TODAY.isoformat()},
        headers=alice.headers,
    )
    assert response.status_code == 200, response.text
    after = response.json()
    new_today = tasks_on(after, TODAY)
    assert new_today[0]["text"] == today[0]["text"]
    assert {t["text"] for t in new_today[1:]}.isdisjoint({t["text"] for t in today[1:]})
    assert len({plan_rules.normalise_task(t["text"]) for t in after["tasks"]}) == 63

    rest = await client.post(
        f"{API}/coach/plans/{plan['id']}/regenerate-rest", headers=alice.headers
    )
    assert rest.status_code == 200, rest.text
    remade = rest.json()
    assert tasks_on(remade, TODAY) == new_today
    later_before = {t["text"] for t in after["tasks"] if t["date"] > TODAY.isoformat()}
    later_after = {t["text"] for t in remade["tasks"] if t["date"] > TODAY.isoformat()}
    assert len(later_after) == 60
    assert later_after != later_before
    assert len({plan_rules.normalise_task(t["text"]) for t in remade["tasks"]}) == 63
    past = await client.post(
        f"{API}/coach/plans/{plan['id']}/regenerate-day",
        json={"date": (TODAY - timedelta(days=1)).isoformat()},
        headers=alice.headers,
    )
    assert error_fields(problem(past, 422)) == ["date"]


async def test_deleting_a_plan_keeps_its_habit_unless_asked(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 17: DELETE /coach/plans/{id} removes the plan and its tasks; the habit
    stays unless delete_habit=true."""
    kept = await make_plan(client, alice, days=7)
    gone = await make_plan(client, alice, days=7, goal="Drink more water")
    assert (
        await client.delete(f"{API}/coach/plans/{kept['id']}", headers=alice.headers)
    ).status_code == 204
    assert (
        await client.delete(
            f"{API}/coach/plans/{gone['id']}?delete_habit=true", headers=alice.headers
        )
    ).status_code == 204
    assert await db_session.scalar(select(func.count()).select_from(CoachTask)) == 0
    habits = set(await db_session.scalars(select(Habit.id).where(Habit.user_id == alice.id)))
    await db_session.commit()
    assert uuid.UUID(kept["habit_id"]) in habits
    assert uuid.UUID(gone["habit_id"]) not in habits


async def test_account_deletion_takes_the_plans(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona, db_session: AsyncSession
) -> None:
    """Issue 17: deleting an account deletes its plans and tasks, not anyone else's."""
    await make_plan(client, alice, days=7)
    await make_plan(client, bob, days=7)
    deleted = await client.request(
        "DELETE",
        f"{API}/me",
        json={"password": alice.password},
        headers=alice.headers,
    )
    assert deleted.status_code == 204, deleted.text
    owners = list(await db_session.scalars(select(CoachPlan.user_id)))
    tasks = await db_session.scalar(select(func.count()).where(CoachTask.user_id == alice.id))
    await db_session.commit()
    assert owners == [bob.id]
    assert tasks == 0


async def test_a_plan_left_generating_is_taken_over_once(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    db_session: AsyncSession,
) -> None:
    """Issue 17: a plan whose writing stopped with its process (`generating` past its
    lease) is made by the worker; two workers at once make it once."""
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        user = await session.get(User, alice.id)
        assert user is not None
        spec = service.PlanSpec("Meditate daily", "build", (), 7, None)
        requested = await service.request_plan(session, app.state.ctx, user, spec)
        plan_id = requested.id
    context = JobContext(app.state.sessionmaker, app.state.settings, "test-worker")
    assert await coach_jobs.take_over(context) == 0  # the lease still runs
    frozen_clock.move_to(FROZEN_AT + timedelta(minutes=5))
    made = await asyncio.gather(coach_jobs.take_over(context), coach_jobs.take_over(context))
    assert sum(made) == 1
    plan = await db_session.get(CoachPlan, plan_id)
    tasks = await db_session.scalar(select(func.count()).where(CoachTask.plan_id == plan_id))
    await db_session.commit()
    assert plan is not None
    assert (plan.status, plan.source, tasks) == ("draft", "offline", 21)
    started = await client.post(f"{API}/coach/plans/{plan_id}/start", headers=alice.headers)
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "active"
    again = await client.post(f"{API}/coach/plans/{plan_id}/start", headers=alice.headers)
    problem(again, 409)


async def test_a_draft_started_on_a_later_day_starts_that_day(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
) -> None:
    """D13.2/D13.3: a draft written yesterday and started today begins today: its days
    move with it, so nothing is missed before the user began."""
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        user = await session.get(User, alice.id)
        assert user is not None
        spec = service.PlanSpec("Drink more water", "build", (), 7, None)
        plan_id = (await service.request_plan(session, app.state.ctx, user, spec)).id
    assert await service.generate(app.state.sessionmaker, calls.client_of(app.state.ctx), plan_id)
    drafted = (await client.get(f"{API}/coach/plans/{plan_id}", headers=alice.headers)).json()
    await travel(frozen_clock, client, alice, FROZEN_AT + timedelta(days=2))
    later = FROZEN_AT.date() + timedelta(days=2)
    started = await client.post(f"{API}/coach/plans/{plan_id}/start", headers=alice.headers)
    assert started.status_code == 200, started.text
    plan = started.json()
    assert plan["start_date"] == later.isoformat()
    assert [t["text"] for t in tasks_on(plan, later)] == [
        t["text"] for t in tasks_on(drafted, TODAY)
    ]
    assert plan["progress"]["due"] == 3
