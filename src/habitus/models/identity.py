"""Identity beyond the password (issue 20): one-time codes (sign-up, email change,
linking a single-sign-on identity), passkeys and their challenges, personal access
tokens, and identities at OpenID Connect providers with the state of a sign-in there.

Secrets are never stored as given: codes as an HMAC, tokens as their SHA-256.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from habitus.models.base import Base, CreatedAtMixin, IdMixin


class VerificationCode(IdMixin, CreatedAtMixin, Base):
    """A 6-digit code sent to an address or a phone, waiting to be entered.

    `purpose`: "signup" (no user yet: `payload` holds the sign-up's fields, the password
    already hashed; the account is made when the code is right), "email_change" (the
    user's new address), "oidc_link" (proving an existing account before a provider's
    identity is linked to it). `target_key` is the normalised address (lower case) or
    the E.164 number. Single use: the row is deleted on success, when its tries run out,
    and by housekeeping once expired."""

    __tablename__ = "verification_codes"
    __table_args__ = (
        Index("ix_verification_codes_target_key", "purpose", "target_key"),
        Index("ix_verification_codes_expires_at", "expires_at"),
    )

    purpose: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))  # "email" | "sms"
    target: Mapped[str] = mapped_column(String(320))  # as typed, for the message
    target_key: Mapped[str] = mapped_column(String(320))
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime]
    sent_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Passkey(IdMixin, CreatedAtMixin, Base):
    """A WebAuthn credential registered by a user (a fingerprint, a face, a security key)."""

    __tablename__ = "passkeys"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    credential_id: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(100))
    transports: Mapped[list[str]] = mapped_column(JSON, default=list)
    aaguid: Mapped[str | None] = mapped_column(String(36))
    backed_up: Mapped[bool] = mapped_column(default=False)
    last_used_at: Mapped[datetime | None]


class WebAuthnChallenge(IdMixin, CreatedAtMixin, Base):
    """A challenge handed to a browser, kept server-side until it is answered (single
    use: deleted when used) or expires. `purpose`: "register" or "login"."""

    __tablename__ = "webauthn_challenges"

    purpose: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    challenge: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class PersonalAccessToken(IdMixin, CreatedAtMixin, Base):
    """A long-lived Bearer token for scripts (shown once, stored as its SHA-256).
    `scopes`: "read" or "read write"."""

    __tablename__ = "personal_access_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(20))
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class OidcIdentity(IdMixin, CreatedAtMixin, Base):
    """A user's identity at an OpenID Connect provider: (issuer, subject) signs them in."""

    __tablename__ = "oidc_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    last_used_at: Mapped[datetime | None]


class OidcLogin(IdMixin, CreatedAtMixin, Base):
    """A sign-in at a provider in progress: the state, nonce and PKCE verifier sent,
    checked when the provider sends the browser back (single use)."""

    __tablename__ = "oidc_logins"

    state: Mapped[str] = mapped_column(String(64), unique=True)
    nonce: Mapped[str] = mapped_column(String(64))
    code_verifier: Mapped[str] = mapped_column(String(128))
    next_path: Mapped[str | None] = mapped_column(String(500))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # Set once the provider answered but the identity still needs linking to an
    # existing account (the user proves its password or a code first).
    pending: Mapped[dict[str, Any] | None] = mapped_column(JSON)
