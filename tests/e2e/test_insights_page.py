"""Issue 18 in a real browser: the Insights page reached from the header's Insights link
(not a sixth tab), first with the early estimate, then with the model trained by
`habitus train --user`; an alert dismissed, "Retrain now" asked; an account with no
habits sees the empty state. Every state goes through check_page (axe + overflow) at
360 and 1280 px, light and dark, with screenshots in tests/e2e/screenshots/insights/."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Account, api, check_page, cli, go_to_place, sign_in
from tests.e2e.shots import shots_dir
from tests.fixtures.live import LiveServer

SHOTS = shots_dir("insights")
PHONE = {"width": 360, "height": 740}
SIZES = ((360, 740), (1280, 800))
DAYS = 90
LONG_NAME = "Pneumonoultramicroscopicsilicovolcanoconiosis" + "AwarenessPractice"


def look_everywhere(page: Page, name: str) -> None:
    """check_page at both sizes in both themes, screenshots of each; back to the phone."""
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(150)
            page.screenshot(path=str(SHOTS / f"{name}-{width}-{scheme}.png"), full_page=True)
            check_page(page)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(PHONE)


def _document(today: date) -> dict[str, Any]:
    """90 days of three daily habits: one done on weekdays only, one done every day
    until it was missed the last 3 days (an alert), one with a long unbroken name done
    two days in three."""
    start = today - timedelta(days=DAYS)
    daily = [{"effective_from": start.isoformat(), "schedule": {"type": "daily"}}]
    habits = [
        {"id": source, "name": name, "schedules": daily, "start_date": start.isoformat()}
        for source, name in (
            ("run", "Morning run"),
            ("read", "Read before bed"),
            ("long", LONG_NAME),
        )
    ]
    entries = []
    for back in range(1, DAYS + 1):
        day = today - timedelta(days=back)
        done = {
            "run": day.weekday() < 5,
            "read": back > 3,
            "long": back % 3 != 0,
        }
        entries += [
            {"habit_id": source, "date": day.isoformat(), "status": "done"}
            for source, yes in done.items()
            if yes
        ]
    return {"habits": habits, "entries": entries}


def seed(server: LiveServer, account: Account) -> None:
    today = datetime.now(ZoneInfo("Europe/London")).date()
    with api(server, account) as client:
        imported = client.post(
            "/import",
            files={
                "file": ("habitus.json", json.dumps(_document(today)).encode(), "application/json")
            },
            data={"format": "habitus_json"},
        )
        assert imported.status_code == 200, imported.text


def test_insights_page_before_and_after_training(
    page: Page, e2e_server: LiveServer, new_account: Callable[..., Account]
) -> None:
    account = new_account("Ines")
    seed(e2e_server, account)
    sign_in(page, account)
    page.set_viewport_size(PHONE)

    # The way in: the header's Insights link, next to Coach; still five tabs.
    page.goto("/today")
    go_to_place(page, "Insights")
    expect(page).to_have_url(re.compile(r"/insights$"))
    expect(page.locator(".nav-bottom a")).to_have_count(5)
    expect(page.get_by_role("heading", name="Insights", level=1)).to_be_visible()

    # Before any training: the labelled early estimate for each habit.
    expect(page.locator(".ins-prediction")).to_have_count(3)
    expect(page.get_by_text("Early estimate (your recent weekday rate)").first).to_be_visible()
    expect(page.locator(".ins-bar-item")).to_have_count(8)
    expect(page.get_by_text(re.compile(r"check-ins a week"))).to_be_visible()
    alert = page.locator(".ins-alert", has_text="Read before bed")
    expect(alert.first).to_be_visible()
    look_everywhere(page, "estimate")

    # Trained from the command line: the model speaks, and says when it was trained.
    cli(e2e_server, "train", "--user", account.email)
    page.reload()
    expect(
        page.get_by_text(re.compile(r"^Your model \(trained .+, \d+ days\)$")).first
    ).to_be_visible()
    expect(page.get_by_text("Early estimate")).to_have_count(0)
    look_everywhere(page, "trained")

    # Retrain now: back on the page with the news.
    page.get_by_role("button", name="Retrain now").click()
    expect(page).to_have_url(re.compile(r"/insights$"))
    expect(page.get_by_role("status").first).to_contain_text("Retraining in the background")

    # Dismiss an alert: it goes, and the flash says until when.
    cards = page.locator(".ins-alert").count()
    page.locator(".ins-alert").first.get_by_role("button", name=re.compile("^Dismiss")).click()
    expect(page.get_by_role("status").first).to_contain_text("hidden until the end of the week")
    expect(page.locator(".ins-alert")).to_have_count(cards - 1)
    look_everywhere(page, "dismissed")


def test_insights_page_with_no_habits(
    page: Page, e2e_server: LiveServer, new_account: Callable[..., Account]
) -> None:
    account = new_account("Noor")
    sign_in(page, account)
    page.goto("/insights")
    expect(page.get_by_role("heading", name="Nothing to learn from yet")).to_be_visible()
    expect(page.get_by_role("link", name="Add a habit")).to_have_attribute("href", "/habits/new")
    look_everywhere(page, "empty")
