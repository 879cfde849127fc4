"""The Health page over HTTP (issue 19, D15.1): logging from the form in the user's units
(160 lb is stored as 72.57 kg), 422 pages naming each wrong field and keeping what was
typed, editing (clearing a field, a log keeps one), deleting, the weight goal and the
units forms, the summary cards and the chart's data; CSRF on every form, another user's
log is 404, a signed-out visitor is sent to sign in."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import time_machine

from tests.conftest import FROZEN_AT
from tests.fixtures.personas import Persona
from tests.fixtures.web import SignedIn as Web
from tests.fixtures.web import signed_in_at

PAGE = "/health"
API = "/api/v1/health"
TODAY = FROZEN_AT.date()  # 2026-11-21, a Saturday


@pytest.fixture
async def web(client: httpx.AsyncClient, alice: Persona) -> AsyncIterator[Web]:
    async for found in signed_in_at(client, alice, PAGE):
        yield found


def words(markup: str) -> str:
    """Markup as words (tags dropped, entities decoded, spaces collapsed)."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))


def text_of(page: str) -> str:
    """The page's main content as words."""
    return words(page.split("<main", 1)[1])


def input_value(page: str, element_id: str) -> str:
    match = re.search(rf'<input id="{element_id}"[^>]*?value="([^"]*)"', page, re.S)
    assert match is not None, f"no input #{element_id}"
    return html.unescape(match[1])


