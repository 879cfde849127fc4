"""JSON API: /api/v1/habits, entries, check-ins, stats, days and /today."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status

from habitus.auth.dependencies import CurrentUser, idempotent
from habitus.habits import presenters, queries, service
from habitus.habits.evaluation import today_of
from habitus.habits.schemas import (
    CheckinIn,
    CheckinOut,
    DayOut,
    DaysOut,
    EntriesOut,
    EntryIn,
    EntryOut,
    HabitCreate,
    HabitOut,
    HabitUpdate,
    StatsOut,
    TodayItem,
    TodayPage,
    TodayTaskOut,
)
from habitus.habits.today_tasks_port import TODAY_TASKS
from habitus.http.dependencies import DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import responses
from habitus.kit.pagination import Page, Pagination
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, not_modified, problems
from habitus.kit.validation import QueryDate, check_window
from habitus.models import Habit, User
from habitus.plans.dependencies import Plans
from habitus.registry import registry

router = APIRouter(route_class=TransactionalRoute, responses=AUTHENTICATED_PROBLEMS)
FromDate = Annotated[QueryDate | None, Query(alias="from", description="Local date, inclusive.")]
ToDate = Annotated[QueryDate | None, Query(alias="to", description="Local date, inclusive.")]
NOT_FOUND = problems(404)
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the `If-None-Match` ETag is still current."}
}


@router.post(
    "/habits", status_code=status.HTTP_201_CREATED, tags=["habits"], dependencies=[idempotent()]
)
async def create_habit(
    body: HabitCreate, user: CurrentUser, session: DbSession, limits: Plans
) -> HabitOut:
    """Create a habit. `schedule` is one of DOMAIN.md D3's types; a measurable habit needs
    a `target`. It starts today unless `start_date` says otherwise. With plans on, a free
    account past its active habits is a 403 `plan-limit`."""
    habit = await service.create_habit(session, user, body, limits=limits)
    return (await presenters.habits_out(session, user, [habit]))[0]


@router.get("/habits", tags=["habits"])
async def list_habits(
    user: CurrentUser,
    session: DbSession,
    page: Pagination,
    archived: Annotated[bool, Query(description="Archived habits instead of active ones.")] = False,
) -> Page[HabitOut]:
    habits = await presenters.page_of_habits(session, user, archived=archived, page=page)
    return habits


@router.get("/habits/{habit_id}", tags=["habits"], responses=NOT_FOUND)
async def get_habit(habit_id: uuid.UUID, user: CurrentUser, session: DbSession) -> HabitOut:
    habit = await queries.get_habit(session, user, habit_id)
    return (await presenters.habits_out(session, user, [habit]))[0]


@router.patch("/habits/{habit_id}", tags=["habits"], responses=NOT_FOUND)
async def update_habit(
    habit_id: uuid.UUID, body: HabitUpdate, user: CurrentUser, session: DbSession, limits: Plans
) -> HabitOut:
    """Change any field; `archived: true|false` archives or restores (restoring past a
    free plan's active habits is a 403 `plan-limit`). A new `schedule` takes effect
    today: days before keep the schedule they had."""
    habit = await service.update_habit(session, user, habit_id, body, limits=limits)
    return (await presenters.habits_out(session, user, [habit]))[0]


@router.delete(
    "/habits/{habit_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["habits"],
    responses=NOT_FOUND,
)
async def delete_habit(habit_id: uuid.UUID, user: CurrentUser, session: DbSession) -> Response:
    """Delete the habit with its entries, schedule versions and breaks (D2.4)."""
    await service.delete_habit(session, user, habit_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/habits/{habit_id}/checkins",
    status_code=status.HTTP_201_CREATED,
    tags=["entries"],
    responses=problems(400, 404, 409),
    # Issue 22: the key is stored with the answer in one statement; every effect of a
    # check-in is in its transaction (the working set is cached after commit).
    dependencies=[idempotent(required=True, at_end=True)],
)
async def check_in(
    habit_id: uuid.UUID, body: CheckinIn, user: CurrentUser, session: DbSession
) -> CheckinOut:
    """Log a day (today unless `date`): a yes/no habit is marked done; a measurable one
    adds `value` (default 1) to the day. Needs an `Idempotency-Key`: a retry never
    counts twice. The answer carries the new streak and the events it caused."""
    written = await service.check_in(
        session, user, habit_id, day=body.date, value=body.value, note=body.note, source="api"
    )
    return presenters.day_write_out(written)


@router.put("/habits/{habit_id}/entries/{day}", tags=["entries"], responses=problems(404, 409))
async def put_entry(
    habit_id: uuid.UUID, day: date, body: EntryIn, user: CurrentUser, session: DbSession
) -> EntryOut:
    """Set a day's entry: `done` (measurable: with `value`), `skipped` (the day is not
    required) or `failed` (an explicit miss; a quit habit's slip)."""
    written = await service.set_entry(
        session,
        user,
        habit_id,
        day=day,
        status=body.status,
        value=body.value,
        note=body.note,
        source="api",
    )
    assert written.entry is not None
    return presenters.entry_out(written.entry)


@router.delete(
    "/habits/{habit_id}/entries/{day}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["entries"],
    responses=problems(404, 409),
)
async def delete_entry(
    habit_id: uuid.UUID, day: date, user: CurrentUser, session: DbSession
) -> Response:
    """Undo: remove the day's entry (nothing happens when there is none)."""
    await service.remove_entry(session, user, habit_id, day=day)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _window(user_today: date, first: date | None, last: date | None) -> tuple[date, date]:
    last = last or user_today
    return first or last - timedelta(days=29), last


@router.get("/habits/{habit_id}/entries", tags=["entries"], responses=NOT_FOUND)
async def list_entries(
    habit_id: uuid.UUID,
    user: CurrentUser,
    session: DbSession,
    first: FromDate = None,
    last: ToDate = None,
) -> EntriesOut:
    """Entries from `from` to `to` (inclusive; default: the last 30 days)."""
    first, last = _window(today_of(user), first, last)
    entries = await service.list_entries(session, user, habit_id, first, last)
    return EntriesOut(items=[presenters.entry_out(entry) for entry in entries])


def _etag(user: User, habit: Habit, *parts: object) -> str:
    """API.md Conventions: heavy reads send an ETag. The answer depends on the habit (its
    version changes with every write to it, its breaks included), on the user's calendar
    and today, and on the request's own parameters."""
    return responses.etag(
        habit.id,
        habit.version,
        user.timezone,
        user.day_start_hour,
        user.week_start,
        today_of(user),
        *parts,
    )


@router.get(
    "/habits/{habit_id}/stats",
    tags=["habits"],
    response_model=StatsOut,
    responses={**NOT_FOUND, **NOT_MODIFIED},
)
async def habit_stats(
    habit_id: uuid.UUID,
    request: Request,
    response: Response,
    user: CurrentUser,
    session: DbSession,
    first: FromDate = None,
    last: ToDate = None,
) -> StatsOut | Response:
    """Streaks and score as of today; completion rate (D8.1), counts and best weekday
    and hour (D8.3) over `from`..`to` (default: the last 30 days). Sends an `ETag`."""
    first, last = _window(today_of(user), first, last)
    check_window(first, last)
    etag = _etag(user, await queries.get_habit(session, user, habit_id), "stats", first, last)
    if (unchanged := not_modified(request, etag)) is not None:
        return unchanged
    result = await service.stats(session, user, habit_id, first, last)
    response.headers["ETag"] = etag
    return presenters.stats_out(result)


@router.get(
    "/habits/{habit_id}/days",
    tags=["habits"],
    response_model=DaysOut,
    responses={**NOT_FOUND, **NOT_MODIFIED},
)
async def habit_days(
    habit_id: uuid.UUID,
    request: Request,
    response: Response,
    user: CurrentUser,
    session: DbSession,
    first: FromDate = None,
    last: ToDate = None,
) -> DaysOut | Response:
    """Every day of `from`..`to` with its outcome (D5), value and entry status. Sends an
    `ETag`."""
    first, last = _window(today_of(user), first, last)
    check_window(first, last)
    etag = _etag(user, await queries.get_habit(session, user, habit_id), "days", first, last)
    if (unchanged := not_modified(request, etag)) is not None:
        return unchanged
    views = await service.days(session, user, habit_id, first, last)
    response.headers["ETag"] = etag
    return DaysOut(
        items=[
            DayOut(
                date=view.day,
                outcome=view.outcome,
                value=view.value,
                status=view.status,
                in_break=view.in_break,
            )
            for view in views
        ]
    )


@router.get("/today", tags=["today"])
async def today(user: CurrentUser, session: DbSession) -> TodayPage:
    """Every active habit with today's outcome, value and streak, in the user's order."""
    day, habits = await presenters.today_habits(session, user)
    tasks = await registry.port(TODAY_TASKS).tasks_on(session, user, day)
    return TodayPage(
        date=day,
        items=[
            TodayItem(
                habit=habit,
                outcome=habit.today.status,
                value=habit.today.value,
                streak=habit.streak,
                tasks=[
                    TodayTaskOut(id=task.id, position=task.position, text=task.text, done=task.done)
                    for task in tasks.get(habit.id, [])
                ],
            )
            for habit in habits
        ],
    )
