"""D12.4: a leaderboard's order, pure (no database, no clock).

Members are ranked by completion rate (D8.1: done / (done + missed) units), then by
done units, then by who joined first; a member with no required unit yet (done +
missed == 0) has no rate and comes after everyone who has one.

Rates are compared as floats, which is exact here: a division is correctly rounded, so
equal fractions (2/3 and 4/6) give the same float and tie (falling through to done
units), and two different fractions with denominators under 2**26 differ by more than
1 / 2**52 of their size, so they never round to the same float or swap order.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Standing:
    """One member's counts over the window; `joined` orders ties (smaller: earlier)."""

    member: Hashable
    done: int
    missed: int
    joined: int

    @property
    def rate(self) -> float | None:
        units = self.done + self.missed
        return None if units == 0 else self.done / units


@dataclass(frozen=True, slots=True)
class Ranked:
    rank: int
    standing: Standing

    @property
    def rate(self) -> float | None:
        return self.standing.rate


def _key(standing: Standing) -> tuple[int, float, int, int]:
    rate = standing.rate
    # Unrated members sort after every rated one; within each group: rate, done, joined.
    return (1 if rate is None else 0, -(rate or 0.0), -standing.done, standing.joined)


def rank(standings: Iterable[Standing]) -> list[Ranked]:
    """Best first, ranks 1..n (join order breaks every remaining tie, so no two share one)."""
    ordered = sorted(standings, key=_key)
    return [Ranked(position, standing) for position, standing in enumerate(ordered, start=1)]
