"""Coach plans (issue 17, D13): classify a goal, make a plan (a model or the offline
planner: `planner`), store it, start it (its habit and its tasks), tick tasks (a coin
each, D11.1, through the `CoachTaskDone` event), regenerate a day or the rest, delete.

A model may take many seconds, so every function that asks one does it BEFORE its
first write (`db.start_writing`): a SQLite writer turn is never held across a model
call. The web asks for a plan in the background (`request_plan` + `generate`); the API
makes and starts one in its request (`create_plan`), as API.md describes.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from habitus import db
from habitus.coach import calls, plan_rules, planner
from habitus.coach.plan_rules import Answer, DraftPlan, Kind
from habitus.coach.ports import COACH_HABITS
from habitus.config import Settings
from habitus.context import AppContext
from habitus.errors import Conflict, FieldError, NotFound, ValidationFailed
from habitus.events import service as events
from habitus.events.kinds import CoachTaskDone
from habitus.habits.evaluation import today_of
from habitus.habits.schemas import DailySchedule, HabitCreate
from habitus.kit import clock, llm
from habitus.models import CoachPlan, CoachTask, User
from habitus.registry import registry

NOT_FOUND = "No such plan."
TASK_NOT_FOUND = "No such task."
# How long a started generation belongs to the process that started it; after that a
# worker may take it over (the process stopped). A model call with its retries takes at
# most `llm_timeout_seconds`, and a plan makes at most two (the answer, one repair).
LEASE_MARGIN_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class PlanSpec:
    goal: str
    kind: Kind | None
    answers: tuple[Answer, ...]
    days: int
    start_date: date | None


@dataclass(frozen=True, slots=True)
class Progress:
    done: int
    due: int  # tasks dated today or before

    @property
    def ratio(self) -> float | None:
        return round(self.done / self.due, 4) if self.due else None


def progress_of(tasks: Sequence[CoachTask], today: date) -> Progress:
    """D13.3: tasks done / tasks due so far."""
    due = [task for task in tasks if task.date <= today]
    return Progress(done=sum(1 for task in due if task.done_at is not None), due=len(due))


async def _check_rate(ctx: AppContext, user_id: uuid.UUID) -> None:
    """Model calls cost money and time: a per-user limit on what asks for them."""
    await ctx.check_rate(
        f"coach:{user_id}",
        ctx.settings.coach_rate,
        "The coach has had many requests from you; wait a little.",
    )


def _goal(goal: str) -> str:
    text = plan_rules.clean_text(goal)
    if not text:
        raise ValidationFailed([FieldError("goal", "must not be empty", rule="required")])
    return text


async def classify(
    session: AsyncSession, ctx: AppContext, user: User, goal: str
) -> planner.Classified:
    """D13.1, recorded in the model-call counts."""
    text = _goal(goal)
    await _check_rate(ctx, user.id)
    with calls.collecting() as made:
        found = await planner.classify(calls.client_of(ctx), text)
    if made:
        await db.start_writing(session)
        calls.save(session, made)
    return found


def _start_date(spec: PlanSpec, user: User) -> date:
    today = today_of(user)
    start = spec.start_date or today
    if not today - timedelta(days=7) <= start <= today + timedelta(days=366):
        raise ValidationFailed(
            [
                FieldError(
                    "start_date",
                    "must be within a week before today and a year after",
                    rule="date_range",
                )
            ]
        )
    return start


async def _kind_of(ctx: AppContext, spec: PlanSpec, goal: str) -> Kind:
    if spec.kind is not None:
        return spec.kind
    return (await planner.classify(calls.client_of(ctx), goal)).kind


def _tasks_rows(
    plan: CoachPlan, draft_days: Sequence[Sequence[str]], first: date
) -> list[CoachTask]:
    return [
        CoachTask(
            plan_id=plan.id,
            user_id=plan.user_id,
            date=first + timedelta(days=index),
            position=position,
            text=text,
        )
        for index, texts in enumerate(draft_days)
        for position, text in enumerate(texts, start=1)
    ]


def _written_by(made: planner.Planned) -> dict[str, str | None]:
    """The plan's columns that say who wrote its tasks (and why offline)."""
    return {"source": made.source, "model": made.model, "fallback_reason": made.reason}


