"""Billing routes (issue 21): the Checkout link and Stripe's webhook. Both answer 404
unless Stripe billing is on (`Settings.billing_enabled`), so a server without it shows
nothing of it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.auth.pages import CsrfChecked, PageUser
from habitus.context import AppContext
from habitus.errors import NotFound
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import flash
from habitus.models import User
from habitus.plans import billing

router = APIRouter(prefix="/billing", route_class=TransactionalRoute, include_in_schema=False)


async def billing_on(ctx: Context) -> None:
    if not ctx.settings.billing_enabled:
        raise NotFound("There is no such page.")


# `billing_on` first: without billing even a signed-out visitor gets the 404.
@router.get("/checkout", dependencies=[Depends(billing_on)])
async def checkout_link(
    request: Request, user: PageUser, session: DbSession, ctx: Context
) -> Response:
    """The Upgrade button: a new Stripe Checkout Session, and a 303 to its page. A link,
    not a form: the pages' CSP lets forms post to this site only (`form-action 'self'`),
    and browsers hold a form's redirect to Stripe to it. Forcing it on someone is
    harmless: it opens a payment page that only they can complete, and pays nothing."""
    return await _to_checkout(request, user, session, ctx)


@router.post("/checkout", dependencies=[Depends(billing_on), CsrfChecked])
async def checkout(request: Request, user: PageUser, session: DbSession, ctx: Context) -> Response:
    """The same for a client that posts (the CSRF token of a page required)."""
    return await _to_checkout(request, user, session, ctx)


async def _to_checkout(
    request: Request, user: User, session: AsyncSession, ctx: AppContext
) -> Response:
    if user.plan == "pro":
        response = RedirectResponse("/settings#plan", status_code=303)
        flash.show(response, request, "You are on Pro already.", "info")
        return response
    url = await billing.checkout_url(session, ctx.settings, user)
    return RedirectResponse(url, status_code=303)


@router.post("/stripe/webhook", dependencies=[Depends(billing_on)])
async def stripe_webhook(request: Request, session: DbSession, ctx: Context) -> Response:
    """Stripe's events, trusted once their signature checks out (400 otherwise; Stripe
    shows it on the endpoint's page). Known or not, a verified event answers 200."""
    secret = ctx.settings.stripe_webhook_secret
    assert secret is not None  # billing_on
    signature = request.headers.get("stripe-signature")
    try:
        event = billing.verify(await request.body(), signature, secret)
    except billing.BadSignature as error:
        return JSONResponse({"error": f"signature refused: {error}"}, status_code=400)
    outcome = await billing.apply(session, event)
    return JSONResponse({"received": True, "outcome": outcome})