async def logs_of(client: httpx.AsyncClient, persona: Persona) -> list[dict[str, Any]]:
    response = await client.get(f"{API}/metrics", headers=persona.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def api_log(client: httpx.AsyncClient, persona: Persona, **body: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/metrics", json=body, headers=persona.headers)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


async def test_the_form_logs_in_metric_units_and_the_page_shows_it(
    frozen_clock: time_machine.Coordinates, client: httpx.AsyncClient, web: Web, alice: Persona
) -> None:
    """D15.1: the short form (weight, body fat, muscle mass, BMI, waist) and a field from
    "More" saved as one manual log at the date and time typed; back on the page with a
    flash, the summary card and the reading in the list; the header links here."""
    empty = await web.page()
    assert "No readings yet" in text_of(empty)
    assert 'class="health-link" aria-current="page">Health</a>' in empty
    short = re.findall(r'<input id="log-(\w+)" name="\w+" type="number"', empty)
    assert short[:5] == ["weight_kg", "body_fat_pct", "muscle_mass_kg", "bmi", "waist_cm"]
    assert len(short) == 27  # the rest under "More"
    assert '<details class="hl-more">' in empty

    saved = await web.post(
        f"{PAGE}/logs",
        {
            "date": "2026-11-20",
            "time": "07:15",
            "weight_kg": "72.4",
            "body_fat_pct": "18,5",  # a decimal comma reads as a point
            "heart_rate_bpm": "61",
            "bmi": "",
        },
    )
    assert saved.headers["location"] == PAGE
    page = text_of(await web.flash(saved))
    assert "Saved 3 values for Fri 20 Nov 2026." in page
    assert "Weight 72.4 kg Fri 20 Nov 2026" in page
    assert "Body fat 18.5 %" in page
    assert "Heart rate 61 bpm" in page
    [made] = await logs_of(client, alice)
    assert (made["date"], made["time"], made["source"]) == ("2026-11-20", "07:15", "manual")
    assert made["fields"] == {"weight_kg": 72.4, "body_fat_pct": 18.5, "heart_rate_bpm": 61}


async def test_pounds_and_inches_are_typed_and_shown_but_kilograms_are_stored(
    frozen_clock: time_machine.Coordinates, client: httpx.AsyncClient, web: Web, alice: Persona
) -> None:
    """Issue 19 units: with lb and in chosen on the page, 160 lb is stored as 72.57 kg
    and 32 in as 81.3 cm; the page shows them back as typed (160 lb, 32 in), the
    labels name the units, and % fields are untouched."""
    chosen = await web.post(f"{PAGE}/settings", {"mass_unit": "lb", "length_unit": "in"})
    assert "Units saved: lb and in." in text_of(await web.flash(chosen))
    api = await client.get(f"{API}/settings", headers=alice.headers)
    assert api.json() == {"mass_unit": "lb", "length_unit": "in"}

    page = await web.page()
    assert re.search(r'for="log-weight_kg">Weight <span class="hl-unit">\(lb\)</span>', page)
    assert re.search(r'for="log-waist_cm">Waist <span class="hl-unit">\(in\)</span>', page)
    assert re.search(r'for="log-body_fat_pct">Body fat <span class="hl-unit">\(%\)</span>', page)

    saved = await web.post(
        f"{PAGE}/logs", {"weight_kg": "160", "waist_cm": "32", "body_fat_pct": "20"}
    )
    words = text_of(await web.flash(saved))
    [made] = await logs_of(client, alice)
    assert made["fields"] == {"weight_kg": 72.57, "body_fat_pct": 20.0, "waist_cm": 81.3}
    assert "Weight 160 lb" in words
    assert "Waist 32 in" in words
    assert (made["date"], made["time"]) == (TODAY.isoformat(), "12:00")  # alice is in UTC

    # A range error speaks the user's unit.
    wrong = await web.post(f"{PAGE}/logs", {"weight_kg": "1000"})
    assert wrong.status_code == 422
    assert "Weight must be between 22.05 and 881.85 lb" in text_of(wrong.text)


async def test_a_wrong_form_comes_back_with_each_problem_and_what_was_typed(
    frozen_clock: time_machine.Coordinates, client: httpx.AsyncClient, web: Web, alice: Persona
) -> None:
    """D15.1: a value outside its range, a word where a number goes, a date after today:
    a 422 page naming each field beside it, the typed values kept, "More" open when the
    problem is there; nothing is saved. An empty form asks for one value."""
    response = await web.post(
        f"{PAGE}/logs",
        {
            "date": "2026-11-22",
            "weight_kg": "724",
            "body_fat_pct": "lots",
            "hip_cm": "12",
            "bmi": "23.1",
        },
    )
    assert response.status_code == 422
    words = text_of(response.text)
    assert "Weight must be between 10 and 400 kg" in words
    assert "Body fat must be a number, like 72.4" in words
    assert "Hip must be between 40 and 250 cm" in words
    assert 'aria-invalid="true" aria-describedby="log-weight_kg-error"' in response.text
    assert input_value(response.text, "log-weight_kg") == "724"
    assert input_value(response.text, "log-bmi") == "23.1"
    assert '<details class="hl-more" open>' in response.text
    assert await logs_of(client, alice) == []

    future = await web.post(f"{PAGE}/logs", {"date": "2026-11-22", "weight_kg": "72"})
    assert future.status_code == 422
    assert "must not be after today (2026-11-21)" in text_of(future.text)
    assert await logs_of(client, alice) == []

    empty = await web.post(f"{PAGE}/logs", {"weight_kg": " ", "date": ""})
    assert empty.status_code == 422
    assert "Enter at least one measurement." in text_of(empty.text)


async def test_a_log_is_edited_cleared_and_deleted(
    frozen_clock: time_machine.Coordinates, client: httpx.AsyncClient, web: Web, alice: Persona
) -> None:
    """D15.1: the edit page holds every value in the user's units; a changed value is
    saved, an emptied one cleared, one left as shown is not rewritten (72.55 kg shows as
    160 lb and stays 72.55); emptying the last one is refused; Delete removes the log."""
    made = await api_log(client, alice, date="2026-11-19", time="06:30", weight_kg=72.55, bmi=24)
    await web.post(f"{PAGE}/settings", {"mass_unit": "lb", "length_unit": "cm"})
    edit = f"{PAGE}/logs/{made['id']}/edit"
    page = await web.page(edit)
    assert input_value(page, "edit-weight_kg") == "159.9"  # 72.55 kg = 159.94 lb
    assert input_value(page, "edit-bmi") == "24"
    assert input_value(page, "edit-date") == "2026-11-19"

    form = {"date": "2026-11-19", "time": "06:45", "weight_kg": "159.9", "bmi": ""}
    form.update({"body_fat_pct": "21.5"})
    saved = await web.post(edit, form)
    assert "Saved the reading of Thu 19 Nov 2026." in text_of(await web.flash(saved))
    [after] = await logs_of(client, alice)
    assert after["fields"] == {"weight_kg": 72.55, "body_fat_pct": 21.5}
    assert after["time"] == "06:45"

    last = await web.post(edit, {"weight_kg": "", "body_fat_pct": ""})
    assert last.status_code == 422
    assert "delete the log instead" in text_of(last.text)
    [kept] = await logs_of(client, alice)
    assert kept["fields"] == after["fields"]

    changed = await web.post(edit, {"weight_kg": "150"})
    assert changed.status_code == 303
    [lighter] = await logs_of(client, alice)
    assert lighter["fields"]["weight_kg"] == 68.04  # 150 lb

    deleted = await web.post(f"{PAGE}/logs/{made['id']}/delete")
    assert "Deleted the reading of Thu 19 Nov 2026." in text_of(await web.flash(deleted))
    assert await logs_of(client, alice) == []
    assert (await web.client.get(edit)).status_code == 404


async def test_someone_elses_log_is_404_and_untouched(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    web: Web,
    bob: Persona,
) -> None:
    """Isolation: alice can neither see, edit nor delete bob's log (404, as for a log
    that does not exist), and bob's log never shows on her page."""
    theirs = await api_log(client, bob, weight_kg=90.5)
    edit = f"{PAGE}/logs/{theirs['id']}/edit"
    assert (await web.client.get(edit)).status_code == 404
    assert (await web.post(edit, {"weight_kg": "80"})).status_code == 404
    assert (await web.post(f"{PAGE}/logs/{theirs['id']}/delete")).status_code == 404
    assert "90.5" not in await web.page()
    [kept] = await logs_of(client, bob)
    assert kept["fields"] == {"weight_kg": 90.5}


async def test_every_form_needs_the_csrf_token(
    frozen_clock: time_machine.Coordinates, client: httpx.AsyncClient, web: Web, alice: Persona
) -> None:
    """The page's forms change data: without the CSRF token each is refused (403) and
    nothing changes."""
    made = await api_log(client, alice, weight_kg=70)
    forged = {
        f"{PAGE}/logs": {"weight_kg": "71"},
        f"{PAGE}/logs/{made['id']}/edit": {"weight_kg": "72"},
        f"{PAGE}/logs/{made['id']}/delete": {},
        f"{PAGE}/goal": {"weight_kg": "65", "direction": "lose"},
        f"{PAGE}/settings": {"mass_unit": "lb", "length_unit": "in"},
    }
    for path, data in forged.items():
        response = await web.client.post(path, data=data)
        assert response.status_code == 403, path
    [kept] = await logs_of(client, alice)
    assert kept["fields"] == {"weight_kg": 70.0}
    assert (await client.get(f"{API}/goals", headers=alice.headers)).json()["weight_kg"] is None
    settings = await client.get(f"{API}/settings", headers=alice.headers)
    assert settings.json() == {"mass_unit": "kg", "length_unit": "cm"}


async def test_summary_cards_show_the_change_over_30_days_and_goal_progress(
    frozen_clock: time_machine.Coordinates, client: httpx.AsyncClient, web: Web, alice: Persona
) -> None:
    """Issue 19 summary: the latest weight, its change since the last reading 30 or more
    days ago (with an arrow), and with a "lose" goal of 70 kg set on the page on 21 Oct,
    how far from the weight then (80 kg, logged 20 Oct) to the goal: 76 kg is 40% of
    the way; 69.5 kg reaches it. A goal outside the weight range, or neither lose nor
    gain, is refused in words."""
    await api_log(client, alice, date="2026-10-10", weight_kg=81)
    await api_log(client, alice, date="2026-10-20", weight_kg=80)
    frozen_clock.move_to(FROZEN_AT - timedelta(days=31))  # the goal is set on 21 Oct
    goal = await web.post(f"{PAGE}/goal", {"weight_kg": "70", "direction": "lose"})
    assert "Goal saved: lose weight to 70 kg." in text_of(await web.flash(goal))
    frozen_clock.move_to(FROZEN_AT)
    await api_log(client, alice, date="2026-11-20", weight_kg=76)
    assert (await client.get(f"{API}/goals", headers=alice.headers)).json() == {
        "weight_kg": 70.0,
        "direction": "lose",
    }
    page = await web.page()
    card = words(page.split('id="summary-weight_kg"', 1)[1].split("</li>", 1)[0])
    assert "76 kg" in card
    assert "Down: \u22124 kg since Tue 20 Oct 2026" in card  # 2026-10-20 <= today - 30
    assert "40% of the way · 6 kg to go to 70 kg" in card
    assert '<meter min="0" max="100" value="40"' in page

    await api_log(client, alice, weight_kg=69.5)
    reached = text_of(await web.page())
    assert "Goal reached: 70 kg" in reached

    bad = await web.post(f"{PAGE}/goal", {"weight_kg": "5", "direction": "lose"})
    assert "Weight must be between 10 and 400 kg" in text_of(await web.flash(bad))
    sideways = await web.post(f"{PAGE}/goal", {"weight_kg": "70", "direction": "maintain"})
    assert "lose or gain" in text_of(await web.flash(sideways))


async def test_the_chart_has_each_reading_and_a_7_day_average(
    frozen_clock: time_machine.Coordinates, client: httpx.AsyncClient, web: Web, alice: Persona
) -> None:
    """Issue 19 chart: a field over 30, 90 or 365 days, one point a date with the mean of
    the readings of the 7 days up to it (readings before the window count towards the
    first points' average); an unknown field or window is a 422 naming it."""
    for day, weight in (("2026-10-20", 82), ("2026-10-25", 80), ("2026-10-28", 78)):
        await api_log(client, alice, date=day, weight_kg=weight)
    await api_log(client, alice, date="2026-11-21", weight_kg=76)
    page = await web.page(f"{PAGE}?field=weight_kg&days=30")
    found = re.search(
        r'<script type="application/json" id="health-chart-data">(.*?)</script>', page
    )
    assert found is not None
    data = json.loads(html.unescape(found[1]))
    assert (data["start"], data["days"], data["unit"]) == ("2026-10-23", 30, "kg")
    assert data["from"] == 1  # the axis starts the day before the first reading
    assert data["points"] == [
        {"x": 2, "y": 80.0, "avg": 81.0},  # 25 Oct: 20 Oct (before the window) and 25 Oct
        {"x": 5, "y": 78.0, "avg": 79.0},  # 28 Oct: 25 and 28 Oct (20 Oct is 8 days back)
        {"x": 29, "y": 76.0, "avg": 76.0},
    ]
    assert "Weight over the last 30 days" in text_of(page)

    other = await web.page(f"{PAGE}?field=waist_cm&days=365")
    assert "Nothing logged for waist in the last 365 days." in text_of(other)
    assert "health-chart-data" not in other

    wrong = await web.client.get(f"{PAGE}?field=shoe_size&days=7")
    assert wrong.status_code == 422
    listed = words(wrong.text)
    assert "field : must be one of the 27 health fields" in listed
    assert "days : must be 30, 90 or 365" in listed


async def test_logs_are_listed_newest_first_a_page_at_a_time(
    frozen_clock: time_machine.Coordinates, client: httpx.AsyncClient, web: Web, alice: Persona
) -> None:
    """API.md's order on the page: newest first (date, then time), 20 a page, "Older
    readings" leads to the rest and "Newest" back."""
    for number in range(22):
        await api_log(
            client, alice, date=f"2026-10-{number + 1:02d}", time="08:00", weight_kg=60 + number
        )
    first = await web.page()
    days = re.findall(r'<p class="hl-log-when">(\w{3} \d+ \w{3} 2026), 08:00', first)
    assert days[:2] == ["Thu 22 Oct 2026", "Wed 21 Oct 2026"]
    assert len(days) == 20
    older = re.search(r'rel="next" href="([^"]+)"', first)
    assert older is not None
    rest = await web.page(html.unescape(older[1]))
    assert re.findall(r'<p class="hl-log-when">(\w{3} \d+ \w{3} 2026)', rest) == [
        "Fri 2 Oct 2026",
        "Thu 1 Oct 2026",
    ]
    assert 'rel="next"' not in rest
    assert ">Newest</a>" in rest


async def test_signed_out_is_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get(PAGE)
    assert response.status_code in (302, 303, 401)
    if response.status_code != 401:
        assert "/login" in response.headers["location"]
