"""Coach pages (issue 17, D13): /coach (a goal, then the coach's questions, and my
plans), /coach/plans/{id} (a plan being written, a draft to review, an active plan
with its days), and the forms that tick a task, make a day easier, rewrite the rest,
start, discard or delete a plan.

Every form is a plain POST checked for CSRF and answered with a redirect (or, for the
questions, a page), so the flow works without JavaScript; static/js/coach.js only
polls while a plan is being written. A plan is written in the background: the request
commits a `generating` row, and only then (a `BackgroundTask` runs after the response,
so after the commit) a task of the process writes it. Goals and answers are the user's
text: Jinja autoescapes them, nothing is marked safe. The rules live in `service`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.datastructures import State

from habitus import db
from habitus.auth.pages import CsrfChecked, Form, PageUser
from habitus.coach import calls, service
from habitus.coach.plan_rules import (
    DEFAULT_DAYS,
    MAX_DAYS,
    MAX_QUESTIONS,
    MIN_DAYS,
    Answer,
    Kind,
)
from habitus.coach.schemas import MAX_ANSWER_CHARS, MAX_GOAL_CHARS
from habitus.errors import AppError, Conflict, NotFound, TooManyRequests, ValidationFailed
from habitus.habits.evaluation import today_of
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import flash
from habitus.kit.templating import render
from habitus.models import CoachPlan, CoachTask, User

log = structlog.get_logger(__name__)
router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

COACH_PAGE = "/coach"
# The lengths the page offers (D13.2 allows any from 7 to 66).
DAY_CHOICES = (7, 14, 21, 30, 45, 66)
KIND_WORDS = {"build": "Build a habit", "quit": "Quit a habit"}
# Why the offline coach wrote a plan when a model is configured (kit.llm's reasons).
FALLBACK_WORDS = {
    "timeout": "the model took too long to answer",
    "rate_limited": "the model's server asked us to slow down",
    "server_error": "the model's server had an error",
    "bad_request": "the model's server refused the request",
    "network": "the model's server could not be reached",
    "empty": "the model gave an empty answer",
    "malformed": "the model's answer could not be read",
}


def _plan_page(plan_id: uuid.UUID) -> str:
    return f"{COACH_PAGE}/plans/{plan_id}"


def _problem(error: AppError) -> str:
    """An error of the service in words for a flash message."""
    if isinstance(error, ValidationFailed) and error.errors:
        first = error.errors[0]
        return f"The {first.field.replace('_', ' ')} {first.message}."
    return error.message


# --- the background writer ---------------------------------------------------------------


async def _write_plan(state: State, plan_id: uuid.UUID) -> None:
    try:
        await service.generate(state.sessionmaker, calls.client_of(state.ctx), plan_id)
    except Exception:  # the worker takes the plan over once its lease runs out
        log.exception("coach_plan_failed", plan_id=str(plan_id))


async def _write_later(state: State, plan_id: uuid.UUID) -> None:
    """Run as the response's background task, so after the request committed the row:
    the writing itself is a task of the process (kept in `state.tasks`, which the app's
    shutdown cancels), so the request's connection is not held while a model works."""
    task = asyncio.create_task(_write_plan(state, plan_id))
    state.tasks.add(task)
    task.add_done_callback(state.tasks.discard)


def _written_in_background(request: Request, plan: CoachPlan) -> Response:
    return RedirectResponse(
        _plan_page(plan.id),
        status_code=303,
        background=BackgroundTask(_write_later, request.app.state, plan.id),
    )


# --- /coach: a goal, and my plans ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanRow:
    """A plan on the /coach list."""

    id: uuid.UUID
    name: str
    status: str
    status_text: str
    progress_text: str | None


def _status_text(plan: CoachPlan) -> str:
    return {
        "generating": "Being written",
        "draft": "Ready to review",
        "active": "Active",
        "failed": "Could not be written",
    }.get(plan.status, plan.status)


def _rows(plans: Sequence[CoachPlan], tasks: Sequence[CoachTask], today: date) -> list[PlanRow]:
    by_plan: dict[uuid.UUID, list[CoachTask]] = {}
    for task in tasks:
        by_plan.setdefault(task.plan_id, []).append(task)
    rows = []
    for plan in plans:
        progress = None
        if plan.status == "active":
            found = service.progress_of(by_plan.get(plan.id, []), today)
            progress = f"{found.done} of {found.due} tasks done"
        rows.append(
            PlanRow(
                id=plan.id,
                name=plan.habit_name if plan.status != "generating" else plan.goal,
                status=plan.status,
                status_text=_status_text(plan),
                progress_text=progress,
            )
        )
    return rows


