"""What the Today page shows: every habit as a card, the day's progress ring.

Built from the same evaluation the API's `GET /today` answers with
(`presenters.habit_out`), plus today's entry status (a skip or a slip is an entry the
habit object does not name). Reading costs the evaluation's fixed number of queries,
whatever the number of habits.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.core.outcomes import DONE, MISSED, PENDING
from habitus.core.schedule import TimesPerPeriod, version_index
from habitus.events.kinds import DomainEvent, StreakExtended
from habitus.habits import presenters, repository, service
from habitus.habits.today_prefs import DEFAULT_PREFS, ViewPrefs
from habitus.habits.today_tasks_port import TODAY_TASKS, TodayTask
from habitus.habits.today_week import DayCell, weeks_of
from habitus.kit.templating import DEFAULT_HABIT_COLOR
from habitus.models import User
from habitus.registry import registry

# A colour a user picked is shown as a dot; without one, the accent colour.
DEFAULT_COLOR = DEFAULT_HABIT_COLOR  # one default for every page (kit.templating)
UNIT_WORDS = {"day": ("day", "days"), "week": ("week", "weeks"), "month": ("month", "months")}
PERIOD_WORDS = {"week": "this week", "month": "this month"}


def number(value: float | None) -> str:
    """1.0 -> "1", 1.5 -> "1.5", 0.25 -> "0.25": no trailing zeros for people."""
    if value is None:
        return "0"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def step_for(target: float | None) -> float:
    """The amount one tap of +/- adds: about a quarter of a small target (0.5 of 2 L),
    a round tenth of a big one (1000 of 10,000 steps), else 1."""
    if target is None or target <= 0:
        return 1.0
    if target < 1:
        return 0.1
    if target < 4:
        return 0.5
    if target <= 20:
        return 1.0
    rough = target / 10
    magnitude = 10 ** math.floor(math.log10(rough))
    for factor in (5, 2, 1):
        if factor * magnitude <= rough:
            return float(factor * magnitude)
    return float(magnitude)


def streak_text(current: int, unit: str) -> str:
    if current <= 0:
        return "No streak yet"
    one, many = UNIT_WORDS.get(unit, ("day", "days"))
    return f"{current} {one if current == 1 else many}"


@dataclass(frozen=True, slots=True)
class Action:
    """One button on a card: a form posting to /today/{id}/{name}."""

    name: str  # done | undo | skip | slip | add
    label: str  # what the button shows
    spoken: str  # its whole name for screen readers, with the habit's name
    css: str
    amount: str | None = None
    disabled: bool = False
    icon: bool = False


@dataclass(frozen=True, slots=True)
class Card:
    """One habit on the Today page."""

    id: uuid.UUID
    name: str
    color: str
    kind: str  # boolean | measurable
    polarity: str  # build | quit
    direction: str | None  # measurable: at_least | at_most
    schedule_text: str
    required: bool
    outcome: str  # D5/D6 outcome of today (or of the current period)
    entry_status: str | None  # today's entry: done | skipped | failed | None
    value: float | None
    target: float | None
    unit: str | None
    step: float
    streak: int
    streak_unit: str
    score_percent: int
    period_progress: int | None
    period_needed: int | None
    period: str | None
    day: date
    week: tuple[DayCell, ...] = ()
    note: str | None = None
    counts_slips: bool = False  # D2.2: quit and at-most habits (no entry: a good day)
    times: int | None = None  # times_per_period: the schedule's `times`
    period_last: date | None = None  # the current week's or month's last day
    position: int = 0
    # D13.3: today's tasks of a coach plan whose habit this is (through TODAY_TASKS).
    tasks: tuple[TodayTask, ...] = ()

    @property
    def tasks_done(self) -> int:
        return sum(1 for task in self.tasks if task.done)

    @property
    def done(self) -> bool:
        return self.outcome == DONE

    @property
    def pending(self) -> bool:
        return self.outcome == PENDING

    @property
    def missed(self) -> bool:
        return self.outcome == MISSED

    @property
    def measurable(self) -> bool:
        return self.kind == "measurable"

    @property
    def quit(self) -> bool:
        return self.polarity == "quit"

    @property
    def shown_today(self) -> bool:
        """In the main list: due today, or skipped today (so the skip can be undone)."""
        return self.required or self.entry_status == "skipped"

    @property
    def streak_label(self) -> str:
        return streak_text(self.streak, self.streak_unit)

    @property
    def value_text(self) -> str:
        return number(self.value)

    @property
    def target_text(self) -> str:
        return number(self.target)

    @property
    def step_text(self) -> str:
        return number(self.step)

    @property
    def amount_text(self) -> str:
        """ "1.5 / 2 L" (at least) or "1 / at most 3 cigarettes"."""
        unit = f" {self.unit}" if self.unit else ""
        if self.target is None:
            return f"{self.value_text}{unit}"
        if self.direction == "at_most":
            return f"{self.value_text} / at most {self.target_text}{unit}"
        return f"{self.value_text} / {self.target_text}{unit}"

    @property
    def progress_max(self) -> float:
        return self.target if self.target and self.target > 0 else 1.0

    @property
    def progress_value(self) -> float:
        return min(self.value or 0.0, self.progress_max)

    @property
    def over_limit(self) -> bool:
        return (
            self.direction == "at_most"
            and self.target is not None
            and (self.value or 0.0) > self.target
        )

    @property
    def period_text(self) -> str | None:
        if self.period is None or self.period_needed is None:
            return None
        return f"{self.period_progress or 0} of {self.period_needed} {PERIOD_WORDS[self.period]}"

    @property
    def actions(self) -> list[Action]:
        """The buttons for today's state: Done and Skip; Undo once something is logged;
        a quit habit's Slipped; a measurable habit's -/+ by its step."""
        name = self.name
        if self.measurable:
            if self.entry_status == "skipped":
                return [Action("undo", "Undo skip", f"Undo skip: {name}", "secondary")]
            # The unit as the habit names it, in brackets: "Add 1 (glasses)" reads right
            # for any unit word and any amount, where "Add 1 glasses" does not.
            step, unit = self.step_text, f" ({self.unit})" if self.unit else ""
            buttons = [
                Action(
                    "add",
                    f"\N{MINUS SIGN}{step}",
                    f"Take away {step}{unit}: {name}",
                    "secondary step",
                    amount=f"-{step}",
                    disabled=not self.value,
                ),
                Action("add", f"+{step}", f"Add {step}{unit}: {name}", "step plus", amount=step),
            ]
            if not self.done and self.entry_status != "failed":
                # Skipping stays possible after some amount is logged, until the day is
                # complete (D3.3: the skip replaces the amount).
                buttons.append(Action("skip", "Skip", f"Skip today: {name}", "secondary small"))
            return buttons
        if self.entry_status is not None:
            return [Action("undo", "Undo", f"Undo: {name}", "secondary")]
        skip = Action("skip", "Skip", f"Skip today: {name}", "secondary small")
        if self.quit:
            return [Action("slip", "Slipped", f"Slipped: {name}", "slip"), skip]
        return [Action("done", "Done", f"Done: {name}", "done", icon=True), skip]

    @property
    def state_text(self) -> str:
        """The day in plain words, for the card and for screen readers."""
        if self.entry_status == "skipped":
            return "Skipped today"
        if self.quit and not self.measurable:
            if self.entry_status == "failed":
                return "Slipped today"
            if self.entry_status == "done":
                return "Clean today"
            return "Clean so far today" if self.required else "Not due today"
        if self.measurable:
            if self.over_limit:
                return "Over the limit today"
            if self.done:
                return "Target reached"
            if self.clean_so_far:
                return "Clean so far today"
        if self.entry_status == "failed":
            return "Missed today"
        if self.entry_status == "done" and not self.measurable:
            return "Done today"
        if self.period_text and self.done:
            return "Done for the " + (self.period or "period")
        if not self.required:
            return "Not due today"
        return "To do"

    @property
    def slips_text(self) -> str | None:
        """A quit habit's slips of today: a yes/no one has at most one (one entry a day,
        D4.1); a measurable one counts them in its value when it has no unit word."""
        if not self.quit:
            return None
        if not self.measurable:
            return "1 slip today" if self.entry_status == "failed" else None
        if self.unit or not self.value or self.entry_status == "skipped":
            return None
        count = number(self.value)
        return f"{count} slip today" if count == "1" else f"{count} slips today"

    @property
    def clean_so_far(self) -> bool:
        """D2.2: a quit (or at-most) habit due today with no slip yet: on track, though
        the day only counts as done once it has ended."""
        return self.counts_slips and self.required and self.pending

    @property
    def on_track(self) -> bool:
        return self.done or self.clean_so_far

    @property
    def can_note(self) -> bool:
        """A note goes on today's entry: offered once the day has one (after Done)."""
        return self.entry_status is not None

    @property
    def period_help(self) -> str | None:
        """Why a weekly/monthly target reads the way it does (D6.1): pro-rated to the
        days the habit can count this period, or no longer reachable."""
        if self.period is None or self.period_needed is None or self.times is None:
            return None
        words = PERIOD_WORDS[self.period]
        progress, needed = self.period_progress or 0, self.period_needed
        if progress >= needed:
            return None
        if self.period_last is not None:
            today_counts = 0 if self.entry_status is not None else 1
            left = (self.period_last - self.day).days + today_counts
            if progress + left < needed:
                days = "day" if left == 1 else "days"
                return (
                    f"No longer reachable {words}: {left} {days} left for {needed - progress} more"
                )
        if needed < self.times:
            return (
                f"Pro-rated: {needed} {words} instead of {self.times}, "
                "as it counts only part of the period (a late start, a break or skips)"
            )
        return None

    @property
    def primary(self) -> Action | None:
        """The one-tap action of a compact row."""
        actions = self.actions
        if self.measurable:
            # "+step" rather than "-step": the tap that moves the day forward.
            adds = [
                action
                for action in actions
                if action.name == "add" and action.amount and not action.amount.startswith("-")
            ]
            if adds:
                return adds[0]
        return actions[0] if actions else None

    @property
    def measurable_amount(self) -> str:
        return number(self.value) if self.value else ""


