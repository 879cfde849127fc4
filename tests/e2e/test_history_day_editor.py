"""The habit page and History as a person sees them (issue 13): the day editor opened
from the calendar, the list by D5 outcome, measurable amounts, chart ranges back to the
first year, breaks on History, and contrast/focus in light and dark themes.

Data is built in one import of a Habitus export (the import service writes it all, with
no backfill window, D4.3 "imports are exempt"), not through many HTTP calls.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import Account, api, check_page, sign_in
from tests.e2e.shots import shots_dir
from tests.fixtures.live import LiveServer

SHOTS = shots_dir("B")
SIZES = {"360": {"width": 360, "height": 740}, "1280": {"width": 1280, "height": 800}}


def today_in_london() -> date:
    return datetime.now(ZoneInfo("Europe/London")).date()


def _habit(
    ident: str, name: str, start: date, *, color: str | None = None, **fields: Any
) -> dict[str, Any]:
    return {
        "id": ident,
        "name": name,
        "start_date": start.isoformat(),
        "schedules": [{"effective_from": start.isoformat(), "schedule": {"type": "daily"}}],
        "color": color,
        **fields,
    }


def seed(client: httpx.Client, today: date) -> dict[str, str]:
    """Three habits in one import: "Read" (yes/no, two years, a gap each week, default
    backfill window of 2 days), "Water" (8 glasses a day, 60 days of amounts) and "No
    smoking" (quit, 90 days, a few slips); a break for every habit 20 to 18 days ago.
    Returns {name: id}."""
    read_start = date(today.year - 2, 1, 1)
    water_start = today - timedelta(days=60)
    quit_start = today - timedelta(days=90)
    habits = [
        _habit("read", "Read", read_start, color="#0ea5e9"),
        _habit(
            "water",
            "Water",
            water_start,
            kind="measurable",
            target={"value": 8, "unit": "glasses", "direction": "at_least"},
            color="#6366f1",
        ),
        _habit("smoke", "No smoking", quit_start, polarity="quit"),
    ]
    entries: list[dict[str, Any]] = []
    day = read_start
    while day < today:
        if day.weekday() != 2 and day.toordinal() % 11:
            entries.append({"habit_id": "read", "date": day.isoformat(), "status": "done"})
        day += timedelta(days=1)
    for offset in range(1, 61):
        day = today - timedelta(days=offset)
        amount = [3, 5, 8, 9, 12, 6, 8][offset % 7]
        entries.append(
            {"habit_id": "water", "date": day.isoformat(), "status": "done", "value": amount}
        )
    for offset in (3, 11, 12, 40):
        day = today - timedelta(days=offset)
        entries.append({"habit_id": "smoke", "date": day.isoformat(), "status": "failed"})
    breaks = [
        {
            "start_date": (today - timedelta(days=20)).isoformat(),
            "end_date": (today - timedelta(days=18)).isoformat(),
            "reason": "Holiday",
        }
    ]
    document = {
        "format": "habitus-export",
        "format_version": 1,
        "habits": habits,
        "entries": entries,
        "breaks": breaks,
    }
    answer = client.post(
        "/import",
        files={"file": ("habits.json", json.dumps(document).encode(), "application/json")},
        data={"format": "habitus_json"},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert answer.status_code in (200, 201), answer.text
    listed = client.get("/habits", params={"limit": 100}).json()["items"]
    return {item["name"]: item["id"] for item in listed}


def cell(page: Page, day: date) -> Any:
    return page.locator(f'#calendar td[data-date="{day.isoformat()}"]')


CONTRAST = """(element) => {
  // WCAG contrast of the element's text with the first opaque background behind it.
  // color-mix() computes to "color(srgb r g b / a)" with channels 0..1.
  function rgb(text) {
    const n = text.match(/[\\d.]+/g).map(Number);
    if (!text.startsWith("color(srgb")) return n;
    return [n[0] * 255, n[1] * 255, n[2] * 255].concat(n.length > 3 ? [n[3]] : []);
  }
  function channel(x) {
    x /= 255;
    return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  }
  function lum(c) {
    const v = c.slice(0, 3).map(channel);
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  }
  let node = element, bg = null;
  while (node && node.nodeType === 1) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length < 4 || c[3] > 0.99) { if (!(c.length >= 4 && c[3] === 0)) { bg = c; break; } }
    node = node.parentElement;
  }
  bg = bg || [255, 255, 255];
  // Opacity on the element or an ancestor fades its text into the background.
  let opacity = 1;
  for (let up = element; up && up.nodeType === 1; up = up.parentElement) {
    opacity *= Number(getComputedStyle(up).opacity);
  }
  const fg = rgb(getComputedStyle(element).color).slice(0, 3)
    .map((value, index) => value * opacity + bg[index] * (1 - opacity));
  const a = lum(fg), b = lum(bg);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def shoot(page: Page, name: str, theme: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in SIZES.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{label}-{theme}.png"), full_page=True)
    # The phone's long page in screen-sized slices too, to look at closely.
    page.set_viewport_size(SIZES["360"])
    height = page.evaluate("document.documentElement.scrollHeight")
    for number, top in enumerate(range(0, min(height, 5 * 740), 740)):
        clip = {"x": 0, "y": top, "width": 360, "height": min(740, height - top)}
        page.screenshot(
            path=str(SHOTS / f"{name}-360-{theme}-part{number + 1}.png"), full_page=True, clip=clip
        )
    page.set_viewport_size(SIZES["1280"])


def test_day_editor_opens_from_the_calendar_and_saves(
    page: Page, signed_in: Account, e2e_server: LiveServer
) -> None:
    """Issue 13 bug 1: tapping a day in the month calendar opens a dialog with the day's
    status and note; saving writes it (D4.3: inside the window) and the calendar and list
    show it; a day outside the window says so in plain words and offers no form."""
    today = today_in_london()
    ids = seed(api(e2e_server, signed_in), today)
    page.goto(f"/habits/{ids['Read']}")
    cell(page, today).locator("a").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_contain_text("Read")
    dialog.get_by_label("Done").check()
    dialog.get_by_label("Note (optional)").fill("Finished chapter 3")
    dialog.get_by_role("button", name="Save day").click()
    expect(cell(page, today)).to_have_attribute("data-state", "done")
    expect(page.locator("#history")).to_contain_text("Finished chapter 3")
    expect(page.get_by_role("dialog")).to_be_hidden()

    if today.day > 10:  # the old day must be in this month's calendar
        old = today - timedelta(days=10)
        cell(page, old).locator("a").click()
        expect(page.get_by_role("dialog")).to_contain_text("outside the habit's backfill window")
        expect(page.get_by_role("dialog").get_by_role("button", name="Save day")).to_have_count(0)
        page.keyboard.press("Escape")
        expect(page.get_by_role("dialog")).to_be_hidden()

    # Without script the day is a page of its own, with the same form.
    page.goto(f"/habits/{ids['Read']}/days/{today.isoformat()}")
    expect(page.get_by_label("Note (optional)")).to_have_value("Finished chapter 3")
    check_page(page)


def test_measurable_day_reads_the_same_in_list_and_calendar(
    page: Page, signed_in: Account, e2e_server: LiveServer
) -> None:
    """Issue 13 bug 2 (D5): a measurable day short of its target is "Not met" in the
    list, with "5 / 8 glasses", never "✓ Done"; each listed day's outcome equals its
    calendar cell's; amounts show in the cells and as a bar chart with the target."""
    today = today_in_london()
    ids = seed(api(e2e_server, signed_in), today)
    page.goto(f"/habits/{ids['Water']}")
    rows = page.locator("#history li[data-outcome]")
    expect(rows.first).to_be_visible()
    history = page.locator("#history").inner_text()
    assert "✓ Done" not in history
    assert re.search(r"\d+ / 8 glasses", history)
    assert "Not met" in history
    assert "Target met" in history
    for index in range(rows.count()):
        row = rows.nth(index)
        day = row.get_attribute("data-day")
        calendar = page.locator(f'#calendar td[data-date="{day}"]')
        if calendar.count():
            assert calendar.get_attribute("data-state") == row.get_attribute("data-outcome")
    expect(page.locator(".cal-amount").first).to_be_visible()
    expect(page.locator("#amounts-chart")).to_be_visible()
    check_page(page)

    page.goto(f"/habits/{ids['No smoking']}")
    expect(page.locator("#history")).to_contain_text("Slipped")
    expect(page.locator("#month-slips")).to_contain_text("slip")


def test_chart_range_reaches_the_first_year_and_history_marks_breaks(
    page: Page, signed_in: Account, e2e_server: LiveServer
) -> None:
    """Issue 13 chart ranges: the year buttons reach the first entry's year and show its
    strength chart and heatmap; History marks the break (D3.2), its legend is worded for
    both themes, and its days open the day's habits."""
    today = today_in_london()
    ids = seed(api(e2e_server, signed_in), today)
    first_year = today.year - 2
    page.goto(f"/habits/{ids['Read']}")
    page.get_by_role("link", name=str(first_year), exact=True).click()
    expect(page.get_by_role("heading", name=f"The year {first_year}")).to_be_visible()
    expect(
        page.locator(f'.heatmap rect.hm-done[data-date^="{first_year}-03"]').first
    ).to_be_attached()
    region = page.get_by_role("region", name=re.compile("Heatmap"))
    region.focus()
    expect(region).to_be_focused()

    break_day = today - timedelta(days=19)
    page.goto(f"/history?month={break_day:%Y-%m}")
    marked = page.locator(f'td[data-date="{break_day.isoformat()}"]')
    expect(marked).to_have_attribute("data-break", "true")
    expect(marked).to_contain_text("a break for every habit")
    assert "darker" not in page.locator(".legend").first.inner_text()
    marked.locator("a").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Read")
    dialog.get_by_role("link", name=re.compile("Water")).click()
    expect(page.get_by_role("dialog").get_by_role("heading")).to_contain_text("Water")
    check_page(page)


def test_contrast_and_screenshots_in_both_themes(
    browser: Browser, e2e_server: LiveServer, new_account: Any
) -> None:
    """Issue 13 item 11 (axe): future days in the month calendar and History's "2/3" on
    the accent step keep >= 4.5:1 in light and dark; screenshots of the pages."""
    account: Account = new_account()
    today = today_in_london()
    ids = seed(api(e2e_server, account), today)
    for theme in ("light", "dark"):
        context: BrowserContext = browser.new_context(
            base_url=e2e_server.base_url,
            viewport=SIZES["1280"],
            locale="en-GB",
            timezone_id="Europe/London",
            color_scheme=theme,  # type: ignore[arg-type]
        )
        try:
            page = context.new_page()
            sign_in(page, account)
            page.goto(f"/habits/{ids['Read']}")
            future = page.locator("#calendar td[data-state='future'] .cal-num")
            if future.count():
                assert future.first.evaluate(CONTRAST) >= 4.5
            check_page(page)
            shoot(page, "habit-yesno", theme)
            page.goto(f"/habits/{ids['Water']}")
            check_page(page)
            shoot(page, "habit-measurable", theme)
            page.goto(f"/habits/{ids['No smoking']}")
            shoot(page, "habit-quit", theme)
            page.goto(f"/habits/{ids['Read']}?year={today.year - 2}")
            shoot(page, "habit-first-year", theme)
            page.goto("/history")
            for share in page.locator(".cal-day .cal-share").all():
                assert share.evaluate(CONTRAST) >= 4.5, share.inner_text()
            check_page(page)
            shoot(page, "history", theme)
            page.locator("#calendar td[data-date] a").first.click()
            expect(page.get_by_role("dialog")).to_be_visible()
            shoot(page, "history-day", theme)
            page.goto(f"/habits/{ids['Water']}")
            cell(page, today).locator("a").click()
            expect(page.get_by_role("dialog")).to_be_visible()
            shoot(page, "day-editor", theme)
        finally:
            context.close()
