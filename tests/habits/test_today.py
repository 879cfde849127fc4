"""/today, /stats, /days and time (DOMAIN.md D1, D5-D8; notes N3, N11-N13)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from habitus.models import Entry
from tests.habits.helpers import (
    API,
    checked_in,
    create_habit,
    days_of,
    entry_put,
    error_fields,
    get_habit,
    patch_habit,
    patch_me,
    problem,
    stats_of,
    travel,
)

DAILY_M = 0.5 ** (1 / 13)  # docs/SCORE.md: the daily multiplier


def daily_score(days: list[int]) -> float:
    """docs/SCORE.md: a daily yes/no habit's score after these days (1 done, 0 not)."""
    score = 0.0
    for done in days:
        score = score * DAILY_M + done * (1 - DAILY_M)
    return score


async def today_page(client, persona) -> dict:
    response = await client.get(f"{API}/today", headers=persona.headers)
    assert response.status_code == 200, response.text
    page: dict = response.json()
    return page


# --- /today ----------------------------------------------------------------------------


async def test_today_lists_active_habits_with_outcome_and_streak(client, alice):
    """API.md Today: GET /today lists every active habit with outcome, value and streak."""
    read = await create_habit(client, alice, name="Read", start_date="2026-11-20")
    water = await create_habit(client, alice, name="Water", kind="measurable", target={"value": 8})
    gym = await create_habit(
        client, alice, name="Gym", schedule={"type": "weekdays", "days": ["mon", "wed"]}
    )
    shelved = await create_habit(client, alice, name="Shelved")
    await patch_habit(client, alice, shelved["id"], archived=True)
    await entry_put(client, alice, read["id"], "2026-11-20", status="done")
    await checked_in(client, alice, read["id"])
    await checked_in(client, alice, water["id"], value=3)

    page = await today_page(client, alice)
    assert page["date"] == "2026-11-21"
    assert [item["habit"]["id"] for item in page["items"]] == [read["id"], water["id"], gym["id"]]
    by_name = {item["habit"]["name"]: item for item in page["items"]}
    assert by_name["Read"]["outcome"] == "done"
    assert by_name["Read"]["value"] is None
    assert by_name["Read"]["streak"]["current"] == 2
    assert by_name["Read"]["streak"] == by_name["Read"]["habit"]["streak"]
    assert by_name["Water"]["outcome"] == "pending"
    assert by_name["Water"]["value"] == 3.0
    assert by_name["Gym"]["outcome"] == "not_required"  # a Saturday
    for item in page["items"]:
        assert item["outcome"] == item["habit"]["today"]["status"]


async def test_every_habit_object_carries_streak_and_today(client, alice):
    """API.md Habits: `streak` and `today` are on every habit object, in lists too."""
    await create_habit(client, alice, name="A")
    await create_habit(
        client,
        alice,
        name="B",
        schedule={"type": "times_per_period", "times": 2, "period": "month"},
    )
    listed = (await client.get(f"{API}/habits", headers=alice.headers)).json()["items"]
    for habit in listed:
        assert set(habit["today"]) >= {"date", "required", "status", "value", "progress", "needed"}
        assert set(habit["streak"]) >= {"current", "longest", "unit"}
    periodic = listed[1]
    assert periodic["streak"]["unit"] == "month"
    # November 2026 from the 21st: 10 of 30 days; ceil(2 * 10 / 30) = 1.
    assert (periodic["today"]["progress"], periodic["today"]["needed"]) == (0, 1)
    assert listed[0]["today"]["progress"] is None


async def test_today_of_another_user_is_their_own(client, alice, bob):
    """API.md Today: /today lists only the caller's habits."""
    await create_habit(client, alice, name="Alice's")
    assert (await today_page(client, bob))["items"] == []


# --- /stats -----------------------------------------------------------------------------


