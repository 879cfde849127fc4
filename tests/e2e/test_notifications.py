"""Notifications in a real browser: Settings → Notifications, a channel that cannot work
turned off with the reason, the inbox and its header badge (issue 6)."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from habitus.models import Channel, Delivery, Notification
from tests.e2e import seeding
from tests.e2e.conftest import (
    PASSWORD,
    Account,
    LiveServer,
    api,
    check_page,
    cli,
    screenshot,
    sign_in,
)
from tests.e2e.shots import shots


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


# --- issue 13: times in the user's zone, inbox actions, failed deliveries ------------------

AT = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)  # 10:30 in New York, 21:00 in Kolkata


def _notification(owner: uuid.UUID, title: str, **fields: Any) -> Notification:
    values: dict[str, Any] = {"kind": "reminder", "body": f"Time for {title}.", "created_at": AT}
    return Notification(user_id=owner, title=title, **{**values, **fields})


def _failing_channel(owner: uuid.UUID) -> Channel:
    return Channel(
        id=uuid.uuid4(),
        user_id=owner,
        type="webhook",
        name="Phone",
        config={"url": "http://127.0.0.1:9/x"},
    )


def _delivery(channel: Channel, state: str, error: str | None, **fields: Any) -> Delivery:
    values: dict[str, Any] = {
        "user_id": channel.user_id,
        "channel_id": channel.id,
        "source_key": f"test:{uuid.uuid4()}",
        "event": "reminder",
        "title": "Read",
        "body": "Time for Read.",
        "state": state,
        "attempts": 3,
        "due_at": AT,
        # Far ahead: the live server's dispatcher leaves them alone.
        "next_attempt_at": AT + timedelta(days=3650),
        "last_error": error,
    }
    return Delivery(**{**values, **fields})


def _admin_in(server: LiveServer, timezone: str) -> Account:
    email = f"admin-{uuid.uuid4().hex[:8]}@example.org"
    cli(server, "create-admin", email, "--password", PASSWORD)
    account = Account(email, PASSWORD, "Admin")
    with api(server, account) as client:
        changed = client.patch("/me", json={"timezone": timezone})
        assert changed.status_code == 200, changed.text
    return account


def test_times_show_in_each_users_own_zone(
    page: Page, e2e_server: LiveServer, new_account: Callable[..., Account]
) -> None:
    """Issue 13 item 6, D1.1: every page that shows an instant shows it on the viewer's
    wall clock: the inbox for a New York user, the inbox and the admin's deliveries for
    an admin in Kolkata (15:30 UTC is 10:30 and 21:00), never the UTC time."""
    new_york = new_account("Nia", timezone="America/New_York")
    kolkata = _admin_in(e2e_server, "Asia/Kolkata")
    ny_id, in_id = (seeding.user_id(e2e_server, a.email) for a in (new_york, kolkata))
    channel = _failing_channel(in_id)
    seeding.add(
        e2e_server,
        lambda: [
            _notification(ny_id, "Read"),
            _notification(in_id, "Walk"),
            channel,
            _delivery(channel, "failed", f"HTTP 500 from the receiver {channel.id}"),
        ],
    )

    sign_in(page, new_york)
    page.goto("/inbox")
    when = page.locator(".inbox-when time")
    expect(when).to_have_text(re.compile(r"Tue 01 Dec, 10:30$"))
    check_page(page)
    page.context.clear_cookies()

    sign_in(page, kolkata)
    page.goto("/inbox")
    expect(page.locator(".inbox-when time")).to_have_text(re.compile(r"Tue 01 Dec, 21:00$"))
    page.goto("/admin/deliveries")
    mine = page.locator("#problems tbody tr", has_text=str(channel.id))
    expect(mine.locator("td[data-label='Due'] time")).to_have_text("01 Dec 2026, 21:00")
    expect(page.get_by_text("01 Dec 2026, 15:30")).to_have_count(0)
    check_page(page)


def test_inbox_items_have_done_and_open_habit(
    page: Page, e2e_server: LiveServer, new_account: Callable[..., Account]
) -> None:
    """Issue 13: today's reminder of a yes/no habit is checked in from the inbox (the
    service Today's Done uses, D4: one entry for the day) and opens its habit; a quit
    habit's reminder only opens it; a digest's lines stay lines."""
    account = new_account("Ines", timezone="Asia/Kolkata")
    owner = seeding.user_id(e2e_server, account.email)
    with api(e2e_server, account) as client:
        stretch = client.post("/habits", json={"name": "Stretch", "schedule": {"type": "daily"}})
        sober = client.post(
            "/habits",
            json={"name": "No alcohol", "polarity": "quit", "schedule": {"type": "daily"}},
        )
        assert stretch.status_code == sober.status_code == 201, stretch.text + sober.text
    today = datetime.now(ZoneInfo("Asia/Kolkata")).date()
    stretch_id, sober_id = stretch.json()["id"], sober.json()["id"]
    seeding.add(
        e2e_server,
        lambda: [
            _notification(owner, "Stretch", habit_id=uuid.UUID(stretch_id), local_date=today),
            _notification(
                owner,
                "Stay on track: No alcohol",
                body="Check in: No alcohol \N{EN DASH} still clean today?",
                habit_id=uuid.UUID(sober_id),
                local_date=today,
                created_at=AT + timedelta(minutes=5),
            ),
            _notification(
                owner,
                "2 habits left today",
                kind="digest",
                body="Still to do on Tuesday 01 December:\n• Stretch\n• Read",
                created_at=AT - timedelta(minutes=5),
            ),
        ],
    )
    sign_in(page, account)
    page.goto("/inbox")
    stretch_item = page.locator(".inbox-item", has_text="Time for Stretch")
    sober_item = page.locator(".inbox-item", has_text="still clean today")
    expect(sober_item.get_by_role("button", name=re.compile("done"))).to_have_count(0)
    expect(sober_item.get_by_role("link", name="Open habit: No alcohol")).to_be_visible()
    digest = page.locator(".inbox-item", has_text="2 habits left today").locator(".inbox-body")
    assert digest.evaluate("(el) => el.getClientRects().length && el.offsetHeight") > 40
    shots(page, "inbox")
    check_page(page)

    stretch_item.get_by_role("button", name="Done: Stretch, today").click()
    expect(page.locator(".flash, .toast").first).to_contain_text("Stretch: done for today.")
    expect(stretch_item.get_by_text("✓ Done today")).to_be_visible()
    expect(stretch_item.get_by_role("button", name="Mark read: Stretch")).to_have_count(0)
    with api(e2e_server, account) as client:
        day = today.isoformat()
        entries = client.get(
            f"/habits/{stretch_id}/entries", params={"from": day, "to": day}
        ).json()["items"]
    assert [(item["date"], item["status"]) for item in entries] == [(day, "done")]
    stretch_item.get_by_role("link", name="Open habit: Stretch").click()
    expect(page).to_have_url(re.compile(f"/habits/{stretch_id}$"))


def test_admin_deliveries_list_failed_ones_with_their_errors(
    page: Page, e2e_server: LiveServer
) -> None:
    """Issue 13: /admin/deliveries lists failed deliveries (not only dead ones) with the
    error, attempts and next try, filtered by state."""
    admin = _admin_in(e2e_server, "Europe/Paris")
    owner = seeding.user_id(e2e_server, admin.email)
    channel = _failing_channel(owner)
    mark = uuid.uuid4().hex  # other tests' deliveries are listed too: ours carry this
    long_error = f"connection refused by 127.0.0.1:9 {mark} " + "x" * 90
    seeding.add(
        e2e_server,
        lambda: [
            channel,
            _delivery(channel, "failed", long_error, attempts=2),
            _delivery(channel, "dead", f"410 Gone: the receiver is no more {mark}", attempts=5),
            _delivery(
                channel,
                "sent",
                f"a hiccup before it went through {mark}",
                attempts=2,
                sent_at=AT,
                next_attempt_at=AT,
            ),
        ],
    )
    sign_in(page, admin)
    page.goto("/admin/deliveries")
    rows = page.locator("#problems tbody tr", has_text=mark)
    expect(rows).to_have_count(2)  # failed or dead, not the sent one
    failed = rows.filter(has_text="connection refused")
    expect(failed.locator("td[data-label='State']")).to_have_text("failed")
    expect(failed.locator("td[data-label='Attempts']")).to_have_text("2")
    expect(failed.locator("td[data-label='Next try'] time")).to_be_visible()
    expect(failed.get_by_role("button", name=re.compile("^Retry now: reminder"))).to_be_visible()
    shots(page, "admin-deliveries")
    check_page(page)
    page.get_by_label("Show").select_option("all")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile("state=all"))
    expect(rows).to_have_count(3)
    page.get_by_label("Show").select_option("dead")
    page.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("410 Gone")
