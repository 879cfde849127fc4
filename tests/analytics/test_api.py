"""GET /heatmap, /reports/weekly, /reports/monthly, /reports/yearly (API.md "Today,
calendar and reports"; issue 5 "Fast reads over long windows")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.habits.helpers import (
    API,
    create_habit,
    entry_put,
    error_fields,
    get_habit,
    patch_habit,
    problem,
)
from tests.habits.test_queries import counting


async def _history(client: Any, alice: Any) -> dict[str, Any]:
    """A daily habit from Monday 2026-11-16: done 16, 17, 19; missed 18, 20; today
    (Saturday 21) pending."""
    habit = await create_habit(
        client, alice, name="Walk", start_date="2026-11-16", backfill_days=None, category="body"
    )
    for day in ("2026-11-16", "2026-11-17", "2026-11-19"):
        await entry_put(client, alice, habit["id"], day, status="done")
    return habit


async def test_heatmap_counts_done_and_required_days(frozen_clock, client, alice) -> None:
    """API.md: items [{date, done, required, ratio}], ratio null when nothing was
    required; D5: a pending today is required, a future day is not."""
    await _history(client, alice)
    response = await client.get(
        f"{API}/heatmap", params={"from": "2026-11-15", "to": "2026-11-22"}, headers=alice.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["ETag"]
    body = response.json()
    assert (body["from"], body["to"], body["source"]) == ("2026-11-15", "2026-11-22", "raw")
    cells = {
        item["date"]: (item["done"], item["required"], item["ratio"]) for item in body["items"]
    }
    assert cells == {
        "2026-11-15": (0, 0, None),
        "2026-11-16": (1, 1, 1.0),
        "2026-11-17": (1, 1, 1.0),
        "2026-11-18": (0, 1, 0.0),
        "2026-11-19": (1, 1, 1.0),
        "2026-11-20": (0, 1, 0.0),
        "2026-11-21": (0, 1, 0.0),
        "2026-11-22": (0, 0, None),
    }


async def test_long_heatmap_reads_summaries_and_agrees(frozen_clock, client, alice) -> None:
    """Issue 5: a window longer than summary_threshold_days (60) reads the summaries and
    gives the same days as the short window over raw entries."""
    await _history(client, alice)
    long = await client.get(
        f"{API}/heatmap", params={"from": "2025-11-22", "to": "2026-11-21"}, headers=alice.headers
    )
    short = await client.get(
        f"{API}/heatmap", params={"from": "2026-11-15", "to": "2026-11-21"}, headers=alice.headers
    )
    assert long.json()["source"] == "mixed"  # summaries up to yesterday, today raw
    assert long.json()["items"][-7:] == short.json()["items"]
    assert len(long.json()["items"]) == 365


async def test_heatmap_filters_by_habit_and_category(frozen_clock, client, alice, bob) -> None:
    """API.md: habit_id? and category?; another user's habit is a 404 (no existence
    oracle)."""
    habit = await _history(client, alice)
    other = await create_habit(client, alice, name="Sleep", start_date="2026-11-16")
    window = {"from": "2026-11-16", "to": "2026-11-16"}
    both = await client.get(f"{API}/heatmap", params=window, headers=alice.headers)
    assert both.json()["items"][0]["required"] == 2
    one = await client.get(
        f"{API}/heatmap", params={**window, "habit_id": other["id"]}, headers=alice.headers
    )
    assert one.json()["items"][0] == {"date": "2026-11-16", "done": 0, "required": 1, "ratio": 0.0}
    body = await client.get(
        f"{API}/heatmap", params={**window, "category": "body"}, headers=alice.headers
    )
    assert body.json()["items"][0]["done"] == 1
    assert body.json()["items"][0]["required"] == 1
    foreign = await client.get(
        f"{API}/heatmap", params={**window, "habit_id": habit["id"]}, headers=bob.headers
    )
    problem(foreign, 404)
    report = await client.get(
        f"{API}/reports/weekly",
        params={"week": "2026-W47", "habit_id": habit["id"]},
        headers=bob.headers,
    )
    problem(report, 404)


async def test_weekly_monthly_and_yearly_reports(frozen_clock, client, alice) -> None:
    """API.md: per-habit and overall done/missed/rate; D8.1: done / (done + missed),
    today's pending unit left out, null without units."""
    habit = await _history(client, alice)
    await create_habit(client, alice, name="Later", start_date="2026-12-01")
    for path, params in (
        ("weekly", {"week": "2026-W47"}),
        ("monthly", {"month": "2026-11"}),
        ("yearly", {"year": "2026"}),
    ):
        response = await client.get(f"{API}/reports/{path}", params=params, headers=alice.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["habits"][0] == {
            "habit_id": habit["id"],
            "name": "Walk",
            "done": 3,
            "missed": 2,
            "rate": 0.6,
        }, path
        assert body["habits"][1]["rate"] is None
        assert body["overall"] == {"done": 3, "missed": 2, "rate": 0.6}
    week = (
        await client.get(
            f"{API}/reports/weekly", params={"week": "2026-W47"}, headers=alice.headers
        )
    ).json()
    assert (week["from"], week["to"]) == ("2026-11-16", "2026-11-22")
    yearly = (
        await client.get(f"{API}/reports/yearly", params={"year": "2026"}, headers=alice.headers)
    ).json()
    assert yearly["source"] == "mixed"


async def test_overall_stats_rates_and_consistency(frozen_clock, client, alice) -> None:
    """Issue 5 "stats": across the active habits, D8.1 over the window and the last 7
    and 30 days (today's pending unit left out), and the consistency score: the mean
    strength (D8.2) of the active habits (docs/SCORE.md); archived habits are left out."""
    walk = await _history(client, alice)  # done 3, missed 2
    read = await create_habit(client, alice, name="Read", start_date="2026-11-20")
    for day in ("2026-11-20", "2026-11-21"):
        await entry_put(client, alice, read["id"], day, status="done")
    gone = await create_habit(client, alice, name="Gone", start_date="2026-11-01")
    assert (await patch_habit(client, alice, gone["id"], archived=True)).status_code == 200

    response = await client.get(f"{API}/stats", headers=alice.headers)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"]
    body = response.json()
    assert (body["from"], body["to"]) == ("2026-10-23", "2026-11-21")
    assert (body["done"], body["missed"]) == (5, 2)
    assert body["completion_rate"] == round(5 / 7, 4)
    assert (body["rate_7d"], body["rate_30d"]) == (round(5 / 7, 4), round(5 / 7, 4))
    lines = {line["name"]: line for line in body["habits"]}
    assert set(lines) == {"Walk", "Read"}
    assert (lines["Walk"]["done"], lines["Walk"]["missed"], lines["Walk"]["rate"]) == (3, 2, 0.6)
    assert lines["Read"]["current_streak"] == 2
    scores = [(await get_habit(client, alice, h["id"]))["score"] for h in (walk, read)]
    assert [lines["Walk"]["score"], lines["Read"]["score"]] == scores
    assert body["consistency"] == round(sum(scores) / 2, 4)
    assert 0 < body["consistency"] < 1

    # A window of the last three days: the 7-day rate keeps looking back a week.
    window = (
        await client.get(
            f"{API}/stats", params={"from": "2026-11-19", "to": "2026-11-21"}, headers=alice.headers
        )
    ).json()
    assert (window["done"], window["missed"]) == (3, 1)  # Walk 19 / 20, Read 20 / 21
    assert window["rate_7d"] == round(5 / 7, 4)
    # A window reaching past the last 30 days is counted by the report path: same units.
    longer = (
        await client.get(
            f"{API}/stats", params={"from": "2026-09-01", "to": "2026-11-21"}, headers=alice.headers
        )
    ).json()
    assert (longer["done"], longer["missed"]) == (5, 2)
    assert {line["name"]: line["rate"] for line in longer["habits"]} == {"Walk": 0.6, "Read": 1.0}

    again = await client.get(
        f"{API}/stats", headers={**alice.headers, "If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


async def test_overall_stats_without_habits_are_null_not_zero(client, alice) -> None:
    """D8.1: no units is a null rate; no started habit gives no consistency."""
    body = (await client.get(f"{API}/stats", headers=alice.headers)).json()
    assert (body["consistency"], body["completion_rate"], body["rate_7d"]) == (None, None, None)
    assert body["habits"] == []


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("heatmap", {"from": "2026-11-21", "to": "2026-11-20"}, "to"),
        ("heatmap", {"from": "2010-01-01", "to": "2026-11-20"}, "to"),
        ("heatmap", {"from": "2026-13-01", "to": "2026-11-20"}, "from"),
        ("heatmap", {"to": "2026-11-20"}, "from"),
        ("reports/weekly", {"week": "2026-47"}, "week"),
        ("reports/weekly", {"week": "2026-W54"}, "week"),
        ("reports/monthly", {"month": "2026-13"}, "month"),
        ("reports/monthly", {"month": "11-2026"}, "month"),
        ("reports/yearly", {"year": "20x6"}, "year"),
        ("stats", {"from": "2026-11-22", "to": "2026-11-21"}, "to"),
        ("stats", {"from": "someday"}, "from"),
    ],
)
async def test_bad_parameters_are_422_naming_the_field(client, alice, path, params, field) -> None:
    """common rules: bad input is a 422 problem naming the field, never a 500."""
    response = await client.get(f"{API}/{path}", params=params, headers=alice.headers)
    assert field in error_fields(problem(response, 422))


async def test_if_none_match_answers_304_without_reading_entries(
    frozen_clock, client, app, alice
) -> None:
    """Issue 5: "ETag from the summary versions on every heavy read; If-None-Match
    answers 304 without touching entries" (a statement counter proves it); any write
    changes the ETag."""
    habit = await _history(client, alice)
    for path, params in (
        ("heatmap", {"from": "2025-11-22", "to": "2026-11-21"}),
        ("reports/weekly", {"week": "2026-W47"}),
        ("reports/monthly", {"month": "2026-11"}),
        ("reports/yearly", {"year": "2026"}),
    ):
        first = await client.get(f"{API}/{path}", params=params, headers=alice.headers)
        etag = first.headers["ETag"]
        with counting(app) as statements:
            again = await client.get(
                f"{API}/{path}", params=params, headers={**alice.headers, "If-None-Match": etag}
            )
        assert again.status_code == 304, path
        assert again.headers["ETag"] == etag
        touched = [s for s in statements if "entries" in s or "summaries" in s]
        assert touched == [], touched
        other = await client.get(
            f"{API}/{path}", params={**params, "category": "x"}, headers=alice.headers
        )
        assert other.headers["ETag"] != etag  # the query is part of the key
    etag = (
        await client.get(
            f"{API}/reports/weekly", params={"week": "2026-W47"}, headers=alice.headers
        )
    ).headers["ETag"]
    await entry_put(client, alice, habit["id"], "2026-11-20", status="skipped")
    after = await client.get(
        f"{API}/reports/weekly",
        params={"week": "2026-W47"},
        headers={**alice.headers, "If-None-Match": etag},
    )
    assert after.status_code == 200
    assert after.json()["overall"] == {"done": 3, "missed": 1, "rate": 0.75}
    etag = after.headers["ETag"]
    assert (await patch_habit(client, alice, habit["id"], category="mind")).status_code == 200
    edited = await client.get(
        f"{API}/reports/weekly",
        params={"week": "2026-W47"},
        headers={**alice.headers, "If-None-Match": etag},
    )
    assert edited.status_code == 200
