"""The Today page in a real browser (issue 4 "Today" and its Tests list): check in, the
streak shows 1 and survives a reload; undo; measurable +/-; skip; a quit habit's slip;
a milestone celebrated (confetti, or only the message with reduced motion); 360 px."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import PHONE, Account, api, screenshot
from tests.fixtures.live import LiveServer


def habit(client: httpx.Client, name: str, **fields: Any) -> dict[str, Any]:
    body = {"name": name, "schedule": {"type": "daily"}, **fields}
    response = client.post("/habits", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def server_today(client: httpx.Client) -> date:
    return date.fromisoformat(client.get("/today").json()["date"])


def entries(client: httpx.Client, habit_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/habits/{habit_id}/entries")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def card(page: Page, habit_id: str) -> Locator:
    return page.locator(f"#habit-{habit_id}")


def ring(page: Page) -> Locator:
    return page.locator("#today-ring")


def test_check_in_streak_reload_and_undo(
    page: Page, signed_in: Account, e2e_server: LiveServer
) -> None:
    """Issue 4 Tests: check in -> streak shows 1 -> reload, still there; undo."""
    client = api(e2e_server, signed_in)
    read = habit(client, "Read 10 pages", color="#7c3aed")
    habit(client, "Stretch")
    page.goto("/today")
    expect(page.get_by_role("heading", name=f"Hello, {signed_in.display_name}")).to_be_visible()
    expect(ring(page)).to_have_attribute("aria-label", "0 of 2 habits done today")
    read_card = card(page, read["id"])
    read_card.get_by_role("button", name=re.compile(r"^Done")).click()
    expect(read_card).to_contain_text("Done today")
    expect(read_card).to_contain_text("1 day")
    expect(ring(page)).to_have_attribute("aria-label", "1 of 2 habits done today")
    expect(page.locator("#today-status")).to_contain_text("Read 10 pages: done.")
    page.reload()
    expect(card(page, read["id"])).to_contain_text("1 day")
    expect(ring(page)).to_have_attribute("aria-label", "1 of 2 habits done today")
    assert [entry["status"] for entry in entries(client, read["id"])] == ["done"]

    card(page, read["id"]).get_by_role("button", name="Undo").click()
    expect(card(page, read["id"])).to_contain_text("No streak yet")
    expect(card(page, read["id"]).get_by_role("button", name=re.compile(r"^Done"))).to_be_visible()
    expect(ring(page)).to_have_attribute("aria-label", "0 of 2 habits done today")
    assert entries(client, read["id"]) == []


def test_measurable_plus_and_minus(page: Page, signed_in: Account, e2e_server: LiveServer) -> None:
    """Issue 4 Tests: measurable +/-, with the unit and progress toward the target; quick
    taps all count (they are sent one after another)."""
    client = api(e2e_server, signed_in)
    water = habit(client, "Water", kind="measurable", target={"value": 2, "unit": "L"})
    page.goto("/today")
    water_card = card(page, water["id"])
    expect(water_card).to_contain_text("0 / 2 L")
    plus = water_card.get_by_role("button", name=re.compile(r"^Add 0\.5 \(L\)"))
    for _ in range(3):
        plus.click()
    expect(water_card).to_contain_text("1.5 / 2 L")
    water_card.get_by_role("button", name=re.compile(r"^Take away 0\.5 \(L\)")).click()
    expect(water_card).to_contain_text("1 / 2 L")
    expect(water_card.locator("progress")).to_have_attribute("value", "1.0")
    values = [entry["value"] for entry in entries(client, water["id"])]
    assert values == [1.0]


def test_skip_and_quit_slip(page: Page, signed_in: Account, e2e_server: LiveServer) -> None:
    """Issue 4 Tests: skip (D3.3); a quit habit offers "Slipped" in plain words (D2.2)."""
    client = api(e2e_server, signed_in)
    gym = habit(client, "Gym")
    smoke = habit(client, "No smoking", polarity="quit")
    page.goto("/today")
    # Issue 13 bug 5 (D2.2): the quit habit, clean so far, is on track.
    expect(ring(page)).to_have_attribute(
        "aria-label", "1 of 2 habits on track today · 1 clean so far"
    )
    card(page, gym["id"]).get_by_role("button", name="Skip").click()
    expect(card(page, gym["id"])).to_contain_text("Skipped today")
    expect(ring(page)).to_have_attribute(
        "aria-label", "1 of 1 habits on track today · 1 clean so far"
    )
    assert [entry["status"] for entry in entries(client, gym["id"])] == ["skipped"]

    smoke_card = card(page, smoke["id"])
    expect(smoke_card).to_contain_text("Clean so far today")
    smoke_card.get_by_role("button", name="Slipped").click()
    expect(smoke_card).to_contain_text("Slipped today")
    assert [entry["status"] for entry in entries(client, smoke["id"])] == ["failed"]
    smoke_card.get_by_role("button", name="Undo").click()
    expect(smoke_card).to_contain_text("Clean so far today")
    assert entries(client, smoke["id"]) == []


def _six_day_streak(client: httpx.Client, name: str) -> dict[str, Any]:
    today = server_today(client)
    created = habit(
        client, name, start_date=(today - timedelta(days=6)).isoformat(), backfill_days=None
    )
    for offset in range(1, 7):
        day = (today - timedelta(days=offset)).isoformat()
        response = client.put(f"/habits/{created['id']}/entries/{day}", json={"status": "done"})
        assert response.status_code == 200, response.text
    return created


def test_milestone_is_celebrated_with_confetti(
    page: Page, signed_in: Account, e2e_server: LiveServer
) -> None:
    """Issue 4 Today, D7.4: reaching a 7-day streak gets confetti and a toast."""
    client = api(e2e_server, signed_in)
    read = _six_day_streak(client, "Read")
    page.goto("/today")
    expect(card(page, read["id"])).to_contain_text("6 days")
    card(page, read["id"]).get_by_role("button", name=re.compile(r"^Done")).click()
    expect(page.locator("#toasts")).to_contain_text("Read: 7-day streak!")
    expect(card(page, read["id"])).to_contain_text("7 days")
    expect(page.locator("body")).to_have_attribute("data-celebration", "confetti")
    screenshot(page, "today-milestone")


def test_milestone_without_motion_shows_only_the_message(
    page: Page, signed_in: Account, e2e_server: LiveServer
) -> None:
    """Issue 4 Today: the celebration respects prefers-reduced-motion (no confetti)."""
    client = api(e2e_server, signed_in)
    read = _six_day_streak(client, "Read")
    page.emulate_media(reduced_motion="reduce")
    page.goto("/today")
    card(page, read["id"]).get_by_role("button", name=re.compile(r"^Done")).click()
    expect(page.locator("#toasts")).to_contain_text("Read: 7-day streak!")
    expect(page.locator("body")).to_have_attribute("data-celebration", "message")
    expect(page.locator("#confetti-canvas.is-firing")).to_have_count(0)


def test_keyboard_check_in_keeps_focus_on_the_card(
    page: Page, signed_in: Account, e2e_server: LiveServer
) -> None:
    """Issue 4 quality: keyboard usable; after the card is redrawn focus stays on it."""
    client = api(e2e_server, signed_in)
    read = habit(client, "Read")
    page.goto("/today")
    done = card(page, read["id"]).get_by_role("button", name=re.compile(r"^Done"))
    done.focus()
    page.keyboard.press("Enter")
    expect(card(page, read["id"])).to_contain_text("Done today")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Undo" in focused


def test_phone_width_and_screenshots(
    page: Page, signed_in: Account, e2e_server: LiveServer
) -> None:
    """Issue 4 Tests: a 360 px viewport: one column, nothing wider than the screen, tap
    targets of at least 44 px; not-due habits folded below. Screenshots of Today."""
    client = api(e2e_server, signed_in)
    page.set_viewport_size(PHONE)
    page.goto("/today")
    expect(page.get_by_role("link", name="Create your first habit")).to_be_visible()
    screenshot(page, "today-empty")

    read = habit(client, "Read 10 pages", color="#7c3aed")
    habit(client, "Meditate", color="#0891b2")
    water = habit(
        client, "Drink water", kind="measurable", target={"value": 2, "unit": "L"}, color="#2563eb"
    )
    habit(client, "No sugar", polarity="quit", color="#dc2626")
    today = server_today(client)
    not_today = [
        name for name in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        if name != today.strftime("%a").lower()
    ]  # fmt: skip
    folded = habit(client, "Long run", schedule={"type": "weekdays", "days": not_today[:2]})
    client.post(
        f"/habits/{read['id']}/checkins", json={}, headers={"Idempotency-Key": "shot-1"}
    ).raise_for_status()
    client.post(
        f"/habits/{water['id']}/checkins",
        json={"value": 1.5},
        headers={"Idempotency-Key": "shot-2"},
    ).raise_for_status()
    page.goto("/today")
    expect(ring(page)).to_have_attribute(
        "aria-label", "2 of 4 habits on track today · 1 clean so far"
    )
    later = page.locator("details.today-later")
    expect(later.locator(f"#habit-{folded['id']}")).to_be_hidden()
    later.locator("summary").click()
    expect(later.locator(f"#habit-{folded['id']}")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a 360px screen"
    for button in page.locator("#today .habit-actions button").all():
        box = button.bounding_box()
        assert box is not None
        assert box["height"] >= 44, button.inner_text()
    boxes = [card(page, item["id"]).bounding_box() for item in (read, water)]
    assert boxes[0] is not None
    assert boxes[1] is not None
    assert boxes[0]["x"] == boxes[1]["x"], "one column on a phone"
    later.locator("summary").click()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "today")
    page.emulate_media(color_scheme="dark")
    screenshot(page, "today-dark")
