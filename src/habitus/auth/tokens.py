"""Access tokens (short-lived JWTs naming their session) and opaque random tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import jwt

ALGORITHM = "HS256"
ISSUER = "habitus"
ACCESS_TYPE = "access"


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID


class InvalidToken(Exception):
    pass


def new_opaque_token() -> str:
    """256 random bits, URL-safe: refresh tokens, web session cookies, invites."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """SHA-256 hex of a random token. A fast hash is right for 256-bit secrets: there
    is nothing to brute-force, and lookups stay a single indexed query."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_access_token(
    *, key: str, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime, ttl: timedelta
) -> str:
    claims = {
        "iss": ISSUER,
        "typ": ACCESS_TYPE,
        "sub": str(user_id),
        "sid": str(session_id),
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def read_access_token(token: str, *, key: str, now: datetime) -> AccessClaims:
    claims, expires = _verified(token, key)
    # Expiry against our clock (frozen in tests), not the OS clock PyJWT would read.
    if expires <= now.timestamp():
        raise InvalidToken("expired")
    return claims


@lru_cache(maxsize=4096)
def _verified(token: str, key: str) -> tuple[AccessClaims, int]:
    """The token's claims and expiry, once its signature checks out. Cached: a client
    sends the same token for 15 minutes, and the answer for the same token and key
    never changes (expiry is checked by the caller, revocation by the database)."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "sid"], "verify_exp": False},
        )
        if claims.get("typ") != ACCESS_TYPE:
            raise InvalidToken("not an access token")
        access = AccessClaims(user_id=uuid.UUID(claims["sub"]), session_id=uuid.UUID(claims["sid"]))
        return access, int(claims["exp"])
    except (jwt.PyJWTError, ValueError, KeyError, TypeError) as error:
        raise InvalidToken(str(error)) from error
