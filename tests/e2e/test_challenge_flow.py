"""Issue 15's flow in two browsers (D12.1, D12.3, D12.4): alice and bob become friends,
alice creates "No sugar" and invites bob, bob joins, both check in on Today, and the
leaderboard on the challenge page follows; then alice opts a channel in to social
notices on Settings. Each page at 360 and 1280 px, light and dark, through check_page
(axe + overflow), with screenshots in tests/e2e/screenshots/S4/."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Account, api, check_page, sign_in
from tests.e2e.shots import shots_dir
from tests.fixtures.live import LiveServer

SHOTS = shots_dir("S4")
SIZES = ((360, 740), (1280, 800))


def look_everywhere(page: Page, name: str) -> None:
    """check_page at both sizes in both themes, a screenshot of each."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(200)
            page.screenshot(path=str(SHOTS / f"{name}-{width}-{scheme}.png"), full_page=True)
            check_page(page)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 800})


def board(page: Page) -> list[str]:
    """The board's rows as the page shows them, best first (waits for htmx to load it)."""
    rows = page.locator("#leaderboard-board .leaderboard-item")
    expect(rows.first).to_be_visible()
    return [re.sub(r"\s+", " ", text).strip() for text in rows.all_inner_texts()]


def check_in_no_sugar(page: Page, server: LiveServer, account: Account) -> None:
    habit = next(
        item
        for item in api(server, account).get("/habits").json()["items"]
        if item["name"] == "No sugar"
    )
    page.goto("/today")
    card = page.locator(f"#habit-{habit['id']}")
    card.get_by_role("button", name=re.compile(r"^Done")).click()
    expect(card).to_contain_text("Done today")


def test_two_friends_race_in_a_challenge(
    page: Page,
    browser: Browser,
    e2e_server: LiveServer,
    new_account: Callable[..., Account],
) -> None:
    alice = new_account("Alice")
    bob = new_account("Bob")
    sign_in(page, alice)
    other = browser.new_context(base_url=e2e_server.base_url)
    try:
        theirs = other.new_page()
        sign_in(theirs, bob)

        # Friends first (D12.1): alice asks by email, bob accepts.
        page.goto("/friends")
        page.get_by_label("Handle or email address").fill(bob.email)
        page.get_by_role("button", name="Send request").click()
        theirs.goto("/friends")
        theirs.get_by_role("button", name="Accept Alice").click()
        expect(theirs.locator("#friends-heading").locator("..")).to_contain_text("Alice")

        # Alice's challenge, and her board before anyone checked in.
        page.goto("/challenges")
        page.get_by_label("Name").fill("No sugar")
        page.get_by_label("Length in days").fill("30")
        page.get_by_label("Habit 1").fill("No sugar")
        page.get_by_role("button", name="Create challenge").click()
        page.wait_for_url(re.compile(r"/challenges/[0-9a-f-]{36}$"))
        challenge_url = page.url
        assert board(page) == ["#1 Rank 1: Alice (you) no days yet 0 done · 0 missed"]
        expect(page.locator(".leaderboard-mine")).to_have_text("You are #1 of 1.")

        # She invites bob; bob finds the invitation and joins.
        page.get_by_label("Bob").check()
        page.get_by_role("button", name="Send invitations").click()
        theirs.goto("/challenges")
        theirs.locator("#invited-heading").locator("..").get_by_role(
            "link", name="No sugar"
        ).click()
        theirs.get_by_role("button", name="Join challenge").click()
        expect(theirs.locator(".people-list")).to_contain_text("Bob")
        assert [row.split(" ")[0] for row in board(theirs)] == ["#1", "#2"]

        # Alice checks in: she leads with 100%; bob has no day yet.
        check_in_no_sugar(page, e2e_server, alice)
        page.goto(challenge_url)
        assert board(page) == [
            "#1 Rank 1: Alice (you) 100% 1 done · 0 missed",
            "#2 Rank 2: Bob no days yet 0 done · 0 missed",
        ]
        look_everywhere(page, "board-alice-leads")

        # Bob checks in: 100% each, 1 done each; alice joined first (D12.4).
        check_in_no_sugar(theirs, e2e_server, bob)
        theirs.goto(challenge_url)
        assert board(theirs) == [
            "#1 Rank 1: Alice 100% 1 done · 0 missed",
            "#2 Rank 2: Bob (you) 100% 1 done · 0 missed",
        ]
        expect(theirs.locator(".leaderboard-mine")).to_have_text(
            "You are #2 of 2, 100% done so far."
        )
        look_everywhere(theirs, "board-bob")
        page.reload()
        assert board(page)[1] == "#2 Rank 2: Bob 100% 1 done · 0 missed"

        # Without JavaScript's fragment: the same board as a page of its own.
        page.goto(f"{challenge_url}/board")
        expect(page.get_by_role("heading", name="Leaderboard")).to_be_visible()
        assert len(board_rows := page.locator(".leaderboard-item").all_inner_texts()) == 2
        assert "Alice" in board_rows[0]
        look_everywhere(page, "board-page")

        # Social notices reach a channel only when it asks for them (D12).
        made = api(e2e_server, alice).post(
            "/channels",
            json={"type": "apprise", "name": "Phone", "config": {"url": "ntfy://ntfy.sh/hb"}},
            headers={"Idempotency-Key": "s4-channel"},
        )
        assert made.status_code == 201, made.text
        page.goto("/settings/notifications")
        box = page.get_by_label("Friends and challenges on Phone")
        expect(box).not_to_be_checked()
        box.check()
        page.get_by_role("button", name="Save friends and challenges for Phone").click()
        expect(page.locator(".flash-success")).to_contain_text("Phone gets friends and challenges.")
        expect(page.get_by_label("Friends and challenges on Phone")).to_be_checked()
        look_everywhere(page, "settings-social-switch")
    finally:
        other.close()
