"""The coach's pages over HTTP with no model configured (issue 17, D13): the whole flow
without JavaScript (goal -> questions -> a plan written in the background -> review ->
start -> Today's tasks -> tick), "too hard", deleting with and without the habit,
CSRF on every form, charlie gets 404 on alice's plan, user text escaped."""

from __future__ import annotations

import asyncio
import html
import re
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import time_machine
from fastapi import FastAPI
from markupsafe import escape
from sqlalchemy import select

from habitus.coach import calls, service
from habitus.coach import web as coach_web
from habitus.models import CoachPlan, CoachTask, Habit
from tests.conftest import FROZEN_AT
from tests.fixtures.personas import Persona
from tests.fixtures.web import SignedIn as Web
from tests.fixtures.web import signed_in_at

TODAY = FROZEN_AT.date()
GOAL = "I want to stop scrolling on my phone at night"
PLAN_URL = re.compile(r"^/coach/plans/([0-9a-f-]{36})$")


@pytest.fixture
async def web(client: httpx.AsyncClient, alice: Persona) -> AsyncIterator[Web]:
    async for found in signed_in(client, alice):
        yield found


def signed_in(client: httpx.AsyncClient, persona: Persona) -> AsyncIterator[Web]:
    return signed_in_at(client, persona, "/coach")


def questions_of(page: str) -> list[tuple[str, str]]:
    return re.findall(r'name="(question_\d)" value="([^"]*)"', page)


async def wait_for_writers(app: FastAPI) -> None:
    """The background writers this app started (a test has no worker to wait for)."""
    running = list(app.state.tasks)
    if running:
        await asyncio.gather(*running)


async def plan_row(app: FastAPI, plan_id: uuid.UUID) -> CoachPlan | None:
    async with app.state.sessionmaker() as session:
        return await session.get(CoachPlan, plan_id)


async def tasks_of(app: FastAPI, plan_id: uuid.UUID) -> list[CoachTask]:
    async with app.state.sessionmaker() as session:
        rows = await session.scalars(
            select(CoachTask)
            .where(CoachTask.plan_id == plan_id)
            .order_by(CoachTask.date, CoachTask.position)
        )
        return list(rows)


def plan_form(page: str, **fields: str) -> dict[str, str]:
    """The questions page's form as a person fills it: every question answered."""
    data = {"goal": html.unescape(re.findall(r'name="goal" value="([^"]*)"', page)[0])}
    data["days"] = "7"
    for name, question in re.findall(r'name="(question_\d)" value="([^"]*)"', page):
        number = name.rsplit("_", 1)[1]
        data[name] = html.unescape(question)
        data[f"answer_{number}"] = f"answer {number}: boredom after dinner"
    data["kind"] = re.findall(r'name="kind" value="(\w+)" checked', page)[0]
    data.update(fields)
    return data


async def make_draft(web: Web, app: FastAPI, goal: str = GOAL, **fields: str) -> uuid.UUID:
    """Goal -> questions -> "Make my plan", then the background writer is awaited."""
    asked = await web.post("/coach/classify", {"goal": goal})
    assert asked.status_code == 200, asked.text
    made = await web.post("/coach/plans", plan_form(asked.text, **fields))
    assert made.status_code == 303, made.text
    found = PLAN_URL.match(made.headers["location"])
    assert found is not None, made.headers["location"]
    plan_id = uuid.UUID(found[1])
    await wait_for_writers(app)
    return plan_id


async def test_classify_shows_the_kind_and_the_questions(web: Web) -> None:
    """D13.1: the goal is classified (a radio choice, preselected) and 3-5 questions
    are asked, each with an answer field, the question sent back hidden; the plan
    length defaults to 21 days; the offline coach says it answered."""
    page = await web.post("/coach/classify", {"goal": "Quit smoking for good"})
    assert page.status_code == 200, page.text
    assert 'name="kind" value="quit" checked' in page.text
    assert 'name="kind" value="build" checked' not in page.text
    questions = questions_of(page.text)
    assert 3 <= len(questions) <= 5
    for name, _question in questions:
        number = name.rsplit("_", 1)[1]
        assert f'name="answer_{number}"' in page.text
    assert '<option value="21" selected>' in page.text
    assert "Answered by the offline coach." in page.text
    build = await web.post("/coach/classify", {"goal": "Read twenty pages every evening"})
    assert 'name="kind" value="build" checked' in build.text


