"""One-time codes (issue 20): a sign-up confirmed by a code sent to its address or phone
before the account exists, a new address confirmed before it replaces the old, and a
password reset by a code sent to a phone.

The rules (NIST SP 800-63B, "out-of-band authenticators"):
- a code is 6 digits from `secrets`, stored as an HMAC keyed with the server's signing
  key and bound to its row (a leaked table yields no code), compared in constant time;
- it works once: the row (`VerificationCode`) is deleted on success; 5 wrong tries or
  15 minutes end the attempt (the row goes; housekeeping sweeps the expired ones);
- a new code may be asked for 60 s after the last one, in the same 15 minutes, and the
  tries already spent stay spent;
- codes sent to one target, and asked for from one client address, are throttled (429
  with Retry-After); so are tries from one client address across attempts;
- nobody learns whether an address or a phone has an account: a sign-up with a known
  one answers exactly like a new one, and the message sent says "you already have an
  account" instead of carrying a code (whose row can then never be confirmed).

Services flush; the request boundary commits. A wrong code is an error answer that must
keep its write (the spent try): it raises `WrongCode`, and the routes keep the writes of
that one error (`db.keep_writes_on_error`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.auth import identifiers, identity_mail, repository, service, sms, throttle
from habitus.auth.passwords import password_problem
from habitus.config import Settings
from habitus.context import AppContext
from habitus.errors import Conflict, FieldError, TooManyRequests, ValidationFailed
from habitus.kit import clock
from habitus.kit.rates import Rate
from habitus.models import User, VerificationCode

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=15)
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)
# Codes sent to one address or phone, and asked for from one client address (sign-ups,
# resends, email changes, reset codes together).
CODES_PER_TARGET = Rate.parse("5/hour")
CODES_PER_IP = Rate.parse("20/hour")
# Codes tried from one client address, over every attempt: 5 tries per attempt do not
# multiply into many by starting many attempts.
TRIES_PER_IP = Rate.parse("30/15minutes")
# Email changes asked for by one user.
CHANGES_PER_USER = Rate.parse("5/hour")

Purpose = Literal["signup", "email_change", "password_reset"]
Channel = Literal["email", "sms"]

START_AGAIN = "This code has expired or was tried too often; start again to get a new one."
NO_SMS = (
    "cannot be used: this server sends no text messages, so it cannot check the number; "
    "use an email address"
)
NO_EMAIL = "cannot be checked: this server sends no email"
_HMAC_CONTEXT = b"habitus-verification-code\x00"


class WrongCode(ValidationFailed):
    """A wrong code: the try is spent, and stays spent although the answer is an error."""


@dataclass(frozen=True, slots=True)
class Started:
    """A code on its way (or the "you already have an account" message instead)."""

    id: uuid.UUID
    channel: Channel
    expires_at: datetime
    resend_at: datetime


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(settings: Settings, row_id: uuid.UUID, code: str) -> str:
    """The code as kept: an HMAC with the signing key, bound to its row."""
    message = _HMAC_CONTEXT + row_id.bytes + code.encode()
    return hmac.new(settings.signing_key.encode(), message, hashlib.sha256).hexdigest()


def code_matches(settings: Settings, row: VerificationCode, code: str) -> bool:
    return hmac.compare_digest(code_hash(settings, row.id, code.strip()), row.code_hash)


def phone_problem(settings: Settings) -> str | None:
    """Why a sign-up may not use this phone number, or None (the E.164 form is checked
    by the schema): a phone is trusted only once a code sent to it came back."""
    return None if sms.available(settings) else NO_SMS


def _started(row: VerificationCode) -> Started:
    channel: Channel = "sms" if row.channel == "sms" else "email"
    return Started(
        id=row.id,
        channel=channel,
        expires_at=row.expires_at,
        resend_at=row.sent_at + RESEND_AFTER,
    )


async def _throttle_sending(ctx: AppContext, target_key: str, ip: str | None) -> None:
    await ctx.check_rate(
        "verify:target:" + target_key,
        CODES_PER_TARGET,
        "Too many codes were sent there; wait before asking for another.",
    )
    if ip is not None:
        await ctx.check_rate(
            "verify:ip:" + ip,
            CODES_PER_IP,
            "Too many codes were asked for from your network; wait before asking again.",
        )


def _new_row(
    settings: Settings,
    *,
    purpose: Purpose,
    channel: Channel,
    target: str,
    target_key: str,
    user_id: uuid.UUID | None,
    payload: dict[str, object],
) -> tuple[VerificationCode, str]:
    now = clock.now()
    row_id = uuid.uuid4()
    code = new_code()
    row = VerificationCode(
        id=row_id,
        purpose=purpose,
        channel=channel,
        target=target,
        target_key=target_key,
        user_id=user_id,
        code_hash=code_hash(settings, row_id, code),
        attempts=0,
        expires_at=now + CODE_TTL,
        sent_at=now,
        payload=payload,
    )
    return row, code


def _minutes_left(row: VerificationCode) -> int:
    return max(1, round((row.expires_at - clock.now()).total_seconds() / 60))


def _send(session: AsyncSession, ctx: AppContext, row: VerificationCode, code: str) -> None:
    """Send `code` to the row's target, or, when the code can never be confirmed (the
    target has an account already), what to do instead."""
    settings = ctx.settings
    known = bool(row.payload.get("known"))
    minutes = _minutes_left(row)
    if row.channel == "sms":
        if row.purpose == "password_reset":
            body = f"Your Habitus password reset code is {code}. It works for {minutes} min."
        elif known:
            body = (
                "You already have a Habitus account with this number: sign in, or reset "
                f"your password at {settings.base_url}/forgot"
            )
        else:
            body = f"Your Habitus sign-up code is {code}. It works for {minutes} min."
        sms.send_later(session, settings, sms.Text(row.target, body, f"{row.purpose}_code"))
        return
    if row.purpose == "email_change":
        mail = (
            identity_mail.change_in_use(row.target)
            if known
            else identity_mail.change_code(row.target, code, minutes)
        )
    elif known:
        mail = identity_mail.signup_known(row.target, settings.base_url)
    else:
        mail = identity_mail.signup_code(row.target, code, minutes)
    identity_mail.send_later(session, settings, mail)


async def _row(
    session: AsyncSession, row_id: uuid.UUID, purposes: tuple[Purpose, ...]
) -> VerificationCode | None:
    return await session.scalar(
        select(VerificationCode).where(
            VerificationCode.id == row_id, VerificationCode.purpose.in_(purposes)
        )
    )


async def _check(
    session: AsyncSession,
    ctx: AppContext,
    row: VerificationCode | None,
    code: str,
    ip: str,
    *,
    missing: str = "verification_id",
) -> VerificationCode:
    """The row, when `code` is its code; else the try is spent (WrongCode), and the row
    goes once its tries are used up or it has expired. Takes the writer turn."""
    await ctx.check_rate(
        "verify:tries:" + ip, TRIES_PER_IP, "Too many codes were tried; wait a while."
    )
    if row is None:  # confirmed, used up, expired and swept, or never there
        raise ValidationFailed.field(missing, START_AGAIN, rule="verification_expired")
    await db.start_writing(session)
    if row.expires_at <= clock.now() or row.attempts >= MAX_ATTEMPTS:
        await session.delete(row)
        await session.flush()
        raise WrongCode([FieldError("code", START_AGAIN, rule="verification_expired")])
    # A row that can never be confirmed (the target has an account) takes tries too.
    if row.payload.get("known") or not code_matches(ctx.settings, row, code):
        row.attempts += 1
        left = MAX_ATTEMPTS - row.attempts
        if left <= 0:
            await session.delete(row)
            await session.flush()
            raise WrongCode([FieldError("code", START_AGAIN, rule="verification_exhausted")])
        await session.flush()
        tries = "1 try" if left == 1 else f"{left} tries"
        raise WrongCode(
            [FieldError("code", f"is not the code we sent ({tries} left)", rule="wrong_code")]
        )
    return row


# --- sign-up -----------------------------------------------------------------------------


async def start_signup(
    session: AsyncSession, ctx: AppContext, *, sign_up: service.SignUp, ip: str | None
) -> Started:
    """Keep a checked sign-up (its password already hashed) until its code comes back,
    and send the code. A target that has an account gets "sign in or reset" instead,
    and the answer is the same."""
    if sign_up.phone is not None:
        channel: Channel = "sms"
        target, target_key = sign_up.phone, sign_up.phone
        if problem := phone_problem(ctx.settings):
            raise ValidationFailed.field("phone", problem, rule="sms_unavailable")
        known = await repository.user_by_phone(session, target) is not None
    else:
        assert sign_up.email is not None
        channel = "email"
        target, target_key = sign_up.email, identifiers.email_key(sign_up.email)
        if not identity_mail.available(ctx.settings):
            raise ValidationFailed.field("email", NO_EMAIL, rule="email_unavailable")
        known = await repository.user_by_email(session, target) is not None
    await _throttle_sending(ctx, target_key, ip)
    payload: dict[str, object] = {"known": True} if known else dataclasses.asdict(sign_up)
    await db.start_writing(session)
    # One sign-up waits per target: a second one replaces the first.
    await session.execute(
        delete(VerificationCode).where(
            VerificationCode.purpose == "signup", VerificationCode.target_key == target_key
        )
    )
    row, code = _new_row(
        ctx.settings,
        purpose="signup",
        channel=channel,
        target=target,
        target_key=target_key,
        user_id=None,
        payload=payload,
    )
    session.add(row)
    await session.flush()
    _send(session, ctx, row, code)
    return _started(row)


async def confirm_signup(
    session: AsyncSession, ctx: AppContext, *, verification_id: uuid.UUID, code: str, ip: str
) -> User:
    """The account, made now that its code came back; the staging row is gone."""
    row = await _check(session, ctx, await _row(session, verification_id, ("signup",)), code, ip)
    sign_up = service.SignUp(**row.payload)
    await session.delete(row)
    await session.flush()
    return await service.create_account(session, ctx, sign_up)


async def resend(
    session: AsyncSession, ctx: AppContext, *, verification_id: uuid.UUID, ip: str | None
) -> Started:
    """A new code for a sign-up or a phone reset, 60 s after the last one at the
    earliest; the attempt keeps its expiry and the tries it spent."""
    row = await _row(session, verification_id, ("signup", "password_reset"))
    now = clock.now()
    if row is None or row.expires_at <= now or row.attempts >= MAX_ATTEMPTS:
        raise ValidationFailed.field("verification_id", START_AGAIN, rule="verification_expired")
    wait = (row.sent_at + RESEND_AFTER - now).total_seconds()
    if wait > 0:
        raise TooManyRequests(wait, f"Wait {int(wait + 0.999)} s before asking for a new code.")
    await _throttle_sending(ctx, row.target_key, ip)
    await db.start_writing(session)
    code = new_code()
    row.code_hash = code_hash(ctx.settings, row.id, code)
    row.sent_at = now
    await session.flush()
    if row.purpose == "signup" or row.user_id is not None:
        _send(session, ctx, row, code)
    return _started(row)


async def pending(
    session: AsyncSession, verification_id: uuid.UUID, purpose: Purpose
) -> Started | None:
    """A live attempt (for the code page), or None."""
    row = await _row(session, verification_id, (purpose,))
    if row is None or row.expires_at <= clock.now() or row.attempts >= MAX_ATTEMPTS:
        return None
    return _started(row)


async def target_of(session: AsyncSession, verification_id: uuid.UUID) -> str | None:
    """Where an attempt's code went, as typed (the code page says so)."""
    row = await session.get(VerificationCode, verification_id)
    return row.target if row is not None else None


