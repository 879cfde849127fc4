"""The reminder engine end to end through the API and one dispatcher pass at a time:
firing (D9.1-D9.4), the inbox, the ledger's retries and dead letters, channels turned
off by permanent errors (issue 6 "How it must behave", DESIGN "Background work")."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import time_machine
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import Delivery, DeliveryAttempt, ReminderOccurrence, User
from habitus.reminders.transports.webhook import verify
from tests.fixtures.personas import Persona
from tests.habits.helpers import (
    API,
    checked_in,
    create_habit,
    error_fields,
    patch_habit,
    problem,
    travel,
)
from tests.reminders.conftest import Sink, run_worker

EVENING = datetime(2026, 11, 21, 18, 0, 30, tzinfo=UTC)


async def webhook(client: httpx.AsyncClient, persona: Persona, sink: Sink) -> dict[str, Any]:
    response = await client.post(
        f"{API}/channels",
        json={"type": "webhook", "name": "Sink", "config": {"url": sink.url}},
        headers={**persona.headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text
    channel: dict[str, Any] = response.json()
    return channel


async def reminder(
    client: httpx.AsyncClient, persona: Persona, habit_id: str, **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        f"{API}/habits/{habit_id}/reminders",
        json={"time": "18:00", **fields},
        headers={**persona.headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


async def inbox(client: httpx.AsyncClient, persona: Persona) -> list[dict[str, Any]]:
    response = await client.get(f"{API}/notifications", headers=persona.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def count(session: AsyncSession, statement: Any) -> int:
    found = await session.scalar(statement)
    await session.commit()
    return int(found or 0)


async def test_a_due_reminder_reaches_the_webhook_and_the_inbox_once(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    sink: Sink,
    db_session: AsyncSession,
) -> None:
    """D9.1: fires at the local time; API.md: the webhook body and its HMAC signature;
    the inbox gets it; D9.4: a second pass sends nothing again."""
    habit = await create_habit(client, alice, name="Read 20 min")
    channel = await webhook(client, alice, sink)
    assert channel["secret"]  # shown once
    listed = (await client.get(f"{API}/channels", headers=alice.headers)).json()["items"]
    assert "secret" not in listed[0]
    found = await reminder(client, alice, habit["id"])
    assert found["next_fire_at"] == "2026-11-21T18:00:00Z"

    assert await run_worker(app) == (0, 0)  # 12:00: nothing due
    await travel(frozen_clock, client, alice, EVENING)
    assert await run_worker(app) == (1, 1)
    assert len(sink.received) == 1
    request = sink.received[0]
    body = request.json
    assert body["event"] == "reminder"
    assert body["habit"] == {"id": habit["id"], "name": "Read 20 min"}
    assert body["date"] == "2026-11-21"
    assert body["title"] == "Read 20 min"
    assert request.headers["x-habitus-event"] == "reminder"
    assert request.headers["idempotency-key"] == body["delivery_id"]
    assert verify(
        channel["secret"],
        request.headers["x-habitus-timestamp"],
        request.headers["x-habitus-signature"],
        request.body,
    )
    assert not verify(
        "another-secret-of-some-length",
        request.headers["x-habitus-timestamp"],
        request.headers["x-habitus-signature"],
        request.body,
    )

    items = await inbox(client, alice)
    assert [(item["kind"], item["title"]) for item in items] == [("reminder", "Read 20 min")]
    assert (
        await client.get(f"{API}/notifications/unread-count", headers=alice.headers)
    ).json() == {"unread": 1}
    assert await run_worker(app) == (0, 0)
    assert len(sink.received) == 1
    moved = (
        await client.get(f"{API}/habits/{habit['id']}/reminders", headers=alice.headers)
    ).json()
    assert moved["items"][0]["next_fire_at"] == "2026-11-22T18:00:00Z"
    assert await count(db_session, select(func.count()).select_from(DeliveryAttempt)) == 1


async def test_only_if_pending_suppresses_a_done_day(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    sink: Sink,
    db_session: AsyncSession,
) -> None:
    """D9.3: the day is done at firing time: nothing is sent and the occurrence is
    recorded as suppressed; with only_if_pending off it is sent anyway."""
    habit = await create_habit(client, alice)
    other = await create_habit(client, alice, name="Walk")
    await webhook(client, alice, sink)
    await reminder(client, alice, habit["id"])
    await reminder(client, alice, other["id"], only_if_pending=False)
    await checked_in(client, alice, habit["id"])
    await checked_in(client, alice, other["id"])
    await travel(frozen_clock, client, alice, EVENING)
    await run_worker(app)
    assert [item.json["title"] for item in sink.received] == ["Walk"]
    outcomes = set(await db_session.scalars(select(ReminderOccurrence.outcome)))
    await db_session.commit()
    assert outcomes == {"suppressed", "sent"}


async def test_quiet_hours_leave_only_the_inbox(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    sink: Sink,
) -> None:
    """Issue 6: quiet hours (wrapping midnight): nothing but the inbox between them."""
    habit = await create_habit(client, alice)
    await webhook(client, alice, sink)
    await reminder(client, alice, habit["id"], time="23:30")
    settings = await client.put(
        f"{API}/me/notification-settings",
        json={"quiet_start": "22:00", "quiet_end": "07:00"},
        headers=alice.headers,
    )
    assert settings.status_code == 200, settings.text
    await travel(frozen_clock, client, alice, datetime(2026, 11, 21, 23, 31, tzinfo=UTC))
    assert await run_worker(app) == (1, 0)
    assert sink.received == []
    assert [item["title"] for item in await inbox(client, alice)] == ["Read"]


async def test_disabled_users_and_archived_habits_get_nothing(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    sink: Sink,
    db_session: AsyncSession,
) -> None:
    """Issue 6: a disabled user or an archived habit gets nothing (not even the inbox)."""
    kept = await create_habit(client, alice, name="Kept")
    archived = await create_habit(client, alice, name="Archived")
    await webhook(client, alice, sink)
    await reminder(client, alice, kept["id"])
    await reminder(client, alice, archived["id"])
    assert (await patch_habit(client, alice, archived["id"], archived=True)).status_code == 200
    bobs = await create_habit(client, bob, name="Bob's")
    await webhook(client, bob, sink)
    await reminder(client, bob, bobs["id"])
    await db_session.execute(
        update(User).where(User.id == bob.id).values(disabled_at=datetime.now(UTC))
    )
    await db_session.commit()
    await travel(frozen_clock, client, alice, EVENING)
    await run_worker(app)
    assert [item.json["title"] for item in sink.received] == ["Kept"]
    assert [item["title"] for item in await inbox(client, alice)] == ["Kept"]


async def test_a_channel_failing_twice_delivers_once_on_the_third_attempt(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    sink: Sink,
    db_session: AsyncSession,
) -> None:
    """Issue 6 Faults: fails the first 2 attempts, delivered once on the 3rd; every
    attempt is recorded with its status and error."""
    habit = await create_habit(client, alice)
    await webhook(client, alice, sink)
    await reminder(client, alice, habit["id"])
    sink.statuses = [503, 500]
    await travel(frozen_clock, client, alice, EVENING)
    await run_worker(app)
    assert [item.headers["x-status"] for item in sink.received] == ["503", "500", "200"]
    assert len({item.json["delivery_id"] for item in sink.received}) == 1
    delivery = (await db_session.scalars(select(Delivery))).one()
    attempts = list(
        await db_session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.number))
    )
    await db_session.commit()
    assert (delivery.state, delivery.attempts) == ("sent", 3)
    assert [(row.number, row.status) for row in attempts] == [
        (1, "temporary"),
        (2, "temporary"),
        (3, "sent"),
    ]
    assert "503" in (attempts[0].error or "")


async def test_a_channel_that_always_fails_ends_dead_and_replay_delivers_it(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    admin: Persona,
    sink: Sink,
) -> None:
    """Issue 6 Faults: after N attempts (3 here) the delivery is dead; the admin sees it
    in the dead-letter list with its error and a replay delivers it."""
    habit = await create_habit(client, alice)
    await webhook(client, alice, sink)
    await reminder(client, alice, habit["id"])
    sink.statuses = [500, 500, 500]
    await travel(frozen_clock, client, alice, EVENING)
    await travel(frozen_clock, client, admin, EVENING)
    await run_worker(app)
    dead = (
        await client.get(f"{API}/admin/deliveries", params={"state": "dead"}, headers=admin.headers)
    ).json()["items"]
    assert len(dead) == 1
    assert dead[0]["attempts"] == 3
    assert "500" in dead[0]["last_error"]
    overview = (await client.get(f"{API}/admin/deliveries/overview", headers=admin.headers)).json()
    assert overview["states"] == {"dead": 1}
    assert overview["channels"][0]["success_rate"] == 0.0
    forbidden = await client.get(f"{API}/admin/deliveries", headers=alice.headers)
    assert forbidden.status_code == 403
    replayed = await client.post(
        f"{API}/admin/deliveries/{dead[0]['id']}/retry", headers=admin.headers
    )
    assert replayed.status_code == 202, replayed.text
    await run_worker(app)
    assert [item.headers["x-status"] for item in sink.received] == ["500", "500", "500", "200"]
    sent = (
        await client.get(f"{API}/admin/deliveries", params={"state": "sent"}, headers=admin.headers)
    ).json()["items"]
    assert [item["id"] for item in sent] == [dead[0]["id"]]


async def test_a_gone_webhook_turns_the_channel_off_and_says_why(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    sink: Sink,
) -> None:
    """DESIGN: a permanent error (410 Gone) disables the channel with the reason shown
    to the user; no retry is made."""
    habit = await create_habit(client, alice)
    channel = await webhook(client, alice, sink)
    await reminder(client, alice, habit["id"])
    sink.statuses = [410]
    await travel(frozen_clock, client, alice, EVENING)
    await run_worker(app)
    assert len(sink.received) == 1
    found = (await client.get(f"{API}/channels", headers=alice.headers)).json()["items"][0]
    assert found["id"] == channel["id"]
    assert found["enabled"] is False
    assert "410" in found["disabled_reason"]
    kinds = [item["kind"] for item in await inbox(client, alice)]
    assert "channel_disabled" in kinds
    # Turning it on again clears the reason.
    again = await client.patch(
        f"{API}/channels/{channel['id']}", json={"enabled": True}, headers=alice.headers
    )
    assert (again.json()["enabled"], again.json()["disabled_reason"]) == (True, None)


async def test_channel_test_goes_through_the_ledger(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, sink: Sink
) -> None:
    """API.md: POST /channels/{id}/test answers 202; a test message is delivered
    through the ledger."""
    channel = await webhook(client, alice, sink)
    response = await client.post(f"{API}/channels/{channel['id']}/test", headers=alice.headers)
    assert response.status_code == 202, response.text
    await run_worker(app)
    assert [item.json["event"] for item in sink.received] == ["test"]
    assert sink.received[0].json["delivery_id"] == response.json()["delivery_id"]


async def test_bad_channels_and_reminders_are_422_naming_the_field(
    make_client: Any, alice: Persona, client: httpx.AsyncClient
) -> None:
    """Bad input gets a 422 naming the field; API.md: private webhook targets are
    refused unless the server allows them."""
    guarded = await make_client()
    response = await guarded.post(
        f"{API}/channels",
        json={"type": "webhook", "config": {"url": "http://127.0.0.1:9/hook"}},
        headers=alice.headers,
    )
    assert "config" in error_fields(problem(response, 422))
    response = await client.post(
        f"{API}/channels",
        json={"type": "email", "config": {"address": "a@b.example"}},
        headers=alice.headers,
    )
    assert "not set up" in problem(response, 422)["errors"][0]["message"]
    habit = await create_habit(client, alice)
    for body, field in (
        ({"time": "25:00"}, "time"),
        ({"time": "08:00", "days": []}, "days"),
        ({"time": "08:00", "days": ["xyz"]}, "days.0"),
        ({"time": "08:00", "channel_ids": [str(uuid.uuid4())]}, "channel_ids"),
    ):
        response = await client.post(
            f"{API}/habits/{habit['id']}/reminders", json=body, headers=alice.headers
        )
        assert field in error_fields(problem(response, 422)), body


async def test_charlie_cannot_see_or_touch_alices_reminders_and_channels(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona, sink: Sink
) -> None:
    """DESIGN: access control in the query; another user's row is a 404."""
    habit = await create_habit(client, alice)
    channel = await webhook(client, alice, sink)
    found = await reminder(client, alice, habit["id"])
    for method, path in (
        ("PATCH", f"/reminders/{found['id']}"),
        ("DELETE", f"/reminders/{found['id']}"),
        ("PATCH", f"/channels/{channel['id']}"),
        ("DELETE", f"/channels/{channel['id']}"),
        ("POST", f"/channels/{channel['id']}/test"),
        ("GET", f"/habits/{habit['id']}/reminders"),
    ):
        response = await client.request(
            method, f"{API}{path}", json={} if method == "PATCH" else None, headers=charlie.headers
        )
        assert response.status_code == 404, (method, path, response.text)
    assert (await client.get(f"{API}/channels", headers=charlie.headers)).json()["items"] == []


