"""Issue 21 in a real browser: the Analytics page from the header's link, with two
habits in two categories and six weeks of check-ins written through the API. The two
Chart.js charts are drawn (canvas with pixels), the presets and the category filter
change the figures, the tables under the charts open, and the export buttons download
files that honour the filters; Today's "top 3 habits" card links here. check_page
(axe-core, no sideways scrolling) and screenshots at 360 and 1280 px, light and dark,
in $HABITUS_SHOTS or tests/e2e/screenshots/analytics/ (analytics-*.png)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Account, api, check_page, sign_in
from tests.e2e.shots import shots_dir
from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.e2e

SIZES = ((360, 780), (1280, 900))


def look_everywhere(page: Page, name: str) -> None:
    folder = shots_dir("analytics")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(250)  # the charts redraw at the new size
            page.screenshot(
                path=str(folder / f"analytics-{name}-{width}-{scheme}.png"), full_page=True
            )
            check_page(page)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 900})


def _history(server: LiveServer, account: Account) -> dict[str, str]:
    """Read (mind): done every day of the last 42 days but today. Run (body): done
    every other day over the same days."""
    today = datetime.now(ZoneInfo("Europe/London")).date()
    start = today - timedelta(days=42)
    ids: dict[str, str] = {}
    with api(server, account) as client:
        for name, category in (("Read", "mind"), ("Run", "body")):
            made = client.post(
                "/habits",
                json={
                    "name": name,
                    "schedule": {"type": "daily"},
                    "category": category,
                    "start_date": start.isoformat(),
                    "backfill_days": None,
                },
            )
            assert made.status_code == 201, made.text
            ids[name] = made.json()["id"]
        for offset in range(42):
            day = (start + timedelta(days=offset)).isoformat()
            for name in ("Read", "Run"):
                if name == "Run" and offset % 2:
                    continue
                done = client.put(f"/habits/{ids[name]}/entries/{day}", json={"status": "done"})
                assert done.status_code == 200, done.text
    return ids


def chart_has_pixels(page: Page, canvas: str) -> bool:
    """Chart.js drew something: some pixel of the canvas is not transparent."""
    return bool(
        page.evaluate(
            """(selector) => {
                const canvas = document.querySelector(selector);
                const data = canvas.getContext("2d")
                    .getImageData(0, 0, canvas.width, canvas.height).data;
                for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return true;
                return false;
            }""",
            canvas,
        )
    )


def test_analytics_filters_charts_and_exports(
    page: Page, e2e_server: LiveServer, new_account: Callable[..., Account]
) -> None:
    """The page's charts, score and table; the 90-day preset and the body category; the
    CSV and JSON downloads carry the same filters."""
    account = new_account("Ana")
    ids = _history(e2e_server, account)
    sign_in(page, account)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/today")
    expect(page.locator(".today-top")).to_contain_text("Read")
    look_everywhere(page, "today-top")
    page.locator(".today-top").get_by_role("link", name="All analytics").click()
    expect(page).to_have_url(re.compile(r"/analytics$"))
    expect(page.get_by_role("heading", name="Analytics", level=1)).to_be_visible()
    expect(page.locator("#an-consistency")).to_have_text(re.compile(r"^\d+%$"))
    page.wait_for_function(
        "() => window.Chart && Chart.instances && Object.keys(Chart.instances).length === 2"
    )
    assert chart_has_pixels(page, "#an-weekly-chart")
    assert chart_has_pixels(page, "#an-monthly-chart")
    expect(page.locator(f"#an-habit-{ids['Read']} td").first).to_have_text("100%")
    look_everywhere(page, "30-days")

    page.get_by_role("link", name="90 days").click()
    expect(page).to_have_url(re.compile(r"days=90"))
    expect(page.get_by_role("link", name="90 days")).to_have_attribute("aria-current", "true")
    page.get_by_label("Category").select_option("body")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"category=body"))
    expect(page.locator(f"#an-habit-{ids['Run']}")).to_be_visible()
    expect(page.locator(f"#an-habit-{ids['Read']}")).to_have_count(0)
    page.locator("details.chart-table").first.locator("summary").click()
    expect(page.locator("details.chart-table").first.locator("table")).to_be_visible()
    look_everywhere(page, "body")

    with page.expect_download() as csv_download:
        page.locator("#an-export-csv").click()
    rows = Path(csv_download.value.path()).read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("habit_id,habit_name,date")
    assert {row.split(",")[1] for row in rows[1:]} == {"Run"}
    with page.expect_download() as json_download:
        page.locator("#an-export-json").click()
    figures = json.loads(Path(json_download.value.path()).read_text(encoding="utf-8"))
    assert figures["category"] == "body"
    assert [line["name"] for line in figures["habits"]] == ["Run"]


def test_a_new_account_sees_an_empty_page(page: Page, new_account: Callable[..., Account]) -> None:
    """No habit yet: no chart script, empty tables with a way on; still no overflow."""
    sign_in(page, new_account("Empty"))
    page.goto("/analytics")
    expect(page.get_by_text("No active habit")).to_be_visible()
    look_everywhere(page, "empty")
