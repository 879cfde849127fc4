"""D12.4 leaderboards: a challenge's, and the friends' over 7 or 30 days.

Each member's counts are D8.1 units over the window up to *their own* today (their
zone and day start). A fixed number of queries whatever the number of members:
members, habits, one sum over the month summaries (whole months), one over the day
summaries (the parts of months a window cuts), and for the days after the summaries
(usually just today) the versions, breaks and entries of all habits at once, computed
through `core`. Rows are read as plain columns, never as ORM objects: a board of 1,000
members must not fill the session. The ranking itself is `core.ranking`.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.analytics.summaries import month_end, month_of
from habitus.core import time as core_time
from habitus.core.evaluate import window_timeline
from habitus.core.habits import Break, EntryFact
from habitus.core.outcomes import unit_start
from habitus.core.ranking import Ranked, Standing, rank
from habitus.core.scores import raw_completion_rate
from habitus.habits.evaluation import breaks_of, rules_of
from habitus.kit import clock
from habitus.models import (
    Challenge,
    ChallengeMember,
    Entry,
    Habit,
    HabitBreak,
    HabitDaySummary,
    HabitMonthSummary,
    HabitSchedule,
    Profile,
    User,
)
from habitus.social import access

ONE_DAY = timedelta(days=1)
# The friends leaderboard's windows (GET /leaderboard/friends?window=...).
WINDOWS = {"7d": 7, "30d": 30}
SHARED_VISIBILITIES = ("friends", "public")
# What counting reads of each member and of each habit.
_MEMBER_COLUMNS = (
    User.id,
    User.display_name,
    User.timezone,
    User.day_start_hour,
    User.week_start,
    Profile.handle,
)
_HABIT_COLUMNS = (
    Habit.id,
    Habit.user_id,
    Habit.kind,
    Habit.polarity,
    Habit.target_value,
    Habit.direction,
    Habit.start_date,
    Habit.end_date,
    Habit.summary_through,
)


@dataclass(frozen=True, slots=True)
class Member:
    user_id: uuid.UUID
    display_name: str | None
    handle: str | None
    timezone: str
    day_start_hour: int
    week_start: str
    today: date


def _members(rows: Iterable[Any]) -> list[Member]:
    """Members from rows of `_MEMBER_COLUMNS`, each with their today (D1.3), worked out
    once per zone and day start (a board's members share a few zones)."""
    now = clock.now()
    todays: dict[tuple[str, int], date] = {}
    found = []
    for row in rows:
        key = (row.timezone, row.day_start_hour)
        today = todays.get(key)
        if today is None:
            today = todays[key] = core_time.today(now, row.timezone, row.day_start_hour)
        found.append(
            Member(
                row.id,
                row.display_name,
                row.handle,
                row.timezone,
                row.day_start_hour,
                row.week_start,
                today,
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class Line:
    """One row of a leaderboard's answer."""

    rank: int
    user_id: uuid.UUID
    handle: str | None
    display_name: str | None
    rate: float | None
    done: int
    missed: int


Span = tuple[date, date]
Counts = dict[uuid.UUID, tuple[int, int]]


# --- counting --------------------------------------------------------------------------


def _grouped(spans: Iterable[tuple[uuid.UUID, Span]]) -> list[tuple[date, date, list[uuid.UUID]]]:
    """Habits that share their bounds share one condition (members of one zone do)."""
    groups: dict[Span, list[uuid.UUID]] = defaultdict(list)
    for habit_id, bounds in spans:
        groups[bounds].append(habit_id)
    return [(first, last, ids) for (first, last), ids in sorted(groups.items())]


def _split(habit: Any, first: date, last: date) -> tuple[Span | None, list[Span]]:
    """The stored days of [first, last] (last <= summary_through) as (whole months read
    from the month rows, day ranges read from the day rows). A month row sums every
    stored day of its month, so it serves when none of them is outside the span: the
    span starts at the month's first day or at the habit's start (no row before it),
    and ends at the month's last day or at the summaries' end (no row after it)."""
    months: list[date] = []
    days: list[Span] = []
    month = month_of(first)
    while month <= last:
        end = month_end(month)
        head_whole = first <= month or first == habit.start_date
        tail_whole = end <= last or last == habit.summary_through
        if head_whole and tail_whole:
            months.append(month)
        else:
            days.append((max(first, month), min(last, end)))
        month = end + ONE_DAY
    # Only the first and the last month can be cut, so the whole ones are contiguous.
    whole = (months[0], months[-1]) if months else None
    return whole, days


async def _month_counts(
    session: AsyncSession, scope: Select[Any], spans: dict[uuid.UUID, Span]
) -> Counts:
    """Sums of the whole months of each habit's span. The habits come from `scope` (a
    subquery, not a list of 1,000 ids to bind) and the rows of the months any span
    reaches are summed here, per habit: a few rows a member."""
    if not spans:
        return {}
    rows = await session.execute(
        select(
            HabitMonthSummary.habit_id,
            HabitMonthSummary.month,
            HabitMonthSummary.unit_done,
            HabitMonthSummary.unit_missed,
        ).where(
            HabitMonthSummary.habit_id.in_(scope),
            HabitMonthSummary.month >= min(first for first, _ in spans.values()),
            HabitMonthSummary.month <= max(last for _, last in spans.values()),
        )
    )
    found: dict[uuid.UUID, list[int]] = {}
    for habit_id, month, done, missed in rows:
        span = spans.get(habit_id)
        if span is not None and span[0] <= month <= span[1]:
            total = found.setdefault(habit_id, [0, 0])
            total[0] += done
            total[1] += missed
    return {habit_id: (done, missed) for habit_id, (done, missed) in found.items()}


async def _day_counts(session: AsyncSession, spans: list[tuple[uuid.UUID, Span]]) -> Counts:
    if not spans:
        return {}
    rows = await session.execute(
        select(
            HabitDaySummary.habit_id,
            func.coalesce(func.sum(HabitDaySummary.unit_done), 0),
            func.coalesce(func.sum(HabitDaySummary.unit_missed), 0),
        )
        .where(
            or_(
                *(
                    and_(
                        HabitDaySummary.habit_id.in_(ids),
                        HabitDaySummary.local_date >= first,
                        HabitDaySummary.local_date <= last,
                    )
                    for first, last, ids in _grouped(spans)
                )
            )
        )
        .group_by(HabitDaySummary.habit_id)
    )
    return {row[0]: (int(row[1]), int(row[2])) for row in rows}


async def _raw_counts(
    session: AsyncSession,
    scope: Select[Any],
    members: dict[uuid.UUID, Member],
    parts: list[tuple[Any, date, date]],
) -> Counts:
    """habit id -> (units done, units missed) over (habit, first, last) computed from raw
    entries: three queries for every habit of every member."""
    if not parts:
        return {}
    versions: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in await session.execute(
        select(HabitSchedule.habit_id, HabitSchedule.effective_from, HabitSchedule.schedule)
        .where(HabitSchedule.habit_id.in_(scope))
        .order_by(HabitSchedule.habit_id, HabitSchedule.effective_from)
    ):
        versions[row.habit_id].append(row)
    everyone: dict[uuid.UUID, list[HabitBreak]] = defaultdict(list)
    each: dict[uuid.UUID, list[HabitBreak]] = defaultdict(list)
    owners = select(Habit.user_id).where(Habit.id.in_(scope))
    for found in await session.scalars(
        select(HabitBreak).where(
            HabitBreak.user_id.in_(owners),
            or_(HabitBreak.habit_id.is_(None), HabitBreak.habit_id.in_(scope)),
        )
    ):
        (everyone[found.user_id] if found.habit_id is None else each[found.habit_id]).append(found)
    starts: dict[uuid.UUID, date] = {}
    prepared = []
    for habit, first, last in parts:
        if not versions.get(habit.id):
            continue  # deleted meanwhile
        member = members[habit.user_id]
        week_start = core_time.weekday_number(member.week_start)
        rules = rules_of(cast(Habit, habit), versions[habit.id])
        starts[habit.id] = unit_start(rules, first, week_start)
        prepared.append((habit, rules, member, week_start, first, last))
    facts: dict[uuid.UUID, dict[date, EntryFact]] = defaultdict(dict)
    if starts:
        for habit_id, day, status, value in await session.execute(
            select(Entry.habit_id, Entry.local_date, Entry.status, Entry.value).where(
                Entry.habit_id.in_(scope),
                Entry.local_date >= min(starts.values()),
                Entry.local_date <= max(last for _, _, last in parts),
            )
        ):
            start = starts.get(habit_id)
            if start is not None and day >= start:
                facts[habit_id][day] = EntryFact(status, value)
    found_counts: Counts = {}
    for habit, rules, member, week_start, first, last in prepared:
        entries = facts[habit.id]
        if not entries and first == member.today:
            # Nothing logged in the unit that holds today: today's unit is pending or
            # not required (D5: only an entry loses a day early), so it counts nothing.
            continue
        breaks: list[Break] = [
            *breaks_of([*everyone[member.user_id], *each[habit.id]]),
            *(
                Break(day, day)
                for day in core_time.missing_dates(
                    member.timezone, first, last, member.day_start_hour
                )
            ),
        ]
        timeline = window_timeline(rules, entries, breaks, first, last, member.today, week_start)
        rate = raw_completion_rate(timeline.raw_units(), first, last)
        found_counts[habit.id] = (rate.done, rate.missed)
    return found_counts


async def counts(
    session: AsyncSession,
    members: Sequence[Member],
    habits: Sequence[Any],
    window: dict[uuid.UUID, Span],
    scope: Select[Any],
) -> dict[uuid.UUID, tuple[int, int]]:
    """user id -> (done, missed) units (D8.1) pooled over their `habits` (rows of
    `_HABIT_COLUMNS`) inside their `window` [first, last] (last: their today at the
    latest). Stored summaries up to each habit's `summary_through`, raw entries after.
    `scope`: the ids of `habits` (or more) as a subquery, so no statement binds one
    parameter per member."""
    by_id = {member.user_id: member for member in members}
    month_spans: dict[uuid.UUID, Span] = {}
    day_spans: list[tuple[uuid.UUID, Span]] = []
    raw_parts: list[tuple[Any, date, date]] = []
    for habit in habits:
        if habit.user_id not in window:
            continue
        first, last = window[habit.user_id]
        first = max(first, habit.start_date)
        if habit.end_date is not None:
            last = min(last, habit.end_date)
        if first > last:
            continue
        through = habit.summary_through
        if through is not None and through >= first:
            whole, cut = _split(habit, first, min(last, through))
            if whole is not None:
                month_spans[habit.id] = whole
            day_spans += [(habit.id, span) for span in cut]
        raw_first = first if through is None else max(first, through + ONE_DAY)
        if raw_first <= last:
            raw_parts.append((habit, raw_first, last))
    totals: dict[uuid.UUID, list[int]] = {member.user_id: [0, 0] for member in members}
    owner = {habit.id: habit.user_id for habit in habits}
    for found in (
        await _month_counts(session, scope, month_spans),
        await _day_counts(session, day_spans),
        await _raw_counts(session, scope, by_id, raw_parts),
    ):
        for habit_id, (done, missed) in found.items():
            total = totals[owner[habit_id]]
            total[0] += done
            total[1] += missed
    return {user_id: (done, missed) for user_id, (done, missed) in totals.items()}


def lines(members: Sequence[Member], found: dict[uuid.UUID, tuple[int, int]]) -> list[Line]:
    """D12.4's order (`core.ranking`); `members` come in join order."""
    standings = [
        Standing(member.user_id, *found.get(member.user_id, (0, 0)), joined=position)
        for position, member in enumerate(members)
    ]
    by_id = {member.user_id: member for member in members}
    ranked = rank(standings)
    return [_line(item, by_id[cast(uuid.UUID, item.standing.member)]) for item in ranked]


def _line(ranked: Ranked, member: Member) -> Line:
    return Line(
        rank=ranked.rank,
        user_id=member.user_id,
        handle=member.handle,
        display_name=member.display_name,
        rate=None if ranked.rate is None else round(ranked.rate, 4),
        done=ranked.standing.done,
        missed=ranked.standing.missed,
    )


# --- a challenge's ---------------------------------------------------------------------


def challenge_last_day(challenge: Challenge) -> date:
    return challenge.start_date + timedelta(days=challenge.days - 1)


async def members(session: AsyncSession, challenge_id: uuid.UUID) -> list[Member]:
    """Current members in join order, with their profile's handle (one query)."""
    rows = await session.execute(
        select(*_MEMBER_COLUMNS)
        .join(ChallengeMember, ChallengeMember.user_id == User.id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(ChallengeMember.challenge_id == challenge_id, ChallengeMember.left_at.is_(None))
        .order_by(ChallengeMember.joined_at, User.created_at, User.id)
    )
    return _members(rows)


async def challenge_board(session: AsyncSession, challenge: Challenge) -> list[Line]:
    """D12.4 over the challenge's habits of its current members, each over
    [start, min(last day, their today)]."""
    people = await members(session, challenge.id)
    ids = {member.user_id for member in people}
    scope = select(Habit.id).where(Habit.challenge_id == challenge.id)
    habits = [
        habit
        for habit in await session.execute(
            select(*_HABIT_COLUMNS).where(Habit.challenge_id == challenge.id)
        )
        if habit.user_id in ids
    ]
    end = challenge_last_day(challenge)
    window = {member.user_id: (challenge.start_date, min(end, member.today)) for member in people}
    return lines(people, await counts(session, people, habits, window, scope))


# --- the friends' -----------------------------------------------------------------------


async def friends_board(session: AsyncSession, user: User, days: int) -> list[Line]:
    """D12.4 over the habits visible to friends (friends or public) of the user and their
    friends, each over their own last `days` days up to their today. Join order: who
    opened their account first."""
    ids = {user.id, *(await access.friend_ids(session, user.id))}
    rows = await session.execute(
        select(*_MEMBER_COLUMNS)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(User.id.in_(ids))
        .order_by(User.created_at, User.id)
    )
    people = _members(rows)
    shared = (
        Habit.user_id.in_(ids),
        Habit.visibility.in_(SHARED_VISIBILITIES),
        Habit.archived_at.is_(None),
    )
    habits = list(await session.execute(select(*_HABIT_COLUMNS).where(*shared)))
    window = {
        member.user_id: (member.today - timedelta(days=days - 1), member.today) for member in people
    }
    scope = select(Habit.id).where(*shared)
    return lines(people, await counts(session, people, habits, window, scope))
