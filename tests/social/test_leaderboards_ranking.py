"""D12.4's order, pure (`core.ranking`): rate, then done units, then join order; no
required unit yet: last, rate None."""

from __future__ import annotations

from habitus.core.ranking import Standing, rank


def order(*standings: Standing) -> list[tuple[object, int, float | None]]:
    return [(item.standing.member, item.rank, item.rate) for item in rank(standings)]


def test_rate_then_done_then_join_order() -> None:
    """D12.4: a higher rate wins; the same rate: more done units; the same both: who
    joined first."""
    assert order(
        Standing("late", done=2, missed=1, joined=3),
        Standing("perfect", done=1, missed=0, joined=4),
        Standing("more", done=4, missed=2, joined=2),
        Standing("early", done=2, missed=1, joined=1),
    ) == [
        ("perfect", 1, 1.0),
        ("more", 2, 4 / 6),
        ("early", 3, 2 / 3),
        ("late", 4, 2 / 3),
    ]


def test_no_required_unit_comes_last_with_no_rate() -> None:
    """D12.4: a member with no required unit yet ranks after a member at 0%, rate None."""
    assert order(
        Standing("nothing", done=0, missed=0, joined=0),
        Standing("zero", done=0, missed=3, joined=1),
        Standing("also nothing", done=0, missed=0, joined=2),
    ) == [("zero", 1, 0.0), ("nothing", 2, None), ("also nothing", 3, None)]


def test_equal_rates_compare_exactly() -> None:
    """D8.1 rates as fractions: 1/3 and 2/6 tie (then done units decide), never a float's
    rounding."""
    assert [
        item.standing.member
        for item in rank(
            [
                Standing("a", done=1, missed=2, joined=0),
                Standing("b", done=2, missed=4, joined=1),
            ]
        )
    ] == ["b", "a"]
