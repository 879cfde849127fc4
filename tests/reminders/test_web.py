"""Issue 6 on the web: the inbox (with the header's unread badge), Settings →
Notifications (channels, nudges, quiet hours), a habit's reminders and the admin's
delivery ledger. DOMAIN D9; API.md "Reminders, channels and notifications"."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import Channel, Delivery, Notification, Reminder, User
from tests.auth.pages import error_sits_by_its_field, field_errors, follow, post_form
from tests.fixtures.personas import Persona
from tests.fixtures.web import browser, form_csrf_token, web_login
from tests.reminders.conftest import Sink, run_worker

API = "/api/v1"
SETTINGS = "/settings/notifications"


async def notify(
    session: AsyncSession, persona: Persona, title: str, minutes_ago: int
) -> uuid.UUID:
    """An inbox entry as the firing code writes it (the worker is not what is tested)."""
    row = Notification(
        id=uuid.uuid4(),
        user_id=persona.id,
        kind="habit",
        title=title,
        body=f"{title}: body",
        created_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
    )
    session.add(row)
    await session.commit()
    return row.id


async def post_on(
    client: httpx.AsyncClient, page: str, action: str, data: dict[str, str] | None = None
) -> httpx.Response:
    return await post_form(client, page, action, data or {})


def unread_badge(page: str) -> str | None:
    found = re.search(r'<span class="badge inbox-badge"[^>]*>([^<]+)</span>', page)
    return found[1] if found else None


async def habit(client: httpx.AsyncClient, persona: Persona, name: str) -> str:
    created = await client.post(
        f"{API}/habits", json={"name": name, "schedule": {"type": "daily"}}, headers=persona.headers
    )
    assert created.status_code == 201, created.text
    habit_id: str = created.json()["id"]
    return habit_id


# --- the inbox --------------------------------------------------------------------------------


async def test_inbox_lists_newest_first_and_marks_read(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 6 "in-app inbox": newest first, unread marked, mark one or all read; the
    header's Inbox link carries the unread count (service.unread_count)."""
    old = await notify(db_session, alice, "Older one", 30)
    new = await notify(db_session, alice, "Newer one", 5)
    await web_login(client, alice.email, alice.password)

    page = (await client.get("/inbox")).text
    assert page.index("Newer one") < page.index("Older one")
    assert page.count("inbox-unread") == 2
    assert unread_badge(page) == "2"
    assert unread_badge((await client.get("/today")).text) == "2"  # on every page

    one = await post_on(client, "/inbox", f"/inbox/{new}/read")
    assert one.status_code == 303, one.text
    page = (await follow(client, one)).text
    assert f'id="notification-{new}"' in page
    assert page.count("inbox-unread") == 1
    assert unread_badge(page) == "1"

    everything = await post_on(client, "/inbox", "/inbox/read-all")
    page = (await follow(client, everything)).text
    assert "everything is read" in page
    assert "inbox-unread" not in page
    assert unread_badge(page) is None
    db_session.expire_all()
    row = (await db_session.scalars(select(Notification).where(Notification.id == old))).one()
    assert row.read_at is not None


async def test_inbox_is_private_and_needs_sign_in(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona, db_session: AsyncSession
) -> None:
    """D9 ownership: charlie cannot mark alice's notification read (404); signed out,
    the inbox sends you to /login."""
    signed_out = await client.get("/inbox")
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/login")
    hers = await notify(db_session, alice, "Alice only", 1)
    async with browser(client) as other:
        await web_login(other, charlie.email, charlie.password)
        page = (await other.get("/inbox")).text
        assert "Alice only" not in page
        tried = await post_on(other, "/inbox", f"/inbox/{hers}/read")
        assert tried.status_code == 404
    db_session.expire_all()
    row = (await db_session.scalars(select(Notification).where(Notification.id == hers))).one()
    assert row.read_at is None


# --- Settings → Notifications -----------------------------------------------------------------


