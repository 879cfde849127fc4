"""Use cases of the export: the entries CSV, the completed-days and schedule calendars,
and the private calendar feed (a revocable URL whose token is its only credential)."""

from __future__ import annotations

import asyncio
import re
import secrets
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from habitus.auth.tokens import token_digest
from habitus.core.habits import EntryFact
from habitus.core.outcomes import DONE, Timeline
from habitus.core.schedule import anchor_of, is_periodic, is_scheduled
from habitus.core.time import weekday_number
from habitus.errors import FieldError, NotFound, ValidationFailed
from habitus.exports import ical, repository, tabular
from habitus.habits import queries as habit_queries
from habitus.habits import repository as habits_repository
from habitus.habits.describe import schedule_text
from habitus.habits.evaluation import HabitContext, contexts_for, today_of
from habitus.kit import clock
from habitus.models import CalendarFeed, Habit, User

CalendarKind = Literal["done", "schedule"]
CSV_CHUNK_ROWS = 500
# Break days listed as exceptions of one recurring event, at most.
MAX_DAYS_OFF = 3660
FEED_PATH = "/api/v1/export/feed/{token}.ics"
# secrets.token_urlsafe(32): 43 characters of the URL-safe alphabet. Anything else is
# not a token we issued (404 without a query).
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


def check_range(first: date | None, last: date | None) -> None:
    if first is not None and last is not None and last < first:
        raise ValidationFailed(
            [
                FieldError(
                    "to", f"must not be before from ({first.isoformat()})", "after_from", "query"
                )
            ]
        )


async def habits_for(
    session: AsyncSession, user: User, habit_id: uuid.UUID | None, *, archived: bool | None
) -> list[Habit]:
    """The one habit asked for (404 when it is not the user's), or all of them."""
    if habit_id is not None:
        return [await habit_queries.get_habit(session, user, habit_id)]
    return await habits_repository.habits_of(session, user.id, archived=archived)


# --- the entries CSV ------------------------------------------------------------------------


async def entries_csv(
    maker: async_sessionmaker[AsyncSession],
    user_id: uuid.UUID,
    first: date | None,
    last: date | None,
    habit_id: uuid.UUID | None,
    category: str | None = None,
) -> AsyncIterator[bytes]:
    """The CSV, streamed from the database in chunks of rows (constant memory). It reads
    in a session of its own: the request's has ended by the time the body is sent."""
    writer = tabular.Writer()
    yield writer.header()
    async with maker() as session:
        result = await session.stream(
            repository.entry_rows(user_id, first, last, habit_id, category).execution_options(
                yield_per=CSV_CHUNK_ROWS
            )
        )
        async for rows in result.partitions(CSV_CHUNK_ROWS):
            yield writer.rows(rows)


# --- calendars --------------------------------------------------------------------------------


def _amount(value: float | None, unit: str | None) -> str:
    return f"{tabular.number(value or 0.0)} {unit}".strip() if unit else tabular.number(value)


def _detail(habit: Habit, entry: Row[Any] | None) -> str | None:
    lines = []
    if habit.kind == "measurable":
        reached = "at least" if habit.direction == "at_least" else "at most"
        value = entry.value if entry is not None else 0.0
        lines.append(
            f"{_amount(value, habit.unit)} (target: {reached} "
            f"{_amount(habit.target_value, habit.unit)})"
        )
    if entry is not None and entry.note:
        lines.append(entry.note)
    return "\n".join(lines) or None


async def done_days(
    session: AsyncSession,
    user: User,
    habit_id: uuid.UUID | None,
    first: date | None,
    last: date | None,
    category: str | None = None,
) -> list[ical.DoneDay]:
    """Every completed day: a required day whose outcome is `done` (D5, D6), and an
    extra the user logged (a `done` entry that completes a day that was not required).
    Archived habits keep their history, so their days are here too. `category`: only
    habits of it ("" those without one)."""
    check_range(first, last)
    habits = await habits_for(session, user, habit_id, archived=None)
    if category is not None:
        habits = [habit for habit in habits if (habit.category or "") == category]
    today = today_of(user)
    week_start = weekday_number(user.week_start)
    contexts = await contexts_for(session, user, habits, today, kept_states=False)
    entries: dict[uuid.UUID, dict[date, Row[Any]]] = defaultdict(dict)
    for entry in await repository.entries_of(
        session, user.id, [habit.id for habit in habits], first, last
    ):
        entries[entry.habit_id][entry.local_date] = entry
    # Years of days to walk: in a worker thread, not on the event loop. The habits'
    # columns are loaded; nothing here touches the database.
    return await asyncio.to_thread(_completed, contexts, entries, first, last, today, week_start)


def _completed(
    contexts: list[HabitContext],
    entries: dict[uuid.UUID, dict[date, Row[Any]]],
    first: date | None,
    last: date | None,
    today: date,
    week_start: int,
) -> list[ical.DoneDay]:
    found: list[tuple[date, int, ical.DoneDay]] = []
    for order, ctx in enumerate(contexts):
        habit, rules = ctx.habit, ctx.rules
        lo = max(rules.start_date, first or rules.start_date)
        hi = min(today, last or today, rules.end_date or today)
        if hi < lo:
            continue
        by_day = entries[habit.id]
        facts = {day: EntryFact(e.status, e.value) for day, e in by_day.items()}
        timeline = Timeline(rules, facts, ctx.breaks, lo, hi, today, week_start)
        for index, outcome in enumerate(timeline.day_outcomes()):
            day = lo + timedelta(days=index)
            logged = by_day.get(day)
            extra = logged is not None and logged.status == "done" and timeline.complete(index)
            if outcome != DONE and not extra:
                continue
            stamp = logged.updated_at if logged is not None else habit.updated_at
            found.append(
                (
                    day,
                    order,
                    ical.DoneDay(habit.id, habit.name, day, stamp, _detail(habit, logged)),
                )
            )
    found.sort(key=lambda item: (item[0], item[1]))
    return [done for _, _, done in found]