async def test_email_reminder_with_a_working_one_click_unsubscribe(
    frozen_clock: time_machine.Coordinates, make_client: Any, alice: Persona
) -> None:
    """Issue 6 email: a real SMTP server on loopback receives the reminder with a plain
    and an HTML part and a one-click unsubscribe link (RFC 8058); posting to that link
    turns the channel off."""
    import email
    import email.policy
    import socket

    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self) -> None:
            self.messages: list[bytes] = []

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            self.messages.append(envelope.content)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Inbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        server = await make_client(
            smtp_host="127.0.0.1", smtp_port=port, smtp_security="none", base_url="http://h.test"
        )
        transport = server._transport
        assert isinstance(transport, httpx.ASGITransport)
        app: Any = transport.app
        habit = await create_habit(server, alice, name="Stretch")
        made = await server.post(
            f"{API}/channels",
            json={"type": "email", "config": {"address": "alice@example.org"}},
            headers=alice.headers,
        )
        assert made.status_code == 201, made.text
        await reminder(server, alice, habit["id"])
        await travel(frozen_clock, server, alice, EVENING)
        assert await run_worker(app) == (1, 1)
    finally:
        controller.stop()
    assert len(mailbox.messages) == 1
    message = email.message_from_bytes(mailbox.messages[0], policy=email.policy.default)
    assert message["Subject"] == "Stretch"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"].strip("<>")
    assert link.startswith("http://h.test/unsubscribe/")
    kinds = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html"} <= kinds
    page = await server.get(link.removeprefix("http://h.test"))
    assert page.status_code == 200
    assert "alice@example.org" in page.text
    done = await server.post(
        link.removeprefix("http://h.test"), data={"List-Unsubscribe": "One-Click"}
    )
    assert done.status_code == 200, done.text
    channel = (await server.get(f"{API}/channels", headers=alice.headers)).json()["items"][0]
    assert channel["enabled"] is False
    assert "unsubscribed" in channel["disabled_reason"]
    forged = await server.post("/unsubscribe/not-a-signed-token")
    assert forged.status_code == 404