async def test_add_webhook_shows_secret_once_then_test_switch_remove(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, sink: Sink, db_session: AsyncSession
) -> None:
    """API.md channels: a webhook's secret is shown once at creation; "Send a test" goes
    through the ledger; a channel can be turned off (and its reason shown) and removed."""
    await web_login(client, alice.email, alice.password)
    settings = (await client.get("/settings")).text
    assert f'href="{SETTINGS}"' in settings
    page = (await client.get(SETTINGS)).text
    assert "No channels yet" in page
    assert "Quiet hours" in page

    added = await post_on(
        client, SETTINGS, f"{SETTINGS}/channels", {"type": "webhook", "target": sink.url}
    )
    assert added.status_code == 303, added.text
    page = (await follow(client, added)).text
    channel = (await db_session.scalars(select(Channel).where(Channel.user_id == alice.id))).one()
    assert channel.secret
    assert f'value="{channel.secret}"' in page
    assert "shown only once" in page
    assert channel.secret not in (await client.get(SETTINGS)).text  # once

    tested = await post_on(client, SETTINGS, f"{SETTINGS}/channels/{channel.id}/test")
    assert "test message is on its way" in (await follow(client, tested)).text
    await run_worker(app)
    assert len(sink.accepted()) == 1

    await db_session.execute(
        Channel.__table__.update()
        .where(Channel.id == channel.id)
        .values(enabled=False, disabled_reason="the webhook answered 410 Gone")
    )
    await db_session.commit()
    page = (await client.get(SETTINGS)).text
    assert "Turned off: the webhook answered 410 Gone" in page
    on = await post_on(
        client, SETTINGS, f"{SETTINGS}/channels/{channel.id}/enabled", {"enabled": "true"}
    )
    assert "is on" in (await follow(client, on)).text
    await db_session.refresh(channel)
    assert channel.enabled
    assert channel.disabled_reason is None

    removed = await post_on(client, SETTINGS, f"{SETTINGS}/channels/{channel.id}/delete")
    assert "No channels yet" in (await follow(client, removed)).text


