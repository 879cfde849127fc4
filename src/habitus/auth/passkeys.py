"""Passkeys (WebAuthn): registering a credential for a signed-in user and signing in
with one, with no password (issue 20).

The ceremonies follow WebAuthn Level 3 through py_webauthn:

- every challenge is made here and kept server-side (`webauthn_challenges`) for five
  minutes; answering one spends it, whether the answer is accepted or not (the caller
  keeps that write when it answers an error: `db.keep_writes_on_error`);
- the relying party is `HABITUS_BASE_URL`: its host is the RP ID, its scheme, host and
  port the only origin accepted;
- user verification (the fingerprint, the face, the device PIN) is required, on
  registration and on every sign-in;
- the signature counter must grow once an authenticator reports one (a counter that
  stays or goes back is a sign of a cloned key: refused);
- asking for sign-in options with an email address never tells whether the address has
  an account: an unknown one gets what an account without passkeys gets.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from habitus import db
from habitus.auth import repository, throttle
from habitus.config import Settings
from habitus.context import AppContext
from habitus.errors import (
    AccountDisabled,
    AppError,
    Conflict,
    FieldError,
    NotFound,
    ValidationFailed,
)
from habitus.kit import clock
from habitus.kit.rates import Rate
from habitus.models import Passkey, User, WebAuthnChallenge

CHALLENGE_TTL = timedelta(minutes=5)
# What the browser is told to wait for the fingerprint or face, in milliseconds.
CEREMONY_TIMEOUT_MS = 120_000
RP_NAME = "Habitus"
DEFAULT_NAME = "Passkey"
MAX_PASSKEYS = 20
# Options cost a row each: one client address, or one account, may not pile them up.
SIGN_INS_PER_IP = Rate.parse("30/5minutes")
REGISTRATIONS_PER_USER = Rate.parse("20/hour")

REFUSED = "This passkey was not accepted. Try again, or sign in with your password."
CHALLENGE_GONE = "expired or was already used; start again"


class PasskeyRefused(AppError):
    """A sign-in answer that does not hold (unknown key, wrong site, no verification,
    spent challenge). One message for every reason: a guesser learns nothing."""

    status_code = 401
    code = "passkey-refused"

    def __init__(self) -> None:
        super().__init__(REFUSED)


# --- the relying party ---------------------------------------------------------------


def relying_party(settings: Settings) -> tuple[str, str]:
    """(RP ID, expected origin) from HABITUS_BASE_URL: "https://habits.example.org:8443/x"
    is ("habits.example.org", "https://habits.example.org:8443")."""
    parts = urlsplit(settings.base_url)
    host = (parts.hostname or "").lower()
    origin = f"{parts.scheme}://{host}"
    if parts.port is not None:
        origin += f":{parts.port}"
    return host, origin


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _transports(names: list[str]) -> list[AuthenticatorTransport]:
    known = {item.value: item for item in AuthenticatorTransport}
    return [known[name] for name in names if name in known]


async def _new_challenge(
    session: AsyncSession, *, purpose: str, user_id: uuid.UUID | None, challenge: bytes
) -> None:
    """Keep a challenge for its answer; challenges nobody answered in time go now."""
    now = clock.now()
    await session.execute(delete(WebAuthnChallenge).where(WebAuthnChallenge.expires_at <= now))
    session.add(
        WebAuthnChallenge(
            purpose=purpose,
            user_id=user_id,
            challenge=challenge,
            expires_at=now + CHALLENGE_TTL,
        )
    )
    await session.flush()


def _answered_challenge(credential: dict[str, Any], field: str) -> bytes:
    """The challenge a browser's answer signed (in its clientDataJSON)."""
    try:
        client_data = json.loads(_from_b64url(credential["response"]["clientDataJSON"]))
        return _from_b64url(client_data["challenge"])
    except (KeyError, TypeError, ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise ValidationFailed.field(
            field, "is not a WebAuthn credential (no clientDataJSON)", rule="webauthn"
        ) from error


async def _spend_challenge(
    session: AsyncSession, *, challenge: bytes, purpose: str, user_id: uuid.UUID | None
) -> WebAuthnChallenge | None:
    """The waiting challenge, deleted (single use); None when it is unknown, expired,
    for another purpose or user, or another request spent it first."""
    found = await session.scalar(
        select(WebAuthnChallenge).where(WebAuthnChallenge.challenge == challenge)
    )
    if found is None or found.purpose != purpose:
        return None
    if user_id is not None and found.user_id != user_id:
        return None
    spent = await session.execute(delete(WebAuthnChallenge).where(WebAuthnChallenge.id == found.id))
    if db.rowcount(spent) != 1 or found.expires_at <= clock.now():
        return None
    return found


# --- registering ---------------------------------------------------------------------


async def passkeys_of(session: AsyncSession, user_id: uuid.UUID) -> list[Passkey]:
    rows = await session.scalars(
        select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.created_at, Passkey.id)
    )
    return list(rows)


