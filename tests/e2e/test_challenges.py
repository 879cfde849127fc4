"""D12.3 challenges in the browser: the list and its create form (errors named), a
challenge's page (days left, habits, members, join link), joining with the link,
leaving, and the owner's end and remove; each page at 360 and 1280 px, light and dark,
through check_page (axe + overflow), with screenshots in tests/e2e/screenshots/S3/."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Account, api, check_page, sign_in
from tests.e2e.shots import shots_dir
from tests.fixtures.live import LiveServer

SHOTS = shots_dir("S3")
SIZES = ((360, 740), (1280, 800))


def look_everywhere(page: Page, name: str) -> None:
    """check_page at both sizes in both themes, a screenshot of each."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(300)
            page.screenshot(path=str(SHOTS / f"{name}-{width}-{scheme}.png"), full_page=True)
            check_page(page)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_create_a_challenge_and_share_its_join_link(
    page: Page,
    browser: Browser,
    e2e_server: LiveServer,
    new_account: Callable[..., Account],
) -> None:
    """D12.3: the form names what is wrong (no habit, 0 days); a valid challenge makes
    the owner a member with its habits on Today; a friend with the join link joins,
    the owner removes them (their habits archived) and ends the challenge."""
    owner = new_account("Alice")
    sign_in(page, owner)
    page.goto("/challenges")
    expect(page.get_by_role("heading", name="Challenges", exact=True)).to_be_visible()
    look_everywhere(page, "challenges-empty")

    page.get_by_label("Name").fill("December run")
    page.get_by_label("Length in days").fill("0")
    page.get_by_role("button", name="Create challenge").click()
    errors = page.locator("#challenge-errors")
    expect(errors).to_contain_text("Length: enter a number of days from 1 to 366")
    expect(errors).to_contain_text("Habits: give the challenge at least one habit")
    expect(page.get_by_label("Name")).to_have_value("December run")  # kept
    look_everywhere(page, "challenges-errors")

    page.get_by_label("Length in days").fill("30")
    page.get_by_label("Habit 1").fill("Run")
    page.get_by_label("Habit 2 (optional)").fill("Stretch")
    page.locator("#habit-1-schedule").select_option("weekdays")
    page.get_by_role("button", name="Create challenge").click()
    page.wait_for_url(re.compile(r"/challenges/[0-9a-f-]{36}$"))
    expect(page.get_by_role("status")).to_contain_text("Challenge “December run” created.")
    expect(page.locator(".challenge-status")).to_have_text("30 days left")
    expect(page.locator(".challenge-habit-list")).to_contain_text("Weekdays (Mon-Fri)")
    challenge_url = page.url

    client = api(e2e_server, owner)
    habits = client.get("/habits").json()["items"]
    assert sorted(habit["name"] for habit in habits) == ["Run", "Stretch"]

    page.get_by_role("button", name="Make a join link").click()
    link = page.locator("#challenge-link-url")
    expect(link).to_be_focused()
    url = link.input_value()
    assert "token=" in url
    look_everywhere(page, "challenge-owner")

    # A friend opens the link in a browser of their own and joins.
    friend = new_account("Bob")
    other = browser.new_context(base_url=e2e_server.base_url)
    try:
        their = other.new_page()
        sign_in(their, friend)
        their.goto(url)
        expect(their.get_by_role("heading", name="Join this challenge")).to_be_visible()
        look_everywhere(their, "challenge-invited")
        their.get_by_role("button", name="Join challenge").click()
        expect(their.get_by_role("status")).to_contain_text("2 habits added to your Today page")
        expect(their.locator(".people-list")).to_contain_text("Bob")
        look_everywhere(their, "challenge-member")
    finally:
        other.close()

    page.goto(challenge_url)
    page.get_by_role("button", name="Remove Bob").click()
    expect(page.get_by_role("status")).to_contain_text("Member removed.")
    expect(page.locator(".people-list")).not_to_contain_text("Bob")
    bob = api(e2e_server, friend)
    assert bob.get("/habits").json()["items"] == []  # archived ones are not listed

    page.get_by_role("button", name="End challenge").click()
    expect(page.locator(".challenge-status")).to_have_text("Ended")
    page.goto("/challenges")
    expect(page.locator(".challenge-list")).to_contain_text("December run")
    look_everywhere(page, "challenges-list")
