"""Optional Stripe billing (issue 21): a Checkout Session for the Pro price, and the
webhook events that set a user's plan.

On only when plans are on and HABITUS_STRIPE_SECRET_KEY, _PRICE_ID and _WEBHOOK_SECRET
are all set (`Settings.billing_enabled`); otherwise the billing routes answer 404 and
admins alone set plans. Stripe is the payment page; Habitus stores no card data, only
the subscription's ids and status (`subscriptions`) and the webhook events it has
applied (`billing_events`, so a retried delivery changes nothing).

The webhook's body is trusted only after `stripe.Webhook.construct_event` has checked
the `Stripe-Signature` header (HMAC-SHA256 of "{timestamp}.{body}" with the endpoint's
secret, and the timestamp within 5 minutes). Events handled:

- `checkout.session.completed`: the session's `client_reference_id` is the user; the
  subscription is stored and the user becomes pro (unless the payment is `unpaid`).
- `customer.subscription.updated` / `.deleted`: found by subscription id, then by
  customer id, then by `metadata.user_id`; pro while the status is active, trialing or
  past_due (Stripe's retries), free otherwise and after deletion.

Stripe does not deliver events in order: each subscription keeps the `created` time of
the last event applied to it, and an older event arriving later is answered 200 with
the outcome "stale" and changes nothing (a retried cancellation cannot be undone by a
late "active").

An event for no known user is answered 200 and ignored (Stripe would retry anything
else forever); it is still recorded, so a replay stays a no-op.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import stripe
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.config import Settings
from habitus.errors import AppError
from habitus.kit import clock
from habitus.models import BillingEvent, Subscription, User

# A subscription in these states keeps its user on Pro (past_due: Stripe is still
# retrying the card); any other state, or none, is the free plan.
PRO_STATUSES = frozenset({"active", "trialing", "past_due"})
HANDLED = frozenset(
    {"checkout.session.completed", "customer.subscription.updated", "customer.subscription.deleted"}
)
SIGNATURE_TOLERANCE_SECONDS = 300

Outcome = Literal["applied", "duplicate", "ignored", "stale"]


class BadSignature(Exception):
    """The webhook's body or signature cannot be trusted (400)."""


class BillingUnavailable(AppError):
    status_code = 503
    code = "billing-unavailable"


def _client(settings: Settings) -> stripe.StripeClient:
    assert settings.stripe_secret_key is not None
    base = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
    return stripe.StripeClient(
        settings.stripe_secret_key,
        base_addresses=base,  # type: ignore[arg-type]
        http_client=stripe.HTTPXClient(timeout=20),
        max_network_retries=1,
    )


async def checkout_url(session: AsyncSession, settings: Settings, user: User) -> str:
    """A new Checkout Session for the Pro price; the URL to send the browser to."""
    assert settings.stripe_price_id is not None
    known = await session.get(Subscription, user.id)
    params: dict[str, Any] = {
        "mode": "subscription",
        "line_items": [{"price": settings.stripe_price_id, "quantity": 1}],
        "client_reference_id": str(user.id),
        "metadata": {"user_id": str(user.id)},
        "subscription_data": {"metadata": {"user_id": str(user.id)}},
        "success_url": f"{settings.base_url}/settings?upgraded=1#plan",
        "cancel_url": f"{settings.base_url}/settings#plan",
    }
    if known is not None and known.customer_id:
        params["customer"] = known.customer_id
    elif user.email:
        params["customer_email"] = user.email
    try:
        created = await _client(settings).v1.checkout.sessions.create_async(params=params)  # type: ignore[arg-type]
    except stripe.StripeError as error:
        raise BillingUnavailable(
            "The payment page cannot be opened right now; try again in a minute."
        ) from error
    if not created.url:
        raise BillingUnavailable("The payment provider gave no payment page; try again.")
    return str(created.url)


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    id: str
    type: str
    object: dict[str, Any]
    # When Stripe created the event (its `created`, whole seconds): events may arrive
    # in any order, so this, not the arrival, says which state is the newest.
    created: datetime | None = None


def verify(payload: bytes, signature: str | None, secret: str) -> WebhookEvent:
    """The event `payload` carries, once `signature` proves Stripe sent it recently."""
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
        )
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise BadSignature(str(error)) from error
    body = event.to_dict()
    try:
        return WebhookEvent(
            id=str(body["id"]),
            type=str(body["type"]),
            object=body["data"]["object"],
            created=_moment(body.get("created")),
        )
    except (KeyError, TypeError) as error:
        raise BadSignature("the event has no id, type or data.object") from error


