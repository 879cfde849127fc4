"""Plans tests run against an app with HABITUS_PLANS=on (the `client` below) and the
clock frozen at Sat 2026-11-21 12:00 UTC, like the habit engine's; a test that needs
plans off asks `make_client()` for a second app over the same database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import time_machine

from tests.conftest import AppFactory
from tests.plans.fake_stripe import FakeStripe


@pytest.fixture
async def client(
    make_client: AppFactory, frozen_clock: time_machine.Coordinates
) -> httpx.AsyncClient:
    return await make_client(plans=True)


@pytest.fixture(scope="session")
def fake_stripe_server() -> Iterator[FakeStripe]:
    """One fake Stripe per test process: its URL stays the same, so apps built with it
    are pooled (tests/fixtures/apps.py)."""
    fake = FakeStripe.start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_stripe(fake_stripe_server: FakeStripe) -> Iterator[FakeStripe]:
    fake_stripe_server.reset()
    yield fake_stripe_server
    fake_stripe_server.reset()


WEBHOOK_SECRET = "whsec_test_secret"


def billing_settings(fake: FakeStripe) -> dict[str, Any]:
    return {
        "plans": True,
        "stripe_secret_key": "sk_test_fake",
        "stripe_price_id": "price_pro_monthly",
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "stripe_api_base": fake.url,
    }


@pytest.fixture
async def billing_client(
    make_client: AppFactory, frozen_clock: time_machine.Coordinates, fake_stripe: FakeStripe
) -> httpx.AsyncClient:
    """An app with plans on and Stripe billing pointed at the fake."""
    return await make_client(**billing_settings(fake_stripe))
