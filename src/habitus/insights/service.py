"""Use cases of the habit page and the History page: read-only, a bounded number of
queries whatever the length of the history or the number of habits.

The habit page reads its habit's rules and breaks (the same three queries as every
habit read), then one query of (date, status, value, logged at) rows from the habit's
start (or the heatmap's first day, if later ones are all there is) to the end of this
month: the whole history is what an exact score curve and an all-time completion rate
need (D8), and it is a few small columns per day. Notes are read a page at a time.

The History page reads the user's habits, their rules and breaks, and the entries of
the shown month (plus the weeks and months that overlap it): five queries.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.core import time as core_time
from habitus.core.evaluate import HabitNow, advance, initial_state, window_timeline
from habitus.core.habits import EntryFact
from habitus.core.outcomes import (
    DONE,
    MISSED,
    PENDING,
    S_DONE,
    S_FAILED,
    S_SKIPPED,
    Outcome,
    Timeline,
    timeline_end,
    unit_start,
)
from habitus.core.schedule import TimesPerPeriod, version_index
from habitus.core.scores import (
    Logged,
    Rate,
    best_times,
    completion_rate,
    raw_completion_rate,
    score_series,
    window_days,
)
from habitus.core.streaks import Run
from habitus.errors import NotFound
from habitus.habits import describe
from habitus.habits import queries as habit_queries
from habitus.habits import repository as habits_repository
from habitus.habits.evaluation import HabitContext, context_of, contexts_for, today_of
from habitus.habits.schemas import schedule_to_json
from habitus.insights import heatmap as heatmap_module
from habitus.insights import repository
from habitus.insights.calendar import (
    MONTH_SHORT,
    STATE_LABELS,
    STATE_MARKS,
    DayFacts,
    add_months,
    date_with_year,
    day_state,
    day_title,
    format_value,
    month_end,
    month_grid,
    month_key,
    month_title,
    share_level,
    share_text,
    short_date,
    weekday_headers,
)
from habitus.models import Entry, Habit, User

HISTORY_PAGE = 10
CHART_DAYS = 365
TREND_DAYS = 30
RATE_DAYS = 30
BEST_TIMES_DAYS = 365


# --- shapes the pages show -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CalendarDay:
    day: date
    state: str  # calendar.DayState, or a History share level
    mark: str  # a glyph that tells the state without colour
    label: str  # "Sat 21 Nov: done" (title and screen-reader text)
    is_today: bool
    short: str = ""  # a short visible figure ("3/4" on History)
    amount: str = ""  # a measurable day's amount ("5/8"), shown in the cell
    link: str = ""  # the page that opens the day (the day editor), "" when none
    on_break: bool = False  # History: some habit is on a break that day (D3.2)


@dataclass(frozen=True, slots=True)
class MonthView:
    month: date
    title: str
    key: str
    headers: list[tuple[str, str]]
    weeks: list[list[CalendarDay | None]]
    previous: str | None  # "2026-10", or None at the first month worth showing
    next: str | None
    previous_label: str = ""  # "Oct"
    next_label: str = ""


@dataclass(frozen=True, slots=True)
class ScorePoint:
    day: date
    score: float


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One entry of the habit page's list, told by the day's D5 outcome (the same state
    as the calendar's), not by the entry's stored status alone."""

    day: date
    when: str
    status: str
    value: str | None  # "5 / 8 glasses", "2 cigarettes (limit 3)"
    note: str | None
    state: str = "done"  # calendar.DayState
    mark: str = ""
    words: str = ""  # "Done", "Not met", "Slipped"


@dataclass(frozen=True, slots=True)
class AmountPoint:
    day: date
    value: float | None  # None: nothing logged (or skipped)


@dataclass(frozen=True, slots=True)
class YearRange:
    """The range the strength chart and the heatmap show: the last year (None), or a
    calendar year between the habit's first year and this one."""

    year: int | None
    years: list[int]  # newest first
    label: str  # "the last 12 months" / "2016"


@dataclass(frozen=True, slots=True)
class HabitHeader:
    id: uuid.UUID
    name: str
    description: str | None
    color: str | None
    schedule_text: str
    archived: bool
    kind: str
    polarity: str
    unit: str | None
    target_text: str | None
    start_date: date
    end_date: date | None
    target_value: float | None = None
    direction: str | None = None


