"""The whole first day of a new user, through the pages only (no API set-up), and the
app in dark mode. Issue 4 Tests: "sign up -> onboarding -> create a habit -> check in ->
streak shows 1 -> reload, still there"."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, PHONE, screenshot


def test_sign_up_onboard_create_check_in_and_reload(page: Page) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/register")
    page.get_by_label("Email").fill(f"kim-{uuid.uuid4().hex[:8]}@example.org")
    page.get_by_label("Name").fill("Kim")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    # Onboarding: decline the starter habits, keep the detected zone.
    expect(page).to_have_url(re.compile(r"/onboarding$"))
    expect(page.get_by_label("Time zone")).to_have_value("Europe/London")
    page.locator("#onboarding-skip").click()
    expect(page).to_have_url(re.compile(r"/today$"))
    expect(page.get_by_role("heading", name="Hello, Kim")).to_be_visible()

    # Create a habit through the form.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Habits").click()
    page.get_by_role("link", name="New habit").first.click()
    page.get_by_label("Name", exact=True).fill("Floss")
    page.get_by_role("button", name="Create habit").click()
    expect(page.get_by_role("status").filter(has_text="Created")).to_be_visible()

    # Check in on Today: the streak shows 1 day, and survives a reload.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Today").click()
    card = page.locator(".habit-card", has_text="Floss")
    expect(card).to_contain_text("No streak yet")
    card.get_by_role("button", name="Done").click()
    expect(card).to_contain_text("1 day")
    expect(page.locator("#today-ring")).to_have_attribute("aria-label", "1 of 1 habits done today")
    page.reload()
    card = page.locator(".habit-card", has_text="Floss")
    expect(card).to_contain_text("Done today")
    expect(card).to_contain_text("1 day")


def test_dark_mode_applies_to_every_main_page(page: Page, signed_in: object) -> None:
    """Issue 4 Quality: dark mode. The theme setting is applied on every page (the
    html element carries it and the page background is dark)."""
    page.goto("/settings")
    page.locator("label.theme-option", has_text="Dark").click()
    page.get_by_role("button", name="Save theme").click()
    for path, name in (
        ("/today", "today-dark"),
        ("/habits", "habits-dark"),
        ("/history", "history-dark"),
        ("/breaks", "breaks-dark"),
    ):
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        red, green, blue = (int(part) for part in re.findall(r"\d+", background)[:3])
        assert red + green + blue < 120, f"{path} background {background} is not dark"
        screenshot(page, name)
