"""D11: the daily claim's cycle, gems in tenths, freezes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from habitus.core.rewards import (
    FREEZE_PRICE_TENTHS,
    AlreadyClaimed,
    ClaimState,
    FreezeCandidate,
    FreezeRefused,
    buy_freeze,
    claim,
    habit_to_freeze,
    next_claim_tenths,
    tenths_to_gems,
)

D0 = date(2026, 12, 1)


def test_seven_days_in_a_row_pay_the_cycle_then_wrap() -> None:
    """D11.2: 0.1 ... 0.6, 1.0, then day 1 again while the streak goes on."""
    state = ClaimState()
    paid = []
    for n in range(9):
        result = claim(state, D0 + timedelta(n))
        paid.append(result.gems_tenths)
        state = result.state
    assert paid == [1, 2, 3, 4, 5, 6, 10, 1, 2]
    assert (state.daily_streak, state.cycle_day) == (9, 2)
    assert sum(paid) == 34
    assert tenths_to_gems(sum(paid)) == 3.4


def test_a_missed_day_starts_again_at_day_one() -> None:
    """D11.2: a claim not on the day after the last one resets streak and cycle."""
    state = claim(claim(ClaimState(), D0).state, D0 + timedelta(1)).state
    result = claim(state, D0 + timedelta(3))
    assert (result.state.daily_streak, result.state.cycle_day, result.gems_tenths) == (1, 1, 1)


def test_a_second_claim_the_same_day_is_refused() -> None:
    """D11.2: 409 on a second claim the same local day (and never for an earlier day)."""
    state = claim(ClaimState(), D0).state
    with pytest.raises(AlreadyClaimed):
        claim(state, D0)
    with pytest.raises(AlreadyClaimed):
        claim(state, D0 - timedelta(1))


def test_next_claim_says_what_the_next_one_pays() -> None:
    state = ClaimState()
    assert next_claim_tenths(state, D0) == 1
    state = claim(state, D0).state
    assert next_claim_tenths(state, D0) == 2  # today is claimed: tomorrow's


@given(st.lists(st.integers(1, 3), min_size=1, max_size=30))
def test_gems_are_integers_and_the_cycle_stays_in_1_to_7(gaps: list[int]) -> None:
    """D11.2: integer tenths only; cycle day in 1..7; streak counts consecutive days."""
    state, day, run = ClaimState(), D0, 0
    for gap in gaps:
        day += timedelta(gap)
        result = claim(state, day)
        run = run + 1 if state.last_claim == day - timedelta(1) else 1
        assert isinstance(result.gems_tenths, int)
        assert 1 <= result.state.cycle_day <= 7
        assert result.state.daily_streak == run
        assert result.state.cycle_day == (run - 1) % 7 + 1
        state = result.state


def test_a_freeze_costs_five_gems_and_two_at_most() -> None:
    """D11.3."""
    buy_freeze(FREEZE_PRICE_TENTHS, 1)
    with pytest.raises(FreezeRefused, match=r"costs 5 gems; you have 4\.9"):
        buy_freeze(49, 0)
    with pytest.raises(FreezeRefused, match="already hold 2"):
        buy_freeze(500, 2)


def test_the_freeze_goes_to_the_first_missed_habit_with_a_streak_of_three() -> None:
    """D11.3: first in the user's order; streak >= 3; that day missed."""
    candidates = [
        FreezeCandidate("c", 3, 10, True),
        FreezeCandidate("a", 1, 2, True),  # streak too short
        FreezeCandidate("b", 2, 5, False),  # not missed
        FreezeCandidate("d", 4, 3, True),
    ]
    chosen = habit_to_freeze(candidates)
    assert chosen is not None
    assert chosen.habit_id == "c"
    assert habit_to_freeze(candidates[1:3]) is None