async def apply(session: AsyncSession, event: WebhookEvent) -> Outcome:
    """Apply `event` once: a second delivery of the same id changes nothing."""
    if event.type not in HANDLED:
        return "ignored"
    if not await _first_delivery(session, event):
        return "duplicate"
    if event.type == "checkout.session.completed":
        return await _checkout_completed(session, event.object, event.created)
    return await _subscription_changed(
        session,
        event.object,
        event.created,
        deleted=event.type == "customer.subscription.deleted",
    )


async def _first_delivery(session: AsyncSession, event: WebhookEvent) -> bool:
    await db.start_writing(session)
    insert = db.insert_for(db.dialect_of(session))
    statement = (
        insert(BillingEvent)
        .values(id=event.id, kind=event.type[:64], received_at=clock.now())
        .on_conflict_do_nothing(index_elements=["id"])
    )
    return db.rowcount(await session.execute(statement)) == 1


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _text(value: object) -> str | None:
    # Stripe sends ids as strings, or (expanded) as objects with an `id`.
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


async def _checkout_completed(
    session: AsyncSession, checkout: dict[str, Any], created: datetime | None
) -> Outcome:
    user_id = _uuid(checkout.get("client_reference_id"))
    user = await session.get(User, user_id) if user_id else None
    if user is None:
        return "ignored"
    paid = checkout.get("payment_status") != "unpaid"
    return await _keep(
        session,
        user,
        customer_id=_text(checkout.get("customer")),
        subscription_id=_text(checkout.get("subscription")),
        status="active" if paid else "incomplete",
        period_end=None,
        created=created,
    )


async def _subscription_changed(
    session: AsyncSession,
    subscription: dict[str, Any],
    created: datetime | None,
    *,
    deleted: bool,
) -> Outcome:
    subscription_id = _text(subscription.get("id"))
    customer_id = _text(subscription.get("customer"))
    user = await _owner(session, subscription_id, customer_id, subscription.get("metadata"))
    if user is None:
        return "ignored"
    status = "canceled" if deleted else str(subscription.get("status") or "incomplete")
    return await _keep(
        session,
        user,
        customer_id=customer_id,
        subscription_id=subscription_id,
        status=status[:32],
        period_end=_period_end(subscription),
        created=created,
    )


async def _owner(
    session: AsyncSession,
    subscription_id: str | None,
    customer_id: str | None,
    metadata: object,
) -> User | None:
    conditions = []
    if subscription_id:
        conditions.append(Subscription.subscription_id == subscription_id)
    if customer_id:
        conditions.append(Subscription.customer_id == customer_id)
    if conditions:
        rows = list(await session.scalars(select(Subscription).where(or_(*conditions))))
        # The subscription's own row first; a customer's older one only when no other.
        rows.sort(key=lambda row: row.subscription_id != subscription_id)
        if rows:
            return await session.get(User, rows[0].user_id)
    if isinstance(metadata, dict) and (user_id := _uuid(metadata.get("user_id"))):
        return await session.get(User, user_id)
    return None


def _period_end(subscription: dict[str, Any]) -> datetime | None:
    # Older API versions carry it on the subscription, newer ones on its items.
    value = subscription.get("current_period_end")
    if value is None:
        items = (subscription.get("items") or {}).get("data") or []
        value = items[0].get("current_period_end") if items else None
    return _moment(value)


def _moment(value: object) -> datetime | None:
    """A Stripe timestamp (Unix seconds) as an aware datetime; None when absent."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return datetime.fromtimestamp(value, tz=UTC)


async def _keep(
    session: AsyncSession,
    user: User,
    *,
    customer_id: str | None,
    subscription_id: str | None,
    status: str,
    period_end: datetime | None,
    created: datetime | None,
) -> Outcome:
    """Store the subscription as Stripe last described it and set the user's plan;
    "stale" (nothing changed) for an event older than the last one applied."""
    row = await session.get(Subscription, user.id)
    if row is None:
        row = Subscription(user_id=user.id, status=status)
        session.add(row)
    elif (
        created is not None and row.event_created_at is not None and created < row.event_created_at
    ):
        return "stale"  # delivered late: a newer event already said how things stand
    elif (
        subscription_id
        and row.subscription_id not in {None, subscription_id}
        and status not in PRO_STATUSES
    ):
        return "ignored"  # the end of an older subscription the user has since replaced
    row.customer_id = customer_id or row.customer_id
    row.subscription_id = subscription_id or row.subscription_id
    row.status = status
    row.current_period_end = period_end or row.current_period_end
    row.event_created_at = created or row.event_created_at
    row.updated_at = clock.now()
    user.plan = "pro" if status in PRO_STATUSES else "free"
    await session.flush()
    return "applied"
