"""Offline check-ins (issue 4 "PWA" and its Tests list): network off, check in, the page
says it is offline and how many check-ins wait; network on, the queue is sent with
each tap's Idempotency-Key and the server holds exactly one entry, counted once."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import Account, api, screenshot
from tests.fixtures.live import LiveServer


def water(client: httpx.Client) -> dict[str, Any]:
    body = {
        "name": "Water",
        "schedule": {"type": "daily"},
        "kind": "measurable",
        "target": {"value": 2, "unit": "L"},
    }
    response = client.post("/habits", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def entries(client: httpx.Client, habit_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/habits/{habit_id}/entries")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def queued(page: Page) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = page.evaluate("window.Habitus.queue.all()")
    return items


def tap_plus(page: Page, habit_id: str) -> None:
    page.locator(f"#habit-{habit_id}").get_by_role("button", name="Add 0.5 (L)").click()


def test_offline_check_in_is_sent_once_when_back_online(
    page: Page, context: BrowserContext, signed_in: Account, e2e_server: LiveServer
) -> None:
    """Issue 4 Tests: offline check-in (network off, check in, network on, exactly one
    entry on the server, the value added once)."""
    client = api(e2e_server, signed_in)
    habit = water(client)
    page.goto("/today")
    banner = page.locator("#offline-banner")
    expect(banner).to_be_hidden()

    context.set_offline(True)
    expect(banner).to_have_text("You are offline")
    tap_plus(page, habit["id"])
    expect(banner).to_have_text("You are offline — 1 check-in waiting")
    card = page.locator(f"#habit-{habit['id']}")
    expect(card).to_have_class(re.compile(r"\bis-queued\b"))
    expect(card.locator(".habit-pending")).to_contain_text("waiting to be sent")
    screenshot(page, "today-offline")
    items = queued(page)
    assert len(items) == 1
    assert items[0]["key"]
    assert items[0]["body"].startswith("date=")
    assert entries(client, habit["id"]) == []  # nothing reached the server

    context.set_offline(False)
    expect(banner).to_be_hidden()
    expect(card).to_contain_text("0.5 / 2 L")
    expect(card).not_to_have_class(re.compile(r"\bis-queued\b"))
    assert queued(page) == []
    assert [entry["value"] for entry in entries(client, habit["id"])] == [0.5]


def test_the_same_queued_check_in_sent_again_counts_once(
    page: Page, context: BrowserContext, signed_in: Account, e2e_server: LiveServer
) -> None:
    """D4.4, issue 4 PWA: a queued check-in sent twice more with its key (a retry after a
    lost answer) is replayed, not counted again."""
    client = api(e2e_server, signed_in)
    habit = water(client)
    page.goto("/today")
    context.set_offline(True)
    tap_plus(page, habit["id"])
    tap_plus(page, habit["id"])
    expect(page.locator("#offline-banner")).to_have_text("You are offline — 2 check-ins waiting")
    items = queued(page)
    assert len(items) == 2
    assert items[0]["key"] != items[1]["key"]

    context.set_offline(False)
    expect(page.locator("#offline-banner")).to_be_hidden()
    expect(page.locator(f"#habit-{habit['id']}")).to_contain_text("1 / 2 L")
    # Send the whole queue again, twice, exactly as it was first sent.
    statuses = page.evaluate(
        """items => Promise.all(items.concat(items).map(item => window.Habitus.queue.post(item)
            .then(response => [response.status, response.headers.get('Idempotent-Replayed')])))""",
        items,
    )
    assert statuses == [[200, "true"]] * 4
    assert [entry["value"] for entry in entries(client, habit["id"])] == [1.0]


def test_a_reload_while_offline_keeps_the_queue(
    page: Page, context: BrowserContext, signed_in: Account, e2e_server: LiveServer
) -> None:
    """Issue 4 PWA: the service worker serves the last copy of Today offline; a check-in
    waiting in IndexedDB survives the reload and is sent once when the network returns."""
    client = api(e2e_server, signed_in)
    habit = water(client)
    page.goto("/today")
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    page.reload()  # this copy of the page now goes through the worker, which keeps it

    context.set_offline(True)
    tap_plus(page, habit["id"])
    expect(page.locator("#offline-banner")).to_have_text("You are offline — 1 check-in waiting")
    page.reload()
    expect(page.get_by_role("heading", name=f"Hello, {signed_in.display_name}")).to_be_visible()
    expect(page.locator("#offline-banner")).to_have_text("You are offline — 1 check-in waiting")
    expect(page.locator(f"#habit-{habit['id']}")).to_have_class(re.compile(r"\bis-queued\b"))

    context.set_offline(False)
    expect(page.locator("#offline-banner")).to_be_hidden()
    expect(page.locator(f"#habit-{habit['id']}")).to_contain_text("0.5 / 2 L")
    assert [entry["value"] for entry in entries(client, habit["id"])] == [0.5]


def test_signing_out_clears_the_kept_pages(
    page: Page, signed_in: Account, e2e_server: LiveServer
) -> None:
    """Issue 4 PWA: no page of this account stays in the worker's cache after sign-out."""
    page.goto("/today")
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    page.reload()
    page.wait_for_function(
        "caches.open('habitus-pages').then(cache => cache.keys()).then(keys => keys.length > 0)"
    )
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    kept = page.evaluate("caches.open('habitus-pages').then(c => c.keys()).then(k => k.length)")
    assert kept == 0