@router.get(COACH_PAGE, response_class=HTMLResponse)
async def coach_page(request: Request, user: PageUser, session: DbSession) -> Response:
    """The goal form and my plans (name, status, progress)."""
    plans = await service.plans_of(session, user)
    tasks = await service.tasks_of(session, [plan.id for plan in plans])
    return render(
        request,
        "coach/index.html",
        {
            "plans": _rows(plans, tasks, today_of(user)),
            "max_goal": MAX_GOAL_CHARS,
        },
    )


@dataclass(frozen=True, slots=True)
class Questions:
    """What the questions page shows (and shows again with what was typed)."""

    goal: str
    kind: str
    questions: tuple[str, ...]
    answers: tuple[str, ...]
    days: int
    source: str | None  # "llm" | "offline"; None when shown again after an error


def _questions_page(
    request: Request, shown: Questions, error: str | None = None, status_code: int = 200
) -> Response:
    context: dict[str, Any] = {
        "form": shown,
        "items": list(zip(shown.questions, shown.answers, strict=True)),
        "kinds": KIND_WORDS,
        "day_choices": DAY_CHOICES,
        "model": request.app.state.settings.llm_model,
        "max_answer": MAX_ANSWER_CHARS,
    }
    if error:
        context["flash"] = {"kind": "error", "text": error, "extra": {}}
    return render(request, "coach/questions.html", context, status_code=status_code)


@router.post(f"{COACH_PAGE}/classify", response_class=HTMLResponse)
@db.prepares_before_writing
async def classify(
    request: Request, user: PageUser, form: Form, session: DbSession, ctx: Context
) -> Response:
    """D13.1: build or quit and 3-5 questions (a model, else the offline coach)."""
    goal = form.get("goal", "").strip()
    if not goal:
        return flash.redirect(request, COACH_PAGE, "Write a goal first.", "error")
    if len(goal) > MAX_GOAL_CHARS:
        return flash.redirect(
            request,
            COACH_PAGE,
            f"The goal is too long: at most {MAX_GOAL_CHARS} characters.",
            "error",
        )
    try:
        found = await service.classify(session, ctx, user, goal)
    except (ValidationFailed, TooManyRequests) as error:
        return flash.redirect(request, COACH_PAGE, _problem(error), "error")
    shown = Questions(
        goal=goal,
        kind=found.kind,
        questions=found.questions,
        answers=("",) * len(found.questions),
        days=DEFAULT_DAYS,
        source=found.source,
    )
    return _questions_page(request, shown)


def _read_plan_form(form: dict[str, str]) -> tuple[Questions, list[str]]:
    """The questions form as typed, and what is wrong with it (in words)."""
    questions, answers = [], []
    for number in range(1, MAX_QUESTIONS + 1):
        if f"question_{number}" not in form:
            continue
        questions.append(form[f"question_{number}"].strip()[:MAX_ANSWER_CHARS])
        answers.append(form.get(f"answer_{number}", "").strip())
    raw_days = form.get("days", "").strip()
    days = int(raw_days) if raw_days.isdigit() else 0
    shown = Questions(
        goal=form.get("goal", "").strip(),
        kind=form.get("kind", ""),
        questions=tuple(questions),
        answers=tuple(answers),
        days=days if MIN_DAYS <= days <= MAX_DAYS else DEFAULT_DAYS,
        source=None,
    )
    problems = []
    if not shown.goal:
        problems.append("Write a goal first.")
    elif len(shown.goal) > MAX_GOAL_CHARS:
        problems.append(f"The goal is too long: at most {MAX_GOAL_CHARS} characters.")
    if shown.kind not in KIND_WORDS:
        problems.append("Choose whether you want to build a habit or quit one.")
    if not MIN_DAYS <= days <= MAX_DAYS:
        problems.append(f"Choose a plan length from {MIN_DAYS} to {MAX_DAYS} days.")
    for number, answer in enumerate(answers, start=1):
        if len(answer) > MAX_ANSWER_CHARS:
            problems.append(f"Answer {number} is too long: at most {MAX_ANSWER_CHARS} characters.")
    return shown, problems


def _spec(shown: Questions, start_date: date | None = None) -> service.PlanSpec:
    kind: Kind = "quit" if shown.kind == "quit" else "build"
    return service.PlanSpec(
        goal=shown.goal,
        kind=kind,
        # An answer left empty tells the coach nothing: it is not sent.
        answers=tuple(
            Answer(question, answer)
            for question, answer in zip(shown.questions, shown.answers, strict=True)
            if answer
        ),
        days=shown.days,
        start_date=start_date,
    )


