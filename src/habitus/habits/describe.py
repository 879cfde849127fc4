"""A habit's schedule and goal in plain words, for people (DOMAIN.md D2, D3).

Pure functions over what a `HabitOut` (habits/schemas.py) carries: its `schedule`
dict (`{"type": "weekdays", "days": ["mon", "wed"]}`, API.md), `kind`, `polarity`
and `target`. Every page says a schedule the same way by calling these:

    from habitus.habits import describe
    describe.schedule_in_words(habit.schedule, week_start=user.week_start)  # "Mon, Wed and Fri"
    describe.target_in_words(habit.kind, habit.polarity, habit.target)       # "At least 2 L a day"
    describe.habit_in_words(habit, week_start=user.week_start)               # both, and "Quit: "

Nothing here reads the clock or the database; `today` (optional) only decides whether
a date needs its year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from habitus.core.schedule import Daily, EveryNDays, Schedule, TimesPerPeriod, Weekdays
from habitus.core.time import WEEKDAYS as WEEKDAYS  # re-exported: the names pages use
from habitus.core.time import Weekday
from habitus.kit.templating import WEEKDAY_WORDS

LONG = WEEKDAY_WORDS  # "Monday"
SHORT = {day: word[:3] for day, word in WEEKDAY_WORDS.items()}  # "Mon"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Dates listed one by one up to this many; more are summed up ("On 5 dates, 1 Dec to 9 Jan").
LISTED_DATES = 3


def join(words: Sequence[str]) -> str:
    """ "Mon", "Mon and Wed", "Mon, Wed and Fri"."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def week_order(week_start: str = "mon") -> list[Weekday]:
    """The weekday names from the user's first day of the week (D3.1): "sun" -> sun..sat."""
    first = WEEKDAYS.index(week_start) if week_start in WEEKDAYS else 0
    return [*WEEKDAYS[first:], *WEEKDAYS[:first]]


def date_in_words(day: date, today: date | None = None) -> str:
    """ "Thu 24 Dec", with the year when it is not `today`'s year (or `today` is unknown)."""
    text = f"{SHORT[WEEKDAYS[day.weekday()]]} {day.day} {MONTHS[day.month - 1]}"
    if today is None or day.year != today.year:
        text += f" {day.year}"
    return text


