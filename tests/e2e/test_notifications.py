"""Notifications in a real browser: Settings → Notifications, a channel that cannot work
turned off with the reason, the inbox and its header badge (issue 6)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Account, LiveServer, api, screenshot, sign_in


@contextmanager
def gone_receiver() -> Iterator[str]:
    """A webhook receiver on loopback that answers every delivery 410 Gone (the e2e server
    allows private targets)."""

    class Gone(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            self.send_response(410)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Gone)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def test_a_failing_channel_is_turned_off_and_the_inbox_says_why(
    page: Page, e2e_server: LiveServer, new_account: Callable[..., Account]
) -> None:
    """DESIGN: a permanent error disables the channel with the reason shown to the user;
    issue 6: the inbox, its unread count in the header, mark all read; the nudges and
    quiet hours are saved from Settings."""
    account = new_account()
    with gone_receiver() as url:
        with api(e2e_server, account) as client:
            # A webhook whose receiver answers 410 Gone: it cannot work (permanent).
            made = client.post(
                "/channels", json={"type": "webhook", "name": "Old phone", "config": {"url": url}}
            )
            assert made.status_code == 201, made.text
        sign_in(page, account)
        page.goto("/settings/notifications")
        expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
        expect(page.get_by_text("Old phone")).to_be_visible()
        page.get_by_role("button", name="Send a test").click()
        # The in-process dispatcher polls every second.
        badge = page.locator(".inbox-badge")
        for _ in range(20):
            page.goto("/today")
            if badge.count():
                break
            page.wait_for_timeout(500)
        expect(badge).to_have_text("1")
        page.get_by_role("link", name=re.compile("^Inbox")).click()
        expect(page.get_by_text(re.compile("was turned off"))).to_be_visible()
        screenshot(page, "inbox")
        page.get_by_role("button", name="Mark all read").click()
        expect(page.locator(".inbox-badge")).to_have_count(0)

        page.goto("/settings/notifications")
        expect(page.get_by_text(re.compile("410 Gone"))).to_be_visible()  # the reason
        page.get_by_label("Warn me in the evening when a streak would end today").check()
        page.locator("#streak_time").fill("21:15")
        page.locator("#quiet_start").fill("22:00")
        page.locator("#quiet_end").fill("07:00")
        page.get_by_role("button", name="Save notification settings").click()
        expect(page.locator("#streak_time")).to_have_value("21:15")
        expect(page.locator("#quiet_end")).to_have_value("07:00")
        screenshot(page, "notifications")
