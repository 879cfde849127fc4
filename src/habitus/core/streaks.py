"""D7: current and longest streaks, as a fold over units in date order.

Folding is incremental: a `StreakState` folded through some date can be continued with
the units after it, so a long history is walked once and kept (see
`core.evaluate`), and a check-in today only adds today's unit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from habitus.core.outcomes import U_DONE, U_MISSED, RawUnit, Unit


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


def fold(state: StreakState, units: Iterable[RawUnit]) -> StreakState:
    """Continue `state` with raw `units` (Timeline.raw_units: in date order, all ending
    after the state's).

    D7.2: done extends the run, missed ends it, not-required units never appear (they
    are transparent) and a pending unit — only ever the newest — is passed over.
    D7.3: the longest run is the longest seen; on a tie, the more recent one.
    Dates are ordinals inside the loop (it runs once per required day of a history).
    """
    length = state.current.length
    first = state.current.first.toordinal() if state.current.first else 0
    last = state.current.last.toordinal() if state.current.last else 0
    best = state.longest.length
    best_first = state.longest.first.toordinal() if state.longest.first else 0
    best_last = state.longest.last.toordinal() if state.longest.last else 0
    for unit_first, unit_last, outcome, _, _ in units:
        if outcome == U_DONE:
            if length == 0:
                first = unit_first
            length += 1
            last = unit_last
            if length >= best:
                best, best_first, best_last = length, first, last
        elif outcome == U_MISSED:
            length = 0
        # U_PENDING: only ever the newest unit; passed over.
    return StreakState(_run(length, first, last), _run(best, best_first, best_last))


def _run(length: int, first: int, last: int) -> Run:
    if length == 0:
        return Run()
    return Run(length, date.fromordinal(first), date.fromordinal(last))
