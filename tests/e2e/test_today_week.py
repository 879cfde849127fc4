"""Issue 13 on the Today page, in a real browser: the week strip (D4.3), a note after
Done (D4.1), typed amounts (D5), quit habits in the ring (D2.2), weekly targets
explained (D6.1), the compact list and the offline page for a signed-in device."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import Account, api
from tests.e2e.shots import shots_dir
from tests.e2e.test_today import card, entries, habit, ring, server_today
from tests.fixtures.live import LiveServer

SHOTS = shots_dir("A")
PHONE_390 = {"width": 390, "height": 844}


def shoot(page: Page, context: BrowserContext, name: str) -> None:
    """The page at 360 and 1280 px (light, or dark when the context is dark)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    scheme = (
        "dark" if page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") else "light"
    )
    for label, size in (
        ("360", {"width": 360, "height": 740}),
        ("1280", {"width": 1280, "height": 800}),
    ):
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{label}-{scheme}.png"), full_page=True)
        page.screenshot(path=str(SHOTS / f"{name}-{label}-{scheme}-top.png"))


def no_sideways_scroll(page: Page) -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"horizontal overflow: {widths}"


def days_ago(today: date, days: int) -> date:
    return today - timedelta(days=days)


def day_label(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def test_week_strip_backfills_inside_the_window_and_explains_outside(
    page: Page, signed_in: Account, e2e_server: LiveServer
) -> None:
    """D4.3, issue 13 bug 1: yesterday cycles done -> skipped -> empty; a day outside
    the backfill window shows the API's message and writes nothing."""
    client = api(e2e_server, signed_in)
    today = server_today(client)
    read = habit(client, "Read", start_date=days_ago(today, 10).isoformat())
    page.goto("/today")
    strip = card(page, read["id"]).get_by_role("group", name="Last 7 days of Read")
    expect(strip.get_by_role("button")).to_have_count(6)
    yesterday = day_label(days_ago(today, 1))
    strip.get_by_role("button", name=f"{yesterday}: missed; tap to mark done").click()
    button = card(page, read["id"]).get_by_role(
        "button", name=f"{yesterday}: done; tap to mark skipped"
    )
    expect(button).to_be_focused()
    expect(card(page, read["id"])).to_contain_text("1 day")
    assert [(e["date"], e["status"]) for e in entries(client, read["id"])] == [
        (days_ago(today, 1).isoformat(), "done")
    ]
    button.click()
    card(page, read["id"]).get_by_role(
        "button", name=f"{yesterday}: skipped; tap to clear the day"
    ).click()
    expect(
        card(page, read["id"]).get_by_role("button", name=f"{yesterday}: missed; tap to mark done")
    ).to_be_visible()
    assert entries(client, read["id"]) == []

    old = day_label(days_ago(today, 5))
    card(page, read["id"]).get_by_role(
        "button", name=f"{old}: missed (outside the backfill window)"
    ).click()
    first = days_ago(today, 2).isoformat()
    expect(page.locator("#toasts")).to_contain_text(
        f"outside the backfill window: entries can be changed for {first} to {today.isoformat()}"
    )
    assert entries(client, read["id"]) == []


def test_a_note_after_done_and_an_exact_amount(
    page: Page, signed_in: Account, e2e_server: LiveServer
) -> None:
    """D4.1 and D5, issue 13 bugs 1, 2 and 10: "Add a note" after Done; a typed amount
    of 5 of 8 glasses is stored as the API stores it and reads "To do"; Skip stays."""
    client = api(e2e_server, signed_in)
    read = habit(client, "Read")
    water = habit(client, "Water", kind="measurable", target={"value": 8, "unit": "glasses"})
    page.goto("/today")
    read_card = card(page, read["id"])
    expect(read_card.get_by_text("Add a note")).to_have_count(0)
    read_card.get_by_role("button", name=re.compile(r"^Done")).click()
    read_card.get_by_text("Add a note").click()
    read_card.get_by_label("Note for today").fill("Chapter 3 on the train")
    read_card.get_by_role("button", name="Save note").click()
    expect(read_card.locator(".habit-note-text")).to_have_text("Note: Chapter 3 on the train")
    assert entries(client, read["id"])[0]["note"] == "Chapter 3 on the train"

    water_card = card(page, water["id"])
    expect(water_card.get_by_role("button", name="Add 1 (glasses): Water")).to_be_visible()
    water_card.get_by_label("Exact amount (glasses)").fill("5")
    water_card.get_by_role("button", name="Save the amount of Water").click()
    expect(water_card).to_contain_text("5 / 8 glasses")
    expect(water_card.locator(".habit-state")).to_contain_text("To do")
    expect(water_card.get_by_role("button", name="Skip today: Water")).to_be_visible()
    stored = entries(client, water["id"])[0]
    assert (stored["status"], stored["value"]) == ("done", 5.0)


def test_quit_habit_on_track_and_weekly_target_explained(
    page: Page, context: BrowserContext, signed_in: Account, e2e_server: LiveServer
) -> None:
    """D2.2, issue 13 bug 5: a clean quit habit fills the ring and says so; D6.1: a
    weekly habit created today says its target is pro-rated (or out of reach)."""
    client = api(e2e_server, signed_in)
    read = habit(client, "Read")
    smoke = habit(client, "No smoking", polarity="quit")
    habit(client, "Gym", schedule={"type": "times_per_period", "times": 3, "period": "week"})
    habit(client, "Water", kind="measurable", target={"value": 8, "unit": "glasses"})
    page.goto("/today")
    card(page, read["id"]).get_by_role("button", name=re.compile(r"^Done")).click()
    expect(ring(page)).to_have_attribute(
        "aria-label", "2 of 4 habits on track today · 1 clean so far"
    )
    expect(page.locator("#today-ring-note")).to_have_text("1 clean so far")
    gym = page.locator(".habit-card", has_text="Gym")
    if server_today(client).weekday() == 0:
        # Created on the week's first day (Monday, the default week start): the whole
        # week lies ahead, so there is nothing to pro-rate and no note (CI ran on one).
        expect(gym.locator(".habit-period-help")).to_have_count(0)
    else:
        expect(gym.locator(".habit-period-help")).to_contain_text(
            re.compile(r"Pro-rated|No longer reachable")
        )
    no_sideways_scroll(page)
    shoot(page, context, "today-cards")
    card(page, smoke["id"]).get_by_role("button", name=re.compile(r"^Slipped")).click()
    expect(card(page, smoke["id"])).to_contain_text("1 slip today")
    expect(ring(page)).to_have_attribute("aria-label", "1 of 4 habits done today")


def _thirty_habits(client: httpx.Client) -> None:
    """30 habits in one import (a Habitus export of one habit, copied 29 times)."""
    first = habit(client, "Habit 01")
    exported = client.get("/me/export")
    assert exported.status_code == 200, exported.text
    body: dict[str, Any] = exported.json()
    template = next(item for item in body["habits"] if item["name"] == "Habit 01")
    body["habits"] = [
        {**template, "name": f"Habit {number:02d} with a longer name", "id": None}
        for number in range(2, 31)
    ]
    response = client.post(
        "/import",
        files={"file": ("habits.json", json.dumps(body).encode(), "application/json")},
        data={"format": "habitus_json"},
        headers={"Idempotency-Key": f"import-{first['id']}"},
    )
    assert response.status_code in (200, 201), response.text
    assert len(client.get("/habits", params={"limit": 100}).json()["items"]) == 30


def test_compact_list_of_30_habits_is_short_on_a_phone(
    page: Page, context: BrowserContext, signed_in: Account, e2e_server: LiveServer
) -> None:
    """Issue 13 Compact Today: 30 habits on a 390 px phone, cards vs the compact list
    (one row each, with its week strip and one tap); no sideways scroll; kept."""
    client = api(e2e_server, signed_in)
    _thirty_habits(client)
    page.set_viewport_size(PHONE_390)
    page.goto("/today")
    cards_height = page.evaluate("document.documentElement.scrollHeight")
    page.get_by_text("View: Cards").click()
    page.get_by_label("Layout").select_option("compact")
    page.get_by_label("Completed habits").select_option("last")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#today")).to_have_class(re.compile(r"is-compact"))
    rows = page.locator(".habit-row")
    expect(rows).to_have_count(30)
    first = rows.first
    first.get_by_role("button", name=re.compile(r"^Done")).click()
    expect(first).to_contain_text("Done today")  # in place: the row does not jump away
    page.reload()
    expect(page.locator("#today")).to_have_class(re.compile(r"is-compact"))
    expect(rows.last).to_contain_text("Done today")  # completed last, once drawn again
    compact_height = page.evaluate("document.documentElement.scrollHeight")
    heights = rows.evaluate_all("(rows) => rows.map((r) => r.getBoundingClientRect().height)")
    # Measured: 8,156 px as cards, 3,063 px compact before the rewards strip came below
    # the list (3,522 with it, cards 8,615); a row is two short lines, at most 84 px.
    assert max(heights) < 90, heights
    assert compact_height < cards_height / 2, (compact_height, cards_height)
    no_sideways_scroll(page)
    shoot(page, context, "today-compact")


def test_dark_theme_cards_and_compact(
    browser: Any, e2e_server: LiveServer, new_account: Any
) -> None:
    """Screenshots in dark mode (cards, compact) with a measurable and a quit habit."""
    from tests.e2e.conftest import sign_in

    context = browser.new_context(base_url=e2e_server.base_url, color_scheme="dark")
    try:
        page = context.new_page()
        account = new_account("Dana")
        sign_in(page, account)
        client = api(e2e_server, account)
        today = server_today(client)
        start = days_ago(today, 8).isoformat()
        habit(client, "Read 10 pages", start_date=start)
        habit(client, "No smoking", polarity="quit", start_date=start)
        habit(
            client,
            "Water",
            kind="measurable",
            target={"value": 8, "unit": "glasses"},
            start_date=start,
        )
        habit(client, "Gym", schedule={"type": "times_per_period", "times": 3, "period": "week"})
        page.goto("/today")
        no_sideways_scroll(page)
        shoot(page, context, "today-cards")
        page.goto("/today?layout=compact&sort=yours&completed=show")
        no_sideways_scroll(page)
        shoot(page, context, "today-compact")
    finally:
        context.close()


def test_offline_page_does_not_offer_sign_in_to_a_signed_in_device(
    page: Page, context: BrowserContext, signed_in: Account
) -> None:
    """Issue 13 bug 10: the worker's offline page is drawn signed out; on a device
    where someone is signed in (pages kept) it hides "Sign in / Sign up"."""
    page.goto("/today")
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    page.reload()  # the worker now controls the page and keeps /today
    page.wait_for_function(
        "caches.open('habitus-pages').then(c => c.keys()).then(k => k.length > 0)"
    )
    context.set_offline(True)
    page.goto("/never-visited")
    expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
    expect(page.locator("#today-offline")).to_have_attribute("data-signed-in", "yes")
    expect(page.get_by_role("link", name="Sign in")).to_be_hidden()
    expect(page.get_by_role("link", name="Back to Today")).to_be_visible()
    shoot(page, context, "offline")

    # Signed out (the kept pages are cleared): the same page offers to sign in.
    context.set_offline(False)
    page.goto("/today")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    context.set_offline(True)
    page.goto("/never-visited")
    expect(page.locator("#today-offline")).to_have_attribute("data-signed-in", "no")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    context.set_offline(False)
