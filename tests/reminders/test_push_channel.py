"""Web Push through the whole engine: the PWA's key endpoint, a `webpush` channel made
through the API, a reminder fired, encrypted for the browser and delivered to a push
service on loopback, and a 410 from it turning the channel off (issue 6, DESIGN)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import httpx
import time_machine
from fastapi import FastAPI

from habitus.reminders.vapid import load_or_create_vapid
from tests.fixtures.personas import Persona
from tests.habits.helpers import API, create_habit, travel
from tests.reminders.conftest import run_worker
from tests.reminders.test_transport_webpush import Browser, PushService

EVENING = datetime(2026, 11, 21, 18, 0, 30, tzinfo=UTC)


async def test_the_pwa_key_is_the_kept_vapid_key(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona
) -> None:
    """Issue 6: VAPID keys generated at first start and kept; the browser subscribes
    with the public one (65 bytes, uncompressed P-256)."""
    response = await client.get(f"{API}/push/public-key", headers=alice.headers)
    assert response.status_code == 200, response.text
    key = response.json()["public_key"]
    assert key == load_or_create_vapid(app.state.ctx.settings.data_dir).public_key_b64
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    assert len(raw) == 65
    assert raw[0] == 4
    assert (await client.get(f"{API}/push/public-key")).status_code == 401


async def test_a_reminder_reaches_the_browser_through_its_push_service(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    push_service: PushService,
    browser: Browser,
) -> None:
    """Issue 6 Web Push: sent with a TTL of hours and an Urgency header, encrypted for
    the subscription (RFC 8291) with the habit's words inside; a 410 afterwards turns the
    channel off with the reason."""
    habit = await create_habit(client, alice, name="Meditate")
    made = await client.post(
        f"{API}/channels",
        json={"type": "webpush", "config": browser.subscription(push_service.endpoint())},
        headers=alice.headers,
    )
    assert made.status_code == 201, made.text
    await client.post(
        f"{API}/habits/{habit['id']}/reminders", json={"time": "18:00"}, headers=alice.headers
    )
    await travel(frozen_clock, client, alice, EVENING)
    assert await run_worker(app) == (1, 1)
    assert len(push_service.received) == 1
    request = push_service.received[0]
    assert int(request.headers["ttl"]) >= 3600
    assert request.headers["urgency"] == "high"
    payload: dict[str, Any] = browser.decrypt(request.body)
    assert payload["title"] == "Meditate"
    assert payload["url"].endswith(f"/habits/{habit['id']}")

    push_service.status = 410
    sent = await client.post(f"{API}/channels/{made.json()['id']}/test", headers=alice.headers)
    assert sent.status_code == 202
    await run_worker(app)
    channel = (await client.get(f"{API}/channels", headers=alice.headers)).json()["items"][0]
    assert channel["enabled"] is False
    assert "410" in channel["disabled_reason"]