async def registration_options(
    session: AsyncSession, ctx: AppContext, *, user: User
) -> dict[str, Any]:
    """Creation options for navigator.credentials.create(): a discoverable credential
    (so sign-in needs no address), user verification required, none of the user's
    existing keys again."""
    await ctx.check_rate(
        f"passkey:register:{user.id}",
        REGISTRATIONS_PER_USER,
        "Too many passkey registrations; try again later.",
    )
    rp_id, _origin = relying_party(ctx.settings)
    existing = await passkeys_of(session, user.id)
    name = user.email or user.phone or str(user.id)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=RP_NAME,
        user_id=user.id.bytes,
        user_name=name,
        user_display_name=user.display_name or name,
        timeout=CEREMONY_TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(
                id=key.credential_id, transports=_transports(key.transports)
            )
            for key in existing
        ],
    )
    await _new_challenge(session, purpose="register", user_id=user.id, challenge=options.challenge)
    answer: dict[str, Any] = json.loads(options_to_json(options))
    return answer


async def register(
    session: AsyncSession,
    ctx: AppContext,
    *,
    user: User,
    credential: dict[str, Any],
    name: str | None,
) -> Passkey:
    """Store the credential the browser made for the options of `registration_options`.
    422 on `credential` when it does not verify (its challenge is spent all the same),
    409 when the key is registered already."""
    challenge = _answered_challenge(credential, "credential")
    if (
        await _spend_challenge(session, challenge=challenge, purpose="register", user_id=user.id)
        is None
    ):
        raise ValidationFailed.field("credential", "answers a challenge that " + CHALLENGE_GONE)
    if user.is_disabled:
        raise AccountDisabled(user.disabled_reason)
    rp_id, origin = relying_party(ctx.settings)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
        )
    except (WebAuthnException, KeyError, TypeError, ValueError) as error:
        raise ValidationFailed.field(
            "credential", f"was not accepted: {error}", rule="webauthn"
        ) from error
    if len(await passkeys_of(session, user.id)) >= MAX_PASSKEYS:
        raise ValidationFailed.field(
            "credential",
            f"would be your passkey number {MAX_PASSKEYS + 1}; delete one you no longer use",
            rule="max_passkeys",
        )
    taken = await session.scalar(
        select(func.count())
        .select_from(Passkey)
        .where(Passkey.credential_id == verified.credential_id)
    )
    if taken:
        raise _already_registered()
    response = credential.get("response")
    transports = response.get("transports") if isinstance(response, dict) else None
    passkey = Passkey(
        user_id=user.id,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=name or DEFAULT_NAME,
        transports=[t for t in transports or [] if isinstance(t, str)][:8],
        aaguid=verified.aaguid,
        backed_up=verified.credential_backed_up,
    )
    session.add(passkey)
    try:
        await session.flush()
    except IntegrityError as error:  # the same key, registered at the same moment
        raise _already_registered() from error
    return passkey


def _already_registered() -> Conflict:
    return Conflict(
        "This passkey is registered already.",
        code="passkey-taken",
        errors=[FieldError("credential", "is registered already", rule="unique")],
    )