def _days_off(ctx_breaks: list[tuple[date, date]], first: date, last: date | None) -> list[date]:
    days: list[date] = []
    for start, end in ctx_breaks:
        day = max(start, first)
        stop = end if last is None else min(end, last)
        while day <= stop and len(days) < MAX_DAYS_OFF:
            days.append(day)
            day += timedelta(days=1)
    return days


def _plan_text(habit: Habit, words: str, periodic: bool) -> str:
    lines = [f"Habitus: {words}."]
    if habit.kind == "measurable":
        reached = "at least" if habit.direction == "at_least" else "at most"
        lines.append(f"Target: {reached} {_amount(habit.target_value, habit.unit)} a day.")
    if habit.polarity == "quit":
        lines.append("A habit to quit: a day counts when it passes without a slip.")
    if periodic:
        lines.append(
            "Any days of the period count; this event only marks the start of each period."
        )
    if habit.description:
        lines.append(habit.description)
    return "\n".join(lines)


async def plans(session: AsyncSession, user: User, habit_id: uuid.UUID | None) -> list[ical.Plan]:
    """Each schedule version of each active habit (archived ones fire nothing, D2.4;
    asked for by id, an archived habit is shown too) as a recurring event's plan."""
    habits = await habits_for(session, user, habit_id, archived=None if habit_id else False)
    today = today_of(user)
    week_start = weekday_number(user.week_start)
    found: list[ical.Plan] = []
    for ctx in await contexts_for(session, user, habits, today, kept_states=False):
        habit, rules = ctx.habit, ctx.rules
        breaks = [(pause.start, pause.end) for pause in ctx.breaks]
        for index, version in enumerate(rules.versions):
            first = (
                rules.start_date if index == 0 else max(version.effective_from, rules.start_date)
            )
            last = rules.end_date
            if index + 1 < len(rules.versions):
                following = rules.versions[index + 1].effective_from - timedelta(days=1)
                last = following if last is None else min(last, following)
            if last is not None and last < first:
                continue
            schedule = version.schedule
            days_off = [
                day
                for day in _days_off(breaks, first, last)
                if not is_periodic(schedule)
                and is_scheduled(schedule, day, anchor_of(rules.versions, index, rules.start_date))
            ]
            found.append(
                ical.Plan(
                    habit_id=habit.id,
                    habit_name=habit.name,
                    schedule=schedule,
                    first=first,
                    last=last,
                    anchor=anchor_of(rules.versions, index, rules.start_date),
                    stamp=habit.updated_at,
                    description=_plan_text(habit, schedule_text(schedule), is_periodic(schedule)),
                    week_start=week_start,
                    days_off=days_off,
                )
            )
    return found


@dataclass(frozen=True, slots=True)
class CalendarDocument:
    """What a calendar answer streams: the head and the events, built lazily (in the
    server's thread pool, not on the event loop)."""

    head: bytes
    done: list[ical.DoneDay]
    plans: list[ical.Plan]

    def events(self) -> Iterator[bytes]:
        serialise = ical.DoneEvents()
        for day in self.done:
            yield serialise(day)
        for plan in self.plans:
            if (event := ical.plan_event(plan)) is not None:
                yield event.to_ical()

    def chunks(self) -> Iterator[bytes]:
        return ical.stream(self.head, self.events())


async def calendar(
    session: AsyncSession,
    user: User,
    kind: CalendarKind,
    habit_id: uuid.UUID | None = None,
    first: date | None = None,
    last: date | None = None,
    category: str | None = None,
) -> CalendarDocument:
    if kind == "schedule":
        head = ical.calendar_head("Habitus schedules", "When each habit is due.")
        return CalendarDocument(head, [], await plans(session, user, habit_id))
    head = ical.calendar_head("Habitus", "Completed habit days.")
    return CalendarDocument(
        head, await done_days(session, user, habit_id, first, last, category), []
    )


# --- the private feed --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedFeed:
    feed: CalendarFeed
    token: str


def feed_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + FEED_PATH.format(token=token)


async def issue_feed(session: AsyncSession, user: User) -> IssuedFeed:
    """Create the user's feed, or give it a new token: the old URL stops working at
    once. Only the token's SHA-256 is stored; the token is in this answer alone."""
    token = secrets.token_urlsafe(32)
    feed = await repository.put_feed(session, user.id, token_digest(token), clock.now())
    return IssuedFeed(feed, token)


async def get_feed(session: AsyncSession, user: User) -> CalendarFeed:
    feed = await repository.feed_of(session, user.id)
    if feed is None:
        raise NotFound("There is no calendar feed; create one with POST.")
    return feed


async def revoke_feed(session: AsyncSession, user: User) -> None:
    """Delete the feed (its URL answers 404 from now on). Nothing to revoke is fine."""
    await repository.delete_feed(session, user.id)


async def user_of_token(session: AsyncSession, token: str) -> User:
    """The feed's owner. The token is looked up by its SHA-256: a hash has no prefix in
    common with a near-miss guess, so timing says nothing about the token. Unknown,
    revoked, malformed, or a disabled account's: the same 404."""
    if not _TOKEN.fullmatch(token):
        raise NotFound("No such calendar feed.")
    user = await repository.user_of_feed(session, token_digest(token))
    if user is None or user.is_disabled:
        raise NotFound("No such calendar feed.")
    return user
