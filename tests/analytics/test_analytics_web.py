"""Issue 21 on the web: the Analytics page (/analytics) and its JSON download. A window
(from/to or a 30/90/365-day preset) and a category; the weekly consistency and monthly
trend (required days done / required, DOMAIN D5), the consistency score (D8.2, the mean
strength as GET /stats gives it), a line per habit (D8.1 rate, streak D7), and export
links that carry the same filters. Every figure below is counted by hand from the
history in `_history`, with the clock frozen on Saturday 2026-11-21."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import httpx

from tests.fixtures.personas import Persona
from tests.fixtures.web import browser, web_login
from tests.habits.helpers import API, create_habit, entry_put
from tests.habits.test_queries import counting

PAGE = "/analytics"
WINDOW = {"from": "2026-11-09", "to": "2026-11-21"}


async def _history(client: httpx.AsyncClient, alice: Persona) -> dict[str, Any]:
    """Read (mind), daily from Monday 9 Nov: done every day 9..20, today pending.
    Walk (body), daily from Monday 16 Nov: done 16, 17, 19; missed 18, 20; today pending.

    By hand, weeks starting Monday: 9..15: Read 7 of 7 due = 100%; 16..21: Read 5 + Walk
    3 done of 6 + 6 due = 8/12 = 66.7%. November: 15 of 19 due = 78.9%. Units ending in
    the window (today's pending left out, D8.1): Read 12 done 0 missed, Walk 3 done 2
    missed; overall 15/17 = 88%. Streaks: Read 12 days, Walk 0."""
    read = await create_habit(
        client, alice, name="Read", start_date="2026-11-09", backfill_days=None, category="mind"
    )
    walk = await create_habit(
        client, alice, name="Walk", start_date="2026-11-16", backfill_days=None, category="body"
    )
    for day in range(9, 21):
        await entry_put(client, alice, read["id"], f"2026-11-{day:02d}", status="done")
    for day in ("2026-11-16", "2026-11-17", "2026-11-19"):
        await entry_put(client, alice, walk["id"], day, status="done")
    return {"read": read, "walk": walk}


def island(page: str, name: str) -> dict[str, Any]:
    found = re.search(rf'<script type="application/json" id="{name}">(.*?)</script>', page, re.S)
    assert found is not None, f"no {name} data island"
    data: dict[str, Any] = json.loads(html.unescape(found[1]))
    return data


def habit_row(page: str, habit_id: str) -> list[str]:
    """The cells of a habit's table row: name, rate, done, missed, streak, strength."""
    start = page.index(f'id="an-habit-{habit_id}"')
    row = page[start : page.index("</tr>", start)]
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


async def stats(client: httpx.AsyncClient, alice: Persona) -> dict[str, Any]:
    answer = await client.get(f"{API}/stats", params=WINDOW, headers=alice.headers)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def test_the_page_shows_weeks_months_score_and_habits(
    frozen_clock: Any, client: httpx.AsyncClient, alice: Persona
) -> None:
    """D5 and D8.1 counted by hand (see `_history`); D8.2: the consistency score is the
    mean strength of the active habits, the figure GET /stats gives."""
    made = await _history(client, alice)
    await web_login(client, alice.email, alice.password)
    answer = await client.get(PAGE, params=WINDOW)
    assert answer.status_code == 200, answer.text
    page = answer.text

    weekly = island(page, "an-weekly-data")
    assert weekly["labels"] == ["9 Nov", "16 Nov"]
    assert weekly["values"] == [100.0, 66.7]
    monthly = island(page, "an-monthly-data")
    assert (monthly["labels"], monthly["values"]) == (["Nov"], [78.9])

    assert habit_row(page, made["read"]["id"])[1:5] == ["100%", "12", "0", "12"]
    assert habit_row(page, made["walk"]["id"])[1:5] == ["60%", "3", "2", "0"]
    assert re.search(r'id="an-rate">88%<', page)
    consistency = (await stats(client, alice))["consistency"]
    assert re.search(rf'id="an-consistency">{round(consistency * 100)}%<', page)
    # The weekly table says what the chart draws, for readers and without script.
    assert "<td>16 Nov</td><td>8</td><td>12</td><td>67%</td>" in page


async def test_the_category_filter_narrows_charts_table_score_and_exports(
    frozen_clock: Any, client: httpx.AsyncClient, alice: Persona
) -> None:
    """Only Walk (body): week 9..15 had nothing due (no figure, not 0%), 16..21 3 of 6;
    the score is Walk's own strength (D8.2); every export link carries the filters."""
    made = await _history(client, alice)
    await web_login(client, alice.email, alice.password)
    page = (await client.get(PAGE, params={**WINDOW, "category": "body"})).text

    assert island(page, "an-weekly-data")["values"] == [None, 50.0]
    assert f'id="an-habit-{made["walk"]["id"]}"' in page
    assert f'id="an-habit-{made["read"]["id"]}"' not in page
    walk_score = next(
        line["score"]
        for line in (await stats(client, alice))["habits"]
        if line["habit_id"] == made["walk"]["id"]
    )
    assert re.search(rf'id="an-consistency">{round(walk_score * 100)}%<', page)
    assert re.search(r'id="an-rate">60%<', page)
    query = "from=2026-11-09&amp;to=2026-11-21&amp;category=body"
    assert f'href="/api/v1/export/entries.csv?{query}"' in page
    assert f'href="/api/v1/export/calendar.ics?{query}"' in page
    assert f'href="/analytics/export.json?{query}"' in page
    assert '<option value="body" selected>' in page


async def test_presets_end_today(
    frozen_clock: Any, client: httpx.AsyncClient, alice: Persona
) -> None:
    """?days=90: the 90 days ending today (2026-08-24..2026-11-21), marked as chosen;
    the default is the last 30 days, which is the 30-day preset."""
    await web_login(client, alice.email, alice.password)
    page = (await client.get(PAGE, params={"days": "90"})).text
    assert 'name="from" type="date" value="2026-08-24"' in page
    assert 'name="to" type="date" value="2026-11-21"' in page
    assert re.search(r'href="/analytics\?days=90"[^>]*aria-current="true"', page)
    default = (await client.get(PAGE)).text
    assert 'value="2026-10-23"' in default
    assert re.search(r'href="/analytics\?days=30"[^>]*aria-current="true"', default)


async def test_bad_filters_are_named_by_their_field(
    frozen_clock: Any, client: httpx.AsyncClient, alice: Persona
) -> None:
    """A date that is not one, `to` before `from`, an unknown preset: a 422 page with the
    error by the field (and the default window's figures), never a 500; the JSON
    download answers a 422 problem naming the field."""
    await web_login(client, alice.email, alice.password)
    bad_date = await client.get(PAGE, params={"from": "2026-13-01"})
    assert bad_date.status_code == 422
    assert 'id="an-from-error">must be a date like 2026-12-24<' in bad_date.text
    assert 'value="2026-13-01"' in bad_date.text
    backwards = await client.get(PAGE, params={"from": "2026-11-10", "to": "2026-11-01"})
    assert backwards.status_code == 422
    assert 'id="an-to-error">must not be before from (2026-11-10)<' in backwards.text
    preset = await client.get(PAGE, params={"days": "7"})
    assert preset.status_code == 422
    assert "must be one of 30, 90, 365" in preset.text
    download = await client.get(f"{PAGE}/export.json", params={"days": "7"})
    assert download.status_code == 422
    assert "days" in download.text


async def test_the_json_download_has_the_page_figures_for_the_filters(
    frozen_clock: Any, client: httpx.AsyncClient, alice: Persona
) -> None:
    """The JSON button: the same figures as the page for the same filters."""
    made = await _history(client, alice)
    await web_login(client, alice.email, alice.password)
    answer = await client.get(f"{PAGE}/export.json", params={**WINDOW, "category": "mind"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"].startswith("attachment;")
    body = answer.json()
    assert (body["from"], body["to"], body["category"]) == ("2026-11-09", "2026-11-21", "mind")
    assert [(week["start"], week["done"], week["required"]) for week in body["weeks"]] == [
        ("2026-11-09", 7, 7),
        ("2026-11-16", 5, 6),
    ]
    assert [line["habit_id"] for line in body["habits"]] == [made["read"]["id"]]
    assert (body["done"], body["missed"], body["completion_rate"]) == (12, 0, 1.0)
    assert body["habits"][0]["current_streak"] == 12


async def test_charlie_sees_only_his_own(
    frozen_clock: Any, client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """Ownership: charlie's page and download hold nothing of alice's; signed out, the
    page sends you to sign in."""
    await _history(client, alice)
    signed_out = await client.get(PAGE)
    assert signed_out.status_code == 303
    async with browser(client) as other:
        await web_login(other, charlie.email, charlie.password)
        page = (await other.get(PAGE, params=WINDOW)).text
        assert "Read" not in page
        assert "Walk" not in page
        body = (await other.get(f"{PAGE}/export.json", params=WINDOW)).json()
        assert body["habits"] == []
        assert all(week["required"] == 0 for week in body["weeks"])


async def test_the_page_reads_a_bounded_number_of_statements(
    frozen_clock: Any, client: httpx.AsyncClient, alice: Persona, app: Any
) -> None:
    """Bounded whatever the number of habits: 3 habits or 12, over a year (summaries
    and raw days), the same number of statements."""
    await web_login(client, alice.email, alice.password)
    counts = []
    made = 0
    for total in (3, 12):
        while made < total:
            await create_habit(client, alice, name="H", start_date="2026-01-05", category="c")
            made += 1
        with counting(app) as statements:
            answer = await client.get(PAGE, params={"days": "365", "category": "c"})
        assert answer.status_code == 200, answer.text
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


async def test_the_export_buttons_download_with_the_browser_session(
    frozen_clock: Any, client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """The buttons are plain links (a GET needs no CSRF token): followed by the signed-in
    browser, the CSV and the calendar hold the filtered habit only; charlie's same
    category holds nothing of hers."""
    await _history(client, alice)
    await web_login(client, alice.email, alice.password)
    page = (await client.get(PAGE, params={**WINDOW, "category": "body"})).text
    links = dict(re.findall(r'href="([^"]+)" download id="an-export-(\w+)"', page))
    by_kind = {kind: html.unescape(href) for href, kind in links.items()}
    rows = (await client.get(by_kind["csv"])).text.splitlines()
    assert rows[0].startswith("habit_id,habit_name,date")
    assert {row.split(",")[1] for row in rows[1:]} == {"Walk"}
    assert len(rows) == 4  # 16, 17 and 19 Nov
    calendar = (await client.get(by_kind["ics"])).text
    assert calendar.count("SUMMARY:\u2713 Walk") == 3
    assert "Read" not in calendar
    theirs = await client.get(by_kind["csv"], headers=charlie.headers)
    assert theirs.text.splitlines()[1:] == []