# --- email change ------------------------------------------------------------------------


async def start_email_change(
    session: AsyncSession, ctx: AppContext, *, user: User, email: str, password: str, ip: str
) -> Started | None:
    """Ask to move the account to `email`: the password first, then a code to the new
    address (an address of another account gets "already in use" instead, and the same
    answer). Without SMTP there is no way to check it: the address changes at once
    (None), like a sign-up that is not verified, and a taken one is a 409."""
    await service.confirm_password(ctx, user=user, password=password, ip=ip)
    key = identifiers.email_key(email)
    if key == user.email_key:
        raise ValidationFailed.field("email", "is already your address", rule="unchanged")
    await ctx.check_rate(
        f"verify:change:{user.id}", CHANGES_PER_USER, "Too many address changes; wait a while."
    )
    known = await repository.user_by_email(session, email) is not None
    if not identity_mail.available(ctx.settings):
        if known:
            raise Conflict(
                "An account with this email address already exists.",
                code="email-taken",
                errors=[FieldError("email", "is already registered", rule="unique")],
            )
        await db.start_writing(session)
        user.email, user.email_key = email.strip(), key
        await session.flush()
        return None
    await _throttle_sending(ctx, key, ip)
    await db.start_writing(session)
    await session.execute(
        delete(VerificationCode).where(
            VerificationCode.purpose == "email_change", VerificationCode.user_id == user.id
        )
    )
    row, code = _new_row(
        ctx.settings,
        purpose="email_change",
        channel="email",
        target=email.strip(),
        target_key=key,
        user_id=user.id,
        payload={"known": True} if known else {},
    )
    session.add(row)
    await session.flush()
    _send(session, ctx, row, code)
    return _started(row)


