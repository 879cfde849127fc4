"""iCalendar (RFC 5545) documents of completed days and of schedules, built with the
`icalendar` library from plain values (no database here).

Every event is an all-day event (`DTSTART;VALUE=DATE`, `DTEND` the next day), so no
VTIMEZONE is needed: a local date is the same day in every zone. The library writes
CRLF line ends and folds lines longer than 75 octets.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event, vText
from icalendar.parser import Contentline, Parameters

from habitus import __version__
from habitus.core.schedule import (
    Daily,
    Dates,
    EveryNDays,
    Schedule,
    TimesPerPeriod,
    Weekdays,
)
from habitus.core.time import WEEKDAYS, period_start

PRODID = f"-//Habitus//Habitus {__version__}//EN"
UID_DOMAIN = "habitus"
ICAL_DAYS = tuple(day[:2].upper() for day in WEEKDAYS)  # RFC 5545 BYDAY: "MO" .. "SU"
CHUNK_EVENTS = 200
DONE_MARK = "\N{CHECK MARK} "


def calendar_head(name: str, description: str) -> bytes:
    """VCALENDAR's properties, up to (not including) its first component."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    # RFC 7986 and the de-facto X-WR-* names, for the calendar app's list.
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-caldesc", description)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    text: bytes = calendar.to_ical()
    end = b"END:VCALENDAR\r\n"
    assert text.endswith(end)
    return text[: -len(end)]


CALENDAR_END = b"END:VCALENDAR\r\n"


def stream(head: bytes, events: Iterable[bytes]) -> Iterator[bytes]:
    """The document in chunks: head, serialised events (as they come), end."""
    yield head
    chunk: list[bytes] = []
    for event in events:
        chunk.append(event)
        if len(chunk) >= CHUNK_EVENTS:
            yield b"".join(chunk)
            chunk = []
    if chunk:
        yield b"".join(chunk)
    yield CALENDAR_END


def _all_day(event: Event, day: date) -> None:
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    # A habit does not make its day busy.
    event.add("transp", "TRANSPARENT")


# --- completed days -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DoneDay:
    habit_id: uuid.UUID
    habit_name: str
    day: date
    stamp: datetime  # when the day's facts last changed
    detail: str | None = None


def done_uid(habit_id: uuid.UUID, day: date) -> str:
    """Stable per habit and date: importing the calendar again updates, never duplicates."""
    return f"{habit_id}-{day:%Y%m%d}@{UID_DOMAIN}"


def done_event(done: DoneDay) -> Event:
    event = Event()
    event.add("uid", done_uid(done.habit_id, done.day))
    event.add("dtstamp", done.stamp)
    _all_day(event, done.day)
    event.add("summary", DONE_MARK + done.habit_name)
    if done.detail:
        event.add("description", done.detail)
    event.add("categories", ["Habitus"])
    return event


# The same event for a stand-in day, whose variable lines are then replaced.
_DAY = date(1900, 1, 1)
_STAMP = datetime(1900, 1, 1, tzinfo=UTC)


def _compact(day: date) -> str:
    return day.isoformat().replace("-", "")


class DoneEvents:
    """Serialises completed days about 20 times faster than an `Event` each (a long
    history has tens of thousands): the library builds one event per habit for a
    stand-in day, and each day's UID, DTSTART, DTEND and DTSTAMP lines replace the
    stand-in's. Those lines are short (never folded) and framed by CRLFs, which escaped
    text cannot contain, so the replacements are exact. A description is a content line
    escaped and folded by the library, added before END:VEVENT.
    tests/exports/test_ical.py checks the result against `done_event`."""

    def __init__(self) -> None:
        self._templates: dict[tuple[uuid.UUID, str], tuple[bytes, tuple[bytes, ...]]] = {}

    @staticmethod
    def _parts(habit_id: uuid.UUID, day: date, stamp: datetime) -> tuple[bytes, ...]:
        compact = _compact(day)
        return (
            f"\r\nUID:{habit_id}-{compact}@{UID_DOMAIN}\r\n".encode(),
            f"\r\nDTSTART;VALUE=DATE:{compact}\r\n".encode(),
            f"\r\nDTEND;VALUE=DATE:{_compact(day + timedelta(days=1))}\r\n".encode(),
            f"\r\nDTSTAMP:{stamp.astimezone(UTC):%Y%m%dT%H%M%SZ}\r\n".encode(),
        )

    def _template(self, done: DoneDay) -> tuple[bytes, tuple[bytes, ...]]:
        key = (done.habit_id, done.habit_name)
        found = self._templates.get(key)
        if found is None:
            template = done_event(DoneDay(done.habit_id, done.habit_name, _DAY, _STAMP)).to_ical()
            parts = self._parts(done.habit_id, _DAY, _STAMP)
            for part in parts:
                assert template.count(part) == 1, part
            found = self._templates[key] = (template, parts)
        return found

    def __call__(self, done: DoneDay) -> bytes:
        text, stand_in = self._template(done)
        for old, new in zip(
            stand_in, self._parts(done.habit_id, done.day, done.stamp), strict=True
        ):
            text = text.replace(old, new, 1)
        if done.detail:
            line = Contentline.from_parts("DESCRIPTION", Parameters(), vText(done.detail))
            text = text.removesuffix(b"END:VEVENT\r\n") + line.to_ical() + b"\r\nEND:VEVENT\r\n"
        return text