async def test_stats_over_a_week_logged_at_known_local_times(client, alice, frozen_clock):
    """D7, D8.1, D8.3: streaks with dates, rate, score, totals, best weekday and hour."""
    await patch_me(client, alice, timezone="Europe/Berlin")  # UTC+1 in November
    await travel(frozen_clock, client, alice, datetime(2026, 11, 16, 6, 30, tzinfo=UTC))
    habit = await create_habit(client, alice)  # starts Monday the 16th
    await checked_in(client, alice, habit["id"])  # Mon 07:30 local
    await travel(frozen_clock, client, alice, datetime(2026, 11, 17, 6, 10, tzinfo=UTC))
    await checked_in(client, alice, habit["id"])  # Tue 07:10
    # Wednesday the 18th is missed.
    await travel(frozen_clock, client, alice, datetime(2026, 11, 20, 6, 45, tzinfo=UTC))
    await checked_in(client, alice, habit["id"], date="2026-11-19")  # Thursday, logged Fri 07:45
    await checked_in(client, alice, habit["id"])  # Fri 07:45
    await travel(frozen_clock, client, alice, datetime(2026, 11, 21, 22, 30, tzinfo=UTC))
    await checked_in(client, alice, habit["id"])  # Sat 23:30

    stats = await stats_of(client, alice, habit["id"])
    assert stats["from"] == "2026-10-23"  # default: the last 30 days
    assert stats["to"] == "2026-11-21"
    assert stats["current_streak"] == 3
    assert stats["streak_start"] == "2026-11-19"
    assert stats["longest_streak"] == 3
    assert (stats["longest_start"], stats["longest_end"]) == ("2026-11-19", "2026-11-21")
    assert stats["unit"] == "day"
    assert (stats["done"], stats["missed"]) == (5, 1)
    assert stats["completion_rate"] == pytest.approx(5 / 6)
    assert stats["total_completions"] == 5
    assert stats["best_weekday"] == "fri"  # two of five logged on a Friday
    assert stats["best_hour"] == 7  # four of five logged between 07:00 and 08:00 local
    assert stats["score"] == pytest.approx(daily_score([1, 1, 0, 1, 1, 1]), abs=1e-6)
    assert (await get_habit(client, alice, habit["id"]))["score"] == stats["score"]

    window = await stats_of(
        client, alice, habit["id"], **{"from": "2026-11-18", "to": "2026-11-21"}
    )
    assert (window["from"], window["to"]) == ("2026-11-18", "2026-11-21")
    assert (window["done"], window["missed"]) == (3, 1)
    assert window["completion_rate"] == 0.75
    assert window["total_completions"] == 3
    assert window["best_weekday"] == "fri"
    assert window["best_hour"] == 7
    # Streaks and score are as of today, whatever the window.
    assert window["current_streak"] == 3
    # D8.1 moving rates: each day's trailing 7 / 30 days, reaching before `from`
    # (the 18th's week holds the 16th and 17th, done, and the 18th, missed).
    assert [point["date"] for point in window["moving_rates"]] == [
        "2026-11-18",
        "2026-11-19",
        "2026-11-20",
        "2026-11-21",
    ]
    assert [point["rate_7d"] for point in window["moving_rates"]] == [
        0.6667,
        0.75,
        0.8,
        0.8333,
    ]
    assert window["moving_rates"][0]["rate_30d"] == 0.6667
    assert (window["rate_7d"], window["rate_30d"]) == (0.8333, 0.8333)

    # D8.3: hours are read in the zone the user was in when logging, not today's zone.
    await patch_me(client, alice, timezone="Asia/Tokyo")  # 07:30 on Sunday the 22nd
    moved = await stats_of(client, alice, habit["id"])
    assert moved["to"] == "2026-11-22"
    assert moved["best_hour"] == 7
    assert moved["best_weekday"] == "fri"
    assert moved["current_streak"] == 3  # Sunday is pending


async def test_stats_of_a_habit_with_nothing_to_rate(client, alice):
    """D8.1: no done or missed units is a null rate, not 0."""
    habit = await create_habit(client, alice)
    stats = await stats_of(client, alice, habit["id"])
    assert stats["completion_rate"] is None
    assert (stats["done"], stats["missed"], stats["total_completions"]) == (0, 0, 0)
    assert stats["best_weekday"] is None
    assert stats["best_hour"] is None
    assert (stats["rate_7d"], stats["rate_30d"]) == (None, None)
    assert all(point["rate_7d"] is None for point in stats["moving_rates"])
    assert stats["current_streak"] == 0
    assert stats["streak_start"] is None
    assert stats["score"] == 0.0