@dataclass(frozen=True, slots=True)
class Trend:
    direction: str  # "up", "down", "steady", or "new" (too young for a trend)
    points: int  # the change in points of score (0..100 scale)
    since: date | None


@dataclass(frozen=True, slots=True)
class HabitInsights:
    header: HabitHeader
    today: date
    unit: str  # "day", "week" or "month" (D7.1)
    current: Run
    longest: Run
    score: float
    trend: Trend
    rate_recent: Rate
    rate_all: Rate
    best_weekday: str | None
    best_hour: int | None
    chart: list[ScorePoint]
    calendar: MonthView
    heatmap: heatmap_module.Heatmap
    done_last_year: int
    history: list[HistoryRow]
    history_more: date | None  # pass as `before` for the next page of history
    history_before: date | None
    range: YearRange = field(default_factory=lambda: YearRange(None, [], "the last 12 months"))
    amounts: list[AmountPoint] = field(default_factory=list)  # measurable habits
    month_slips: str | None = None  # quit habits: "2 slips in November 2026"


# --- the habit page --------------------------------------------------------------------------


def _header(habit: Habit, ctx: HabitContext, today: date, week_start: str) -> HabitHeader:
    versions = ctx.rules.versions
    schedule = versions[version_index(versions, today)].schedule
    target = (
        {"value": habit.target_value, "unit": habit.unit, "direction": habit.direction}
        if habit.kind == "measurable" and habit.target_value is not None
        else None
    )
    return HabitHeader(
        id=habit.id,
        name=habit.name,
        description=habit.description,
        color=habit.color,
        schedule_text=describe.schedule_in_words(
            schedule_to_json(schedule), week_start=week_start, today=today
        ),
        archived=habit.archived_at is not None,
        kind=habit.kind,
        polarity=habit.polarity,
        unit=habit.unit,
        target_text=describe.target_in_words(habit.kind, habit.polarity, target),
        start_date=habit.start_date,
        end_date=habit.end_date,
        target_value=habit.target_value if habit.kind == "measurable" else None,
        direction=habit.direction if habit.kind == "measurable" else None,
    )


class _Days:
    """One habit's days over a timeline: the calendar state of each, and its value."""

    def __init__(self, timeline: Timeline, unit: str | None, target: float | None) -> None:
        self.timeline = timeline
        self.outcomes: list[Outcome] = timeline.day_outcomes()
        self.unit = unit
        self.target = target

    def covers(self, day: date) -> bool:
        return self.timeline.first <= day <= self.timeline.last

    def state(self, day: date) -> str:
        timeline = self.timeline
        rules = timeline.rules
        if not self.covers(day):
            if day > timeline.today:
                return "future"
            return "before_start" if day < rules.start_date else "not_required"
        index = timeline.index_of(day)
        return day_state(
            DayFacts(
                outcome=self.outcomes[index],
                status=timeline.entry_status(index),
                in_break=timeline.in_break(index),
                before_start=day < rules.start_date,
                after_end=rules.end_date is not None and day > rules.end_date,
                complete=index <= timeline.today_index and timeline.complete(index),
            )
        )

    def value(self, day: date) -> float | None:
        if not self.covers(day) or self.timeline.rules.kind != "measurable":
            return None
        index = self.timeline.index_of(day)
        # A skipped day has no amount to show (D3.3).
        return (
            self.timeline.value[index]
            if self.timeline.status[index] in (S_DONE, S_FAILED)
            else None
        )

    def ratio(self, day: date) -> float | None:
        """A measurable at-least value's share of its target (heatmap intensity)."""
        value = self.value(day)
        rules = self.timeline.rules
        if value is None or rules.direction != "at_least" or not self.target:
            return None
        return value / self.target

    def title(self, day: date, state: str) -> str:
        return day_title(day, state, format_value(self.value(day), self.unit), self.timeline.today)

    def amount(self, day: date) -> str:
        """The cell's figure of a measurable day: "5/8" (at least), "2" (at most)."""
        value = self.value(day)
        if value is None:
            return ""
        number = format_value(value, None) or ""
        rules = self.timeline.rules
        if rules.direction == "at_least" and self.target:
            return f"{number}/{format_value(self.target, None)}"
        return number


