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
