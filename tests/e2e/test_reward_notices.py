"""Achievement notices in a real browser (D10.3): a person ticks "Achievements and streak
freezes" on a webhook channel, checks in for the first time, and both the inbox and the
webhook say "Achievement unlocked: First step"."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Account, LiveServer, api, check_page, sign_in
from tests.e2e.shots import shots

FIRST_STEP = "Achievement unlocked: First step"
SHOTS = "tests/e2e/screenshots/N/"


@contextmanager
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A webhook receiver on loopback that keeps every body it is sent."""
    bodies: list[dict[str, Any]] = []

    class Keep(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Keep)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", bodies
    finally:
        server.shutdown()
        server.server_close()


def test_a_ticked_channel_and_the_inbox_hear_of_the_first_achievement(
    page: Page,
    e2e_server: LiveServer,
    new_account: Callable[..., Account],
    monkeypatch: Any,
) -> None:
    """D10.3: the checkbox starts off for a webhook, is saved on, and the first check-in
    brings a card to the inbox and one POST to that webhook."""
    monkeypatch.setenv("HABITUS_SHOTS", SHOTS)
    account = new_account()
    with receiver() as (url, bodies):
        with api(e2e_server, account) as client:
            made = client.post(
                "/channels", json={"type": "webhook", "name": "My hook", "config": {"url": url}}
            )
            assert made.status_code == 201, made.text
            habit = client.post("/habits", json={"name": "Read", "schedule": {"type": "daily"}})
            assert habit.status_code == 201, habit.text
        sign_in(page, account)
        page.goto("/settings/notifications")
        box = page.get_by_role("checkbox", name="Achievements and streak freezes on My hook")
        expect(box).not_to_be_checked()
        box.check()
        page.get_by_role("button", name="Save achievements and streak freezes for My hook").click()
        expect(page.get_by_text("My hook gets achievements and streak freezes.")).to_be_visible()
        expect(box).to_be_checked()
        check_page(page)
        shots(page, "settings-notifications", "#channels")

        with api(e2e_server, account) as client:
            done = client.post(
                f"/habits/{habit.json()['id']}/checkins",
                json={},
                headers={"Idempotency-Key": "first-checkin"},
            )
            assert done.status_code == 201, done.text
        # The in-process worker reads the event log and delivers every second or so.
        card = page.get_by_text(FIRST_STEP)
        for _ in range(30):
            page.goto("/inbox")
            if card.count() and any(body["title"] == FIRST_STEP for body in bodies):
                break
            page.wait_for_timeout(500)
        expect(card).to_be_visible()
        expect(page.get_by_text(re.compile("Your first completed day"))).to_be_visible()
        check_page(page)
        shots(page, "inbox-achievement")
        assert [body["title"] for body in bodies].count(FIRST_STEP) == 1
