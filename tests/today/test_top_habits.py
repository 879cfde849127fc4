"""Issue 21: the "top 3 habits" card on Today: the best current streaks (a weekly
streak counted by the days it spans), strength (D8.2) deciding between equal streaks,
made from what the page already loads. Streaks: DOMAIN D7; the clock is frozen on
Saturday 2026-11-21."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from habitus.habits import today_top
from tests.fixtures.personas import Persona
from tests.fixtures.web import web_login
from tests.habits.helpers import API, create_habit, entry_put
from tests.habits.test_queries import counting


async def done_on(
    client: httpx.AsyncClient, alice: Persona, habit: dict[str, Any], *days: int
) -> None:
    for day in days:
        await entry_put(client, alice, habit["id"], f"2026-11-{day:02d}", status="done")


def top_card(page: str) -> list[tuple[str, str]]:
    """(name, figure) of each line of the card, in order."""
    start = page.index('class="card today-top"')
    card = page[start : page.index("</section>", start)]
    return [
        (name, re.sub(r"<[^>]+>", "", figure).strip())
        for name, figure in re.findall(
            r'<a href="/habits/[^"]+">([^<]+)</a></span>\s*'
            r'<span class="today-top-figure">(.*?)</span>\n',
            card,
            re.S,
        )
    ]


async def test_the_best_streaks_come_first_and_strength_breaks_ties(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """D7: Long's 20 days beat Weekly's 2 weeks (14 days), which beat 5 days; Early and
    Late both have 5 days, and the stronger of the two (GET /stats `score`, D8.2) comes
    first; Idle (no streak) is not in the top 3."""
    habits = {}
    for name, start, schedule in (
        ("Idle", "2026-11-20", {"type": "daily"}),
        ("Late", "2026-11-16", {"type": "daily"}),
        ("Early", "2026-11-01", {"type": "daily"}),
        ("Weekly", "2026-11-02", {"type": "times_per_period", "times": 1, "period": "week"}),
        ("Long", "2026-11-01", {"type": "daily"}),
    ):
        habits[name] = await create_habit(
            client, alice, name=name, start_date=start, backfill_days=None, schedule=schedule
        )
    await done_on(client, alice, habits["Long"], *range(1, 21))
    await done_on(client, alice, habits["Weekly"], 3, 10)
    await done_on(client, alice, habits["Late"], *range(16, 21))
    await done_on(client, alice, habits["Early"], *range(1, 8), *range(16, 21))

    stats = await client.get(f"{API}/stats", headers=alice.headers)
    lines = {line["name"]: line for line in stats.json()["habits"]}
    assert (lines["Early"]["current_streak"], lines["Late"]["current_streak"]) == (5, 5)
    assert lines["Weekly"]["current_streak"] == 2
    tied = sorted(("Early", "Late"), key=lambda name: -lines[name]["score"])
    assert lines[tied[0]]["score"] > lines[tied[1]]["score"]  # a real tie-break

    await web_login(client, alice.email, alice.password)
    page = (await client.get("/today")).text
    shown = top_card(page)
    assert [name for name, _ in shown] == ["Long", "Weekly", tied[0]]
    assert shown[0][1] == f"20 days · {round(lines['Long']['score'] * 100)}% strength"
    assert shown[1][1].startswith("2 weeks · ")
    assert 'href="/analytics"' in page


async def test_no_card_without_a_streak_or_strength_and_no_query_of_its_own(
    client: httpx.AsyncClient, alice: Persona, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new account has nothing to rank: no card. The card is made from Today's own
    cards: the page reads the same statements with it as with the card switched off."""
    fresh = await create_habit(client, alice, name="Fresh", start_date="2026-11-21")
    await web_login(client, alice.email, alice.password)
    page = (await client.get("/today")).text
    assert "today-top" not in page
    await entry_put(client, alice, fresh["id"], "2026-11-21", status="done")
    await client.get("/today")  # the first view after a check-in shows its achievements
    with counting(app) as with_card:
        page = (await client.get("/today")).text
    assert [name for name, _ in top_card(page)] == ["Fresh"]
    monkeypatch.setattr(today_top, "top_habits", lambda _cards: [])
    with counting(app) as without_card:
        page = (await client.get("/today")).text
    assert "today-top" not in page
    assert with_card == without_card
