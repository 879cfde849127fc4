"""Issue 15 people in the browser, two people at once: Alice sets up her profile from
Settings and previews it as a friend and as the public; Bob finds her by handle and
sends a request; she accepts it; Bob sees her friends' habits; she blocks him and her
profile is gone for him (DOMAIN D12.1, D12.2). Every page at 360 and 1280 px, light and
dark, through check_page (axe + overflow), with screenshots in tests/e2e/screenshots/S1/."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import DESKTOP, Account, api, check_page, sign_in
from tests.e2e.shots import shots_dir
from tests.fixtures.live import LiveServer

SHOTS = shots_dir("S1")
SIZES = ((360, 740), (1280, 800))


def look_everywhere(page: Page, name: str) -> None:
    """check_page at both sizes in both themes, a screenshot of each."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(250)
            page.screenshot(path=str(SHOTS / f"{name}-{width}-{scheme}.png"), full_page=True)
            check_page(page)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_two_people_become_friends_and_one_blocks_the_other(
    page: Page,
    browser: Browser,
    e2e_server: LiveServer,
    new_account: Callable[..., Account],
) -> None:
    """D12.1, D12.2 end to end, with alice and bob in two browsers."""
    alice, bob = new_account("Alice"), new_account("Bob")
    handle = f"alice_{uuid.uuid4().hex[:8]}"
    client = api(e2e_server, alice)
    assert client.patch("/me/profile", json={"handle": handle}).status_code == 200
    for name, visibility in (
        ("Secret diary", "private"),
        ("Stretch", "friends"),
        ("Run", "public"),
    ):
        body = {"name": name, "schedule": {"type": "daily"}, "visibility": visibility}
        assert client.post("/habits", json=body).status_code == 201

    sign_in(page, alice)
    page.goto("/settings")
    page.get_by_role("link", name="Public profile, handle and friends").click()
    expect(page.get_by_role("heading", name="Profile", exact=True)).to_be_visible()
    expect(page.get_by_label("Handle")).to_have_value(handle)
    page.get_by_label("Bio (optional)").fill("Early riser. Runs most mornings.")
    page.get_by_label("Public profile").check()
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status")).to_have_text("Profile saved.")
    look_everywhere(page, "profile")
    # A bad handle: the error sits next to the field, in words.
    page.get_by_label("Handle").fill("No Way!")
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator("#handle-error")).to_contain_text("lowercase letters, digits or _")
    expect(page.get_by_label("Handle")).to_have_attribute("aria-invalid", "true")
    look_everywhere(page, "profile-error")

    page.goto("/profile")
    page.get_by_role("link", name="View as the public").click()
    expect(page.locator(".person-habits")).to_contain_text("Run")
    expect(page.locator("main")).not_to_contain_text("Stretch")
    expect(page.locator("main")).not_to_contain_text("Secret diary")
    look_everywhere(page, "preview-public")
    page.goto("/profile")
    page.get_by_role("link", name="View as a friend").click()
    expect(page.locator(".person-habits")).to_contain_text("Stretch")
    expect(page.locator("main")).not_to_contain_text("Secret diary")
    look_everywhere(page, "preview-friend")

    bob_context = browser.new_context(
        base_url=e2e_server.base_url, viewport=DESKTOP, locale="en-GB", timezone_id="Europe/London"
    )
    bob_context.set_default_timeout(10_000)
    try:
        bob_page = bob_context.new_page()
        sign_in(bob_page, bob)
        bob_page.goto("/friends")
        look_everywhere(bob_page, "friends-empty")
        bob_page.get_by_label("Handle or email address").fill("@" + handle)
        bob_page.get_by_role("button", name="Send request").click()
        expect(bob_page.get_by_role("status")).to_contain_text("If that person has an account")
        expect(bob_page.locator("main")).to_contain_text("waiting")
        look_everywhere(bob_page, "friends-sent")

        page.goto("/friends")
        accept = page.get_by_role("button", name="Accept Bob")
        expect(accept).to_be_visible()
        look_everywhere(page, "friends-incoming")
        accept.click()
        expect(page.get_by_role("status")).to_contain_text("you are friends now")
        expect(page.get_by_role("button", name="Unfriend Bob")).to_be_visible()
        look_everywhere(page, "friends-list")

        bob_page.goto(f"/people/{handle}")
        expect(bob_page.locator(".person-habits")).to_contain_text("Stretch")
        expect(bob_page.locator("main")).not_to_contain_text("Secret diary")
        look_everywhere(bob_page, "person")

        page.get_by_role("button", name="Block Bob").click()
        expect(page.get_by_role("button", name="Unblock Bob")).to_be_visible()
        look_everywhere(page, "friends-blocked")
        gone = bob_page.goto(f"/people/{handle}")
        assert gone is not None
        assert gone.status == 404
        bob_page.goto("/friends")
        expect(bob_page.locator("main")).not_to_contain_text(re.compile("Alice"))
    finally:
        bob_context.close()