# --- schedules --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    """One schedule version of one habit, over [first, last] (last None: open-ended)."""

    habit_id: uuid.UUID
    habit_name: str
    schedule: Schedule
    first: date
    last: date | None
    anchor: date  # where an every-n-days schedule counts from (D3)
    stamp: datetime
    description: str
    week_start: int = 0
    days_off: list[date] = field(default_factory=list)  # breaks: EXDATE


def plan_uid(plan: Plan) -> str:
    return f"{plan.habit_id}-schedule-{plan.first:%Y%m%d}@{UID_DOMAIN}"


def _first_on_or_after(day: date, weekdays: Iterable[int]) -> date:
    return min(day + timedelta(days=(weekday - day.weekday()) % 7) for weekday in weekdays)


def plan_event(plan: Plan) -> Event | None:
    """A recurring all-day event, or None when the version has no day to show."""
    schedule = plan.schedule
    rule: dict[str, object] = {}
    start = plan.first
    extra_dates: list[date] = []
    summary = plan.habit_name
    if isinstance(schedule, Daily):
        rule = {"freq": "daily"}
    elif isinstance(schedule, Weekdays):
        start = _first_on_or_after(plan.first, schedule.days)
        rule = {
            "freq": "weekly",
            "byday": [ICAL_DAYS[day] for day in sorted(schedule.days)],
            "wkst": ICAL_DAYS[plan.week_start],
        }
    elif isinstance(schedule, EveryNDays):
        offset = (plan.first - plan.anchor).days % schedule.n
        start = plan.first + timedelta(days=(schedule.n - offset) % schedule.n)
        rule = {"freq": "daily", "interval": schedule.n}
    elif isinstance(schedule, TimesPerPeriod):
        # No single day is required (D6): one reminder on the first day of each period.
        start = period_start(plan.first, schedule.period, plan.week_start)
        times = {1: "once", 2: "twice"}.get(schedule.times, f"{schedule.times} times")
        summary = f"{plan.habit_name} ({times} this {schedule.period})"
        rule = {"freq": "weekly" if schedule.period == "week" else "monthly"}
        if schedule.period == "week":
            rule["wkst"] = ICAL_DAYS[plan.week_start]
        else:
            rule["bymonthday"] = 1
    elif isinstance(schedule, Dates):
        dates = sorted(
            day
            for day in schedule.dates
            if plan.first <= day and (plan.last is None or day <= plan.last)
        )
        if not dates:
            return None
        start, extra_dates = dates[0], dates[1:]
    if plan.last is not None and start > plan.last:
        return None
    event = Event()
    event.add("uid", plan_uid(plan))
    event.add("dtstamp", plan.stamp)
    _all_day(event, start)
    event.add("summary", summary)
    event.add("description", plan.description)
    event.add("categories", ["Habitus"])
    if rule:
        if plan.last is not None:
            rule["until"] = plan.last
        event.add("rrule", rule)
    if extra_dates:
        event.add("rdate", extra_dates)
    if plan.days_off and not isinstance(schedule, TimesPerPeriod):
        off = sorted(
            day
            for day in set(plan.days_off)
            if start <= day and (plan.last is None or day <= plan.last)
        )
        if off:
            event.add("exdate", off)
    return event
