"""Every query of accounts, sessions and refresh tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.models import (
    AuthSession,
    Invite,
    PasswordResetNotice,
    PasswordResetToken,
    RefreshToken,
    User,
)


def email_key(email: str) -> str:
    """Addresses are unique case-insensitively: "Alice@X.org" is "alice@x.org"."""
    return email.strip().lower()


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email_key == email_key(email)))


async def user_by_phone(session: AsyncSession, phone: str) -> User | None:
    """The user whose (E.164) phone number this is."""
    return await session.scalar(select(User).where(User.phone == phone))


async def user_by_id(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


_SESSION_WITH_USER = (
    select(AuthSession, User)
    .join(User, User.id == AuthSession.user_id)
    .where(AuthSession.id == bindparam("sid"), AuthSession.user_id == bindparam("uid"))
)


async def session_with_user(
    session: AsyncSession, *, session_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[AuthSession, User] | None:
    """One query (built once): the sign-in and its user, both needed on every
    authenticated request."""
    row = (
        await session.execute(_SESSION_WITH_USER, {"sid": session_id, "uid": user_id})
    ).one_or_none()
    return (row[0], row[1]) if row else None


async def web_session_with_user(
    session: AsyncSession, token_hash: str
) -> tuple[AuthSession, User] | None:
    row = (
        await session.execute(
            select(AuthSession, User)
            .join(User, User.id == AuthSession.user_id)
            .where(AuthSession.token_hash == token_hash, AuthSession.kind == "web")
        )
    ).one_or_none()
    return (row[0], row[1]) if row else None


async def refresh_token_with_session(
    session: AsyncSession, token_hash: str
) -> tuple[RefreshToken, AuthSession, User] | None:
    row = (
        await session.execute(
            select(RefreshToken, AuthSession, User)
            .join(AuthSession, AuthSession.id == RefreshToken.session_id)
            .join(User, User.id == RefreshToken.user_id)
            .where(RefreshToken.token_hash == token_hash)
        )
    ).one_or_none()
    return (row[0], row[1], row[2]) if row else None


async def spend_refresh_token(session: AsyncSession, token_id: uuid.UUID, now: datetime) -> bool:
    """Mark a refresh token used, only if nobody did first (two racing refreshes: one wins)."""
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token_id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
    )
    return db.rowcount(result) == 1


async def revoke_session(
    session: AsyncSession, session_id: uuid.UUID, *, now: datetime, reason: str
) -> None:
    await session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )


async def revoke_user_sessions(
    session: AsyncSession, user_id: uuid.UUID, *, now: datetime, reason: str
) -> None:
    await session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )


async def sessions_of(session: AsyncSession, user_id: uuid.UUID) -> list[AuthSession]:
    result = await session.scalars(
        select(AuthSession)
        .where(AuthSession.user_id == user_id)
        .order_by(AuthSession.created_at, AuthSession.id)
    )
    return list(result)


async def reset_token_with_user(
    session: AsyncSession, token_hash: str
) -> tuple[PasswordResetToken, User] | None:
    row = (
        await session.execute(
            select(PasswordResetToken, User)
            .join(User, User.id == PasswordResetToken.user_id)
            .where(PasswordResetToken.token_hash == token_hash)
        )
    ).one_or_none()
    return (row[0], row[1]) if row else None


async def spend_reset_token(session: AsyncSession, token_id: uuid.UUID, now: datetime) -> bool:
    """Mark a reset token used, only if nobody did first."""
    result = await session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == token_id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    return db.rowcount(result) == 1


async def spend_reset_tokens_of(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> None:
    """Every unused reset link of the user stops working."""
    await session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )


# --- reset links kept for an administrator ------------------------------------------------

_LIVE_NOTICES = (
    select(PasswordResetNotice, User)
    .join(User, User.id == PasswordResetNotice.user_id)
    .join(PasswordResetToken, PasswordResetToken.id == PasswordResetNotice.reset_token_id)
    .where(PasswordResetToken.used_at.is_(None), User.disabled_at.is_(None))
)


async def live_reset_notices(
    session: AsyncSession, now: datetime, *, limit: int
) -> list[tuple[PasswordResetNotice, User]]:
    """Kept links that still work (unused, unexpired, the account enabled), oldest first."""
    rows = await session.execute(
        _LIVE_NOTICES.where(PasswordResetNotice.expires_at > now)
        .order_by(PasswordResetNotice.created_at, PasswordResetNotice.id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in rows]


async def live_reset_notice(
    session: AsyncSession, notice_id: uuid.UUID, now: datetime
) -> tuple[PasswordResetNotice, User] | None:
    row = (
        await session.execute(
            _LIVE_NOTICES.where(
                PasswordResetNotice.id == notice_id, PasswordResetNotice.expires_at > now
            )
        )
    ).one_or_none()
    return (row[0], row[1]) if row else None


async def delete_reset_notice(session: AsyncSession, notice_id: uuid.UUID) -> bool:
    """Delete a kept link; False when someone else did first (two admins at once)."""
    result = await session.execute(
        delete(PasswordResetNotice).where(PasswordResetNotice.id == notice_id)
    )
    return db.rowcount(result) == 1


async def delete_reset_notices_of(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(delete(PasswordResetNotice).where(PasswordResetNotice.user_id == user_id))


# --- invites (sign-up by invite: the admin makes them, sign-up spends them) --------------


async def invite_by_token_hash(session: AsyncSession, token_hash: str) -> Invite | None:
    return await session.scalar(select(Invite).where(Invite.token_hash == token_hash))


async def forget_invite_address(session: AsyncSession, email_key: str, now: datetime) -> None:
    """Drop an address from the invites made for it (its owner deleted their account).

    An unused invite for that address is revoked too: without its address it would be
    an invite for anyone.
    """
    await session.execute(
        update(Invite)
        .where(Invite.email_key == email_key, Invite.used_at.is_(None), Invite.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(
        update(Invite).where(Invite.email_key == email_key).values(email_key=None)
    )
