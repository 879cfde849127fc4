"""Issue 16 in two browsers: alice and bob (friends) chat live over the WebSocket; bob
goes offline, alice writes, and bob sees it once back online (caught up by cursor);
bob writes while offline and his message arrives once after the reconnect (kept in
localStorage with its client_id, the server keeps one message per client_id). The
unread badge in the header, and the pages at 360 and 1280 px, light and dark, through
check_page (axe + overflow), with screenshots in tests/e2e/screenshots/chat/."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Account, api, check_page, sign_in
from tests.e2e.shots import shots_dir
from tests.fixtures.live import LiveServer

SHOTS = shots_dir("chat")
SIZES = ((360, 740), (1280, 800))


def look_everywhere(page: Page, name: str) -> None:
    """check_page at both sizes in both themes, a screenshot of each."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(150)
            page.screenshot(path=str(SHOTS / f"{name}-{width}-{scheme}.png"), full_page=True)
            check_page(page)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 800})


def befriend(server: LiveServer, one: Account, other: Account) -> None:
    """Friends through the API: one asks by email, the other accepts."""
    with api(server, one) as asking, api(server, other) as answering:
        assert asking.post("/friends/requests", json={"email": other.email}).status_code == 201
        waiting = answering.get("/friends/requests").json()["incoming"]
        accepted = answering.post(f"/friends/requests/{waiting[0]['id']}/accept")
        assert accepted.status_code == 200, accepted.text


def bubbles(page: Page, text: str) -> int:
    return page.locator("#chat-messages .chat-body", has_text=text).count()


def test_two_friends_chat_through_an_offline_spell(
    page: Page, browser: Browser, e2e_server: LiveServer, new_account: Callable[..., Account]
) -> None:
    alice = new_account("Alice")
    bob = new_account("Bob")
    befriend(e2e_server, alice, bob)
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, alice)
    other = browser.new_context(base_url=e2e_server.base_url)
    try:
        theirs = other.new_page()
        sign_in(theirs, bob)

        # Alice opens the conversation from /chat and writes the first message.
        page.goto("/chat")
        page.get_by_role("button", name="Open conversation").click()
        expect(page).to_have_url(re.compile(r"/chat/[0-9a-f-]{36}$"))
        conversation = page.url
        page.get_by_role("textbox", name="Message").fill("Hi Bob <script>alert(1)</script>")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(page.locator("#chat-messages .chat-message:not(.pending)")).to_have_count(1)

        # Bob sees it as unread in the header, then live in the conversation.
        theirs.goto("/today")
        expect(theirs.locator(".chat-badge")).to_have_text("1")
        theirs.set_viewport_size({"width": 360, "height": 740})
        theirs.screenshot(path=str(SHOTS / "badge-360-light.png"))
        check_page(theirs)  # the header with both badges still fits a phone
        theirs.goto(conversation)
        expect(theirs.locator("#chat-messages")).to_contain_text("Hi Bob <script>alert(1)</script>")
        page.get_by_role("textbox", name="Message").fill("Are you there?")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(theirs.locator("#chat-messages")).to_contain_text("Are you there?")

        # Bob goes offline; alice writes; back online, he catches up.
        other.set_offline(True)
        theirs.wait_for_timeout(300)
        page.get_by_role("textbox", name="Message").fill("Sent while you were away")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(page.locator("#chat-messages .pending")).to_have_count(0)
        # Bob writes while offline: kept, shown as sending.
        theirs.get_by_role("textbox", name="Message").fill("Written offline")
        theirs.get_by_role("button", name="Send", exact=True).click()
        expect(theirs.locator("#chat-messages .pending")).to_have_count(1)
        other.set_offline(False)
        expect(theirs.locator("#chat-messages")).to_contain_text("Sent while you were away")
        expect(theirs.locator("#chat-messages .pending")).to_have_count(0)
        expect(page.locator("#chat-messages")).to_contain_text("Written offline")
        theirs.reload()
        assert bubbles(theirs, "Written offline") == 1
        assert bubbles(theirs, "Sent while you were away") == 1
        with api(e2e_server, bob) as client:
            conversation_id = conversation.rsplit("/", 1)[1]
            items = client.get(f"/conversations/{conversation_id}/messages").json()["items"]
        assert [item["body"] for item in items].count("Written offline") == 1

        look_everywhere(page, "conversation")
        page.goto("/chat")
        look_everywhere(page, "list")
    finally:
        other.close()