def number_in_words(value: float) -> str:
    """2.0 -> "2", 2.5 -> "2.5", 0.333333 -> "0.33": no needless decimals."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def schedule_in_words(
    schedule: Mapping[str, Any], *, week_start: str = "mon", today: date | None = None
) -> str:
    """D3: which days a habit asks for, as a person would say it.

    `schedule` is the API form (`HabitOut.schedule`). Weekdays are listed from the
    user's `week_start` ("mon".."sun"). `today` lets dates of the current year drop it.

    daily -> "Every day"; weekdays -> "Mon, Wed and Fri", "Weekdays" (Mon to Fri),
    "Weekends", "Every Monday", "Every day" (all seven); every_n_days -> "Every other
    day", "Every 3 days"; times_per_period -> "Once a week", "Twice a month", "3 times
    a week"; dates -> "On Thu 24 Dec", "On Thu 24 Dec and Thu 31 Dec", "On 5 dates,
    Thu 24 Dec to Mon 1 Feb 2027".
    """
    kind = schedule.get("type")
    if kind == "daily":
        return "Every day"
    if kind == "weekdays":
        chosen = set(schedule.get("days") or ())
        if chosen == set(WEEKDAYS):
            return "Every day"
        if chosen == set(WEEKDAYS[:5]):
            return "Weekdays"
        if chosen == set(WEEKDAYS[5:]):
            return "Weekends"
        ordered = [day for day in week_order(week_start) if day in chosen]
        if len(ordered) == 1:
            return f"Every {LONG[ordered[0]]}"
        return join([SHORT[day] for day in ordered])
    if kind == "every_n_days":
        n = int(schedule["n"])
        return "Every other day" if n == 2 else f"Every {n} days"
    if kind == "times_per_period":
        times = int(schedule["times"])
        count = {1: "Once", 2: "Twice"}.get(times, f"{times} times")
        return f"{count} a {schedule['period']}"
    if kind == "dates":
        dates = sorted(_as_date(day) for day in schedule.get("dates") or ())
        if not dates:
            return "On no dates yet"
        if len(dates) <= LISTED_DATES:
            return "On " + join([date_in_words(day, today) for day in dates])
        first, last = date_in_words(dates[0], today), date_in_words(dates[-1], today)
        return f"On {len(dates)} dates, {first} to {last}"
    return "On its own schedule"


def schedule_text(schedule: Schedule) -> str:
    """A `core` schedule in plain words, Monday first, dates as ISO: the API's
    `schedule_text` and the calendar feed ("Mon, Wed and Fri", "3 times a week")."""
    if isinstance(schedule, Daily):
        return "Every day"
    if isinstance(schedule, Weekdays):
        days = sorted(schedule.days)
        if days == [0, 1, 2, 3, 4]:
            return "Weekdays"
        if days == [5, 6]:
            return "Weekends"
        if len(days) == 7:
            return "Every day"
        if len(days) == 1:
            return f"Every {LONG[WEEKDAYS[days[0]]]}"
        return join([SHORT[WEEKDAYS[day]] for day in days])
    if isinstance(schedule, EveryNDays):
        return "Every other day" if schedule.n == 2 else f"Every {schedule.n} days"
    if isinstance(schedule, TimesPerPeriod):
        count = {1: "Once", 2: "Twice"}.get(schedule.times, f"{schedule.times} times")
        return f"{count} a {schedule.period}"
    dates = sorted(schedule.dates)
    if len(dates) == 1:
        return f"On {dates[0].isoformat()}"
    return f"On {len(dates)} dates"


def target_in_words(kind: str, polarity: str, target: Mapping[str, Any] | Any | None) -> str | None:
    """D2.1: a measurable habit's daily goal ("At least 2 L a day", "At most 3 cups a
    day"); None for a yes/no habit. `target` is `HabitOut.target` (a TargetOut or its
    dict: value, unit, direction). `polarity` is accepted for symmetry: a quit habit's
    target is always at most (notes N2)."""
    del polarity
    if kind != "measurable" or target is None:
        return None
    if isinstance(target, Mapping):
        raw, unit, direction = target["value"], target.get("unit"), target.get("direction")
    else:
        raw, unit, direction = target.value, target.unit, target.direction
    value = number_in_words(float(raw))
    amount = f"{value} {unit}" if unit else value
    lead = "At most" if direction == "at_most" else "At least"
    return f"{lead} {amount} a day"


class HabitLike(Protocol):
    """What `habit_in_words` reads; a HabitOut has it."""

    @property
    def kind(self) -> str: ...
    @property
    def polarity(self) -> str: ...
    @property
    def target(self) -> Any: ...
    @property
    def schedule(self) -> dict[str, Any]: ...


def _lower_first(text: str) -> str:
    """ "Every day" -> "every day", but weekday names keep their capital ("Mon and Wed")."""
    first = text.split(" ", 1)[0].rstrip(",")
    if first in SHORT.values() or first in LONG.values():
        return text
    return text[:1].lower() + text[1:]


def habit_in_words(habit: HabitLike, *, week_start: str = "mon", today: date | None = None) -> str:
    """The whole habit in one line: "Mon, Wed and Fri", "Every day · At least 2 L a day",
    "Quit: every day" (D2.2), "Quit: weekdays · At most 3 cups a day"."""
    words = schedule_in_words(habit.schedule, week_start=week_start, today=today)
    if habit.polarity == "quit":
        words = "Quit: " + _lower_first(words)
    goal = target_in_words(habit.kind, habit.polarity, habit.target)
    return f"{words} · {goal}" if goal else words


def streak_in_words(length: int, unit: str) -> str:
    """ "1 day", "5 days", "2 weeks", "1 month" (D7.1: the unit of a streak)."""
    return f"{length} {unit}" if length == 1 else f"{length} {unit}s"