@dataclass(frozen=True, slots=True)
class Ring:
    """The day's progress: N of M habits required today are done, or on track (a quit
    habit clean so far counts: it is complete unless a slip comes, D2.2)."""

    done: int
    total: int
    clean: int = 0

    RADIUS = 52

    @property
    def on_track(self) -> int:
        return self.done + self.clean

    @property
    def circumference(self) -> float:
        return round(2 * math.pi * self.RADIUS, 2)

    @property
    def filled(self) -> float:
        share = self.on_track / self.total if self.total else 0.0
        return round(self.circumference * share, 2)

    @property
    def rest(self) -> float:
        return round(self.circumference - self.filled, 2)

    @property
    def perfect(self) -> bool:
        return self.total > 0 and self.on_track == self.total

    @property
    def clean_text(self) -> str:
        return f"{self.clean} clean so far" if self.clean else ""

    @property
    def label(self) -> str:
        if self.total == 0:
            return "Nothing due today"
        if self.clean:
            return f"{self.on_track} of {self.total} habits on track today · {self.clean_text}"
        return f"{self.done} of {self.total} habits done today"


@dataclass(frozen=True, slots=True)
class TodayView:
    day: date
    cards: list[Card]
    prefs: ViewPrefs = DEFAULT_PREFS

    @property
    def due(self) -> list[Card]:
        shown = [card for card in self.cards if card.shown_today]
        if self.prefs.completed == "hide":
            shown = [card for card in shown if not card.done]
        return self.prefs.arrange(shown)

    @property
    def hidden_done(self) -> int:
        if self.prefs.completed != "hide":
            return 0
        return sum(1 for card in self.cards if card.shown_today and card.done)

    @property
    def later(self) -> list[Card]:
        return self.prefs.arrange([card for card in self.cards if not card.shown_today])

    @property
    def ring(self) -> Ring:
        required = [card for card in self.cards if card.required]
        return Ring(
            done=sum(card.done for card in required),
            total=len(required),
            clean=sum(card.clean_so_far for card in required),
        )

    def card(self, habit_id: uuid.UUID) -> Card | None:
        return next((card for card in self.cards if card.id == habit_id), None)