def _month_view(
    days: _Days,
    month: date,
    today: date,
    week_start: int,
    earliest: date,
    link: str = "",
) -> MonthView:
    weeks: list[list[CalendarDay | None]] = []
    for week in month_grid(month, week_start):
        row: list[CalendarDay | None] = []
        for day in week:
            if day is None:
                row.append(None)
                continue
            state = days.state(day)
            openable = link and state not in ("future", "before_start")
            row.append(
                CalendarDay(
                    day=day,
                    state=state,
                    mark=STATE_MARKS[state],
                    label=days.title(day, state),
                    is_today=day == today,
                    amount=days.amount(day),
                    link=f"{link}/days/{day.isoformat()}" if openable else "",
                )
            )
        weeks.append(row)
    return _month_shell(month, today, week_start, earliest, weeks)


def _month_shell(
    month: date,
    today: date,
    week_start: int,
    earliest: date,
    weeks: list[list[CalendarDay | None]],
) -> MonthView:
    previous = add_months(month, -1)
    following = add_months(month, 1)
    return MonthView(
        month=month,
        title=month_title(month),
        key=month_key(month),
        headers=weekday_headers(week_start),
        weeks=weeks,
        previous=month_key(previous) if previous >= earliest.replace(day=1) else None,
        next=month_key(following) if following <= today.replace(day=1) else None,
        previous_label=MONTH_SHORT[previous.month - 1],
        next_label=MONTH_SHORT[following.month - 1],
    )


def _trend(series: dict[date, float], now: float, today: date) -> Trend:
    since = today - timedelta(days=TREND_DAYS)
    then = series.get(since)
    if then is None:
        return Trend("new", 0, None)
    points = round(100 * now) - round(100 * then)
    direction = "up" if points > 0 else "down" if points < 0 else "steady"
    return Trend(direction, abs(points), since)


async def habit_insights(
    session: AsyncSession,
    user: User,
    habit_id: uuid.UUID,
    *,
    month: date | None,
    history_before: date | None,
    year: int | None = None,
) -> HabitInsights:
    """Everything the habit page shows, as of the user's today (D1.3): streaks with
    their dates (D7), score and its trend over 30 days (D8.2), completion rates over 30
    days and all time (D8.1), best weekday and hour (D8.3, complete days of all time),
    the score of each of the last 365 days, a month of day states (D5), the heatmap
    of the last 53 weeks, and a page of entries with notes, newest first."""
    habit = await habit_queries.get_habit(session, user, habit_id)
    today = today_of(user)
    week_start = core_time.weekday_number(user.week_start)
    ctx = await context_of(session, user, habit, today)
    rules = ctx.rules
    this_month = today.replace(day=1)
    month = month or this_month

    heat_first = heatmap_module.heatmap_first_day(today, week_start)
    first = min(
        unit_start(rules, min(rules.start_date, heat_first), week_start),
        rules.start_date - timedelta(days=window_days(rules)),
    )
    last = max(timeline_end(rules, today, week_start), month_end(this_month))
    best_from = today - timedelta(days=BEST_TIMES_DAYS - 1)
    rows = await repository.day_rows(session, user.id, habit.id, first, last, logged_from=best_from)
    facts = {row[0]: EntryFact(row[1], row[2]) for row in rows}
    # Streaks as the API has them: from the kept state, continued to today (D7).
    now: HabitNow = advance(ctx.state, rules, facts, ctx.breaks, today, week_start)

    # D8.2: the score of every day since the start (the chart shows the last year),
    # and D8.1 rates from the units of the whole history; one pass each.
    whole = Timeline(rules, facts, ctx.breaks, first, last, today, week_start)
    series: dict[date, float] = {}
    if rules.start_date <= today:
        start_index = whole.index_of(rules.start_date)
        scores = score_series(
            whole, start=start_index, stop=whole.today_index, initial=initial_state(rules).score
        )
        series = {whole.date_of(start_index + offset): score for offset, score in enumerate(scores)}
    shown = _year_range(year, rules.start_date, today)
    if shown.year is None:
        chart_from = max(rules.start_date, today - timedelta(days=CHART_DAYS - 1))
        chart_to = today
    else:
        chart_from = max(rules.start_date, date(shown.year, 1, 1))
        chart_to = min(today, date(shown.year, 12, 31))
    chart = [
        ScorePoint(day, score) for day, score in series.items() if chart_from <= day <= chart_to
    ]
    units = whole.raw_units()
    rate_recent = raw_completion_rate(units, today - timedelta(days=RATE_DAYS - 1), today)
    rate_all = raw_completion_rate(units, rules.start_date, today)
    complete = [
        Logged(at, zone)
        for day, _, _, at, zone in rows
        if at is not None
        and zone is not None
        and rules.start_date <= day <= today
        and whole.status[whole.index_of(day)] != S_SKIPPED
        and whole.complete(whole.index_of(day))
    ]
    best_weekday, best_hour = best_times(complete)

    # Day states only where they are shown: the heatmap's year, this month, the month asked.
    shown_first = unit_start(rules, heat_first, week_start)
    days = _Days(
        Timeline(rules, facts, ctx.breaks, shown_first, last, today, week_start),
        habit.unit,
        habit.target_value,
    )
    month_days = days
    if not (days.covers(month) and days.covers(month_end(month))):
        month_days = _Days(
            Timeline(
                rules,
                facts,
                ctx.breaks,
                unit_start(rules, month, week_start),
                max(month_end(month), timeline_end(rules, month_end(month), week_start)),
                today,
                week_start,
            ),
            habit.unit,
            habit.target_value,
        )
    earliest = min(rules.start_date, today)
    calendar = _month_view(
        month_days, month, today, week_start, earliest, link=f"/habits/{habit.id}"
    )
    # The whole history's day states: an older year's heatmap and the list's rows.
    all_days = _Days(whole, habit.unit, habit.target_value)
    heat_days = days if shown.year is None else all_days

    def cell(day: date) -> tuple[str, float | None, str]:
        state = heat_days.state(day)
        return state, heat_days.ratio(day), heat_days.title(day, state)

    heat = heatmap_module.build(chart_to, week_start, cell)
    done_last_year = sum(1 for item in heat.cells if "hm-done" in item.css)
    amounts = (
        [AmountPoint(point.day, all_days.value(point.day)) for point in chart]
        if habit.kind == "measurable"
        else []
    )

    entries = await repository.latest_entries(
        session, user.id, habit.id, before=history_before, limit=HISTORY_PAGE + 1
    )
    history = [_history_row(entry, all_days, habit, today) for entry in entries[:HISTORY_PAGE]]
    more = entries[HISTORY_PAGE - 1].local_date if len(entries) > HISTORY_PAGE else None
    return HabitInsights(
        header=_header(habit, ctx, today, user.week_start),
        today=today,
        unit=now.unit,
        current=now.current,
        longest=now.longest,
        score=now.score,
        trend=_trend(series, now.score, today),
        rate_recent=rate_recent,
        rate_all=rate_all,
        best_weekday=describe.LONG[best_weekday] if best_weekday else None,
        best_hour=best_hour,
        chart=chart,
        calendar=calendar,
        heatmap=heat,
        done_last_year=done_last_year,
        history=history,
        history_more=more,
        history_before=history_before,
        range=shown,
        amounts=amounts,
        month_slips=_month_slips(habit, calendar, month_days),
    )