async def test_an_empty_goal_is_refused_in_words(web: Web) -> None:
    """Issue 17: errors are flash messages naming the problem."""
    empty = await web.post("/coach/classify", {"goal": "   "})
    assert "Write a goal first." in await web.flash(empty)
    long = await web.post("/coach/classify", {"goal": "x" * 501})
    assert "The goal is too long" in await web.flash(long)
    missing = await web.post("/coach/plans", {"goal": GOAL, "days": "21"})
    assert missing.status_code == 422
    assert "Choose whether you want to build a habit or quit one." in missing.text
    odd = await web.post("/coach/plans", {"goal": GOAL, "kind": "build", "days": "400"})
    assert "Choose a plan length from 7 to 66 days." in odd.text


async def test_the_flow_without_javascript(
    frozen_clock: time_machine.Coordinates, web: Web, app: FastAPI, alice: Persona
) -> None:
    """D13.2 + D13.3: "Make my plan" makes a plan row and it is written in the
    background; the page shows the review (every day, 3 tasks each, the source);
    "Start this plan" makes the habit and goes to Today, which shows today's 3 tasks
    as checkboxes under it; ticking one ticks it and the plan's progress counts it."""
    plan_id = await make_draft(web, app)
    plan = await plan_row(app, plan_id)
    assert plan is not None
    assert (plan.user_id, plan.status, plan.days, plan.source) == (
        alice.id,
        "draft",
        7,
        "offline",
    )
    review = await web.client.get(f"/coach/plans/{plan_id}")
    assert review.status_code == 200
    tasks = await tasks_of(app, plan_id)
    assert len(tasks) == 21
    for task in tasks:
        assert str(escape(task.text)) in review.text
    assert review.text.count('class="card coach-day') == 7
    assert "Written by the offline coach." in review.text
    assert "Start this plan" in review.text
    assert "answer 1: boredom after dinner" in review.text  # what the user told it

    started = await web.post(f"/coach/plans/{plan_id}/start")
    assert started.status_code == 303
    assert started.headers["location"] == "/today"
    plan = await plan_row(app, plan_id)
    assert plan is not None
    assert plan.status == "active"
    assert plan.habit_id is not None
    async with app.state.sessionmaker() as session:
        habit = await session.get(Habit, plan.habit_id)
    assert habit is not None
    assert habit.user_id == alice.id
    today = await web.client.get("/today")
    assert "Your plan has started" in today.text
    todays = [task for task in tasks if task.date == TODAY]
    assert len(todays) == 3
    assert today.text.count('role="checkbox" aria-checked="false"') == 3
    for task in todays:
        assert f'action="/coach/tasks/{task.id}/toggle"' in today.text

    ticked = await web.post(f"/coach/tasks/{todays[0].id}/toggle", {"done": "1"})
    assert ticked.status_code == 303
    assert ticked.headers["location"] == f"/today#habit-{plan.habit_id}"
    again = await web.post(f"/coach/tasks/{todays[0].id}/toggle", {"done": "1"})  # twice
    assert again.status_code == 303
    after = await web.client.get("/today")
    assert after.text.count('role="checkbox" aria-checked="true"') == 1
    assert "1 of 3" in after.text
    page = await web.client.get(f"/coach/plans/{plan_id}")
    assert "1 of 3 tasks done so far" in page.text
    listing = await web.client.get("/coach")
    assert "1 of 3 tasks done" in listing.text
    untick = await web.post(f"/coach/tasks/{todays[0].id}/toggle", {"done": "0", "back": "plan"})
    assert untick.headers["location"] == f"/coach/plans/{plan_id}#day-{TODAY.isoformat()}"
    assert [task.done_at for task in await tasks_of(app, plan_id) if task.date == TODAY] == [
        None,
        None,
        None,
    ]