async def load(session: AsyncSession, user: User, prefs: ViewPrefs | None = None) -> TodayView:
    """Every active habit as of the user's today (D1.3), in the user's order (or the
    order the user picked for this page), with its last 7 days."""
    habits = await repository.habits_of(session, user.id, archived=False)
    today, evaluated = await service.evaluate_habits(session, user, habits)
    weeks = await weeks_of(session, user, evaluated, today)
    # One statement for every habit (issue 17): the coach's tasks of the day.
    tasks = await registry.port(TODAY_TASKS).tasks_on(session, user, today)
    cards = []
    for position, item in enumerate(evaluated):
        shown = presenters.habit_out(item)
        entry = item.now.today_entry
        target = shown.target
        periodic = shown.streak.unit != "day"
        versions = item.ctx.rules.versions
        schedule = versions[version_index(versions, today)].schedule
        unit = item.now.current_unit
        week = weeks.get(shown.id)
        cards.append(
            Card(
                id=shown.id,
                name=shown.name,
                color=shown.color or DEFAULT_COLOR,
                kind=shown.kind,
                polarity=shown.polarity,
                direction=target.direction if target else None,
                schedule_text=shown.schedule_text,
                required=shown.today.required,
                outcome=shown.today.status,
                entry_status=entry.status if entry else None,
                value=entry.value if entry else None,
                target=target.value if target else None,
                unit=target.unit if target else None,
                step=step_for(target.value if target else None),
                streak=shown.streak.current,
                streak_unit=shown.streak.unit,
                score_percent=round(shown.score * 100),
                period_progress=shown.today.progress,
                period_needed=shown.today.needed,
                period=shown.streak.unit if periodic else None,
                day=today,
                week=week.cells if week else (),
                note=week.note if week else None,
                counts_slips=item.ctx.rules.counts_slips,
                times=schedule.times if isinstance(schedule, TimesPerPeriod) else None,
                period_last=unit.last if periodic and unit else None,
                position=position,
                tasks=tuple(tasks.get(shown.id, ())),
            )
        )
    return TodayView(day=today, cards=cards, prefs=prefs or DEFAULT_PREFS)


def milestone_of(caused: list[DomainEvent]) -> dict[str, Any] | None:
    """D7.4: the milestone a write's `streak_extended` event reached, if any."""
    for event in caused:
        if isinstance(event, StreakExtended) and event.milestone:
            return {"milestone": event.milestone, "unit": event.unit}
    return None