def _year_range(year: int | None, start: date, today: date) -> YearRange:
    """The years a habit page can show: from the habit's first (an imported habit's can
    be years back, issue 13) to this one; a year outside them shows the last year."""
    years = list(range(today.year, min(start.year, today.year) - 1, -1))
    if year is None or year not in years:
        return YearRange(None, years, "the last 12 months")
    return YearRange(year, years, str(year))


def _amount_words(value: float | None, habit: Habit) -> str | None:
    """ "5 / 8 glasses" (at least), "2 cigarettes (limit 3)" (at most)."""
    if value is None:
        return None
    if habit.kind != "measurable" or habit.target_value is None:
        return format_value(value, habit.unit)
    if habit.direction == "at_most":
        limit = format_value(habit.target_value, None)
        return f"{format_value(value, habit.unit)} (limit {limit})"
    target = format_value(habit.target_value, habit.unit)
    return f"{format_value(value, None)} / {target}"


# The list's words for a day's outcome (D5), by the kind of habit.
_AT_LEAST_WORDS = {
    "done": "Target met",
    "extra": "Target met (not required)",
    "missed": "Not met",
    "pending": "Not met yet",
}
_AT_MOST_WORDS = {
    "done": "Within the limit",
    "extra": "Within the limit (not required)",
    "missed": "Over the limit",
    "pending": "Within the limit so far",
}


def _outcome_words(state: str, status: str, habit: Habit) -> str:
    if habit.kind == "measurable" and status != "skipped":
        table = _AT_MOST_WORDS if habit.direction == "at_most" else _AT_LEAST_WORDS
        if state in table:
            return table[state]
    if habit.polarity == "quit" and status == "failed":
        return "Slipped"
    if habit.polarity == "quit" and state == "done":
        return "Clean"
    return STATE_LABELS[state][:1].upper() + STATE_LABELS[state][1:]


