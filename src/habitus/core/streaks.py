"""D7: current and longest streaks, as a fold over units in date order.

Folding is incremental: a `StreakState` folded through some date can be continued with
the units after it, so a long history is walked once and kept (see
`core.evaluate`), and a check-in today only adds today's unit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from habitus.core.outcomes import DONE, MISSED, PENDING, Unit


@dataclass(frozen=True, slots=True)
class Run:
    """Consecutive done units, with the first and last local dates they cover."""

    length: int = 0
    first: date | None = None
    last: date | None = None

    def extended(self, unit: Unit) -> Run:
        return Run(self.length + 1, self.first or unit.first, unit.last)


@dataclass(frozen=True, slots=True)
class StreakState:
    """Where a fold of units stands: the run in progress and the longest run so far."""

    current: Run = Run()
    longest: Run = Run()


def fold(state: StreakState, units: Iterable[Unit]) -> StreakState:
    """Continue `state` with `units` (in date order, all ending after the state's).

    D7.2: done extends the run, missed ends it, not-required units never appear (they
    are transparent) and a pending unit — only ever the newest — is passed over.
    D7.3: the longest run is the longest seen; on a tie, the more recent one.
    """
    current, longest = state.current, state.longest
    for unit in units:
        outcome = unit.outcome
        if outcome == DONE:
            current = current.extended(unit)
            if current.length >= longest.length:
                longest = current
        elif outcome == MISSED:
            current = Run()
        elif outcome == PENDING:
            continue
        else:  # future units end the walk: nothing after today counts
            break
    return StreakState(current, longest)
