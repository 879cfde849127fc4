"""The habit page's streak badges (D10.1: the 7/21/100 badges), as a pure rule."""

from __future__ import annotations

from dataclasses import dataclass

BADGE_TARGETS = (7, 21, 100)
UNIT_WORDS = {"day": ("day", "days"), "week": ("week", "weeks"), "month": ("month", "months")}


def _count(number: int, unit: str) -> str:
    one, many = UNIT_WORDS.get(unit, (unit, unit + "s"))
    return f"{number} {one if number == 1 else many}"


@dataclass(frozen=True, slots=True)
class Badge:
    target: int
    label: str
    earned: bool
    # "3 days to go" for one not earned yet, counted from the current streak.
    to_go: str | None


def streak_badges(current: int, longest: int, unit: str) -> list[Badge]:
    """D10.1's 7/21/100 badges for one habit: earned once its longest streak reached the
    target (earned stays earned, D10.2); the others say how far the current streak is."""
    badges = []
    for target in BADGE_TARGETS:
        earned = max(longest, current) >= target
        to_go = None if earned else f"{_count(target - current, unit)} to go"
        badges.append(Badge(target, _count(target, unit), earned, to_go))
    return badges
