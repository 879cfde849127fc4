"""The app shell in a real browser: sign-in, navigation, the one stylesheet, no CDN."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Account, screenshot


def test_signed_out_pages_load_only_from_the_app(page: Page) -> None:
    """Issue 4: pages load one CSS and a few JS files, all served by the app."""
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    stylesheets = page.locator('link[rel="stylesheet"]')
    expect(stylesheets).to_have_count(1)
    assert page.locator("script:not([src])").count() == 0, "inline scripts break the CSP"
    screenshot(page, "welcome")
    page.goto("/login")
    screenshot(page, "login")


def test_signed_in_user_lands_on_today_with_the_tab_bar(page: Page, signed_in: Account) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/today$"))
    nav = page.get_by_role("navigation", name="Main")
    for label in ("Today", "Habits", "History", "Breaks", "Settings"):
        expect(nav.get_by_role("link", name=label)).to_be_visible()


def test_more_menu_keeps_the_phone_bar_on_one_row(page: Page, signed_in: Account) -> None:
    """Wave 2 UX (issue 21 added the header's ninth place): on a 360 px phone Coach,
    Insights, Analytics, Health and Sign out sit under "More", so the top bar stays one
    row; the menu opens, closes on Escape (focus back on its toggle) and on a click
    elsewhere, and its links work. From 1100 px they are in the bar and "More" is gone."""
    from tests.e2e.conftest import DESKTOP, PHONE

    page.set_viewport_size(PHONE)
    page.goto("/today")
    bar = page.locator(".topbar")
    one_row = bar.bounding_box()
    assert one_row is not None
    assert one_row["height"] < 80, one_row  # brand, Inbox, Chat and More on one row
    coach = page.get_by_role("link", name="Coach")
    expect(coach).to_be_hidden()
    toggle = page.locator(".places-toggle")
    toggle.press("Enter")
    expect(coach).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    screenshot(page, "places-menu-phone")
    page.keyboard.press("Escape")
    expect(coach).to_be_hidden()
    expect(toggle).to_be_focused()
    toggle.press("Enter")
    expect(coach).to_be_visible()
    page.locator("main h1").first.click()
    expect(coach).to_be_hidden()
    toggle.press("Enter")
    coach.press("Enter")
    expect(page).to_have_url(re.compile(r"/coach$"))
    expect(page.locator(".places-toggle[data-current]")).to_have_count(1)

    page.set_viewport_size(DESKTOP)
    page.goto("/today")
    expect(page.locator(".places-toggle")).to_be_hidden()
    for label in ("Coach", "Insights", "Analytics", "Health"):
        expect(page.get_by_role("link", name=label)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
