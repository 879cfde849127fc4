"""Periodic clean-up in the background: expired idempotency keys, spent tokens and
password-reset links."""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy import delete, or_
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.http import idempotency
from habitus.kit import clock
from habitus.models import (
    AuthSession,
    PasswordResetToken,
    ProductEvent,
    RefreshToken,
    VerificationCode,
)
from habitus.models.identity import OidcLogin
from habitus.registry import JobContext

log = structlog.get_logger(__name__)
INTERVAL_SECONDS = 3600
# Revoked and expired sign-ins stay a while so a user can see them in their export.
KEEP_ENDED_SESSIONS = timedelta(days=30)


async def sweep(session: AsyncSession) -> dict[str, int]:
    now = clock.now()
    keys = await idempotency.purge_expired(session)
    # Spent tokens stay until they expire: presenting one must still be recognised
    # as reuse (and revoke its sign-in), not answered as merely unknown.
    tokens = await session.execute(delete(RefreshToken).where(RefreshToken.expires_at < now))
    sessions = await session.execute(
        delete(AuthSession).where(
            or_(
                AuthSession.expires_at < now - KEEP_ENDED_SESSIONS,
                AuthSession.revoked_at < now - KEEP_ENDED_SESSIONS,
            )
        )
    )
    # An expired or spent reset link is refused either way; keeping it tells nobody anything.
    resets = await session.execute(
        delete(PasswordResetToken).where(
            or_(PasswordResetToken.expires_at < now, PasswordResetToken.used_at.is_not(None))
        )
    )
    # One-time codes past their 15 minutes (issue 20): a sign-up never confirmed goes.
    codes = await session.execute(delete(VerificationCode).where(VerificationCode.expires_at < now))
    # Single sign-on attempts never finished (issue 20): refused after 10 minutes anyway.
    oidc_logins = await session.execute(delete(OidcLogin).where(OidcLogin.expires_at < now))
    return {
        "idempotency_keys": keys,
        "oidc_logins": db.rowcount(oidc_logins),
        "verification_codes": db.rowcount(codes),
        "password_reset_tokens": db.rowcount(resets),
        "refresh_tokens": db.rowcount(tokens),
        "sessions": db.rowcount(sessions),
    }


async def sweep_product_events(session: AsyncSession, keep_days: int) -> int:
    """Issue 21: product events older than HABITUS_PRODUCT_EVENTS_DAYS go (the daily
    rollup has counted them already)."""
    cutoff = clock.now() - timedelta(days=keep_days)
    return db.rowcount(
        await session.execute(delete(ProductEvent).where(ProductEvent.occurred_at < cutoff))
    )


async def run(ctx: JobContext) -> int:
    """The worker's job (every INTERVAL_SECONDS): one sweep; rows removed."""
    async with db.job_transaction(ctx.maker) as session:
        removed = await sweep(session)
        removed["product_events"] = await sweep_product_events(
            session, ctx.settings.product_events_days
        )
    log.info("housekeeping", **removed)
    return sum(removed.values())