def _history_row(entry: Entry, days: _Days, habit: Habit, today: date) -> HistoryRow:
    state = days.state(entry.local_date)
    value = entry.value if entry.status != "skipped" else None
    return HistoryRow(
        day=entry.local_date,
        when=date_with_year(entry.local_date, today),
        status=entry.status,
        value=_amount_words(value, habit),
        note=entry.note,
        state=state,
        mark=STATE_MARKS[state] or "·",
        words=_outcome_words(state, entry.status, habit),
    )


def _month_slips(habit: Habit, view: MonthView, days: _Days) -> str | None:
    """A quit habit's slips in the shown month: days with a slip, or the amount of a
    counted (at most) habit."""
    if habit.polarity != "quit":
        return None
    shown = [cell.day for week in view.weeks for cell in week if cell is not None]
    if habit.kind == "measurable":
        total = sum(days.value(day) or 0.0 for day in shown)
        amount = format_value(total, habit.unit) or "0"
        return f"{amount} in {view.title}"
    slipped = sum(
        1
        for day in shown
        if days.covers(day) and days.timeline.entry_status(days.timeline.index_of(day)) == "failed"
    )
    return f"{slipped} slip{'' if slipped == 1 else 's'} in {view.title}"


# --- the History page ------------------------------------------------------------------------


@dataclass(slots=True)
class HabitMonth:
    """One habit's units in the month (D7.1): done, required (done, missed, or still
    open), and the completion rate over the decided ones (D8.1)."""

    id: uuid.UUID
    name: str
    color: str | None
    unit: str
    done: int = 0
    required: int = 0
    rate: Rate = field(default_factory=lambda: Rate(0, 0))


@dataclass(frozen=True, slots=True)
class HistoryMonth:
    today: date
    calendar: MonthView
    habits: list[HabitMonth]
    perfect_days: int
    has_periodic: bool


def _break_words(resting: int, habits: int) -> str:
    if resting >= habits:
        return "a break for every habit"
    return f"a break for {resting} habit{'' if resting == 1 else 's'}"


def _is_periodic(ctx: HabitContext, day: date) -> bool:
    versions = ctx.rules.versions
    return isinstance(versions[version_index(versions, day)].schedule, TimesPerPeriod)


async def history_month(session: AsyncSession, user: User, month: date | None) -> HistoryMonth:
    """The month across the user's active habits: for each day, how many habits were
    required (D5: done, missed or pending; a habit counted per week or month has no
    required day, D6) and how many of those were done; for each habit, its units of
    the month. Future days are left out."""
    today = today_of(user)
    week_start = core_time.weekday_number(user.week_start)
    month = month or today.replace(day=1)
    last = month_end(month)
    habits: Sequence[Habit] = await habits_repository.habits_of(session, user.id)
    contexts = await contexts_for(session, user, habits, today)
    starts = {ctx.habit.id: unit_start(ctx.rules, month, week_start) for ctx in contexts}
    # A week that starts in this month may end up to six days into the next one.
    rows = await habits_repository.entry_facts(session, starts, last + timedelta(days=6))
    facts: dict[uuid.UUID, dict[date, EntryFact]] = {ctx.habit.id: {} for ctx in contexts}
    for habit_id, day, status, value in rows:
        facts[habit_id][day] = EntryFact(status, value)

    length = last.day
    done = [0] * length
    required = [0] * length
    resting = [0] * length  # habits on a break (D3.2) each day
    table: list[HabitMonth] = []
    has_periodic = False
    for ctx in contexts:
        timeline = window_timeline(
            ctx.rules, facts[ctx.habit.id], ctx.breaks, month, last, today, week_start
        )
        outcomes = timeline.day_outcomes()
        for offset in range(length):
            day = month + timedelta(days=offset)
            resting[offset] += timeline.in_break(timeline.index_of(day))
            if _is_periodic(ctx, day):
                has_periodic = True
                continue
            outcome = outcomes[timeline.index_of(day)]
            if outcome in (DONE, MISSED, PENDING):
                required[offset] += 1
                done[offset] += outcome == DONE
        versions = ctx.rules.versions
        schedule = versions[version_index(versions, min(last, max(today, month)))].schedule
        unit_name = schedule.period if isinstance(schedule, TimesPerPeriod) else "day"
        row = HabitMonth(ctx.habit.id, ctx.habit.name, ctx.habit.color, unit_name)
        window_last = min(last, today)
        if window_last >= month:
            units = timeline.units()
            row.rate = completion_rate(units, month, window_last)
            pending = sum(
                1 for unit in units if unit.outcome == PENDING and month <= unit.first <= last
            )
            row.done = row.rate.done
            row.required = row.rate.done + row.rate.missed + pending
        table.append(row)

    weeks: list[list[CalendarDay | None]] = []
    perfect = 0
    for week in month_grid(month, week_start):
        cells: list[CalendarDay | None] = []
        for slot in week:
            if slot is None:
                cells.append(None)
                continue
            offset = slot.day - 1
            future = slot > today
            level = share_level(done[offset], required[offset], future=future)
            perfect += level == "perfect"
            words = "Upcoming" if future else share_text(done[offset], required[offset])
            if level == "perfect":
                words += ", a perfect day"
            on_break = resting[offset] > 0
            if on_break:
                words += ", " + _break_words(resting[offset], len(contexts))
            cells.append(
                CalendarDay(
                    day=slot,
                    state=level,
                    mark="★" if level == "perfect" else "‖" if on_break else "",
                    label=f"{short_date(slot)}: {words}",
                    is_today=slot == today,
                    link="" if future else f"/history/days/{slot.isoformat()}",
                    on_break=on_break,
                    short=(
                        f"{done[offset]}/{required[offset]}"
                        if required[offset] and not future
                        else ""
                    ),
                )
            )
        weeks.append(cells)
    earliest = min((ctx.rules.start_date for ctx in contexts), default=today)
    calendar = _month_shell(month, today, week_start, min(earliest, today), weeks)
    return HistoryMonth(
        today=today,
        calendar=calendar,
        habits=table,
        perfect_days=perfect,
        has_periodic=has_periodic,
    )


