"""GET /api/v1/admin/metrics (API.md "Product metrics and plans"; docs/METRICS.md): every
figure of a known set of synthetic users, against a count made by hand below."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.metrics import rollup
from habitus.models import MetricDay
from tests.metrics.factories import at, events, nps_answer, synthetic_user

D = date  # the dates below are all 2026


async def arrange(session: AsyncSession) -> None:
    """Five users (the clock stands at Saturday 2026-11-21 12:00 UTC):

    | user | signed up    | active days                  |
    | u1   | 11-09 10:00  | 11-09, 11-10, 11-16, 11-20   |
    | u2   | 11-09 15:00  | 11-09, 11-16                 |
    | u3   | 11-11 08:00  | 11-11, 11-12                 |
    | u4   | 11-16 09:00  | 11-16, 11-17, 11-20          |
    | old  | 10-01 09:00  | 10-25, 11-20                 |
    """
    u1 = await synthetic_user(
        session, "u1", at(D(2026, 11, 9), 10), [D(2026, 11, d) for d in (9, 10, 16, 20)]
    )
    u2 = await synthetic_user(
        session, "u2", at(D(2026, 11, 9), 15), [D(2026, 11, 9), D(2026, 11, 16)]
    )
    u3 = await synthetic_user(
        session, "u3", at(D(2026, 11, 11), 8), [D(2026, 11, 11), D(2026, 11, 12)]
    )
    u4 = await synthetic_user(
        session, "u4", at(D(2026, 11, 16), 9), [D(2026, 11, d) for d in (16, 17, 20)]
    )
    old = await synthetic_user(
        session, "old", at(D(2026, 10, 1), 9), [D(2026, 10, 25), D(2026, 11, 20)]
    )
    # Check-ins: 11-16 u1 x2, u2 x1; 11-20 u1 x1, u4 x2 (6 in all).
    await events(session, "habit_logged", u1, at(D(2026, 11, 16)), 2)
    await events(session, "habit_logged", u2, at(D(2026, 11, 16)), 1)
    await events(session, "habit_logged", u1, at(D(2026, 11, 20)), 1)
    await events(session, "habit_logged", u4, at(D(2026, 11, 20)), 2)
    # Reminders: 11-12 three sent; 11-18 four sent, one given up on; 11-08 (before the
    # window) five given up on.
    await events(session, "reminder_sent", u3, at(D(2026, 11, 12)), 3)
    await events(session, "reminder_sent", u1, at(D(2026, 11, 18)), 4)
    await events(session, "reminder_failed", u1, at(D(2026, 11, 18)), 1)
    await events(session, "reminder_failed", u1, at(D(2026, 11, 8)), 5)
    # NPS: 10, 9 (promoters), 7, 8 (passives), 3 (detractor) in the window; a 0 before it.
    await nps_answer(session, u1, 10, at(D(2026, 11, 10)))
    await nps_answer(session, u2, 9, at(D(2026, 11, 17)))
    await nps_answer(session, u3, 7, at(D(2026, 11, 12)))
    await nps_answer(session, old, 8, at(D(2026, 11, 19)))
    await nps_answer(session, u4, 3, at(D(2026, 11, 20)))
    await nps_answer(session, old, 0, at(D(2026, 11, 5)))


@pytest.fixture
async def rolled_up(app, frozen_clock, admin):
    """The synthetic users, then one worker pass of the rollup."""
    async with db.job_transaction(app.state.sessionmaker) as session:
        await arrange(session)
    async with db.job_transaction(app.state.sessionmaker) as session:
        assert await rollup.run_pass(session) == 46  # 45 days back, and today
    return admin


async def test_every_figure_matches_a_hand_count(client, rolled_up):
    """Issue 21 / docs/METRICS.md: DAU, WAU, MAU, DAU/MAU, weekly cohorts with d1/d7/d30,
    reminder success, check-ins per active user-day and NPS of 11-09..11-20."""
    response = await client.get(
        "/api/v1/admin/metrics",
        params={"from": "2026-11-09", "to": "2026-11-20"},
        headers=rolled_up.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    # On 11-20: u1, u4, old.
    assert body["dau"] == 3
    # 11-14..11-20: u1, u2, u4, old.
    assert body["wau"] == 4
    # 10-22..11-20: all five.
    assert body["mau"] == 5
    assert body["dau_mau"] == 0.6
    # Week of 11-09: u1, u2, u3. Day 1: u1 (11-10) and u3 (11-12), not u2 -> 2/3.
    # Day 7: u1 and u2 (11-16), not u3 (11-18) -> 2/3. Day 30 (12-09..) not come -> None.
    # Week of 11-16: u4. Day 1 (11-17) yes -> 1; day 7 (11-23) not come.
    assert body["retention"] == [
        {"cohort_week": "2026-11-09", "users": 3, "d1": 0.6667, "d7": 0.6667, "d30": None},
        {"cohort_week": "2026-11-16", "users": 1, "d1": 1.0, "d7": None, "d30": None},
    ]
    # Sent 3 + 4, given up on 1 (the five before the window do not count): 7 / 8.
    assert body["reminder_success_rate"] == 0.875
    # 6 check-ins over active user-days 2+1+1+1+3+1+3 = 12 (11-09, 10, 11, 12, 16, 17, 20).
    assert body["logs_per_user_day"] == 0.5
    # 2 promoters, 2 passives, 1 detractor of 5: 40% - 20%.
    assert body["nps"] == 20
    assert body["nps_responses"] == 5
    days = {item["day"]: item for item in body["days"]}
    assert len(days) == 12
    assert days["2026-11-16"]["dau"] == 3
    assert days["2026-11-16"]["logs"] == 3
    assert days["2026-11-09"]["signups"] == 2


async def test_a_window_without_activity_has_no_ratios(client, rolled_up):
    """docs/METRICS.md: a ratio over nothing is null, not 0 (11-13..11-15: nobody)."""
    response = await client.get(
        "/api/v1/admin/metrics",
        params={"from": "2026-11-13", "to": "2026-11-15"},
        headers=rolled_up.headers,
    )
    body = response.json()
    assert (body["dau"], body["wau"], body["mau"]) == (0, 3, 4)
    assert body["dau_mau"] == 0.0
    assert body["logs_per_user_day"] is None
    assert body["reminder_success_rate"] is None
    assert body["nps"] is None
    assert body["retention"] == []


async def test_only_admins_see_metrics(client, frozen_clock, alice):
    """API.md: GET /admin/metrics is for administrators (403 otherwise)."""
    response = await client.get("/api/v1/admin/metrics", headers=alice.headers)
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-11-20", "to": "2026-11-09"}, "from"),
        ({"from": "2026-11-01", "to": "2026-11-30"}, "to"),
        ({"from": "2024-01-01", "to": "2026-11-20"}, "from"),
        ({"from": "not-a-date"}, "from"),
    ],
)
async def test_a_bad_window_is_422_naming_the_field(client, frozen_clock, admin, params, field):
    """Issue 21: a bad window is 422 naming `from` or `to` (the future, reversed, longer
    than 366 days, not a date)."""
    response = await client.get("/api/v1/admin/metrics", params=params, headers=admin.headers)
    assert response.status_code == 422, response.text
    assert field in {error["field"] for error in response.json()["errors"]}


async def test_a_finished_day_is_computed_once_and_today_again(app, frozen_clock, admin):
    """docs/METRICS.md: a pass computes the days since the last final one; today's row is
    partial and computed again on the next pass (a final day is not)."""
    async with db.job_transaction(app.state.sessionmaker) as session:
        assert await rollup.run_pass(session) == 46
    async with db.job_transaction(app.state.sessionmaker) as session:
        assert await rollup.run_pass(session) == 1  # today only
        today = await session.get(MetricDay, D(2026, 11, 21))
        assert today is not None
        assert today.data["partial"] is True
    frozen_clock.move_to(at(D(2026, 11, 22), 1))
    async with db.job_transaction(app.state.sessionmaker) as session:
        # 11-21 was computed before it ended: once more (final now), and 11-22.
        assert await rollup.run_pass(session) == 2
        count = await session.scalar(select(func.count()).select_from(MetricDay))
        assert count == 47
        finished = await session.get(MetricDay, D(2026, 11, 21), populate_existing=True)
        assert finished is not None
        assert finished.data["partial"] is False
        # The admin signed up on 11-21: a sign-up, and an active day, counted there.
        assert finished.data["signups"] == 1
        assert finished.data["dau"] == 1