async def test_extra_days_count_in_totals_but_not_rates(client, alice):
    """D5 / N11: a complete day that was not required is an extra: in totals, not in rates."""
    habit = await create_habit(
        client,
        alice,
        start_date="2026-11-16",
        backfill_days=None,
        schedule={"type": "weekdays", "days": ["mon", "wed", "fri"]},
    )
    for day in ("2026-11-16", "2026-11-17", "2026-11-20"):  # Tuesday is an extra
        await entry_put(client, alice, habit["id"], day, status="done")
    stats = await stats_of(client, alice, habit["id"], **{"from": "2026-11-16", "to": "2026-11-21"})
    assert (stats["done"], stats["missed"]) == (2, 1)  # Wednesday missed
    assert stats["total_completions"] == 3
    assert stats["current_streak"] == 1
    days = await days_of(client, alice, habit["id"], "2026-11-16", "2026-11-18")
    assert [item["outcome"] for item in days.values()] == ["done", "not_required", "missed"]
    assert days["2026-11-17"]["status"] == "done"


async def test_periodic_rates_count_periods(client, alice):
    """D6 / D8.1 / N11: a weekly habit's rate counts the weeks that end in the window."""
    habit = await create_habit(
        client,
        alice,
        start_date="2026-11-02",  # a Monday
        backfill_days=None,
        schedule={"type": "times_per_period", "times": 2, "period": "week"},
    )
    # Week of the 2nd: done twice; week of the 9th: once (missed); this week: twice.
    for day in ("2026-11-03", "2026-11-05", "2026-11-10", "2026-11-16", "2026-11-18"):
        await entry_put(client, alice, habit["id"], day, status="done")
    stats = await stats_of(client, alice, habit["id"], **{"from": "2026-11-02", "to": "2026-11-21"})
    assert stats["unit"] == "week"
    assert (stats["done"], stats["missed"]) == (1, 1)  # this week has not ended
    assert stats["total_completions"] == 5
    assert stats["current_streak"] == 1
    assert stats["longest_streak"] == 1
    assert (stats["longest_start"], stats["longest_end"]) == ("2026-11-16", "2026-11-22")  # N13
    days = await days_of(client, alice, habit["id"], "2026-11-16", "2026-11-22")
    assert [item["outcome"] for item in days.values()] == [  # N3
        "done",
        "not_required",
        "done",
        "not_required",
        "not_required",
        "not_required",
        "future",
    ]


async def test_days_list_outcomes_values_and_statuses(client, alice):
    """D5: /days gives each day's outcome, value and entry status, future days included."""
    habit = await create_habit(
        client, alice, kind="measurable", target={"value": 2}, start_date="2026-11-18"
    )
    await entry_put(client, alice, habit["id"], "2026-11-19", status="done", value=2.5)
    await entry_put(client, alice, habit["id"], "2026-11-20", status="skipped")
    await checked_in(client, alice, habit["id"])
    days = await days_of(client, alice, habit["id"], "2026-11-17", "2026-11-22")
    assert [(item["outcome"], item["value"], item["status"]) for item in days.values()] == [
        ("not_required", None, None),  # before the start
        ("missed", None, None),
        ("done", 2.5, "done"),
        ("not_required", None, "skipped"),  # D3.3
        ("pending", 1.0, "done"),  # below the target, still completable
        ("future", None, None),
    ]


async def test_days_default_to_the_last_30(client, alice):
    """API.md: /days without from/to covers the last 30 days to today."""
    habit = await create_habit(client, alice)
    response = await client.get(f"{API}/habits/{habit['id']}/days", headers=alice.headers)
    items = response.json()["items"]
    assert len(items) == 30
    assert (items[0]["date"], items[-1]["date"]) == ("2026-10-23", "2026-11-21")


