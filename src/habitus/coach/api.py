"""JSON API of the coach: /api/v1/coach (API.md "Coach", D13). Endpoints that may ask a
model prepare before writing: no writer turn is held while a model works."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Literal, cast

from fastapi import APIRouter, Query, Response, status

from habitus import db
from habitus.auth.dependencies import CurrentUser, idempotent
from habitus.coach import service
from habitus.coach.plan_rules import Answer
from habitus.coach.schemas import (
    ClassifyIn,
    ClassifyOut,
    PlanIn,
    PlanOut,
    ProgressOut,
    RegenerateDayIn,
    TaskOut,
)
from habitus.habits.evaluation import today_of
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit.pagination import Page, Pagination, page_of, parse_time_id_key, time_id_key
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, problems
from habitus.models import CoachPlan, CoachTask, User

router = APIRouter(
    prefix="/coach",
    tags=["coach"],
    route_class=TransactionalRoute,
    responses=AUTHENTICATED_PROBLEMS,
)


def task_out(task: CoachTask) -> TaskOut:
    return TaskOut(
        id=task.id,
        plan_id=task.plan_id,
        date=task.date,
        position=task.position,
        text=task.text,
        done=task.done_at is not None,
    )


def plan_out(plan: CoachPlan, tasks: Sequence[CoachTask], today: date) -> PlanOut:
    progress = service.progress_of(tasks, today)
    return PlanOut(
        id=plan.id,
        goal=plan.goal,
        kind="quit" if plan.kind == "quit" else "build",
        habit_name=plan.habit_name,
        days=plan.days,
        start_date=plan.start_date,
        habit_id=plan.habit_id,
        status=cast(Literal["generating", "draft", "active", "failed"], plan.status),
        source=cast(Literal["llm", "offline"] | None, plan.source),
        progress=ProgressOut(done=progress.done, due=progress.due, ratio=progress.ratio),
        tasks=[task_out(task) for task in tasks],
    )


async def _plan_answer(session: DbSession, user: User, plan: CoachPlan) -> PlanOut:
    tasks = await service.tasks_of(session, [plan.id])
    return plan_out(plan, tasks, today_of(user))


@router.post("/classify", responses=problems(422, 429), dependencies=[idempotent()])
@db.prepares_before_writing
async def classify(
    body: ClassifyIn, user: CurrentUser, session: DbSession, ctx: Context
) -> ClassifyOut:
    """D13.1: build or quit, and 3-5 questions (the model, else the offline coach)."""
    found = await service.classify(session, ctx, user, body.goal)
    return ClassifyOut(kind=found.kind, questions=list(found.questions), source=found.source)


@router.post(
    "/plans",
    status_code=status.HTTP_201_CREATED,
    responses=problems(422, 429),
    dependencies=[idempotent()],
)
@db.prepares_before_writing
async def create_plan(body: PlanIn, user: CurrentUser, session: DbSession, ctx: Context) -> PlanOut:
    """D13.2: make a plan of `days` days (3 tasks a day) and start it: its habit and its
    tasks are created. `source` says whether a model or the offline planner wrote it."""
    spec = service.PlanSpec(
        goal=body.goal,
        kind=body.kind,
        answers=tuple(Answer(item.question, item.answer) for item in body.answers),
        days=body.days,
        start_date=body.start_date,
    )
    plan = await service.create_plan(session, ctx, user, spec)
    return await _plan_answer(session, user, plan)


@router.get("/plans", responses=problems(422))
async def list_plans(user: CurrentUser, session: DbSession, paging: Pagination) -> Page[PlanOut]:
    """My plans, newest first, each with its tasks and progress."""
    after = parse_time_id_key(paging.after)
    plans = await service.plans_of(session, user)
    if after is not None:
        plans = [plan for plan in plans if (plan.created_at, plan.id) < after]
    page = page_of(plans, paging.limit, lambda plan: time_id_key(plan.created_at, plan.id))
    tasks = await service.tasks_of(session, [plan.id for plan in page.items])
    today = today_of(user)
    by_plan: dict[uuid.UUID, list[CoachTask]] = {}
    for task in tasks:
        by_plan.setdefault(task.plan_id, []).append(task)
    return Page(
        items=[plan_out(plan, by_plan.get(plan.id, []), today) for plan in page.items],
        next_cursor=page.next_cursor,
    )


@router.get("/plans/{plan_id}", responses=problems(404))
async def get_plan(plan_id: uuid.UUID, user: CurrentUser, session: DbSession) -> PlanOut:
    plan = await service.get_plan(session, user, plan_id)
    return await _plan_answer(session, user, plan)


@router.post("/plans/{plan_id}/start", responses=problems(404, 409), dependencies=[idempotent()])
@db.prepares_before_writing
async def start_plan(plan_id: uuid.UUID, user: CurrentUser, session: DbSession) -> PlanOut:
    """A reviewed draft (made on the web) starts: its habit is created."""
    plan = await service.start_plan(session, user, plan_id)
    return await _plan_answer(session, user, plan)


@router.delete(
    "/plans/{plan_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404, 422)
)
@db.prepares_before_writing
async def delete_plan(
    plan_id: uuid.UUID,
    user: CurrentUser,
    session: DbSession,
    delete_habit: bool = Query(default=False, description="true: its habit goes too."),
) -> Response:
    """The plan and its tasks go; its habit stays unless `delete_habit=true`."""
    await service.delete_plan(session, user, plan_id, with_habit=delete_habit)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/plans/{plan_id}/regenerate-day",
    responses=problems(404, 409, 422, 429),
    dependencies=[idempotent()],
)
@db.prepares_before_writing
async def regenerate_day(
    plan_id: uuid.UUID, body: RegenerateDayIn, user: CurrentUser, session: DbSession, ctx: Context
) -> PlanOut:
    """ "Too hard": new tasks for that day's tasks not done yet (easier unless
    `easier` is false); days before today stay."""
    await service.regenerate_day(session, ctx, user, plan_id, body.date, easier=body.easier)
    return await _plan_answer(session, user, await service.get_plan(session, user, plan_id))


@router.post(
    "/plans/{plan_id}/regenerate-rest",
    responses=problems(404, 409, 429),
    dependencies=[idempotent()],
)
@db.prepares_before_writing
async def regenerate_rest(
    plan_id: uuid.UUID, user: CurrentUser, session: DbSession, ctx: Context
) -> PlanOut:
    """New tasks for every day after today; today and the days before stay."""
    plan = await service.regenerate_rest(session, ctx, user, plan_id)
    return await _plan_answer(session, user, plan)


@router.post(
    "/tasks/{task_id}/done", responses=problems(404, 409, 422), dependencies=[idempotent()]
)
@db.prepares_before_writing
async def task_done(task_id: uuid.UUID, user: CurrentUser, session: DbSession) -> TaskOut:
    """D13.3: tick a task of today or before; the first time pays a coin (D11.1)."""
    return task_out(await service.set_done(session, user, task_id, done=True))


@router.delete(
    "/tasks/{task_id}/done", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404, 409)
)
@db.prepares_before_writing
async def task_undone(task_id: uuid.UUID, user: CurrentUser, session: DbSession) -> Response:
    """Untick a task (the coin it paid stays: D11.1 pays once per task)."""
    await service.set_done(session, user, task_id, done=False)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
