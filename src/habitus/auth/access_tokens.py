"""Personal access tokens (issue 20): long-lived Bearer tokens for scripts and phone
automations (iOS Shortcuts, Tasker, Home Assistant), after GitHub's fine-grained tokens.

A token is `hab_pat_` and 43 URL-safe characters (256 random bits). The prefix lets a
secret scanner recognise a leaked token, and lets `auth.dependencies` tell it from a
session's JWT without trying to decode it. It is shown once and stored as its SHA-256:
a fast hash is right for 256 random bits (nothing to brute-force; one indexed lookup).

Scopes: `read` (GET, HEAD, OPTIONS) or `read write` (every method). What a token can
never do, whatever its scopes, is touch how the account is signed in to: make or revoke
tokens, register passkeys, change the password or the address, delete the account. Those
need a sign-in made with the password (a session), so a leaked token cannot lock its
owner out or make itself permanent.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.auth.tokens import token_digest
from habitus.errors import AccountDisabled, Conflict, Forbidden, NotFound, Unauthorized
from habitus.kit import clock
from habitus.models import User
from habitus.models.identity import PersonalAccessToken

PREFIX = "hab_pat_"
# How many live tokens one account may hold: enough for every device and script of a
# household, few enough that the list stays readable and a runaway script stops.
MAX_TOKENS_PER_USER = 50
MAX_EXPIRY_DAYS = 365
# When the client does not say: a forgotten token stops working by itself within a
# season. No expiry at all is a deliberate choice (`expires_in_days: null`).
DEFAULT_EXPIRY_DAYS = 90
# `last_used_at` is written at most this often per token: no write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)

READ = "read"
READ_WRITE = "read write"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Paths under /api/v1 a token may only read, whatever its scopes: the account's sign-in
# (tokens, passkeys, the address, the password) and its deletion (DELETE /me).
ACCOUNT_SECURITY_PREFIXES = (
    "/api/v1/me/tokens",
    "/api/v1/me/passkeys",
    "/api/v1/me/email",
    "/api/v1/me/password",
    "/api/v1/me/identities",
    "/api/v1/auth/",
)
ACCOUNT_PATH = "/api/v1/me"

INVALID = "The access token is invalid, expired or revoked."


@dataclass(frozen=True, slots=True)
class Minted:
    """A new token and its secret, which is shown this once."""

    row: PersonalAccessToken
    token: str


def is_personal_token(value: str) -> bool:
    return value.startswith(PREFIX)


def scopes_of(row: PersonalAccessToken) -> list[str]:
    return row.scopes.split()


def stored_scopes(scopes: list[str]) -> str | None:
    """["read"] -> "read", ["read", "write"] (any order) -> "read write"; else None."""
    chosen = set(scopes)
    if len(chosen) != len(scopes):
        return None
    if chosen == {"read"}:
        return READ
    if chosen == {"read", "write"}:
        return READ_WRITE
    return None


# --- managing tokens ---------------------------------------------------------------------


async def tokens_of(session: AsyncSession, user_id: uuid.UUID) -> list[PersonalAccessToken]:
    """The user's tokens, newest first (expired ones too, until revoked: the list says
    they expired, rather than have them vanish)."""
    rows = await session.scalars(
        select(PersonalAccessToken)
        .where(PersonalAccessToken.user_id == user_id)
        .order_by(PersonalAccessToken.created_at.desc(), PersonalAccessToken.id.desc())
    )
    return list(rows)


async def create_token(
    session: AsyncSession,
    *,
    user: User,
    name: str,
    scopes: str,
    expires_in_days: int | None,
) -> Minted:
    """Mint a token. `scopes` as stored (READ or READ_WRITE); `expires_in_days` None
    means it never expires. Past MAX_TOKENS_PER_USER the answer is 409."""
    await db.start_writing(session)
    held = await session.scalar(
        select(func.count())
        .select_from(PersonalAccessToken)
        .where(PersonalAccessToken.user_id == user.id)
    )
    if int(held or 0) >= MAX_TOKENS_PER_USER:
        raise Conflict(
            f"You hold {MAX_TOKENS_PER_USER} access tokens, the most an account may have; "
            "revoke one you no longer use first.",
            code="too-many-tokens",
        )
    now = clock.now()
    secret = PREFIX + secrets.token_urlsafe(32)
    row = PersonalAccessToken(
        user_id=user.id,
        name=name,
        token_hash=token_digest(secret),
        scopes=scopes,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
        last_used_at=None,
    )
    session.add(row)
    await session.flush()
    return Minted(row=row, token=secret)


async def revoke_token(session: AsyncSession, *, user: User, token_id: uuid.UUID) -> None:
    """Delete one of the user's tokens; another user's (or none) is a 404 alike."""
    row = await session.get(PersonalAccessToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("No such access token.")
    await db.start_writing(session)
    await session.delete(row)
    await session.flush()


def is_expired(row: PersonalAccessToken, now: datetime | None = None) -> bool:
    return row.expires_at is not None and row.expires_at <= (now or clock.now())


# --- using a token -------------------------------------------------------------------------


async def authenticate(
    session: AsyncSession, token: str, *, method: str, path: str
) -> tuple[User, PersonalAccessToken]:
    """The user a token signs in and its row, for a request of `method` on `path`.

    401 for an unknown, revoked or expired token; 403 for a disabled account, for a
    write with a read-only token (the problem names the missing scope) and for any
    write to the account's sign-in (see the module's docstring)."""
    found = await session.execute(
        select(PersonalAccessToken, User)
        .join(User, User.id == PersonalAccessToken.user_id)
        .where(PersonalAccessToken.token_hash == token_digest(token))
    )
    row = found.first()
    if row is None:
        raise Unauthorized(INVALID, code="invalid-token")
    pat, user = row[0], row[1]
    now = clock.now()
    if is_expired(pat, now):
        raise Unauthorized(INVALID, code="invalid-token")
    if user.is_disabled:
        raise AccountDisabled(user.disabled_reason)
    if method not in SAFE_METHODS:
        _check_write(pat, method, path)
    stale = pat.last_used_at is None or now - pat.last_used_at >= LAST_USED_RESOLUTION
    if stale and not db.writes_deferred(session):
        pat.last_used_at = now
    return user, pat


def _check_write(pat: PersonalAccessToken, method: str, path: str) -> None:
    if "write" not in scopes_of(pat):
        raise Forbidden(
            "This access token has the read scope only; this request needs the write scope.",
            code="insufficient-scope",
            extra={"required_scope": "write", "token_scopes": scopes_of(pat)},
        )
    # PATCH /me (name, time zone) is an ordinary write; DELETE /me is not.
    deletes_account = method == "DELETE" and path.rstrip("/") == ACCOUNT_PATH
    if deletes_account or path.startswith(ACCOUNT_SECURITY_PREFIXES):
        raise Forbidden(
            "An access token cannot change how the account signs in (tokens, passkeys, "
            "password, email, linked sign-ins) or delete the account; sign in with your "
            "password for that.",
            code="token-not-allowed",
        )


async def export_of(session: AsyncSession, user_id: uuid.UUID) -> list[dict[str, object]]:
    """The account export's `access_tokens`: names, scopes and dates, never the hashes."""
    return [
        {
            "id": str(row.id),
            "name": row.name,
            "scopes": scopes_of(row),
            "created_at": row.created_at,
            "expires_at": row.expires_at,
            "last_used_at": row.last_used_at,
        }
        for row in await tokens_of(session, user_id)
    ]
