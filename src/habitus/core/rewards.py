"""D11: coins, gems on a 7-day cycle and streak freezes, as pure rules.

Amounts of gems are integer tenths everywhere (0.1 gem is 1); only the API shows them
with one decimal. Nothing here reads or writes a database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Currency = Literal["coins", "gems"]

# D11.1: coins for a habit's unit done on a date, or for a coach task.
COINS_PER_DONE_UNIT = 1
COINS_PER_TASK = 1
# D11.2: gems by cycle day 1..7, in tenths: 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 1.0.
GEMS_BY_CYCLE_DAY: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 10)
CYCLE_DAYS = len(GEMS_BY_CYCLE_DAY)
# D11.3: a freeze costs 5 gems (50 tenths); at most 2 held; a streak of at least 3 to save.
FREEZE_PRICE_TENTHS = 50
MAX_FREEZES_HELD = 2
FREEZE_MIN_STREAK = 3


def tenths_to_gems(tenths: int) -> float:
    """What the API shows: a number with one decimal (computed from integers, stored never)."""
    return round(tenths / 10, 1)


@dataclass(frozen=True, slots=True)
class ClaimState:
    """Where the daily claim stands (D11.2). `last_claim`: the local date of the last claim."""

    last_claim: date | None = None
    daily_streak: int = 0
    cycle_day: int = 0


@dataclass(frozen=True, slots=True)
class Claim:
    state: ClaimState
    gems_tenths: int


class AlreadyClaimed(Exception):
    """D11.2: a second claim on the same local day."""


def claimed_on(state: ClaimState, today: date) -> bool:
    return state.last_claim == today


def claim(state: ClaimState, today: date) -> Claim:
    """D11.2: the claim of local day `today`. The day after the last claim continues the
    streak and the cycle (7 wraps to 1); any other day starts both again at 1."""
    if state.last_claim is not None and state.last_claim >= today:
        raise AlreadyClaimed
    if state.last_claim == today - timedelta(days=1):
        streak = state.daily_streak + 1
        cycle_day = state.cycle_day % CYCLE_DAYS + 1
    else:
        streak, cycle_day = 1, 1
    return Claim(ClaimState(today, streak, cycle_day), GEMS_BY_CYCLE_DAY[cycle_day - 1])


def next_claim_tenths(state: ClaimState, today: date) -> int:
    """What a claim on `today` would pay (what tomorrow's pays, when today is claimed)."""
    if claimed_on(state, today):
        return claim(state, today + timedelta(days=1)).gems_tenths
    return claim(state, today).gems_tenths


class FreezeRefused(Exception):
    """D11.3: a freeze that cannot be bought; the message says why."""


def buy_freeze(gems_tenths: int, held: int) -> None:
    """D11.3: refuse a purchase with too few gems or with the most freezes held."""
    if held >= MAX_FREEZES_HELD:
        raise FreezeRefused(f"You already hold {MAX_FREEZES_HELD} streak freezes, the most.")
    if gems_tenths < FREEZE_PRICE_TENTHS:
        raise FreezeRefused(
            f"A streak freeze costs {tenths_to_gems(FREEZE_PRICE_TENTHS):g} gems; "
            f"you have {tenths_to_gems(gems_tenths):g}."
        )


@dataclass(frozen=True, slots=True)
class FreezeCandidate:
    """A habit as the end of a local day finds it: its current streak and whether that
    day's unit is missed. `position`: the user's order, which decides "first"."""

    habit_id: object
    position: int
    current_streak: int
    missed: bool


def habit_to_freeze(candidates: Sequence[FreezeCandidate]) -> FreezeCandidate | None:
    """D11.3: the first habit (in the user's order) whose current streak is at least
    FREEZE_MIN_STREAK and whose unit that day is missed; None when none is."""
    for candidate in sorted(candidates, key=lambda c: c.position):
        if candidate.missed and candidate.current_streak >= FREEZE_MIN_STREAK:
            return candidate
    return None
