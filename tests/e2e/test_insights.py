"""The habit page and the History page in a real browser (issue 4: "Habit page" and
"History"), over a history built through the API with past days (backfill unlimited)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Account, api, screenshot
from tests.fixtures.live import LiveServer

SHORT_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SHORT_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
HISTORY_DAYS = 45


def today_in_london() -> date:
    # The account's zone (tests/e2e/conftest.py new_account) with day start 0 (D1.3).
    return datetime.now(ZoneInfo("Europe/London")).date()


def words(day: date) -> str:
    return f"{SHORT_DAYS[day.weekday()]} {day.day} {SHORT_MONTHS[day.month - 1]}"


def pattern(days_ago: int) -> str | None:
    """The run's history: a missed day (no entry) and a skipped day each week."""
    if days_ago % 7 == 3:
        return None
    if days_ago % 7 == 5:
        return "skipped"
    return "done"


def build_history(client: httpx.Client, today: date) -> tuple[str, str]:
    """Two daily habits started 45 days ago: "Morning run" follows `pattern`, "Stretch"
    is done every other day. Returns their ids."""
    start = today - timedelta(days=HISTORY_DAYS)
    ids = []
    for name, color in (("Morning run", "#0ea5e9"), ("Stretch", "#a855f7")):
        answer = client.post(
            "/habits",
            json={
                "name": name,
                "schedule": {"type": "daily"},
                "start_date": start.isoformat(),
                "backfill_days": None,
                "color": color,
            },
        )
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    run, stretch = ids
    for days_ago in range(HISTORY_DAYS + 1):
        day = (today - timedelta(days=days_ago)).isoformat()
        status = pattern(days_ago)
        if status is not None:
            body: dict[str, str] = {"status": status}
            if days_ago == 1:
                body["note"] = "Felt strong, 5 km by the river"
            answer = client.put(f"/habits/{run}/entries/{day}", json=body)
            assert answer.status_code == 200, answer.text
        if days_ago % 2 == 0:
            answer = client.put(f"/habits/{stretch}/entries/{day}", json={"status": "done"})
            assert answer.status_code == 200, answer.text
    return run, stretch


def test_habit_page_shows_chart_calendar_heatmap_and_notes(
    page: Page, signed_in: Account, e2e_server: LiveServer
) -> None:
    """Issue 4 Habit page: streaks with dates, score chart (Chart.js, no console error),
    a month calendar of outcomes (D5: done, missed; D3.3 skipped) with month navigation,
    a year heatmap with tooltips, history with notes."""
    today = today_in_london()
    with api(e2e_server, signed_in) as client:
        run, _ = build_history(client, today)

    page.goto(f"/habits/{run}")
    expect(page.get_by_role("heading", level=1, name="Morning run")).to_be_visible()
    # Today and the two days before are done (pattern): the current streak is 3 days.
    expect(page.locator("#stat-current .stat-value")).to_have_text("3 days")
    expect(page.locator("#stat-current")).to_contain_text(f"since {words(today - timedelta(2))}")
    expect(page.get_by_role("link", name="Check in on Today")).to_be_visible()

    # The chart: Chart.js drew on the canvas (the data island was read).
    canvas = page.locator("#score-chart")
    expect(canvas).to_be_visible()
    page.wait_for_function(
        "() => window.Chart && window.Chart.getChart(document.getElementById('score-chart'))"
    )
    points = page.evaluate(
        "() => window.Chart.getChart(document.getElementById('score-chart')).data.datasets[0]"
        ".data.length"
    )
    assert points == HISTORY_DAYS + 1
    expect(page.locator("details.chart-table table tbody tr").first).to_be_attached()

    # This month's calendar shows today as done.
    expect(page.locator(f'#calendar td[data-date="{today.isoformat()}"]')).to_have_attribute(
        "data-state", "done"
    )

    # The previous month holds at least two weeks of the pattern.
    page.get_by_role("link", name="Previous month").click()
    previous = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    expect(page).to_have_url(re.compile(rf"month={previous:%Y-%m}"))
    calendar = page.locator("#calendar")
    expect(calendar.get_by_role("heading", level=2)).to_contain_text(str(previous.year))
    for state in ("done", "missed", "skipped"):
        expect(calendar.locator(f'td[data-state="{state}"]').first).to_be_visible()
    missed = calendar.locator('td[data-state="missed"]').first
    expect(missed).to_have_attribute("title", re.compile(r"^\w{3} \d{1,2} \w{3}: missed$"))
    expect(missed.locator(".cal-mark")).to_have_text("✕")

    # The year heatmap: 53 weeks, a tooltip per day.
    heatmap = page.locator("svg.heatmap")
    expect(heatmap).to_be_visible()
    assert heatmap.locator("rect").count() >= 52 * 7 + 1
    expect(heatmap.locator("title", has_text=f"{words(today)}: done")).to_have_count(1)

    # History with notes, newest first.
    history = page.locator("#history")
    expect(history.locator("li").first).to_contain_text(words(today))
    expect(history).to_contain_text("Felt strong, 5 km by the river")

    page.goto(f"/habits/{run}")
    page.wait_for_function(
        "() => window.Chart && window.Chart.getChart(document.getElementById('score-chart'))"
    )
    screenshot(page, "habit-page")


def test_history_shows_day_shares_and_navigates_months(
    page: Page, signed_in: Account, e2e_server: LiveServer
) -> None:
    """Issue 4 History: each day shows "done of required (percent)" (a title, and text
    for screen readers), a perfect day is gold, months can be navigated."""
    today = today_in_london()
    with api(e2e_server, signed_in) as client:
        build_history(client, today)
    yesterday = today - timedelta(days=1)  # run done, stretch not: 1 of 2
    before = today - timedelta(days=2)  # both done: a perfect day

    page.goto("/history")
    expect(page.get_by_role("heading", level=1, name="History")).to_be_visible()
    if yesterday.month != today.month:
        page.get_by_role("link", name="Previous month").click()
        expect(page).to_have_url(re.compile(rf"month={yesterday:%Y-%m}"))
    cell = page.locator(f'td[data-date="{yesterday.isoformat()}"]')
    expect(cell).to_have_attribute("title", f"{words(yesterday)}: 1 of 2 (50%)")
    expect(cell.locator(".visually-hidden")).to_have_text(f"{words(yesterday)}: 1 of 2 (50%)")
    if before.month == yesterday.month:
        perfect = page.locator(f'td[data-date="{before.isoformat()}"]')
        expect(perfect).to_have_attribute("data-state", "perfect")
        expect(perfect).to_have_attribute("title", re.compile(r"2 of 2 \(100%\), a perfect day"))
    table = page.locator("table.month-table")
    expect(table.get_by_role("link", name="Morning run")).to_be_visible()
    expect(table.get_by_role("link", name="Stretch")).to_be_visible()

    page.goto("/history")
    screenshot(page, "history")

    page.get_by_role("link", name="Previous month").click()
    previous = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    expect(page).to_have_url(re.compile(rf"month={previous:%Y-%m}"))
    page.get_by_role("link", name="Next month").click()
    expect(page).to_have_url(re.compile(rf"month={today:%Y-%m}"))
    expect(page.locator(f'td[data-date="{today.isoformat()}"]')).to_be_visible()