# --- one day across habits (History's day) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class HabitDay:
    id: uuid.UUID
    name: str
    color: str | None
    state: str  # calendar.DayState
    mark: str
    label: str  # "done, 5 glasses"
    note: str | None
    link: str  # the day editor


@dataclass(frozen=True, slots=True)
class HistoryDay:
    day: date
    title: str
    today: date
    habits: list[HabitDay]
    month: str  # "2026-11", back to History


async def history_day(session: AsyncSession, user: User, day: date) -> HistoryDay:
    """What each active habit's day was (the calendar's states, D5), with its note and
    the link to its day editor. Days to come are a page that does not exist."""
    today = today_of(user)
    if day > today:
        raise NotFound("That day has not happened yet.")
    week_start = core_time.weekday_number(user.week_start)
    habits: Sequence[Habit] = await habits_repository.habits_of(session, user.id)
    contexts = await contexts_for(session, user, habits, today)
    starts = {ctx.habit.id: unit_start(ctx.rules, day, week_start) for ctx in contexts}
    rows = await habits_repository.entry_facts(session, starts, day + timedelta(days=40))
    facts: dict[uuid.UUID, dict[date, EntryFact]] = {ctx.habit.id: {} for ctx in contexts}
    for habit_id, when, status, value in rows:
        facts[habit_id][when] = EntryFact(status, value)
    notes = await repository.notes_on(session, user.id, day)
    items: list[HabitDay] = []
    for ctx in contexts:
        habit = ctx.habit
        timeline = window_timeline(
            ctx.rules, facts[habit.id], ctx.breaks, day, day, today, week_start
        )
        days = _Days(timeline, habit.unit, habit.target_value)
        state = days.state(day)
        amount = _amount_words(days.value(day), habit)
        logged: str = timeline.entry_status(timeline.index_of(day)) or ""
        # The words of the habit page's list ("Not met", "Slipped", "Clean").
        label = _outcome_words(state, logged, habit) + (f", {amount}" if amount else "")
        items.append(
            HabitDay(
                id=habit.id,
                name=habit.name,
                color=habit.color,
                state=state,
                mark=STATE_MARKS[state] or "·",
                label=label,
                note=notes.get(habit.id),
                link=f"/habits/{habit.id}/days/{day.isoformat()}?origin=history",
            )
        )
    return HistoryDay(
        day=day,
        title=date_with_year(day, today),
        today=today,
        habits=items,
        month=month_key(day),
    )
