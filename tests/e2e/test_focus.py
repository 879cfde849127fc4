"""Keyboard use on a phone (issue 13, bug 4; WCAG 2.4.3 focus order, 2.4.11 focus not
obscured): Tab goes header -> content -> tab bar, the order people see, and every
focused element is fully in view, never under the sticky top bar or the fixed tab bar."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page

from tests.e2e.conftest import Account, api, screenshot, sign_in
from tests.fixtures.live import LiveServer

PHONE_SIZE = {"width": 360, "height": 740}
HABITS = ["Read", "Walk", "Stretch", "Journal", "Meditate", "Floss", "Water plants", "Call mum"]

# Where the focused element is, and whether the bars hide any of it.
FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const region = el.classList.contains("skip-link") ? "skip"
        : el.closest(".topbar") ? "header"
        : el.closest("main") ? "main"
        : el.closest(".nav-bottom") ? "tab bar" : "elsewhere";
    const box = el.getBoundingClientRect();
    const header = document.querySelector(".topbar").getBoundingClientRect();
    const bar = document.querySelector(".nav-bottom").getBoundingClientRect();
    const hiddenBy = [];
    if (region === "main" && box.top < header.bottom - 1) hiddenBy.push("top bar");
    if (region !== "tab bar" && box.bottom > bar.top + 1) hiddenBy.push("tab bar");
    if (box.top < -1 || box.bottom > innerHeight + 1) hiddenBy.push("window edge");
    const label = (el.getAttribute("aria-label") || el.textContent || el.tagName).trim();
    return { region, hiddenBy, label: label.replace(/\\s+/g, " ").slice(0, 40) };
}"""


def tab_through(page: Page, key: str = "Tab", limit: int = 200) -> list[dict[str, Any]]:
    """Presses `key` (Tab, or Shift+Tab from where focus is) until focus leaves the page
    or comes back to the skip link; what got focus, in order."""
    if key == "Tab":
        page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
    seen: list[dict[str, Any]] = []
    for _ in range(limit):
        page.keyboard.press(key)
        focused = page.evaluate(FOCUSED)
        if focused is None or (seen and focused["region"] == "skip"):
            break
        seen.append(focused)
    return seen


def test_tab_order_is_visual_order_and_focus_is_never_hidden(
    page: Page, e2e_server: LiveServer, new_account: Callable[..., Account]
) -> None:
    """Issue 13 bug 4: DOM order = visual order (header, main, bottom nav), with the skip
    link first; scroll-padding keeps every focused element clear of both bars."""
    account = new_account()
    with api(e2e_server, account) as client:
        for name in HABITS:
            made = client.post("/habits", json={"name": name, "schedule": {"type": "daily"}})
            assert made.status_code == 201, made.text
    page.set_viewport_size(PHONE_SIZE)
    sign_in(page, account)
    page.goto("/today")
    # The page is taller than the window: focus has to travel under the bars.
    assert page.evaluate("() => document.documentElement.scrollHeight > innerHeight * 1.5")
    focused = tab_through(page)
    regions = [item["region"] for item in focused]
    order = [region for i, region in enumerate(regions) if i == 0 or regions[i - 1] != region]
    assert order == ["skip", "header", "main", "tab bar"], regions
    hidden = [item for item in focused if item["hiddenBy"]]
    assert hidden == [], hidden
    assert [item["label"] for item in focused if item["region"] == "tab bar"] == [
        "Today",
        "Habits",
        "History",
        "Breaks",
        "Settings",
    ]
    screenshot(page, "focus-tab-bar")
    # And back up with Shift+Tab: nothing lands under the sticky top bar either.
    backwards = tab_through(page, "Shift+Tab")
    assert [item["region"] for item in backwards][-1] == "header"
    hidden = [item for item in backwards if item["hiddenBy"]]
    assert hidden == [], hidden


def test_wide_screens_keep_the_tabs_in_the_top_bar(page: Page, signed_in: Account) -> None:
    """At 1280 px the tabs are read right after the brand, in the top bar, once."""
    page.goto("/today")
    tabs = page.get_by_role("navigation", name="Main")
    assert tabs.count() == 1
    assert tabs.evaluate("(nav) => nav.closest('.topbar') !== null")
    focused = tab_through(page)
    regions = [item["region"] for item in focused]
    order = [region for i, region in enumerate(regions) if i == 0 or regions[i - 1] != region]
    assert order == ["skip", "header", "main"], regions
    assert focused[2]["label"] == "Today"  # skip link, brand, then the first tab
