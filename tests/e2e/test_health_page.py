"""Issue 19 in a real browser: the Health page reached from the header's Health link, two
weights logged through the form a week apart, then the summary card (latest value and
its change with an arrow), the chart drawn by Chart.js with both lines, a weight goal
with its progress, and the edit page. Every state goes through check_page (axe-core and
no sideways scrolling) at 360 and 1280 px, light and dark, with screenshots in
$HABITUS_SHOTS or tests/e2e/screenshots/health/ (health-*.png).

The browser fixtures are this folder's (a live `habitus serve`, Chromium, the watch that
fails a test on a console error or a request leaving the app's origin)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Account, check_page, go_to_place, sign_in
from tests.e2e.shots import shots_dir

pytestmark = pytest.mark.e2e

SIZES = ((360, 780), (1280, 900))


def look_everywhere(page: Page, name: str) -> None:
    """check_page at both sizes in both themes, a full-page screenshot of each."""
    folder = shots_dir("health")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(250)  # the chart redraws at the new size
            page.screenshot(
                path=str(folder / f"health-{name}-{width}-{scheme}.png"), full_page=True
            )
            check_page(page)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 360, "height": 780})


def log_weight(page: Page, day: str, weight: str, body_fat: str | None = None) -> None:
    form = page.locator("form.hl-form")
    form.get_by_label("Date", exact=True).fill(day)
    form.get_by_label("Weight (kg)", exact=True).fill(weight)
    if body_fat is not None:
        form.get_by_label("Body fat (%)", exact=True).fill(body_fat)
    form.get_by_role("button", name="Save reading").click()
    expect(page).to_have_url(re.compile(r"/health$"))


def test_log_two_weights_and_see_the_chart_and_summary(
    page: Page,
    new_account: Callable[..., Account],
) -> None:
    """Issue 19: log by hand, see the latest value with its change, the chart with its
    7-day average, and progress towards a weight goal."""
    account = new_account("Hana")
    sign_in(page, account)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/today")
    go_to_place(page, "Health")
    expect(page).to_have_url(re.compile(r"/health$"))
    expect(page.get_by_role("heading", name="Health", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="No readings yet")).to_be_visible()
    look_everywhere(page, "empty")

    today = datetime.now(ZoneInfo("Europe/London")).date()
    log_weight(page, (today - timedelta(days=5)).isoformat(), "72.4", body_fat="21.5")
    expect(page.get_by_role("status").first).to_contain_text("Saved 2 values")
    log_weight(page, today.isoformat(), "71.6")
    expect(page.get_by_role("status").first).to_contain_text("Saved 1 value for")

    card = page.locator("#summary-weight_kg")
    expect(card.locator(".hl-card-value")).to_have_text("71.6 kg")
    expect(card.locator(".hl-change")).to_contain_text("\u22120.8 kg since")
    expect(page.locator("#summary-body_fat_pct .hl-card-value")).to_have_text("21.5 %")

    # The chart: Chart.js drew both lines (the readings and the 7-day average).
    expect(page.locator("#health-chart")).to_be_visible()
    drawn = page.evaluate(
        """() => {
            const chart = window.Chart && window.Chart.getChart("health-chart");
            return chart ? chart.data.datasets.map((d) => d.data.map((p) => p.y)) : null;
        }"""
    )
    assert drawn == [[72.4, 71.6], [72.4, 72.0]]
    expect(page.locator(".hl-logs > li")).to_have_count(2)

    # A goal: the weight card shows how far there is to go.
    goal = page.locator("form.hl-goal-form")
    goal.get_by_label("Goal weight (kg)").fill("68")
    goal.get_by_label("I want to").select_option("lose")
    goal.get_by_role("button", name="Save goal").click()
    expect(page.get_by_role("status").first).to_contain_text("Goal saved: lose weight to 68 kg")
    expect(card.locator("meter")).to_be_visible()
    expect(card).to_contain_text("to go to 68 kg")
    page.locator("details.hl-more > summary").click()
    look_everywhere(page, "logged")

    # The edit page of the newest reading.
    page.locator(".hl-logs > li").first.get_by_role("link", name=re.compile("^Edit")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Edit the reading of")
    expect(page.get_by_label("Weight (kg)", exact=True)).to_have_value("71.6")
    look_everywhere(page, "edit")
