"""Issue 21: the Analytics page's export buttons honour its category filter, so GET
/export/entries.csv and /export/calendar.ics take `?category=` (as the reports do:
only habits of that category; empty: those without one). API.md "Export and import"."""

from __future__ import annotations

import csv
import io

import httpx

from tests.fixtures.personas import Persona
from tests.habits.helpers import API, create_habit, entry_put, error_fields

CSV = f"{API}/export/entries.csv"
ICS = f"{API}/export/calendar.ics"


async def _three_habits(client: httpx.AsyncClient, alice: Persona) -> None:
    """Read (mind), Walk (body) and Nap (no category), each done on 19 and 20 Nov."""
    for name, category in (("Read", "mind"), ("Walk", "body"), ("Nap", None)):
        habit = await create_habit(
            client, alice, name=name, backfill_days=None, start_date="2026-11-01", category=category
        )
        for day in ("2026-11-19", "2026-11-20"):
            await entry_put(client, alice, habit["id"], day, status="done")


def names_in_csv(response: httpx.Response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.text
    rows = csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline=""))
    return [(row["date"], row["habit_name"]) for row in rows]


def summaries_in_ics(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(
        line.removeprefix("SUMMARY:")
        for line in response.text.splitlines()
        if line.startswith("SUMMARY:")
    )


async def test_csv_and_ics_take_the_category(client: httpx.AsyncClient, alice: Persona) -> None:
    """`category=body`: Walk's rows and done days only, with the dates still applied;
    `category=` (empty): the habit without a category; none: everything as before."""
    await _three_habits(client, alice)
    body = {"category": "body", "from": "2026-11-20", "to": "2026-11-20"}
    assert names_in_csv(await client.get(CSV, params=body, headers=alice.headers)) == [
        ("2026-11-20", "Walk")
    ]
    assert summaries_in_ics(await client.get(ICS, params=body, headers=alice.headers)) == [
        "\u2713 Walk"
    ]
    bare = await client.get(CSV, params={"category": ""}, headers=alice.headers)
    assert {name for _, name in names_in_csv(bare)} == {"Nap"}
    everything = await client.get(CSV, headers=alice.headers)
    assert len(names_in_csv(everything)) == 6
    every_day = await client.get(ICS, headers=alice.headers)
    assert len(summaries_in_ics(every_day)) == 6


async def test_a_too_long_category_is_422_naming_it(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Bad input: a 422 naming the field, as the reports' `category`."""
    for url in (CSV, ICS):
        answer = await client.get(url, params={"category": "x" * 61}, headers=alice.headers)
        assert answer.status_code == 422
        assert "category" in error_fields(answer.json())