async def test_the_page_shows_progress_until_the_plan_is_written(
    web: Web, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17: while the plan is `generating` its page says so, with an indeterminate
    progress bar in a live region, and refreshes itself (a <noscript> refresh, coach.js
    polls the status); once written, the same address shows the review."""
    started: list[uuid.UUID] = []

    async def not_yet(_state: object, plan_id: uuid.UUID) -> None:
        started.append(plan_id)

    monkeypatch.setattr(coach_web, "_write_later", not_yet)
    asked = await web.post("/coach/classify", {"goal": GOAL})
    made = await web.post("/coach/plans", plan_form(asked.text))
    found = PLAN_URL.match(made.headers["location"])
    assert found is not None
    plan_id = uuid.UUID(found[1])
    assert started == [plan_id]  # asked for after the request, with the committed row's id
    plan = await plan_row(app, plan_id)
    assert plan is not None
    assert plan.status == "generating"
    waiting = await web.client.get(f"/coach/plans/{plan_id}")
    assert "The coach is writing your plan" in waiting.text
    assert '<meta http-equiv="refresh" content="2">' in waiting.text
    assert 'role="status"' in waiting.text
    assert "<progress" in waiting.text
    assert "Start this plan" not in waiting.text
    status = await web.client.get(f"/coach/plans/{plan_id}/status")
    assert status.json() == {"status": "generating"}
    refused = await web.post(f"/coach/plans/{plan_id}/start")
    assert "still being written" in await web.flash(refused)

    written = await service.generate(
        app.state.sessionmaker, calls.client_of(app.state.ctx), plan_id
    )
    assert written is True
    assert (await web.client.get(f"/coach/plans/{plan_id}/status")).json() == {"status": "draft"}
    ready = await web.client.get(f"/coach/plans/{plan_id}")
    assert "The coach is writing your plan" not in ready.text
    assert "Start this plan" in ready.text


async def test_too_hard_changes_only_the_undone_tasks(
    frozen_clock: time_machine.Coordinates, web: Web, app: FastAPI
) -> None:
    """Issue 17 "too hard": the day's tasks not done yet get new (easier) texts; a done
    one stays; past days cannot be changed (the button is not offered there)."""
    plan_id = await make_draft(web, app, goal="Read more books", kind="build")
    await web.post(f"/coach/plans/{plan_id}/start")
    before = [task for task in await tasks_of(app, plan_id) if task.date == TODAY]
    await web.post(f"/coach/tasks/{before[0].id}/toggle", {"done": "1"})
    easier = await web.post(f"/coach/plans/{plan_id}/days/{TODAY.isoformat()}/easier")
    assert easier.status_code == 303
    assert "Easier tasks for" in await web.flash(easier)
    after = [task for task in await tasks_of(app, plan_id) if task.date == TODAY]
    assert after[0].text == before[0].text
    assert {task.text for task in after[1:]}.isdisjoint({task.text for task in before[1:]})
    nonsense = await web.post(f"/coach/plans/{plan_id}/days/not-a-date/easier")
    assert "That is not a day of this plan." in await web.flash(nonsense)
    outside = TODAY + timedelta(days=30)
    past_end = await web.post(f"/coach/plans/{plan_id}/days/{outside.isoformat()}/easier")
    assert "is not a day of this plan" in await web.flash(past_end)
    rest = await web.post(f"/coach/plans/{plan_id}/regenerate-rest")
    assert "The days after today have new tasks." in await web.flash(rest)


async def test_delete_keeps_the_habit_unless_asked(web: Web, app: FastAPI) -> None:
    """Issue 17: deleting a plan keeps its habit unless "Also delete its habit" is
    ticked; a draft can be discarded; "Write it again" replaces a draft."""
    kept = await make_draft(web, app)
    await web.post(f"/coach/plans/{kept}/start")
    plan = await plan_row(app, kept)
    assert plan is not None
    kept_habit = plan.habit_id
    gone = await web.post(f"/coach/plans/{kept}/delete")
    assert "The plan is deleted." in await web.flash(gone)
    assert await plan_row(app, kept) is None
    async with app.state.sessionmaker() as session:
        assert await session.get(Habit, kept_habit) is not None

    both = await make_draft(web, app)
    await web.post(f"/coach/plans/{both}/start")
    plan = await plan_row(app, both)
    assert plan is not None
    both_habit = plan.habit_id
    gone = await web.post(f"/coach/plans/{both}/delete", {"with_habit": "on"})
    assert "The plan and its habit are deleted." in await web.flash(gone)
    async with app.state.sessionmaker() as session:
        assert await session.get(Habit, both_habit) is None

    draft = await make_draft(web, app)
    again = await web.post(f"/coach/plans/{draft}/rewrite")
    found = PLAN_URL.match(again.headers["location"])
    assert found is not None
    assert uuid.UUID(found[1]) != draft
    await wait_for_writers(app)
    assert await plan_row(app, draft) is None
    rewritten = await plan_row(app, uuid.UUID(found[1]))
    assert rewritten is not None
    assert (rewritten.status, rewritten.goal, rewritten.days) == ("draft", GOAL, 7)
    discarded = await web.post(f"/coach/plans/{rewritten.id}/delete")
    assert discarded.status_code == 303
    assert await plan_row(app, rewritten.id) is None


async def test_every_form_needs_the_csrf_token(web: Web, app: FastAPI) -> None:
    """Issue 17 + the web's CSRF rule: a form posted without the token writes nothing."""
    plan_id = await make_draft(web, app)
    [task, *_] = await tasks_of(app, plan_id)
    for path, data in (
        ("/coach/classify", {"goal": GOAL}),
        ("/coach/plans", {"goal": GOAL, "kind": "build", "days": "7"}),
        (f"/coach/plans/{plan_id}/start", {}),
        (f"/coach/plans/{plan_id}/rewrite", {}),
        (f"/coach/plans/{plan_id}/delete", {}),
        (f"/coach/plans/{plan_id}/regenerate-rest", {}),
        (f"/coach/plans/{plan_id}/days/{TODAY.isoformat()}/easier", {}),
        (f"/coach/tasks/{task.id}/toggle", {"done": "1"}),
    ):
        forged = await web.client.post(path, data=data)
        assert forged.status_code == 403, path
    plan = await plan_row(app, plan_id)
    assert plan is not None
    assert plan.status == "draft"
    async with app.state.sessionmaker() as session:
        assert len(list(await session.scalars(select(CoachPlan.id)))) == 1


async def test_charlie_gets_404_on_alices_plan(
    client: httpx.AsyncClient, web: Web, app: FastAPI, charlie: Persona
) -> None:
    """Issue 17: another user's plan and tasks are a 404 page, for every form too, and
    nothing of alice's changes."""
    plan_id = await make_draft(web, app)
    await web.post(f"/coach/plans/{plan_id}/start")
    [task, *_] = await tasks_of(app, plan_id)
    async for other in signed_in(client, charlie):
        for response in (
            await other.client.get(f"/coach/plans/{plan_id}"),
            await other.client.get(f"/coach/plans/{plan_id}/status"),
            await other.post(f"/coach/plans/{plan_id}/start"),
            await other.post(f"/coach/plans/{plan_id}/rewrite"),
            await other.post(f"/coach/plans/{plan_id}/delete", {"with_habit": "on"}),
            await other.post(f"/coach/plans/{plan_id}/regenerate-rest"),
            await other.post(f"/coach/plans/{plan_id}/days/{task.date.isoformat()}/easier"),
            await other.post(f"/coach/plans/{plan_id}/days/nonsense/easier"),
            await other.post(f"/coach/tasks/{task.id}/toggle", {"done": "1"}),
        ):
            assert response.status_code == 404, response.request.url
        listing = await other.client.get("/coach")
        assert str(plan_id) not in listing.text
    plan = await plan_row(app, plan_id)
    assert plan is not None
    assert plan.status == "active"
    assert all(row.done_at is None for row in await tasks_of(app, plan_id))


async def test_goals_and_answers_are_escaped(web: Web, app: FastAPI) -> None:
    """Issue 17: the goal and the answers are the user's text, shown as text: on the
    questions page, the plan list, the plan page."""
    goal = "Read more <script>alert(1)</script>"
    asked = await web.post("/coach/classify", {"goal": goal})
    assert "<script>alert(1)" not in asked.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in asked.text
    form = plan_form(asked.text, answer_1='<img src=x onerror="alert(2)">')
    assert form["goal"] == goal  # the hidden field goes back as it was typed
    made = await web.post("/coach/plans", form)
    assert made.status_code == 303, made.text
    await wait_for_writers(app)
    for path in ("/coach", made.headers["location"]):
        page = await web.client.get(path)
        assert "<script>alert(1)" not in page.text
        assert "<img src=x" not in page.text
    page = await web.client.get(made.headers["location"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "&lt;img src=x onerror=" in page.text