@router.post(f"{COACH_PAGE}/plans", response_class=HTMLResponse)
@db.prepares_before_writing
async def make_plan(
    request: Request, user: PageUser, form: Form, session: DbSession, ctx: Context
) -> Response:
    """D13.2: a `generating` plan, written in the background after this commits."""
    shown, problems = _read_plan_form(form)
    if problems:
        return _questions_page(request, shown, " ".join(problems), status_code=422)
    try:
        plan = await service.request_plan(session, ctx, user, _spec(shown))
    except (ValidationFailed, TooManyRequests) as error:
        return _questions_page(request, shown, _problem(error), status_code=error.status_code)
    return _written_in_background(request, plan)


# --- a plan ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayView:
    """One day of a plan on its page."""

    date: date
    number: int  # 1-based
    tasks: tuple[CoachTask, ...]
    when: str  # past | today | future

    @property
    def anchor(self) -> str:
        return f"day-{self.date.isoformat()}"

    @property
    def all_done(self) -> bool:
        return all(task.done_at is not None for task in self.tasks)

    @property
    def can_be_easier(self) -> bool:
        """ "Too hard" is offered for today and later while a task is left to do."""
        return self.when != "past" and not self.all_done


def _days(plan: CoachPlan, tasks: Sequence[CoachTask], today: date) -> list[DayView]:
    by_day: dict[date, list[CoachTask]] = {}
    for task in tasks:
        by_day.setdefault(task.date, []).append(task)
    days = []
    for day in sorted(by_day):
        when = "past" if day < today else "today" if day == today else "future"
        days.append(
            DayView(
                date=day,
                number=(day - plan.start_date).days + 1,
                tasks=tuple(sorted(by_day[day], key=lambda task: task.position)),
                when=when,
            )
        )
    return days


def source_text(plan: CoachPlan, model: str | None = None) -> str | None:
    """ "Written by the offline coach" / "Written by <model>", and why offline when a
    model was asked and failed."""
    if plan.source == "llm":
        return f"Written by {plan.model or model or 'a model'}."
    if plan.source == "offline":
        why = FALLBACK_WORDS.get(plan.fallback_reason or "")
        return f"Written by the offline coach ({why})." if why else "Written by the offline coach."
    return None