async def test_stats_and_days_windows_are_checked(client, alice):
    """API.md: `from` after `to`, or a window over 3660 days, is 422 naming `to`."""
    habit = await create_habit(client, alice)
    last = date(2026, 11, 21)
    for route in ("stats", "days", "entries"):
        reversed_window = await client.get(
            f"{API}/habits/{habit['id']}/{route}",
            params={"from": "2026-11-21", "to": "2026-11-20"},
            headers=alice.headers,
        )
        assert error_fields(problem(reversed_window, 422)) == ["to"]
        too_long = await client.get(
            f"{API}/habits/{habit['id']}/{route}",
            params={"from": (last - timedelta(days=3660)).isoformat(), "to": "2026-11-21"},
            headers=alice.headers,
        )
        assert error_fields(problem(too_long, 422)) == ["to"]
        longest = await client.get(
            f"{API}/habits/{habit['id']}/{route}",
            params={"from": (last - timedelta(days=3659)).isoformat(), "to": "2026-11-21"},
            headers=alice.headers,
        )
        assert longest.status_code == 200, longest.text


async def test_stats_and_days_send_an_etag(client, alice, frozen_clock):
    """API.md Conventions: heavy reads send an ETag; a matching If-None-Match gets 304."""
    habit = await create_habit(client, alice, start_date="2026-11-20")
    for route in ("stats", "days"):
        path = f"{API}/habits/{habit['id']}/{route}"
        first = await client.get(path, headers=alice.headers)
        etag = first.headers["etag"]
        same = await client.get(path, headers={**alice.headers, "If-None-Match": etag})
        assert same.status_code == 304
        assert same.content == b""
        assert same.headers["etag"] == etag
        weak = await client.get(path, headers={**alice.headers, "If-None-Match": f'"x", W/{etag}'})
        assert weak.status_code == 304
        # Another window is another answer.
        other = await client.get(
            path, params={"from": "2026-11-01"}, headers={**alice.headers, "If-None-Match": etag}
        )
        assert other.status_code == 200
        assert other.headers["etag"] != etag
        # A check-in changes the answer, and so its ETag.
        await checked_in(client, alice, habit["id"], date="2026-11-20")
        changed = await client.get(path, headers={**alice.headers, "If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.headers["etag"] != etag
        # So do a break for all habits and a new day.
        etag = changed.headers["etag"]
        await client.post(
            f"{API}/breaks",
            json={"start_date": "2026-11-25", "end_date": "2026-11-25"},
            headers=alice.headers,
        )
        after_break = await client.get(path, headers={**alice.headers, "If-None-Match": etag})
        assert after_break.status_code == 200
        etag = after_break.headers["etag"]
        await travel(frozen_clock, client, alice, datetime(2026, 11, 22, 12, 0, tzinfo=UTC))
        tomorrow = await client.get(path, headers={**alice.headers, "If-None-Match": etag})
        assert tomorrow.status_code == 200
        await travel(frozen_clock, client, alice, datetime(2026, 11, 21, 12, 0, tzinfo=UTC))
        await client.delete(f"{API}/habits/{habit['id']}/entries/2026-11-20", headers=alice.headers)


# --- D1: time ------------------------------------------------------------------------------


async def test_changing_the_zone_changes_today_but_never_moves_entries(
    client, alice, frozen_clock, db_session
):
    """D1.3 / D1.4: a new zone moves "today"; stored entries keep their local date."""
    await travel(frozen_clock, client, alice, datetime(2026, 11, 21, 23, 30, tzinfo=UTC))
    habit = await create_habit(client, alice, start_date="2026-11-20")
    await checked_in(client, alice, habit["id"])  # Saturday the 21st in UTC
    assert (await today_page(client, alice))["date"] == "2026-11-21"

    await patch_me(client, alice, timezone="Asia/Tokyo")  # 08:30 on Sunday the 22nd
    page = await today_page(client, alice)
    assert page["date"] == "2026-11-22"
    item = page["items"][0]
    assert item["outcome"] == "pending"
    assert item["value"] is None
    assert item["streak"]["current"] == 1  # the 21st, done; the 20th missed
    rows = list(await db_session.scalars(select(Entry.local_date)))
    await db_session.commit()
    assert rows == [date(2026, 11, 21)]
    entries = await client.get(
        f"{API}/habits/{habit['id']}/entries",
        params={"from": "2026-11-15", "to": "2026-11-22"},
        headers=alice.headers,
    )
    assert [entry["date"] for entry in entries.json()["items"]] == ["2026-11-21"]

    await patch_me(client, alice, timezone="America/Los_Angeles")  # 15:30 on the 21st
    page = await today_page(client, alice)
    assert page["date"] == "2026-11-21"
    assert page["items"][0]["outcome"] == "done"


async def test_a_new_zone_logs_into_its_own_today(client, alice, frozen_clock):
    """D1.3: after a zone change a check-in without a date counts for the new today."""
    await travel(frozen_clock, client, alice, datetime(2026, 11, 21, 23, 30, tzinfo=UTC))
    habit = await create_habit(client, alice, start_date="2026-11-20")
    await patch_me(client, alice, timezone="Pacific/Auckland")  # 12:30 on the 22nd (UTC+13)
    answer = await checked_in(client, alice, habit["id"])
    assert answer["entry"]["date"] == "2026-11-22"
    assert answer["entry"]["logged_at"] == "2026-11-21T23:30:00Z"


async def test_day_start_hour_counts_small_hours_for_the_day_before(client, alice, frozen_clock):
    """D1.2: with day_start_hour 3, a check-in at 01:30 local counts for the previous day."""
    await patch_me(client, alice, timezone="Europe/Berlin", day_start_hour=3)
    habit = await create_habit(client, alice, start_date="2026-11-20")
    # Sunday the 22nd, 01:30 in Berlin (00:30 UTC): still Saturday for a night owl.
    await travel(frozen_clock, client, alice, datetime(2026, 11, 22, 0, 30, tzinfo=UTC))
    assert (await today_page(client, alice))["date"] == "2026-11-21"
    answer = await checked_in(client, alice, habit["id"])
    assert answer["entry"]["date"] == "2026-11-21"
    # At 03:00 local the new day begins.
    await travel(frozen_clock, client, alice, datetime(2026, 11, 22, 2, 0, tzinfo=UTC))
    page = await today_page(client, alice)
    assert page["date"] == "2026-11-22"
    assert page["items"][0]["outcome"] == "pending"
    assert page["items"][0]["streak"]["current"] == 1


async def test_week_start_sunday_changes_weekly_periods(client, alice):
    """D3.1: weeks start on the user's week_start; Sunday moves the weekly periods."""
    habit = await create_habit(
        client,
        alice,
        start_date="2026-11-02",
        backfill_days=None,
        schedule={"type": "times_per_period", "times": 1, "period": "week"},
    )
    await entry_put(client, alice, habit["id"], "2026-11-15", status="done")  # a Sunday
    monday_weeks = await get_habit(client, alice, habit["id"])
    # Mon 16th - Sun 22nd: nothing yet.
    assert monday_weeks["today"]["status"] == "pending"
    assert monday_weeks["today"]["progress"] == 0
    assert monday_weeks["streak"]["current"] == 1  # the week of the 9th to the 15th
    assert monday_weeks["streak"]["current_start"] == "2026-11-09"

    me = await patch_me(client, alice, week_start="sun")
    assert me["week_start"] == "sun"
    sunday_weeks = await get_habit(client, alice, habit["id"])
    # Sun 15th - Sat 21st: the Sunday counts for this week.
    assert sunday_weeks["today"]["status"] == "done"
    assert sunday_weeks["today"]["progress"] == 1
    assert sunday_weeks["streak"]["current"] == 1
    assert (sunday_weeks["streak"]["current_start"], sunday_weeks["streak"]["current_end"]) == (
        "2026-11-15",
        "2026-11-21",
    )
    # Weeks of the past are cut the same way: Nov 1-7 and 8-14 had nothing.
    stats = await stats_of(client, alice, habit["id"], **{"from": "2026-11-02", "to": "2026-11-21"})
    assert stats["missed"] == 2
    assert stats["done"] == 1


async def test_stats_of_unknown_habit_id_format_is_422(client, alice):
    """API.md: a habit id that is not an id at all is bad input naming habit_id."""
    response = await client.get(f"{API}/habits/not-a-uuid/stats", headers=alice.headers)
    assert error_fields(problem(response, 422)) == ["habit_id"]
    uuid.uuid4()