async def delete_passkey(session: AsyncSession, *, user: User, passkey_id: uuid.UUID) -> None:
    """Forget one of the user's passkeys; someone else's is not found (404)."""
    gone = await session.execute(
        delete(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user.id)
    )
    if db.rowcount(gone) != 1:
        raise NotFound("No such passkey.")


# --- signing in ----------------------------------------------------------------------


async def sign_in_options(
    session: AsyncSession, ctx: AppContext, *, email: str | None, ip: str
) -> dict[str, Any]:
    """Request options for navigator.credentials.get(). Without an address, any passkey
    of this site may answer (the browser offers the ones it has); with one, the
    account's passkeys are named. An unknown or disabled account gets an empty list,
    exactly what an account without passkeys gets, so the answer never says which
    addresses have an account."""
    await ctx.check_rate(
        "passkey:sign-in:" + ip, SIGN_INS_PER_IP, "Too many passkey sign-ins; try again later."
    )
    rp_id, _origin = relying_party(ctx.settings)
    user = await repository.user_by_email(session, email) if email else None
    allowed = (
        await passkeys_of(session, user.id) if user is not None and not user.is_disabled else []
    )
    options = generate_authentication_options(
        rp_id=rp_id,
        timeout=CEREMONY_TIMEOUT_MS,
        allow_credentials=[
            PublicKeyCredentialDescriptor(
                id=key.credential_id, transports=_transports(key.transports)
            )
            for key in allowed
        ],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    bound_to = user.id if user is not None and allowed else None
    await _new_challenge(session, purpose="login", user_id=bound_to, challenge=options.challenge)
    answer: dict[str, Any] = json.loads(options_to_json(options))
    return answer


async def authenticate(
    session: AsyncSession, ctx: AppContext, *, credential: dict[str, Any], ip: str
) -> User:
    """The user whose passkey signed the challenge; `PasskeyRefused` (401) otherwise,
    `AccountDisabled` (403) for a disabled account. The challenge is spent either way,
    the key's counter and last use are kept, and the user's last sign-in is now. Sign-in
    throttles: the options and answers of one client address are limited (a key cannot
    be guessed, but each try costs a row and a signature check)."""
    await ctx.check_rate(
        "passkey:sign-in:" + ip, SIGN_INS_PER_IP, "Too many passkey sign-ins; try again later."
    )
    challenge = _answered_challenge(credential, "credential")
    waiting = await _spend_challenge(session, challenge=challenge, purpose="login", user_id=None)
    if waiting is None:
        raise PasskeyRefused()
    try:
        credential_id = _from_b64url(credential["rawId"])
    except (KeyError, TypeError, ValueError, binascii.Error) as error:
        raise PasskeyRefused() from error
    found = (
        await session.execute(
            select(Passkey, User)
            .join(User, User.id == Passkey.user_id)
            .where(Passkey.credential_id == credential_id)
        )
    ).one_or_none()
    if found is None:
        raise PasskeyRefused()
    passkey, user = found
    # Options that named an account's keys are answered by one of them only.
    if waiting.user_id is not None and waiting.user_id != user.id:
        raise PasskeyRefused()
    handle = credential.get("response", {}).get("userHandle")
    if handle and handle != _b64url(user.id.bytes):
        raise PasskeyRefused()
    rp_id, origin = relying_party(ctx.settings)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, KeyError, TypeError, ValueError) as error:
        raise PasskeyRefused() from error
    if user.is_disabled:
        raise AccountDisabled(user.disabled_reason)
    now = clock.now()
    passkey.sign_count = verified.new_sign_count
    passkey.backed_up = verified.credential_backed_up
    passkey.last_used_at = now
    user.last_login_at = now
    await session.flush()
    if user.email_key:
        # The owner proved the key: the slowdown password guessers caused is lifted,
        # as a right password lifts it.
        await throttle.forget_failures(ctx, user.email_key)
    return user
