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
from habitus.events.kinds import DomainEvent, StreakExtended
from habitus.habits import presenters, repository, service
from habitus.models import User

# A colour a user picked is shown as a dot; without one, the accent colour.
DEFAULT_COLOR = "#0f766e"
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
            step, unit = self.step_text, f" {self.unit}" if self.unit else ""
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
            if self.entry_status is None:
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
            return "Clean so far today" if self.required else "Not due today"
        if self.measurable:
            if self.over_limit:
                return "Over the limit today"
            if self.done:
                return "Target reached"
        if self.entry_status == "failed":
            return "Missed today"
        if self.entry_status == "done" and not self.measurable:
            return "Done today"
        if self.period_text and self.done:
            return "Done for the " + (self.period or "period")
        if not self.required:
            return "Not due today"
        return "To do"


@dataclass(frozen=True, slots=True)
class Ring:
    """The day's progress: N of M habits required today are complete."""

    done: int
    total: int

    RADIUS = 52

    @property
    def circumference(self) -> float:
        return round(2 * math.pi * self.RADIUS, 2)

    @property
    def filled(self) -> float:
        share = self.done / self.total if self.total else 0.0
        return round(self.circumference * share, 2)

    @property
    def rest(self) -> float:
        return round(self.circumference - self.filled, 2)

    @property
    def perfect(self) -> bool:
        return self.total > 0 and self.done == self.total

    @property
    def label(self) -> str:
        if self.total == 0:
            return "Nothing due today"
        return f"{self.done} of {self.total} habits done today"


@dataclass(frozen=True, slots=True)
class TodayView:
    day: date
    cards: list[Card]

    @property
    def due(self) -> list[Card]:
        return [card for card in self.cards if card.shown_today]

    @property
    def later(self) -> list[Card]:
        return [card for card in self.cards if not card.shown_today]

    @property
    def ring(self) -> Ring:
        required = [card for card in self.cards if card.required]
        return Ring(done=sum(card.done for card in required), total=len(required))

    def card(self, habit_id: uuid.UUID) -> Card | None:
        return next((card for card in self.cards if card.id == habit_id), None)


async def load(session: AsyncSession, user: User) -> TodayView:
    """Every active habit as of the user's today (D1.3), in the user's order."""
    habits = await repository.habits_of(session, user.id, archived=False)
    today, evaluated = await service.evaluate_habits(session, user, habits)
    cards = []
    for item in evaluated:
        shown = presenters.habit_out(item)
        entry = item.now.today_entry
        target = shown.target
        periodic = shown.streak.unit != "day"
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
            )
        )
    return TodayView(day=today, cards=cards)


def milestone_of(caused: list[DomainEvent]) -> dict[str, Any] | None:
    """D7.4: the milestone a write's `streak_extended` event reached, if any."""
    for event in caused:
        if isinstance(event, StreakExtended) and event.milestone:
            return {"milestone": event.milestone, "unit": event.unit}
    return None