async def create_plan(
    session: AsyncSession, ctx: AppContext, user: User, spec: PlanSpec
) -> CoachPlan:
    """POST /coach/plans: make the plan now (the model, else offline) and start it."""
    goal = _goal(spec.goal)
    start = _start_date(spec, user)
    await _check_rate(ctx, user.id)
    with calls.collecting() as made_calls:
        kind = await _kind_of(ctx, spec, goal)
        made = await planner.plan(calls.client_of(ctx), goal, kind, spec.answers, spec.days)
    await db.start_writing(session)
    calls.save(session, made_calls)
    plan = CoachPlan(
        user_id=user.id,
        goal=goal,
        kind=kind,
        habit_name=made.draft.habit_name[:120],
        days=spec.days,
        start_date=start,
        answers=[{"question": a.question, "answer": a.answer} for a in spec.answers],
        status="draft",
        **_written_by(made),
    )
    session.add(plan)
    await session.flush()
    session.add_all(_tasks_rows(plan, made.draft.days, start))
    await session.flush()
    return await _start(session, user, plan)


async def request_plan(
    session: AsyncSession,
    ctx: AppContext,
    user: User,
    spec: PlanSpec,
) -> CoachPlan:
    """The web's way: a plan row `generating`, written and committed by the caller, then
    `generate` (in the background) fills it in and makes it a `draft` to review."""
    goal = _goal(spec.goal)
    start = _start_date(spec, user)
    if spec.kind is None:
        raise ValidationFailed([FieldError("kind", "must be build or quit", rule="required")])
    await _check_rate(ctx, user.id)
    await db.start_writing(session)
    plan = CoachPlan(
        user_id=user.id,
        goal=goal,
        kind=spec.kind,
        habit_name=goal[:120],
        days=spec.days,
        start_date=start,
        answers=[{"question": a.question, "answer": a.answer} for a in spec.answers],
        status="generating",
        lease_until=clock.now() + _lease(ctx.settings),
    )
    session.add(plan)
    await session.flush()
    return plan


async def rewrite_draft(
    session: AsyncSession, ctx: AppContext, user: User, plan_id: uuid.UUID
) -> CoachPlan:
    """ "Write it again" for a draft: it goes, and a new one is asked for with the same
    goal, classification, answers and length, from today (a started plan regenerates
    its rest instead, which keeps what was done)."""
    old = await get_plan(session, user, plan_id)
    if old.status != "draft":
        raise Conflict("Only a plan not started yet is written again.")
    spec = PlanSpec(
        goal=old.goal,
        kind=_kind(old.kind),
        answers=answers_of(old),
        days=old.days,
        start_date=None,
    )
    # The new one first: a refusal (the rate limit) leaves the draft as it was.
    plan = await request_plan(session, ctx, user, spec)
    await delete_plan(session, user, plan_id)
    return plan


def _lease(settings: Settings) -> timedelta:
    return timedelta(seconds=2 * settings.llm_timeout_seconds + LEASE_MARGIN_SECONDS)


def answers_of(plan: CoachPlan) -> tuple[Answer, ...]:
    return tuple(
        Answer(str(item.get("question", "")), str(item.get("answer", "")))
        for item in plan.answers or []
        if isinstance(item, dict)
    )