async def pending_email_change(session: AsyncSession, user: User) -> VerificationCode | None:
    row = await session.scalar(
        select(VerificationCode).where(
            VerificationCode.purpose == "email_change", VerificationCode.user_id == user.id
        )
    )
    if row is None or row.expires_at <= clock.now() or row.attempts >= MAX_ATTEMPTS:
        return None
    return row


async def confirm_email_change(
    session: AsyncSession, ctx: AppContext, *, user: User, code: str, ip: str
) -> User:
    """Move the account to the new address its code came back from; the old address
    (if any) is told."""
    row = await session.scalar(
        select(VerificationCode).where(
            VerificationCode.purpose == "email_change", VerificationCode.user_id == user.id
        )
    )
    row = await _check(session, ctx, row, code, ip, missing="code")
    if await repository.user_by_email(session, row.target) is not None:
        raise Conflict(
            "An account with this email address already exists.",
            code="email-taken",
            errors=[FieldError("email", "is already registered", rule="unique")],
        )
    old = user.email
    user.email, user.email_key = row.target, row.target_key
    await session.delete(row)
    await session.flush()
    if old is not None and identifiers.email_key(old) != row.target_key:
        identity_mail.send_later(
            session, ctx.settings, identity_mail.changed_notice(old, row.target)
        )
    return user