async def test_webhooks_that_asked_for_events_hear_check_ins_and_streaks(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona, sink: Sink
) -> None:
    """Issue 6: webhooks are also used for events (check-in, streak extended, streak
    broken), once each, signed like reminders; a channel that did not ask hears none."""
    habit = await create_habit(client, alice, name="Floss", start_date="2026-11-19")
    response = await client.post(
        f"{API}/channels",
        json={"type": "webhook", "config": {"url": sink.url, "events": True}},
        headers=alice.headers,
    )
    assert response.status_code == 201, response.text
    secret = response.json()["secret"]
    quiet = await create_habit(client, bob, name="Bob's")
    await webhook(client, bob, sink)  # events not asked for
    await run_worker(app)  # events before now are forwarded too: none are webhook kinds
    sink.received.clear()
    await checked_in(client, alice, habit["id"])
    await checked_in(client, bob, quiet["id"])
    await run_worker(app)
    await run_worker(app)
    kinds = sorted(item.json["event"] for item in sink.received)
    assert kinds == ["checkin", "streak_extended"]
    assert {item.json["habit"]["name"] for item in sink.received} == {"Floss"}
    for item in sink.received:
        assert verify(
            secret,
            item.headers["x-habitus-timestamp"],
            item.headers["x-habitus-signature"],
            item.body,
        )