async def generate(
    maker: async_sessionmaker[AsyncSession], client: llm.LlmClient, plan_id: uuid.UUID
) -> bool:
    """Fill in a `generating` plan (no transaction is open while the model works). True
    when this call wrote it; False when it was gone or someone else did."""
    async with db.job_transaction(maker) as session:
        plan = await session.get(CoachPlan, plan_id)
        if plan is None or plan.status != "generating":
            return False
        goal, kind, days = plan.goal, plan.kind, plan.days
        answers = answers_of(plan)
    with calls.collecting() as made_calls:
        made = await planner.plan(client, goal, _kind(kind), answers, days)
    async with db.job_transaction(maker) as session:
        calls.save(session, made_calls)
        claimed = await session.execute(
            update(CoachPlan)
            .where(CoachPlan.id == plan_id, CoachPlan.status == "generating")
            .values(
                status="draft",
                habit_name=made.draft.habit_name[:120],
                **_written_by(made),
                lease_until=None,
                updated_at=clock.now(),
            )
            .execution_options(synchronize_session=False)
        )
        if db.rowcount(claimed) != 1:
            return False
        plan = await session.get(CoachPlan, plan_id)
        assert plan is not None
        session.add_all(_tasks_rows(plan, made.draft.days, plan.start_date))
    return True


def _kind(value: str) -> Kind:
    return "quit" if value == "quit" else "build"


async def take_over_stale(
    maker: async_sessionmaker[AsyncSession], settings: Settings, client: llm.LlmClient
) -> int:
    """The worker's step: plans left `generating` past their lease (the process that
    started them stopped) are taken (the lease moved by compare-and-set) and made."""
    now = clock.now()
    async with db.job_transaction(maker) as session:
        stale = list(
            await session.scalars(
                select(CoachPlan.id).where(
                    CoachPlan.status == "generating", CoachPlan.lease_until < now
                )
            )
        )
    made = 0
    for plan_id in stale:
        async with db.job_transaction(maker) as session:
            taken = await session.execute(
                update(CoachPlan)
                .where(
                    CoachPlan.id == plan_id,
                    CoachPlan.status == "generating",
                    CoachPlan.lease_until < now,
                )
                .values(lease_until=clock.now() + _lease(settings))
                .execution_options(synchronize_session=False)
            )
            if db.rowcount(taken) != 1:
                continue
        if await generate(maker, client, plan_id):
            made += 1
    return made


async def _start(session: AsyncSession, user: User, plan: CoachPlan) -> CoachPlan:
    """D13.2: the plan's habit (daily, from the plan's first day, polarity from the
    classification) and the plan `active`."""
    body = HabitCreate(
        name=plan.habit_name[:100] or "Coach plan",
        schedule=DailySchedule(type="daily"),
        polarity=_kind(plan.kind),
        start_date=plan.start_date,
        backfill_days=None,
    )
    habit = await registry.port(COACH_HABITS).create_habit(session, user, body)
    plan.habit_id = habit.id
    plan.status = "active"
    await session.flush()
    return plan


async def start_plan(session: AsyncSession, user: User, plan_id: uuid.UUID) -> CoachPlan:
    """A reviewed draft starts: its habit is made. Starting twice: 409."""
    plan = await get_plan(session, user, plan_id)
    if plan.status != "draft":
        raise Conflict(
            "This plan is still being written."
            if plan.status == "generating"
            else "This plan has started already."
        )
    await db.start_writing(session)
    today = today_of(user)
    if plan.start_date < today:
        # A draft reviewed on a later day starts today: its days move with it, so no task
        # is missed before the user began.
        await _move(session, plan, today)
    return await _start(session, user, plan)


async def _move(session: AsyncSession, plan: CoachPlan, start: date) -> None:
    """The draft's tasks re-dated to begin on `start` (written anew: the unique
    (plan, date, position) would trip over rows moved one at a time)."""
    shift = start - plan.start_date
    tasks = await tasks_of(session, [plan.id])
    moved = [(task.date + shift, task.position, task.text) for task in tasks]
    await session.execute(delete(CoachTask).where(CoachTask.plan_id == plan.id))
    session.add_all(
        CoachTask(plan_id=plan.id, user_id=plan.user_id, date=day, position=position, text=text)
        for day, position, text in moved
    )
    plan.start_date = start
    await session.flush()