# --- password reset by a code to a phone --------------------------------------------------


async def start_phone_reset(
    session: AsyncSession, ctx: AppContext, *, phone: str, ip: str
) -> Started:
    """A code by SMS to reset the password of the account behind `phone`, if there is
    one that may sign in. The answer (an attempt to enter a code into) is the same
    whether or not there is: an unknown number's attempt is never confirmed."""
    await ctx.check_rate(
        "reset:account:" + phone,
        service.RESET_REQUESTS_PER_ACCOUNT,
        "Too many reset requests; wait a while.",
    )
    await ctx.check_rate(
        "reset:ip:" + ip, service.RESET_REQUESTS_PER_IP, "Too many reset requests; wait a while."
    )
    user = await repository.user_by_phone(session, phone)
    usable = user is not None and not user.is_disabled
    await _throttle_sending(ctx, phone, ip)
    await db.start_writing(session)
    row, code = _new_row(
        ctx.settings,
        purpose="password_reset",
        channel="sms",
        target=phone,
        target_key=phone,
        user_id=user.id if usable and user is not None else None,
        payload={} if usable else {"known": True},
    )
    session.add(row)
    await session.flush()
    if usable:
        _send(session, ctx, row, code)
    return _started(row)


async def finish_phone_reset(
    session: AsyncSession,
    ctx: AppContext,
    *,
    verification_id: uuid.UUID,
    code: str,
    new_password: str,
    ip: str,
) -> User:
    """Set a new password with the code sent to the phone. Like a reset link: every
    sign-in of the account ends, and the password-guessing counters are forgotten."""
    row = await _row(session, verification_id, ("password_reset",))
    user = await session.get(User, row.user_id) if row and row.user_id else None
    problem = password_problem(new_password, email=user.email if user else None)
    if problem:
        raise ValidationFailed.field("new_password", problem, rule="password_policy")
    password_hash = await ctx.hasher.hash(new_password)
    row = await _check(session, ctx, row, code, ip)
    if user is None or user.is_disabled:
        raise ValidationFailed.field("code", START_AGAIN, rule="verification_expired")
    now = clock.now()
    await session.delete(row)
    user.password_hash = password_hash
    await repository.spend_reset_tokens_of(session, user.id, now)
    await repository.delete_reset_notices_of(session, user.id)
    await repository.revoke_user_sessions(session, user.id, now=now, reason="password reset")
    await throttle.forget_failures(ctx, identifiers.key_of(user))
    await session.flush()
    return user