async def test_a_new_zone_or_schedule_recomputes_next_firing_instants(
    frozen_clock: time_machine.Coordinates, client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 6: next firing instants are stored, computed from the user's zone (D9.1);
    a change of zone, schedule or reminder recomputes them."""
    habit = await create_habit(client, alice)
    found = await reminder(client, alice, habit["id"], time="07:30")
    assert found["next_fire_at"] == "2026-11-22T07:30:00Z"  # UTC, Sunday morning

    async def next_fire() -> str:
        listed = await client.get(f"{API}/habits/{habit['id']}/reminders", headers=alice.headers)
        value: str = listed.json()["items"][0]["next_fire_at"]
        return value

    moved = await client.patch(f"{API}/me", json={"timezone": "Asia/Tokyo"}, headers=alice.headers)
    assert moved.status_code == 200, moved.text
    assert await next_fire() == "2026-11-21T22:30:00Z"  # 07:30 on Sunday in Tokyo
    # Weekdays only (Saturday 21, Sunday 22 not required): Monday 07:30 Tokyo.
    edited = await patch_habit(
        client,
        alice,
        habit["id"],
        schedule={"type": "weekdays", "days": ["mon", "tue", "wed", "thu", "fri"]},
    )
    assert edited.status_code == 200, edited.text
    assert await next_fire() == "2026-11-22T22:30:00Z"
    changed = await client.patch(
        f"{API}/reminders/{found['id']}", json={"time": "06:00"}, headers=alice.headers
    )
    assert changed.json()["next_fire_at"] == "2026-11-22T21:00:00Z"
    off = await client.patch(
        f"{API}/reminders/{found['id']}", json={"enabled": False}, headers=alice.headers
    )
    assert off.json()["next_fire_at"] is None


async def test_metrics_count_fired_sent_and_lateness(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    sink: Sink,
) -> None:
    """Issue 6: Prometheus metrics: reminders fired, suppressed, sent, failed, dead and
    the lateness histogram."""

    def value(text: str, name: str) -> float:
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith(name) and not line.startswith("#")
        )

    before = (await client.get("/metrics")).text
    habit = await create_habit(client, alice)
    await webhook(client, alice, sink)
    await reminder(client, alice, habit["id"])
    sink.statuses = [500]
    await travel(frozen_clock, client, alice, EVENING)
    await run_worker(app)
    after = (await client.get("/metrics")).text
    for name, grew in (
        ("habitus_reminders_fired_total", 1),
        ("habitus_deliveries_sent_total", 1),
        ("habitus_deliveries_failed_total", 1),
        ("habitus_delivery_lateness_seconds_count", 1),
    ):
        assert value(after, name) - value(before, name) == grew, name


async def test_streak_at_risk_digest_and_weekly_summary(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    sink: Sink,
) -> None:
    """Issue 6: the streak-at-risk nudge ("Read 20 min: 12-day streak ends at midnight")
    names only habits whose streak is alive and whose day is pending; the daily digest
    lists what is left today; the weekly summary gives last week's rates and streaks."""
    frozen_clock.move_to(datetime(2026, 11, 16, 8, 0, tzinfo=UTC))  # Monday
    await travel(frozen_clock, client, alice, datetime(2026, 11, 16, 8, 0, tzinfo=UTC))
    read = await create_habit(client, alice, name="Read 20 min", start_date="2026-11-16")
    walk = await create_habit(client, alice, name="Walk", start_date="2026-11-16")
    await checked_in(client, alice, read["id"])
    await webhook(client, alice, sink)
    saved = await client.put(
        f"{API}/me/notification-settings",
        json={
            "streak_at_risk": {"enabled": True, "time": "20:00"},
            "daily_digest": {"enabled": True, "time": "19:30"},
            "weekly_summary": {"enabled": True, "time": "09:00", "day": "mon"},
        },
        headers=alice.headers,
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["weekly_summary"] == {"enabled": True, "time": "09:00", "day": "mon"}
    # Read is done each day from the 16th to the 20th, Walk never; no worker runs, so the
    # week's earlier nudges are found over an hour late on Saturday: expired, not sent.
    for day in ("2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"):
        await travel(frozen_clock, client, alice, datetime.fromisoformat(f"{day}T08:00:00+00:00"))
        await checked_in(client, alice, read["id"])
    # Saturday 21st: nothing done yet today.
    await travel(frozen_clock, client, alice, datetime(2026, 11, 21, 20, 0, 30, tzinfo=UTC))
    await run_worker(app)
    assert sorted(item.json["event"] for item in sink.received) == ["digest", "streak_at_risk"]
    by_event = {item.json["event"]: item.json for item in sink.received}
    assert by_event["digest"]["title"] == "2 habits left today"
    assert "• Read 20 min" in by_event["digest"]["message"]
    risk = by_event["streak_at_risk"]
    assert risk["message"] == "Read 20 min: 5-day streak ends at midnight"  # Walk has none
    # Monday 23rd 09:00: last week (16th-22nd): Read 5 of 7, Walk 0 of 7.
    sink.received.clear()
    await travel(frozen_clock, client, alice, datetime(2026, 11, 23, 9, 0, 30, tzinfo=UTC))
    await run_worker(app)
    weekly = next(item.json for item in sink.received if item.json["event"] == "weekly_summary")
    assert weekly["title"] == "Your week: 36% (5 of 14)"
    assert "Read 20 min: 5 of 7 (71%)" in weekly["message"]
    assert "Walk: 0 of 7 (0%)" in weekly["message"]
    assert walk["id"]
