"""Issue 21: optional Stripe billing. The Checkout link (POST /billing/checkout, a 303 to
Stripe's page; its parameters checked on a local fake of Stripe's API) and the webhook
(POST /billing/stripe/webhook) whose payloads are signed here with the `stripe`
package's own helper (`stripe.WebhookSignature.generate_signature_header`): a valid
event sets the plan, a bad or old signature is a 400, a replay changes nothing, an
unknown user is a 200 ignored. Without the Stripe settings the routes answer 404."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import stripe
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import BillingEvent, Subscription
from tests.fixtures.personas import Persona
from tests.fixtures.web import form_csrf_token
from tests.habits.test_web import signed_in
from tests.plans.conftest import WEBHOOK_SECRET
from tests.plans.fake_stripe import FakeStripe
from tests.plans.helpers import habits_made, plan_of, post_habit, set_plan

WEBHOOK = "/billing/stripe/webhook"


def event(
    kind: str, obj: dict[str, Any], event_id: str | None = None, *, created: int | None = None
) -> str:
    """A Stripe event as its webhook body (the fields Habitus reads, and Stripe's
    envelope); `created`: when Stripe made it (default now)."""
    return json.dumps(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
            "object": "event",
            "api_version": "2025-01-27.acacia",
            "created": int(time.time()) if created is None else created,
            "livemode": False,
            "pending_webhooks": 1,
            "type": kind,
            "data": {"object": obj},
        }
    )


def completed(user_id: object, **fields: Any) -> dict[str, Any]:
    return {
        "id": "cs_test_0001",
        "object": "checkout.session",
        "mode": "subscription",
        "client_reference_id": str(user_id),
        "customer": "cus_alice",
        "subscription": "sub_alice",
        "payment_status": "paid",
        "status": "complete",
        **fields,
    }


def subscription(status: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": "sub_alice",
        "object": "subscription",
        "customer": "cus_alice",
        "status": status,
        "items": {"object": "list", "data": [{"current_period_end": int(time.time()) + 86400}]},
        "metadata": {},
        **fields,
    }


def send(
    client: httpx.AsyncClient,
    payload: str,
    *,
    secret: str = WEBHOOK_SECRET,
    timestamp: int | None = None,
    signature: str | None = None,
) -> Any:
    """POST `payload` to the webhook, signed as Stripe signs (unless `signature`)."""
    header = signature or stripe.WebhookSignature.generate_signature_header(
        payload, secret, timestamp=timestamp
    )
    return client.post(
        WEBHOOK,
        content=payload.encode(),
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


async def rows(db_session: AsyncSession, model: Any) -> int:
    await db_session.rollback()
    return int(await db_session.scalar(select(func.count()).select_from(model)) or 0)


async def subscription_of(db_session: AsyncSession, persona: Persona) -> Subscription | None:
    await db_session.rollback()
    return await db_session.get(Subscription, persona.id, populate_existing=True)


# --- the webhook --------------------------------------------------------------------------


async def test_a_signed_checkout_completion_makes_the_user_pro(
    billing_client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: checkout.session.completed, signed with the endpoint's secret, makes
    the session's user (client_reference_id) pro and stores the subscription; the limit
    is gone at once."""
    await habits_made(billing_client, alice, 5)
    answer = await send(billing_client, event("checkout.session.completed", completed(alice.id)))
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "applied"
    assert await plan_of(db_session, alice) == "pro"
    stored = await subscription_of(db_session, alice)
    assert stored is not None
    assert (stored.customer_id, stored.subscription_id, stored.status) == (
        "cus_alice",
        "sub_alice",
        "active",
    )
    assert (await post_habit(billing_client, alice, "Sixth")).status_code == 201