async def test_bad_channel_is_422_next_to_the_field(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """D9 channels: an address that cannot work is refused with the reason next to the
    field, and what was typed is kept."""
    await web_login(client, alice.email, alice.password)
    bad = await post_on(
        client,
        SETTINGS,
        f"{SETTINGS}/channels",
        {"type": "webhook", "target": "not a url", "name": "Mine"},
    )
    assert bad.status_code == 422
    assert "channel_target" in field_errors(bad.text)
    error_sits_by_its_field(bad.text, "channel_target")
    assert 'value="not a url"' in bad.text
    assert 'value="Mine"' in bad.text
    email = await post_on(
        client, SETTINGS, f"{SETTINGS}/channels", {"type": "email", "target": "a@example.org"}
    )
    assert email.status_code == 422
    assert "not set up on this server" in field_errors(email.text)["channel_target"]
    # Issue 11 item 1: a refused Apprise service (a generic JSON poster) is named next
    # to the field too, though the API's 422 says `config.url`.
    poster = await post_on(
        client,
        SETTINGS,
        f"{SETTINGS}/channels",
        {"type": "apprise", "target": "json://hooks.example.org/x"},
    )
    assert poster.status_code == 422
    assert "channel_target" in field_errors(poster.text)
    error_sits_by_its_field(poster.text, "channel_target")


async def test_nudges_and_quiet_hours_are_saved_or_refused(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 6 nudges (streak at risk, digest, weekly summary) and quiet hours (both or
    neither, service.set_notification_settings); errors sit by their field."""
    await web_login(client, alice.email, alice.password)
    fields = {
        "streak_enabled": "on",
        "streak_time": "21:15",
        "digest_time": "07:30",
        "weekly_enabled": "on",
        "weekly_day": "sun",
        "weekly_time": "18:00",
        "quiet_start": "22:00",
        "quiet_end": "07:00",
    }
    saved = await post_on(client, SETTINGS, f"{SETTINGS}/nudges", fields)
    assert saved.status_code == 303, saved.text
    page = (await follow(client, saved)).text
    assert 'value="21:15"' in page
    assert 'value="22:00"' in page
    assert '<option value="sun" selected>' in page
    rows = {
        row.kind: row
        for row in await db_session.scalars(select(Reminder).where(Reminder.user_id == alice.id))
    }
    assert rows["streak_at_risk"].enabled
    assert rows["streak_at_risk"].time == "21:15"
    assert not rows["digest"].enabled
    assert rows["weekly_summary"].days == ["sun"]
    user = (await db_session.scalars(select(User).where(User.id == alice.id))).one()
    assert (user.quiet_start, user.quiet_end) == ("22:00", "07:00")

    half = await post_on(
        client, SETTINGS, f"{SETTINGS}/nudges", {**fields, "quiet_end": "", "digest_time": "25:00"}
    )
    assert half.status_code == 422
    errors = field_errors(half.text)
    assert "HH:MM" in errors["digest_time"]
    error_sits_by_its_field(half.text, "digest_time")
    assert 'value="21:15"' in half.text  # nothing lost
    pair = await post_on(client, SETTINGS, f"{SETTINGS}/nudges", {**fields, "quiet_end": ""})
    assert pair.status_code == 422
    assert "both a start and an end" in field_errors(pair.text)["quiet_end"]


async def test_channels_of_others_are_404_and_pages_need_sign_in(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """D9 ownership: charlie cannot test, switch or remove alice's channel."""
    assert (await client.get(SETTINGS)).headers["location"].startswith("/login")
    created = await client.post(
        f"{API}/channels",
        json={"type": "webhook", "config": {"url": "http://127.0.0.1:9/hook"}},
        headers=alice.headers,
    )
    assert created.status_code == 201, created.text
    hers = created.json()["id"]
    async with browser(client) as other:
        await web_login(other, charlie.email, charlie.password)
        for action in ("test", "delete", "enabled"):
            tried = await post_on(other, SETTINGS, f"{SETTINGS}/channels/{hers}/{action}")
            assert tried.status_code == 404, action
    listed = await client.get(f"{API}/channels", headers=alice.headers)
    assert [item["id"] for item in listed.json()["items"]] == [hers]


# --- a habit's reminders ----------------------------------------------------------------------


async def test_habit_reminders_add_and_delete(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """D9.1: a reminder at a local time on chosen weekdays, or the habit's days; D9.3
    only-if-pending. Linked from the habit's edit form; bad time is 422 by the field."""
    reading = await habit(client, alice, "Read")
    await web_login(client, alice.email, alice.password)
    edit = (await client.get(f"/habits/{reading}/edit")).text
    assert f'href="/habits/{reading}/reminders"' in edit
    page_url = f"/habits/{reading}/reminders"
    assert "No reminders for this habit yet" in (await client.get(page_url)).text

    both = await post_on(
        client, page_url, page_url, {"time": "07:45", "day_mon": "on", "day_fri": "on"}
    )
    assert both.status_code == 303, both.text
    page = (await follow(client, both)).text
    assert "07:45" in page
    assert "on Mon, Fri" in page
    habit_days = await post_on(
        client, page_url, page_url, {"time": "20:00", "only_if_pending": "on"}
    )
    page = (await follow(client, habit_days)).text
    assert "on the habit&#39;s days" in page
    assert "only if not done yet" in page
    listed = (await client.get(f"{API}/habits/{reading}/reminders", headers=alice.headers)).json()
    stored = {
        (item["time"], tuple(item["days"] or ()), item["only_if_pending"])
        for item in listed["items"]
    }
    assert stored == {("07:45", ("mon", "fri"), False), ("20:00", (), True)}

    bad = await post_on(client, page_url, page_url, {"time": "7pm", "day_tue": "on"})
    assert bad.status_code == 422
    error_sits_by_its_field(bad.text, "time")
    assert 'name="day_tue" value="on" checked' in bad.text

    first = next(item["id"] for item in listed["items"] if item["time"] == "07:45")
    async with browser(client) as other:
        await web_login(other, charlie.email, charlie.password)
        assert (await other.get(page_url)).status_code == 404
        tried = await post_on(other, "/inbox", f"{page_url}/{first}/delete")
        assert tried.status_code == 404
    deleted = await post_on(client, page_url, f"{page_url}/{first}/delete")
    page = (await follow(client, deleted)).text
    assert "Reminder deleted" in page
    assert "07:45" not in page


# --- admin: deliveries ------------------------------------------------------------------------


async def test_admin_sees_dead_letters_and_replays_them(
    client: httpx.AsyncClient,
    app: FastAPI,
    admin: Persona,
    alice: Persona,
    sink: Sink,
    db_session: AsyncSession,
) -> None:
    """Issue 6 admin: counts by state, per-channel success rate, the dead-letter list
    with last_error, and replay (one, or all dead) back to pending."""
    created = await client.post(
        f"{API}/channels",
        json={"type": "webhook", "config": {"url": sink.url}},
        headers=alice.headers,
    )
    channel = created.json()["id"]
    sink.statuses = [500] * 3
    tested = await client.post(f"{API}/channels/{channel}/test", headers=alice.headers)
    assert tested.status_code in (200, 202), tested.text
    await run_worker(app)
    dead = (await db_session.scalars(select(Delivery).where(Delivery.state == "dead"))).one()

    async with browser(client) as other:
        await web_login(other, alice.email, alice.password)
        assert (await other.get("/admin/deliveries")).status_code == 403
    await web_login(client, admin.email, admin.password)
    assert 'href="/admin/deliveries"' in (await client.get("/admin")).text
    page = (await client.get("/admin/deliveries")).text
    assert '<dd id="state-dead">1</dd>' in page
    assert '<th scope="row">webhook</th><td>3</td><td>0</td><td>0%</td>' in page
    assert f'id="delivery-{dead.id}"' in page
    assert "500" in page

    replayed = await post_on(client, "/admin/deliveries", f"/admin/deliveries/{dead.id}/replay")
    page = (await follow(client, replayed)).text
    assert "No failed or dead deliveries" in page
    assert '<dd id="state-pending">1</dd>' in page
    await db_session.refresh(dead)
    assert dead.state == "pending"
    assert dead.attempts == 0
    again = await post_on(client, "/admin/deliveries", f"/admin/deliveries/{dead.id}/replay")
    assert again.status_code == 404  # only dead or failed ones
    everything = await post_on(client, "/admin/deliveries", "/admin/deliveries/replay")
    assert "Queued 0 deliveries again" in (await follow(client, everything)).text
    assert form_csrf_token(page)
