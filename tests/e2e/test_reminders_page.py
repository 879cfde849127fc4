"""Issue 21 in a real browser: the Reminders page, reached from Settings. Two habits'
reminders in one list; a reminder switched off and on and its time and days edited in
place through htmx (the page is not reloaded: a marker set on the window survives), the
next firing shown in the user's zone; then the same edit without script, as a plain form.
check_page (axe-core, no sideways scrolling) and screenshots at 360 and 1280 px, light
and dark, in $HABITUS_SHOTS or tests/e2e/screenshots/reminders/ (reminders-*.png)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Account, api, check_page, sign_in
from tests.e2e.shots import shots_dir
from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.e2e

SIZES = ((360, 780), (1280, 900))


def look_everywhere(page: Page, name: str) -> None:
    folder = shots_dir("reminders")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(
                path=str(folder / f"reminders-{name}-{width}-{scheme}.png"), full_page=True
            )
            check_page(page)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 900})


def _setup(server: LiveServer, account: Account) -> dict[str, str]:
    """Read (reminder 07:30, habit's days) and Stretch (21:00 on weekends, and 12:00
    switched off), and a webhook channel to pick."""
    ids: dict[str, str] = {}
    with api(server, account) as client:
        for name in ("Read", "Stretch"):
            made = client.post("/habits", json={"name": name, "schedule": {"type": "daily"}})
            assert made.status_code == 201, made.text
            ids[name] = made.json()["id"]
        for habit, body in (
            ("Read", {"time": "07:30"}),
            ("Stretch", {"time": "21:00", "days": ["sat", "sun"]}),
            ("Stretch", {"time": "12:00", "enabled": False}),
        ):
            made = client.post(f"/habits/{ids[habit]}/reminders", json=body)
            assert made.status_code == 201, made.text
            ids[f"{habit} {body['time']}"] = made.json()["id"]
        channel = client.post(
            "/channels",
            json={"type": "webhook", "name": "Phone", "config": {"url": "http://127.0.0.1:9/h"}},
        )
        assert channel.status_code == 201, channel.text
    return ids


def test_switch_and_edit_reminders_in_place(
    page: Page, e2e_server: LiveServer, new_account: Callable[..., Account]
) -> None:
    """D9.1, D9.3: the list, the switch and the in-place edit, with the next firing in
    the user's zone (Tokyo: 07:30 there is not 07:30 in London, the browser's zone)."""
    account = new_account("Kei", timezone="Asia/Tokyo")
    ids = _setup(e2e_server, account)
    sign_in(page, account)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/settings")
    page.locator("#reminders-link").click()
    expect(page).to_have_url(re.compile(r"/reminders$"))
    expect(page.get_by_role("heading", name="Reminders", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Read", exact=True)).to_have_attribute(
        "href", f"/habits/{ids['Read']}/reminders"
    )
    read = page.locator(f"#reminder-{ids['Read 07:30']}")
    expect(read.locator(".rp-next-time")).to_have_text(re.compile(r", 07:30$"))
    look_everywhere(page, "list")
    # axe-core's checks leave `style=""` on elements it measured, which htmx's settle
    # step copies onto the swapped item (a CSP report): a fresh page, as a user has.
    page.reload()

    page.evaluate("window.__stayed = true")
    switch = read.get_by_role("switch")
    expect(switch).to_have_attribute("aria-checked", "true")
    switch.click()
    expect(read.get_by_role("switch")).to_have_attribute("aria-checked", "false")
    expect(read).to_contain_text("The reminder at 07:30 is off.")
    expect(read.locator(".rp-next-time")).to_have_count(0)
    read.get_by_role("switch").click()
    expect(read.get_by_role("switch")).to_have_attribute("aria-checked", "true")

    read.locator("summary").click()
    read.get_by_label("At", exact=True).fill("20:45")
    read.get_by_label("Monday").check()
    read.get_by_label("Friday").check()
    read.get_by_label("Only if the habit is not done yet that day").uncheck()
    read.get_by_label("Phone").check()
    read.get_by_role("button", name=re.compile(r"^Save")).click()
    expect(read).to_contain_text("Saved: 20:45 on Mon, Fri.")
    expect(read.locator(".rp-next-time")).to_have_text(re.compile(r"^(Mon|Fri) .*, 20:45$"))
    expect(read).to_contain_text("Always · 1 channel")
    assert page.evaluate("window.__stayed") is True  # swapped in place, not reloaded

    read.locator("summary").click()
    read.get_by_label("At", exact=True).fill("")
    read.get_by_role("button", name=re.compile(r"^Save")).click()
    expect(read.locator(f"#time-{ids['Read 07:30']}-error")).to_be_visible()
    look_everywhere(page, "error")

    with api(e2e_server, account) as client:
        stored = client.get(f"/habits/{ids['Read']}/reminders").json()
    mine = next(row for row in stored["items"] if row["id"] == ids["Read 07:30"])
    assert (mine["time"], mine["days"], mine["only_if_pending"]) == ("20:45", ["mon", "fri"], False)
    page.goto("/reminders")
    look_everywhere(page, "edited")


def test_the_page_works_without_script(
    browser: Browser, e2e_server: LiveServer, new_account: Callable[..., Account]
) -> None:
    """Without JavaScript the same forms post normally and come back to the page."""
    account = new_account("Noscript")
    ids = _setup(e2e_server, account)
    context = browser.new_context(base_url=e2e_server.base_url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, account, finish_onboarding=False)
        page.goto("/reminders")
        off = page.locator(f"#reminder-{ids['Stretch 12:00']}")
        off.get_by_role("switch").click()
        expect(page).to_have_url(re.compile(rf"/reminders#reminder-{ids['Stretch 12:00']}$"))
        expect(page.locator(".flash")).to_contain_text("The reminder at 12:00 is on.")
        item = page.locator(f"#reminder-{ids['Stretch 12:00']}")
        expect(item.locator(".rp-next-time")).to_have_text(re.compile(r", 12:00$"))
        item.locator("summary").click()
        item.get_by_label("At", exact=True).fill("12:30")
        item.get_by_role("button", name=re.compile(r"^Save")).click()
        expect(page.locator(".flash")).to_contain_text("Saved: 12:30")
    finally:
        context.close()