async def test_a_bad_signature_is_a_400_and_changes_nothing(
    billing_client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: signed with another secret, tampered with after signing, unsigned or
    with a header that is not Stripe's: 400, the plan stays free, no event recorded."""
    payload = event("checkout.session.completed", completed(alice.id))
    good = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
    tampered = payload.replace('"paid"', '"paid" ')
    for answer in (
        await send(billing_client, payload, secret="whsec_someone_else"),
        await send(billing_client, tampered, signature=good),
        await billing_client.post(WEBHOOK, content=payload.encode()),
        await send(billing_client, payload, signature="t=abc,v1=00"),
    ):
        assert answer.status_code == 400, answer.text
    assert await plan_of(db_session, alice) == "free"
    assert await rows(db_session, BillingEvent) == 0
    assert await rows(db_session, Subscription) == 0


async def test_an_old_timestamp_is_a_400(
    billing_client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: a correctly signed payload from 10 minutes ago (past Stripe's 5 minute
    tolerance: a replayed capture) is refused."""
    payload = event("checkout.session.completed", completed(alice.id))
    answer = await send(billing_client, payload, timestamp=int(time.time()) - 600)
    assert answer.status_code == 400, answer.text
    assert await plan_of(db_session, alice) == "free"
    fresh = await send(billing_client, payload, timestamp=int(time.time()) - 60)
    assert fresh.status_code == 200


async def test_a_replayed_event_has_no_second_effect(
    billing_client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: Stripe retries deliveries: the completion, then the subscription's
    deletion, then the completion again (same event id): the user stays free, the
    replay is answered 200 "duplicate"."""
    first = event("checkout.session.completed", completed(alice.id), event_id="evt_once")
    assert (await send(billing_client, first)).json()["outcome"] == "applied"
    deleted = event("customer.subscription.deleted", subscription("canceled"))
    assert (await send(billing_client, deleted)).json()["outcome"] == "applied"
    assert await plan_of(db_session, alice) == "free"
    again = await send(billing_client, first)
    assert again.status_code == 200
    assert again.json()["outcome"] == "duplicate"
    assert await plan_of(db_session, alice) == "free"
    assert await rows(db_session, BillingEvent) == 2
    stored = await subscription_of(db_session, alice)
    assert stored is not None
    assert stored.status == "canceled"


async def test_an_unknown_user_is_answered_and_ignored(
    billing_client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: an event for nobody here (an id that is no user, not an id at all, a
    subscription never seen) is a 200 "ignored" (Stripe would retry anything else) and
    changes no one."""
    for payload in (
        event("checkout.session.completed", completed(uuid.uuid4())),
        event("checkout.session.completed", completed("not-a-user")),
        event("customer.subscription.updated", subscription("active", id="sub_x", customer="c")),
    ):
        answer = await send(billing_client, payload)
        assert answer.status_code == 200, answer.text
        assert answer.json()["outcome"] == "ignored"
    assert await rows(db_session, Subscription) == 0
    assert await plan_of(db_session, alice) == "free"
    other = await send(billing_client, event("invoice.paid", {"id": "in_1"}))
    assert other.json()["outcome"] == "ignored"


async def test_subscription_updates_follow_stripe_status(
    billing_client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: pro while the subscription is active, trialing or past_due (Stripe is
    retrying the card); free when it is unpaid or canceled; found by the subscription
    id Checkout stored, or by `metadata.user_id` before that."""
    early = subscription("trialing", metadata={"user_id": str(alice.id)})
    await send(billing_client, event("customer.subscription.updated", early))
    assert await plan_of(db_session, alice) == "pro"
    await send(billing_client, event("checkout.session.completed", completed(alice.id)))
    for status, plan in (("past_due", "pro"), ("unpaid", "free"), ("active", "pro")):
        answer = await send(
            billing_client, event("customer.subscription.updated", subscription(status))
        )
        assert answer.json()["outcome"] == "applied"
        assert await plan_of(db_session, alice) == plan, status
    stored = await subscription_of(db_session, alice)
    assert stored is not None
    assert stored.current_period_end is not None


async def test_an_event_delivered_late_does_not_undo_a_newer_one(
    billing_client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: Stripe does not deliver events in order. A cancellation made at T+60
    arrives first, the "active" update made at T arrives after it: the older event is
    answered (200, outcome "stale", so Stripe stops retrying) and changes nothing; an
    event made later than the cancellation applies again."""
    made = int(time.time()) - 600
    await send(
        billing_client, event("checkout.session.completed", completed(alice.id), created=made)
    )
    cancelled = event("customer.subscription.deleted", subscription("canceled"), created=made + 60)
    assert (await send(billing_client, cancelled)).json()["outcome"] == "applied"
    assert await plan_of(db_session, alice) == "free"
    late = event("customer.subscription.updated", subscription("active"), created=made + 30)
    answer = await send(billing_client, late)
    assert answer.status_code == 200
    assert answer.json()["outcome"] == "stale"
    assert await plan_of(db_session, alice) == "free"
    stored = await subscription_of(db_session, alice)
    assert stored is not None
    assert stored.status == "canceled"
    renewed = event("customer.subscription.updated", subscription("active"), created=made + 90)
    assert (await send(billing_client, renewed)).json()["outcome"] == "applied"
    assert await plan_of(db_session, alice) == "pro"


# --- the Checkout link --------------------------------------------------------------------


async def test_checkout_sends_the_browser_to_stripe(
    billing_client: httpx.AsyncClient, fake_stripe: FakeStripe, alice: Persona
) -> None:
    """Issue 21: Upgrade creates a Checkout Session for the Pro price, for this user
    (client_reference_id, their address), with the secret key, and answers a 303 to
    Stripe's page; Settings and the upgrade note carry the button (a link: the pages'
    CSP holds a form's redirect to another site), and a post with the page's CSRF token
    does the same."""
    await habits_made(billing_client, alice, 5)
    async with signed_in(billing_client, alice) as web:
        settings_page = (await web.get("/settings")).text
        assert 'href="/billing/checkout"' in settings_page
        assert 'href="/billing/checkout"' in (await web.get("/habits/new")).text
        answer = await web.get("/billing/checkout")
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
        posted = await web.post(
            "/billing/checkout", data={"csrf_token": form_csrf_token(settings_page)}
        )
        assert posted.status_code == 303, posted.text
        assert posted.headers["location"].startswith("https://checkout.stripe.com/c/pay/")
    sent, again = fake_stripe.requests
    assert again.form == sent.form
    assert sent.path == "/v1/checkout/sessions"
    assert sent.headers["authorization"] == "Bearer sk_test_fake"
    assert sent.form["mode"] == "subscription"
    assert sent.form["line_items[0][price]"] == "price_pro_monthly"
    assert sent.form["line_items[0][quantity]"] == "1"
    assert sent.form["client_reference_id"] == str(alice.id)
    assert sent.form["customer_email"] == alice.email
    assert sent.form["subscription_data[metadata][user_id]"] == str(alice.id)
    assert sent.form["success_url"].endswith("/settings?upgraded=1#plan")


async def test_checkout_reuses_the_stripe_customer_and_pro_needs_none(
    billing_client: httpx.AsyncClient,
    fake_stripe: FakeStripe,
    alice: Persona,
    db_session: AsyncSession,
) -> None:
    """Issue 21: a user Stripe knows is sent as that customer; a pro user is told they
    are on Pro already and Stripe is not asked."""
    await send(billing_client, event("checkout.session.completed", completed(alice.id)))
    await send(billing_client, event("customer.subscription.deleted", subscription("canceled")))
    async with signed_in(billing_client, alice) as web:
        token = form_csrf_token((await web.get("/settings")).text)
        answer = await web.post("/billing/checkout", data={"csrf_token": token})
        assert answer.status_code == 303
        [sent] = fake_stripe.requests
        assert sent.form["customer"] == "cus_alice"
        assert "customer_email" not in sent.form
        await set_plan(db_session, alice, "pro")
        again = await web.post("/billing/checkout", data={"csrf_token": token})
        assert again.status_code == 303
        assert again.headers["location"] == "/settings#plan"
        assert len(fake_stripe.requests) == 1


async def test_stripe_down_is_a_503_page_not_a_crash(
    billing_client: httpx.AsyncClient, fake_stripe: FakeStripe, alice: Persona
) -> None:
    """Issue 21: Stripe answering 500 is a 503 page saying to try again."""
    fake_stripe.fail_with = 500
    async with signed_in(billing_client, alice) as web:
        token = form_csrf_token((await web.get("/settings")).text)
        answer = await web.post("/billing/checkout", data={"csrf_token": token})
        assert answer.status_code == 503
        assert "try again" in answer.text
    assert fake_stripe.requests  # it was asked


async def test_checkout_needs_a_signed_in_browser_and_csrf(
    billing_client: httpx.AsyncClient, fake_stripe: FakeStripe, alice: Persona
) -> None:
    """Issue 21: signed out, the Upgrade post leads to sign-in; without the form's token
    it is refused; Stripe is not asked either way."""
    answer = await billing_client.post("/billing/checkout")
    assert answer.status_code in {303, 401, 403}
    link = await billing_client.get("/billing/checkout")
    assert link.status_code == 303
    assert link.headers["location"].startswith("/login")
    async with signed_in(billing_client, alice) as web:
        forged = await web.post("/billing/checkout", data={})
        assert forged.status_code == 403
    assert fake_stripe.requests == []


# --- without billing ----------------------------------------------------------------------


async def test_without_stripe_settings_billing_is_404(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: plans on but no Stripe settings: both routes are 404 (a well signed
    event included), Settings shows no Upgrade button, and admins alone set plans."""
    payload = event("checkout.session.completed", completed(alice.id))
    assert (await send(client, payload)).status_code == 404
    async with signed_in(client, alice) as web:
        page = (await web.get("/settings")).text
        assert "/billing/checkout" not in page
        answer = await web.post("/billing/checkout", data={"csrf_token": form_csrf_token(page)})
        assert answer.status_code == 404
        assert (await web.get("/billing/checkout")).status_code == 404
    assert await plan_of(db_session, alice) == "free"
    assert await rows(db_session, BillingEvent) == 0
