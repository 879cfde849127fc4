"""Request and response bodies of /habits, /today and entries."""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from habitus.auth.schemas import StrictBody
from habitus.core import schedule as core
from habitus.core.evaluate import UnitName
from habitus.core.habits import Direction, Kind, Polarity, Status
from habitus.core.outcomes import Outcome
from habitus.core.time import WEEKDAYS, Weekday
from habitus.errors import register_union_tags
from habitus.habits.icon import check_icon
from habitus.kit.validation import (
    EARLIEST_DATE as EARLIEST_DATE,  # re-exported: the importer clamps to them
)
from habitus.kit.validation import (
    LATEST_DATE as LATEST_DATE,
)
from habitus.kit.validation import NoNul, SupportedDate

WeekdayName = Weekday  # core's names (core.time.WEEKDAYS)
# Fields called `date` shadow the type inside their class: annotate with this name.
LocalDate = date
MAX_DATES = 366
MAX_TAGS = 20
MAX_VALUE = 1e9


# Dates a habit can be about: the range every date of the API keeps (kit.validation).
HabitDate = SupportedDate


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


FiniteNumber = Annotated[float, AfterValidator(_finite), Field(ge=-MAX_VALUE, le=MAX_VALUE)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=60), NoNul]
Note = Annotated[str, StringConstraints(max_length=1000), NoNul]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30), NoNul]
Color = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
Icon = Annotated[str, AfterValidator(check_icon)]
# D12.2: who may see a habit beyond its owner (share links work whatever it is).
Visibility = Literal["private", "friends", "public"]


# --- schedules (D3) -------------------------------------------------------------------


class DailySchedule(StrictBody):
    type: Literal["daily"]

    def to_core(self) -> core.Schedule:
        return core.Daily()


class WeekdaysSchedule(StrictBody):
    type: Literal["weekdays"]
    days: list[WeekdayName] = Field(min_length=1, max_length=7)

    @field_validator("days")
    @classmethod
    def _unique(cls, days: list[str]) -> list[str]:
        if len(set(days)) != len(days):
            raise ValueError("lists a weekday twice")
        return sorted(days, key=WEEKDAYS.index)

    def to_core(self) -> core.Schedule:
        return core.Weekdays(frozenset(WEEKDAYS.index(day) for day in self.days))


class EveryNDaysSchedule(StrictBody):
    type: Literal["every_n_days"]
    n: int = Field(ge=2, le=365, strict=True, description="At least 2 (1 is daily).")

    def to_core(self) -> core.Schedule:
        return core.EveryNDays(self.n)


class TimesPerPeriodSchedule(StrictBody):
    type: Literal["times_per_period"]
    period: Literal["week", "month"]
    times: int = Field(ge=1, le=31, strict=True)

    @field_validator("times")
    @classmethod
    def _fits(cls, times: int, info: ValidationInfo) -> int:
        if info.data.get("period") == "week" and times > 7:
            raise ValueError("a week has only 7 days: times must be at most 7")
        return times

    def to_core(self) -> core.Schedule:
        return core.TimesPerPeriod(self.times, self.period)


class DatesSchedule(StrictBody):
    type: Literal["dates"]
    dates: list[HabitDate] = Field(min_length=1, max_length=MAX_DATES)

    @field_validator("dates")
    @classmethod
    def _unique(cls, dates: list[date]) -> list[date]:
        if len(set(dates)) != len(dates):
            raise ValueError("lists a date twice")
        return sorted(dates)

    def to_core(self) -> core.Schedule:
        return core.Dates(frozenset(self.dates))


ScheduleIn = Annotated[
    DailySchedule | WeekdaysSchedule | EveryNDaysSchedule | TimesPerPeriodSchedule | DatesSchedule,
    Field(discriminator="type"),
]
# In 422s, `schedule.days` rather than pydantic's `schedule.weekdays.days`.
register_union_tags("schedule", {"daily", "weekdays", "every_n_days", "times_per_period", "dates"})


def schedule_to_json(schedule: core.Schedule) -> dict[str, Any]:
    """The stored and answered form of a schedule (API.md)."""
    if isinstance(schedule, core.Daily):
        return {"type": "daily"}
    if isinstance(schedule, core.Weekdays):
        return {"type": "weekdays", "days": [WEEKDAYS[day] for day in sorted(schedule.days)]}
    if isinstance(schedule, core.EveryNDays):
        return {"type": "every_n_days", "n": schedule.n}
    if isinstance(schedule, core.TimesPerPeriod):
        return {"type": "times_per_period", "times": schedule.times, "period": schedule.period}
    return {"type": "dates", "dates": [day.isoformat() for day in sorted(schedule.dates)]}


def schedule_from_json(data: dict[str, Any]) -> core.Schedule:
    kind = data["type"]
    if kind == "daily":
        return core.Daily()
    if kind == "weekdays":
        return core.Weekdays(frozenset(WEEKDAYS.index(day) for day in data["days"]))
    if kind == "every_n_days":
        return core.EveryNDays(int(data["n"]))
    if kind == "times_per_period":
        return core.TimesPerPeriod(int(data["times"]), data["period"])
    return core.Dates(frozenset(date.fromisoformat(day) for day in data["dates"]))


# --- habits (D2) ----------------------------------------------------------------------


class TargetIn(StrictBody):
    value: FiniteNumber = Field(ge=0, description="Per day. at_least needs more than 0.")
    unit: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40), NoNul] | None = (
        None
    )
    direction: Direction = "at_least"

    @model_validator(mode="after")
    def _positive_goal(self) -> TargetIn:
        if self.direction == "at_least" and self.value <= 0:
            raise ValueError("an at_least target must be more than 0")
        return self


class TargetOut(BaseModel):
    value: float
    unit: str | None
    direction: Direction