@router.get(f"{COACH_PAGE}/plans/{{plan_id}}", response_class=HTMLResponse)
async def plan_page(
    request: Request, plan_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    """Being written (a progress view that refreshes), a draft to review, or an active
    plan with every day. Another user's plan: 404."""
    plan = await service.get_plan(session, user, plan_id)
    today = today_of(user)
    tasks = await service.tasks_of(session, [plan.id]) if plan.status != "generating" else []
    progress = service.progress_of(tasks, today)
    return render(
        request,
        "coach/plan.html",
        {
            "plan": plan,
            "kind_text": KIND_WORDS.get(plan.kind, plan.kind),
            "days": _days(plan, tasks, today),
            "progress": progress,
            "total": len(tasks),
            "source_text": source_text(plan, request.app.state.settings.llm_model),
            "answers": service.answers_of(plan),
            "today": today,
        },
    )


@router.get(f"{COACH_PAGE}/plans/{{plan_id}}/status")
async def plan_status(plan_id: uuid.UUID, user: PageUser, session: DbSession) -> JSONResponse:
    """What coach.js polls while a plan is being written."""
    plan = await service.get_plan(session, user, plan_id)
    return JSONResponse({"status": plan.status}, headers={"Cache-Control": "no-store"})


@router.post(f"{COACH_PAGE}/plans/{{plan_id}}/start", dependencies=[CsrfChecked])
@db.prepares_before_writing
async def start(
    request: Request, plan_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    """A reviewed draft starts: its habit is made; Today shows today's tasks."""
    try:
        plan = await service.start_plan(session, user, plan_id)
    except Conflict as error:
        return flash.redirect(request, _plan_page(plan_id), error.message, "error")
    return flash.redirect(
        request, "/today", f"Your plan has started: today's tasks are under “{plan.habit_name}”."
    )


@router.post(f"{COACH_PAGE}/plans/{{plan_id}}/rewrite", dependencies=[CsrfChecked])
@db.prepares_before_writing
async def rewrite(
    request: Request, plan_id: uuid.UUID, user: PageUser, session: DbSession, ctx: Context
) -> Response:
    """ "Write it again" for a draft: the draft goes and a new one is asked for with the
    same goal, classification, answers and length (a started plan regenerates its rest
    instead, which keeps what was done)."""
    try:
        plan = await service.rewrite_draft(session, ctx, user, plan_id)
    except (Conflict, ValidationFailed, TooManyRequests) as error:
        return flash.redirect(request, _plan_page(plan_id), _problem(error), "error")
    return _written_in_background(request, plan)


@router.post(f"{COACH_PAGE}/plans/{{plan_id}}/delete", dependencies=[CsrfChecked])
@db.prepares_before_writing
async def delete(
    request: Request, plan_id: uuid.UUID, user: PageUser, form: Form, session: DbSession
) -> Response:
    """The plan and its tasks go; its habit too only when the box was ticked."""
    with_habit = form.get("with_habit") == "on"
    await service.delete_plan(session, user, plan_id, with_habit=with_habit)
    said = "The plan and its habit are deleted." if with_habit else "The plan is deleted."
    return flash.redirect(request, COACH_PAGE, said)


def _day_of(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


@router.post(f"{COACH_PAGE}/plans/{{plan_id}}/days/{{day}}/easier", dependencies=[CsrfChecked])
@db.prepares_before_writing
async def easier(
    request: Request,
    plan_id: uuid.UUID,
    day: str,
    user: PageUser,
    session: DbSession,
    ctx: Context,
) -> Response:
    """ "Too hard": that day's tasks not done yet are replaced by easier ones."""
    here = _plan_page(plan_id)
    chosen = _day_of(day)
    if chosen is None:
        await service.get_plan(session, user, plan_id)  # 404 before a word about dates
        return flash.redirect(request, here, "That is not a day of this plan.", "error")
    try:
        await service.regenerate_day(session, ctx, user, plan_id, chosen, easier=True)
    except (Conflict, ValidationFailed, TooManyRequests) as error:
        return flash.redirect(request, f"{here}#day-{chosen.isoformat()}", _problem(error), "error")
    when = f"{chosen:%A} {chosen.day} {chosen:%B}"
    return flash.redirect(request, f"{here}#day-{chosen.isoformat()}", f"Easier tasks for {when}.")


@router.post(f"{COACH_PAGE}/plans/{{plan_id}}/regenerate-rest", dependencies=[CsrfChecked])
@db.prepares_before_writing
async def regenerate_rest(
    request: Request, plan_id: uuid.UUID, user: PageUser, session: DbSession, ctx: Context
) -> Response:
    """New tasks for every day after today; today and the days before stay."""
    here = _plan_page(plan_id)
    try:
        await service.regenerate_rest(session, ctx, user, plan_id)
    except (Conflict, TooManyRequests) as error:
        return flash.redirect(request, here, _problem(error), "error")
    return flash.redirect(request, here, "The days after today have new tasks.")


# --- ticking a task -------------------------------------------------------------------------


async def _back_from_task(session: DbSession, user: User, task: CoachTask, back: str) -> str:
    """Where a tick returns: the plan page when it was ticked there, else Today at the
    plan's habit card. Only these two, never a path from the form."""
    if back == "plan":
        return f"{_plan_page(task.plan_id)}#day-{task.date.isoformat()}"
    plan = await service.get_plan(session, user, task.plan_id)
    return f"/today#habit-{plan.habit_id}" if plan.habit_id else "/today"


@router.post(f"{COACH_PAGE}/tasks/{{task_id}}/toggle")
@db.prepares_before_writing
async def toggle(
    request: Request, task_id: uuid.UUID, user: PageUser, form: Form, session: DbSession
) -> Response:
    """D13.3: tick (a coin, once per task: D11.1) or untick a task. The form says which
    (`done` 1 or 0), so a form sent twice leaves the task as it asked."""
    wanted = form.get("done")
    task = await session.get(CoachTask, task_id)
    if task is None or task.user_id != user.id:
        raise NotFound(service.TASK_NOT_FOUND)
    done = (wanted == "1") if wanted in ("0", "1") else task.done_at is None
    back = await _back_from_task(session, user, task, form.get("back", ""))
    try:
        await service.set_done(session, user, task_id, done=done)
    except (Conflict, ValidationFailed) as error:
        return flash.redirect(request, back, _problem(error), "error")
    return flash.redirect(
        request, back, f"Ticked: {task.text}" if done else f"Unticked: {task.text}"
    )