async def get_plan(session: AsyncSession, user: User, plan_id: uuid.UUID) -> CoachPlan:
    plan = await session.get(CoachPlan, plan_id)
    if plan is None or plan.user_id != user.id:
        raise NotFound(NOT_FOUND)
    return plan


async def plans_of(session: AsyncSession, user: User) -> list[CoachPlan]:
    rows = await session.scalars(
        select(CoachPlan)
        .where(CoachPlan.user_id == user.id)
        .order_by(CoachPlan.created_at.desc(), CoachPlan.id)
    )
    return list(rows)


async def tasks_of(session: AsyncSession, plan_ids: Sequence[uuid.UUID]) -> list[CoachTask]:
    if not plan_ids:
        return []
    rows = await session.scalars(
        select(CoachTask)
        .where(CoachTask.plan_id.in_(list(plan_ids)))
        .order_by(CoachTask.plan_id, CoachTask.date, CoachTask.position)
    )
    return list(rows)


async def delete_plan(
    session: AsyncSession, user: User, plan_id: uuid.UUID, *, with_habit: bool = False
) -> None:
    """The plan and its tasks go; its habit stays unless `with_habit`."""
    plan = await get_plan(session, user, plan_id)
    await db.start_writing(session)
    habit_id = plan.habit_id
    await session.delete(plan)
    await session.flush()
    if with_habit and habit_id is not None:
        with contextlib.suppress(NotFound):  # deleted already
            await registry.port(COACH_HABITS).delete_habit(session, user, habit_id)


async def _task(session: AsyncSession, user: User, task_id: uuid.UUID) -> CoachTask:
    task = await session.get(CoachTask, task_id)
    if task is None or task.user_id != user.id:
        raise NotFound(TASK_NOT_FOUND)
    return task


async def set_done(
    session: AsyncSession, user: User, task_id: uuid.UUID, *, done: bool
) -> CoachTask:
    """D13.3: tick (a coin, once per task, D11.1) or untick a task of today or before;
    a task of a later day cannot be done yet (422 naming `date`)."""
    task = await _task(session, user, task_id)
    plan = await session.get(CoachPlan, task.plan_id)
    assert plan is not None
    if plan.status != "active":
        raise Conflict("Start the plan before ticking its tasks.")
    if done and task.date > today_of(user):
        raise ValidationFailed(
            [FieldError("date", "is after today: this task is not due yet", rule="not_future")]
        )
    await db.start_writing(session)
    if done and task.done_at is None:
        task.done_at = clock.now()
        await session.flush()
        await events.publish(
            session,
            user,
            [
                CoachTaskDone(
                    habit_id=plan.habit_id,
                    local_date=task.date,
                    task_id=str(task.id),
                    plan_id=str(plan.id),
                    text=task.text,
                )
            ],
        )
    elif not done and task.done_at is not None:
        task.done_at = None
        await session.flush()
    return task


async def today_tasks(
    session: AsyncSession, user: User, day: date
) -> dict[uuid.UUID, list[CoachTask]]:
    """D13.3: the tasks of `day` of the user's active plans, by the plan's habit (one
    statement: Today asks it on every view)."""
    rows = await session.execute(
        select(CoachTask, CoachPlan.habit_id)
        .join(CoachPlan, CoachPlan.id == CoachTask.plan_id)
        .where(
            CoachTask.user_id == user.id,
            CoachTask.date == day,
            CoachPlan.status == "active",
            CoachPlan.habit_id.is_not(None),
        )
        .order_by(CoachTask.position)
    )
    found: dict[uuid.UUID, list[CoachTask]] = {}
    for task, habit_id in rows.all():
        if habit_id is not None:
            found.setdefault(habit_id, []).append(task)
    return found