class HabitFields(StrictBody):
    """Fields shared by create and update (all optional here)."""

    name: Name | None = None
    description: Annotated[str, StringConstraints(max_length=2000), NoNul] | None = None
    target: TargetIn | None = None
    schedule: ScheduleIn | None = None
    start_date: HabitDate | None = None
    end_date: HabitDate | None = None
    backfill_days: int | None = Field(
        default=None, ge=0, le=36500, strict=True, description="null: unlimited."
    )
    category: ShortText | None = None
    tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)
    color: Color | None = None
    icon: Icon | None = Field(
        default=None, description='One emoji shown before the name; null or "": none.'
    )
    visibility: Visibility | None = Field(
        default=None, description="D12.2: private (default), friends or public."
    )

    @field_validator("tags")
    @classmethod
    def _unique_tags(cls, tags: list[str] | None) -> list[str] | None:
        if tags is not None and len({tag.lower() for tag in tags}) != len(tags):
            raise ValueError("lists a tag twice")
        return tags


class HabitCreate(HabitFields):
    """Rules across fields (a measurable habit needs a target, ...) are checked by the
    service, which names the field in its 422."""

    name: Name
    schedule: ScheduleIn
    kind: Kind = "boolean"
    polarity: Polarity = "build"
    backfill_days: int | None = Field(default=2, ge=0, le=36500, strict=True)
    visibility: Visibility = "private"


class HabitUpdate(HabitFields):
    archived: bool | None = Field(default=None, strict=True, description="true archives.")
    kind: Kind | None = None
    polarity: Polarity | None = None

    @field_validator(
        "name",
        "schedule",
        "start_date",
        "archived",
        "kind",
        "polarity",
        "visibility",
        mode="before",
    )
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null")
        return value


class TodayOut(BaseModel):
    date: LocalDate
    required: bool
    status: Outcome
    value: float | None
    progress: int | None = Field(description="Complete days so far in this period (periodic).")
    needed: int | None = Field(description="Complete days this period needs (periodic).")


class StreakOut(BaseModel):
    current: int
    longest: int
    unit: UnitName
    current_start: date | None
    current_end: date | None
    longest_start: date | None
    longest_end: date | None


class HabitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str | None
    kind: Kind
    polarity: Polarity
    target: TargetOut | None
    schedule: dict[str, Any]
    schedule_text: str = Field(description='The schedule in plain words ("3 times a week").')
    start_date: date
    end_date: date | None
    backfill_days: int | None
    category: str | None
    tags: list[str]
    color: str | None
    icon: str | None
    visibility: Visibility
    position: int
    archived: bool
    created_at: datetime
    updated_at: datetime
    today: TodayOut
    streak: StreakOut
    score: float = Field(description="Habit strength today, 0..1 (docs/SCORE.md).")


# --- entries (D4) -----------------------------------------------------------------------


class CheckinIn(StrictBody):
    date: LocalDate | None = Field(default=None, description="Local date; default today.")
    value: FiniteNumber | None = Field(
        default=None, description="Measurable: added to the day's value (default 1)."
    )
    note: Note | None = None


class EntryIn(StrictBody):
    status: Status
    value: FiniteNumber | None = Field(default=None, ge=0)
    note: Note | None = None


class EntryOut(BaseModel):
    habit_id: uuid.UUID
    date: LocalDate
    status: Status
    value: float | None
    note: str | None
    logged_at: datetime
    source: str


class EventOut(BaseModel):
    kind: str
    date: LocalDate | None
    payload: dict[str, Any]


class LeaderboardRankOut(BaseModel):
    """D12.4: the writer's place in a challenge after a check-in of its habit."""

    challenge_id: uuid.UUID
    rank: int
    rate: float | None


class CheckinOut(BaseModel):
    entry: EntryOut
    streak: StreakOut
    events: list[EventOut]
    # A challenge habit's check-in: the user's rank in each challenge it counts for.
    leaderboards: list[LeaderboardRankOut] = []


class EntriesOut(BaseModel):
    items: list[EntryOut]


class DayOut(BaseModel):
    date: LocalDate
    outcome: Outcome
    value: float | None
    status: Status | None
    in_break: bool


class DaysOut(BaseModel):
    items: list[DayOut]


class MovingRateOut(BaseModel):
    date: date
    rate_7d: float | None
    rate_30d: float | None


class StatsOut(BaseModel):
    from_date: date = Field(serialization_alias="from")
    to_date: date = Field(serialization_alias="to")
    current_streak: int
    longest_streak: int
    unit: UnitName
    streak_start: date | None
    longest_start: date | None
    longest_end: date | None
    completion_rate: float | None
    score: float
    total_completions: int
    done: int
    missed: int
    best_weekday: WeekdayName | None = Field(
        description="D8.3: the weekday complete days in the window were most often logged."
    )
    best_hour: int | None = Field(description="D8.3: the local hour of logging, likewise.")
    rate_7d: float | None = Field(
        description="D8.1 over the 7 days ending on min(to, today); null without units."
    )
    rate_30d: float | None = Field(description="The same over 30 days.")
    moving_rates: list[MovingRateOut] = Field(
        description="Each day of from..min(to, today) with its 7- and 30-day rates."
    )


class TodayTaskOut(BaseModel):
    """D13.3: one of today's coach tasks of the habit's plan."""

    id: uuid.UUID
    position: int
    text: str
    done: bool


class TodayItem(BaseModel):
    habit: HabitOut
    outcome: Outcome
    value: float | None
    streak: StreakOut
    tasks: list[TodayTaskOut] = Field(
        default_factory=list, description="Today's coach tasks (a coach plan's habit)."
    )


class TodayPage(BaseModel):
    date: LocalDate
    items: list[TodayItem]
