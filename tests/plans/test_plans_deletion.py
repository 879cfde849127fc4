"""Issue 21 and the account deletion rule (tests/test_account_deletion.py): a deleted
user's subscription row goes with them; the webhook events applied (Stripe's ids and
kinds, naming nobody) stay, so a late retry of one still changes nothing."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import BillingEvent, Subscription
from tests.fixtures.personas import Persona
from tests.plans.test_billing import completed, event, rows, send


async def test_deleting_the_account_deletes_its_subscription(
    billing_client: httpx.AsyncClient, alice: Persona, bob: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: alice's subscription goes with her account, bob's stays; the events
    applied stay, and replaying alice's completion afterwards creates nothing."""
    hers = event("checkout.session.completed", completed(alice.id), event_id="evt_alice")
    assert (await send(billing_client, hers)).json()["outcome"] == "applied"
    his = completed(bob.id, customer="cus_bob", subscription="sub_bob")
    await send(billing_client, event("checkout.session.completed", his))
    assert await rows(db_session, Subscription) == 2
    gone = await billing_client.request(
        "DELETE", "/api/v1/me", json={"password": alice.password}, headers=alice.headers
    )
    assert gone.status_code == 204, gone.text
    await db_session.rollback()
    assert await db_session.get(Subscription, alice.id) is None
    assert await db_session.get(Subscription, bob.id) is not None
    assert await rows(db_session, BillingEvent) == 2
    again = await send(billing_client, hers)
    assert again.json()["outcome"] == "duplicate"
    assert await rows(db_session, Subscription) == 1