def _day_index(plan: CoachPlan, day: date) -> int:
    index = (day - plan.start_date).days
    if not 0 <= index < plan.days:
        raise ValidationFailed([FieldError("date", "is not a day of this plan", rule="plan_day")])
    return index


async def regenerate_day(
    session: AsyncSession,
    ctx: AppContext,
    user: User,
    plan_id: uuid.UUID,
    day: date,
    *,
    easier: bool = True,
) -> list[CoachTask]:
    """ "Too hard": new tasks for the day's tasks not done yet (easier by default), none
    equal to another task of the plan. Days before today stay as they were (422)."""
    plan = await get_plan(session, user, plan_id)
    if plan.status == "generating":
        raise Conflict("This plan is still being written.")
    index = _day_index(plan, day)
    if day < today_of(user):
        raise ValidationFailed(
            [FieldError("date", "is before today: past days stay as they were", rule="not_past")]
        )
    tasks = await tasks_of(session, [plan.id])
    todo = [task for task in tasks if task.date == day and task.done_at is None]
    if not todo:
        raise Conflict("Every task of that day is done already.")
    elsewhere = [task.text for task in tasks if task not in todo]
    await _check_rate(ctx, user.id)
    try:
        with calls.collecting() as made_calls:
            made = await planner.new_day(
                calls.client_of(ctx),
                plan.goal,
                _kind(plan.kind),
                answers_of(plan),
                day=index + 1,
                current=[task.text for task in todo],
                elsewhere=elsewhere,
                easier=easier,
            )
    except planner.NoMoreTasks:
        raise Conflict("The coach has no other tasks to offer for this day.") from None
    await db.start_writing(session)
    calls.save(session, made_calls)
    for task, text in zip(todo, made.texts, strict=True):
        task.text = text
    plan.updated_at = clock.now()
    await session.flush()
    return todo


async def regenerate_rest(
    session: AsyncSession, ctx: AppContext, user: User, plan_id: uuid.UUID
) -> CoachPlan:
    """New tasks for every day after today (they cannot be done yet); today and the
    days before stay."""
    plan = await get_plan(session, user, plan_id)
    if plan.status == "generating":
        raise Conflict("This plan is still being written.")
    first_new = max(today_of(user) + timedelta(days=1), plan.start_date)
    last = plan.start_date + timedelta(days=plan.days - 1)
    if first_new > last:
        raise Conflict("No day of this plan is left to regenerate.")
    remaining = (last - first_new).days + 1
    tasks = await tasks_of(session, [plan.id])
    kept = [task.text for task in tasks if task.date < first_new]
    replaced = [task.text for task in tasks if task.date >= first_new]
    await _check_rate(ctx, user.id)
    with calls.collecting() as made_calls:
        try:
            made = await planner.new_days(
                calls.client_of(ctx),
                plan.goal,
                _kind(plan.kind),
                answers_of(plan),
                days=remaining,
                kept=kept,
                replaced=replaced,
            )
        except planner.NoMoreTasks:
            raise Conflict("The coach has no other tasks to offer.") from None
    await db.start_writing(session)
    calls.save(session, made_calls)
    await session.execute(
        delete(CoachTask).where(CoachTask.plan_id == plan.id, CoachTask.date >= first_new)
    )
    session.add_all(_tasks_rows(plan, made.draft.days, first_new))
    for column, value in _written_by(made).items():
        setattr(plan, column, value)
    plan.updated_at = clock.now()
    await session.flush()
    return plan


def draft_of(tasks: Sequence[CoachTask], kind: Kind, name: str) -> DraftPlan:
    """The stored tasks as a plan (for checks and tests)."""
    by_day: dict[date, list[str]] = {}
    for task in sorted(tasks, key=lambda t: (t.date, t.position)):
        by_day.setdefault(task.date, []).append(task.text)
    days = tuple((t[0], t[1], t[2]) for t in by_day.values())
    return DraftPlan(kind=kind, days=days, habit_name=name)
