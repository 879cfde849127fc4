"""Today's "top 3 habits" card (issue 21): the habits with the best current streaks,
their strength (D8.2) deciding between equal streaks. Made from the cards Today has
already loaded: no query of its own.

Streaks of weekly or monthly habits count weeks or months (D7.1); to rank them with
daily ones, a streak is compared by the days it spans (a week as 7, a month as 30), and
shown in its own unit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from habitus.habits.today_views import Card, streak_text

TOP = 3
DAYS_IN_UNIT = {"day": 1, "week": 7, "month": 30}


@dataclass(frozen=True, slots=True)
class TopHabit:
    rank: int
    id: str
    name: str
    streak_label: str
    score_percent: int


def _key(card: Card) -> tuple[int, int, int]:
    span = card.streak * DAYS_IN_UNIT.get(card.streak_unit, 1)
    return (-span, -card.score_percent, card.position)


def top_habits(cards: Sequence[Card], count: int = TOP) -> list[TopHabit]:
    """The best `count` habits with a streak or some strength; none when no habit has
    either (a new account: the card would only say zero)."""
    ranked = sorted((card for card in cards if card.streak > 0 or card.score_percent > 0), key=_key)
    return [
        TopHabit(
            rank=index + 1,
            id=str(card.id),
            name=card.name,
            streak_label=streak_text(card.streak, card.streak_unit),
            score_percent=card.score_percent,
        )
        for index, card in enumerate(ranked[:count])
    ]
