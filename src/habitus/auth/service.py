"""Use cases of accounts and sign-in. Services flush; the request boundary commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.auth import identifiers, repository, reset_links, throttle
from habitus.auth.passwords import password_problem
from habitus.auth.tokens import (
    issue_access_token,
    new_opaque_token,
    token_digest,
)
from habitus.context import AppContext
from habitus.errors import (
    AccountDisabled,
    AppError,
    Conflict,
    FieldError,
    Forbidden,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)
from habitus.events.kinds import AccountDeleting, UserSettingsChanged, UserSignedUp
from habitus.events.service import publish
from habitus.kit import clock
from habitus.kit.rates import Rate
from habitus.models import AuthSession, Invite, PasswordResetToken, RefreshToken, User

BAD_CREDENTIALS = "Incorrect email or password."
BAD_REFRESH = "The refresh token is not valid; sign in again."
WEB_SESSION_TOUCH = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Issued:
    """A new sign-in and the secrets that go back to the client, once."""

    user: User
    session: AuthSession
    access_token: str | None = None
    refresh_token: str | None = None
    cookie_token: str | None = None


@dataclass(frozen=True, slots=True)
class RefreshRejected:
    message: str
    family_revoked: bool


# --- sign-up ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignUp:
    """A sign-up that passed every check, its password hashed: what makes the account
    (at once, or once its code is entered: issue 20, kept as JSON meanwhile)."""

    email: str | None
    phone: str | None
    password_hash: str
    display_name: str | None
    timezone: str
    invite_token: str | None
    # Issue 21: where the person came from (`?ref=` / `utm_source`), for the operator.
    source: str | None = None


async def register(
    session: AsyncSession,
    ctx: AppContext,
    *,
    email: str | None,
    password: str,
    phone: str | None = None,
    display_name: str | None = None,
    timezone: str = "UTC",
    invite_token: str | None = None,
    ip: str | None = None,
) -> User:
    """Create an account, honouring the server's registration mode. Sign-ups from one
    client address (`ip`; None for the operator's CLI) are rate limited, tried or not."""
    sign_up = await check_sign_up(
        session,
        ctx,
        email=email,
        phone=phone,
        password=password,
        display_name=display_name,
        timezone=timezone,
        invite_token=invite_token,
        ip=ip,
    )
    return await create_account(session, ctx, sign_up)


async def check_sign_up(
    session: AsyncSession,
    ctx: AppContext,
    *,
    email: str | None,
    phone: str | None,
    password: str,
    display_name: str | None,
    timezone: str,
    invite_token: str | None,
    ip: str | None,
    source: str | None = None,
) -> SignUp:
    """Every check of a sign-up but whether its address or phone is taken (which a
    verified sign-up must not tell: issue 20), and the password's hash.

    The password is hashed before anything is read, and the writer turn taken only after
    every check (issue 11, item 4): a sign-up waiting for its password turn holds no
    database connection, and one being hashed holds no lock. An invite or an address
    refused after the hash costs that hash; it also answers no faster than a success."""
    mode = ctx.settings.registration
    if ip is not None and ctx.settings.rate_limit_enabled:
        decision = await ctx.limiter.hit("register:ip:" + ip, ctx.settings.registrations_per_ip)
        if not decision.allowed:
            raise TooManyRequests(
                decision.retry_after,
                "Too many sign-ups from your network; "
                f"try again in {throttle.minutes(decision.retry_after)}.",
            )
    if mode == "closed":
        raise Forbidden("Sign-up is closed on this server.", code="registration-closed")
    if mode == "invite" and not invite_token:
        raise _invite_required()
    problem = password_problem(password, email=email)
    if problem:
        raise ValidationFailed.field("password", problem, rule="password_policy")
    password_hash = await ctx.hasher.hash(password)
    if mode == "invite":
        await _usable_invite(session, invite_token, email)
    return SignUp(
        email=email.strip() if email is not None else None,
        phone=phone,
        password_hash=password_hash,
        display_name=display_name,
        timezone=timezone,
        invite_token=invite_token,
        source=source,
    )


async def create_account(session: AsyncSession, ctx: AppContext, sign_up: SignUp) -> User:
    """Make the account of a checked sign-up (its invite, if any, is spent)."""
    invite = (
        await _usable_invite(session, sign_up.invite_token, sign_up.email)
        if ctx.settings.registration == "invite"
        else None
    )
    if sign_up.email is not None and await repository.user_by_email(session, sign_up.email):
        raise _email_taken()
    if sign_up.phone is not None and await repository.user_by_phone(session, sign_up.phone):
        raise _phone_taken()
    await db.start_writing(session)
    user = User(
        email=sign_up.email,
        email_key=repository.email_key(sign_up.email) if sign_up.email is not None else None,
        phone=sign_up.phone,
        password_hash=sign_up.password_hash,
        display_name=sign_up.display_name,
        timezone=sign_up.timezone,
        theme="system",
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as error:  # a concurrent sign-up with the same address won
        raise _email_taken() if sign_up.email is not None else _phone_taken() from error
    if invite is not None:
        claimed = await session.execute(
            update(Invite)
            .where(Invite.id == invite.id, Invite.used_at.is_(None))
            .values(used_at=clock.now(), used_by_id=user.id)
        )
        if db.rowcount(claimed) != 1:
            raise _invite_error("was already used")
    await publish(session, user, [UserSignedUp(source=sign_up.source)])
    return user


def _phone_taken() -> Conflict:
    return Conflict(
        "An account with this phone number already exists.",
        code="phone-taken",
        errors=[FieldError("phone", "is already registered", rule="unique")],
    )


def _email_taken() -> Conflict:
    return Conflict(
        "An account with this email address already exists.",
        code="email-taken",
        errors=[FieldError("email", "is already registered", rule="unique")],
    )


def _invite_required() -> AppError:
    return AppError(
        "Sign-up on this server is by invite only; ask an administrator for a link.",
        status_code=403,
        code="invite-required",
        errors=[FieldError("invite_token", "is required", rule="missing")],
    )


def _invite_error(message: str) -> ValidationFailed:
    return ValidationFailed(
        [FieldError("invite_token", message, rule="invite")],
        message=f"This invite {message}.",
    )


async def invite_problem(session: AsyncSession, token: str) -> str | None:
    """Why an invite link cannot be used ("has expired", ...), or None when it can:
    the sign-up page says so before anyone fills in the form."""
    try:
        await _usable_invite(session, token, None)
    except AppError as error:
        return error.errors[0].message if error.errors else error.message
    return None


async def _usable_invite(session: AsyncSession, token: str | None, email: str | None) -> Invite:
    if not token:
        raise _invite_required()
    invite = await repository.invite_by_token_hash(session, token_digest(token))
    now = clock.now()
    if invite is None or invite.revoked_at is not None:
        raise _invite_error("is not valid")
    if invite.used_at is not None:
        raise _invite_error("was already used")
    if invite.expires_at <= now:
        raise _invite_error("has expired")
    if email is not None and invite.email_key and invite.email_key != repository.email_key(email):
        raise _invite_error("is for another email address")
    return invite


# --- sign-in ----------------------------------------------------------------------


async def user_by_login(session: AsyncSession, login: str) -> User | None:
    """The user an email address or a phone number (issue 20) names, or None."""
    if identifiers.looks_like_phone(login):
        phone = identifiers.e164(login)
        return await repository.user_by_phone(session, phone) if phone else None
    return await repository.user_by_email(session, login)


async def authenticate(
    session: AsyncSession, ctx: AppContext, *, email: str, password: str, ip: str
) -> User:
    """The user behind `email` and `password`, or 401 / 429 / 403 (disabled).

    Unknown address and wrong password answer alike and cost alike (a dummy Argon2
    check). Guessing is held back by `throttle`: 429 for an address that failed too often
    (on this account, or on any), a growing wait for an account under attack, never a
    refusal of the account as a whole, so its owner still gets in. The password is
    checked before the writer turn is taken: only the last-login time is written, after
    `db.start_writing` (issue 11, item 4).
    """
    key = identifiers.key_of_text(email)
    await throttle.refuse_if_throttled(ctx, key, ip)
    await throttle.slow_down(ctx, key)
    async with ctx.hasher.turn():  # waits before the read: holding no connection
        # Again: guesses sent all at once all passed the first check together.
        await throttle.refuse_if_throttled(ctx, key, ip)
        user = await user_by_login(session, email)
        matched = await ctx.hasher.verify(user.password_hash if user else None, password)
    if user is None or not matched:
        await throttle.count_failure(ctx, key, ip)
        raise Unauthorized(BAD_CREDENTIALS, code="invalid-credentials")
    await throttle.forget_failures(ctx, key, ip)
    if user.is_disabled:
        raise AccountDisabled(user.disabled_reason)
    rehashed = (
        await ctx.hasher.hash(password) if ctx.hasher.needs_rehash(user.password_hash) else None
    )
    await db.start_writing(session)
    if rehashed is not None:
        user.password_hash = rehashed
    user.last_login_at = clock.now()
    return user


async def confirm_password(
    ctx: AppContext, *, user: User, password: str, ip: str, field: str = "password"
) -> None:
    """Ask a signed-in user for their password again (before deleting the account,
    changing the password). Throttled like sign-in; a wrong one is a 422 on `field`.
    Writes nothing: the caller takes the writer turn after it (`db.start_writing`)."""
    key = identifiers.key_of(user)
    await throttle.refuse_if_throttled(ctx, key, ip)
    await throttle.slow_down(ctx, key)
    if not await ctx.hasher.verify(user.password_hash, password):
        await throttle.count_failure(ctx, key, ip)
        raise ValidationFailed.field(
            field, "is not your current password", rule="password_mismatch"
        )
    await throttle.forget_failures(ctx, key, ip)


async def start_session(
    session: AsyncSession,
    ctx: AppContext,
    *,
    user: User,
    kind: Literal["api", "web"],
    ip: str | None,
    user_agent: str | None,
) -> Issued:
    """Open a sign-in: an API token pair, or a browser cookie."""
    now = clock.now()
    settings = ctx.settings
    if kind == "web":
        cookie_token = new_opaque_token()
        auth_session = AuthSession(
            user_id=user.id,
            kind="web",
            token_hash=token_digest(cookie_token),
            expires_at=now + timedelta(days=settings.web_session_days),
            last_seen_at=now,
            ip=ip,
            user_agent=(user_agent or "")[:300] or None,
        )
        session.add(auth_session)
        await session.flush()
        return Issued(user=user, session=auth_session, cookie_token=cookie_token)
    auth_session = AuthSession(
        user_id=user.id,
        kind="api",
        expires_at=now + timedelta(days=settings.refresh_token_days),
        last_seen_at=now,
        ip=ip,
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(auth_session)
    await session.flush()
    return await _issue_pair(session, ctx, user=user, auth_session=auth_session)


async def _issue_pair(
    session: AsyncSession, ctx: AppContext, *, user: User, auth_session: AuthSession
) -> Issued:
    now = clock.now()
    refresh = new_opaque_token()
    ttl = timedelta(days=ctx.settings.refresh_token_days)
    session.add(
        RefreshToken(
            session_id=auth_session.id,
            user_id=user.id,
            token_hash=token_digest(refresh),
            expires_at=now + ttl,
        )
    )
    # The family lives as long as its newest refresh token.
    auth_session.expires_at = now + ttl
    auth_session.last_seen_at = now
    await session.flush()
    access = issue_access_token(
        key=ctx.settings.signing_key,
        user_id=user.id,
        session_id=auth_session.id,
        now=now,
        ttl=timedelta(minutes=ctx.settings.access_token_minutes),
    )
    return Issued(user=user, session=auth_session, access_token=access, refresh_token=refresh)


async def refresh(
    session: AsyncSession, ctx: AppContext, *, refresh_token: str
) -> Issued | RefreshRejected:
    """Rotate a refresh token. A spent one is a sign of theft: the whole sign-in
    (every token of that login) is revoked and the caller is told 401."""
    now = clock.now()
    found = await repository.refresh_token_with_session(session, token_digest(refresh_token))
    if found is None:
        return RefreshRejected(BAD_REFRESH, family_revoked=False)
    token, auth_session, user = found
    if auth_session.revoked_at is not None:
        return RefreshRejected(BAD_REFRESH, family_revoked=False)
    if token.used_at is not None or not await repository.spend_refresh_token(
        session, token.id, now
    ):
        await repository.revoke_session(
            session, auth_session.id, now=now, reason="refresh token reuse"
        )
        return RefreshRejected(
            "This refresh token was already used. For your safety every token of this "
            "sign-in has been revoked; sign in again.",
            family_revoked=True,
        )
    if token.expires_at <= now:
        return RefreshRejected(BAD_REFRESH, family_revoked=False)
    if user.is_disabled:
        raise AccountDisabled(user.disabled_reason)
    return await _issue_pair(session, ctx, user=user, auth_session=auth_session)


async def logout_refresh_token(session: AsyncSession, *, refresh_token: str) -> None:
    """End the sign-in a refresh token belongs to. Unknown tokens are ignored."""
    found = await repository.refresh_token_with_session(session, token_digest(refresh_token))
    if found is not None:
        await repository.revoke_session(session, found[1].id, now=clock.now(), reason="logout")


async def end_session(session: AsyncSession, *, session_id: uuid.UUID) -> None:
    await repository.revoke_session(session, session_id, now=clock.now(), reason="logout")


# --- the account --------------------------------------------------------------------


CALENDAR_FIELDS = frozenset({"timezone", "day_start_hour", "week_start"})


async def update_profile(session: AsyncSession, *, user: User, changes: dict[str, Any]) -> User:
    """Apply validated profile changes. A new time zone never moves stored entries (D1.4):
    entries are keyed by local date, not by instant; what depends on "today" or on weeks
    follows by reacting to `UserSettingsChanged` (habits walk their histories again)."""
    changed = sorted(name for name, value in changes.items() if getattr(user, name) != value)
    for name, value in changes.items():
        setattr(user, name, value)
    await session.flush()
    if changed:
        await publish(
            session,
            user,
            [
                UserSettingsChanged(
                    changed=tuple(changed),
                    calendar_changed=any(name in CALENDAR_FIELDS for name in changed),
                )
            ],
        )
    return user


async def delete_account(
    session: AsyncSession, ctx: AppContext, *, user: User, password: str, ip: str
) -> None:
    """Delete the user and every row that belongs to them: their own rows go by
    cascade; rows of others that merely name them lose the reference."""
    await confirm_password(ctx, user=user, password=password, ip=ip)
    await db.start_writing(session)
    # Others' data the user shares in (a challenge they own) is handed on first.
    await publish(session, user, [AccountDeleting()])
    if user.email_key is not None:
        await repository.forget_invite_address(session, user.email_key, clock.now())
    await session.delete(user)
    await session.flush()


async def change_password(
    session: AsyncSession,
    ctx: AppContext,
    *,
    user: User,
    current_password: str,
    new_password: str,
    keep_session_id: uuid.UUID | None,
    ip: str,
) -> None:
    await confirm_password(
        ctx, user=user, password=current_password, ip=ip, field="current_password"
    )
    problem = password_problem(new_password, email=user.email)
    if problem:
        raise ValidationFailed.field("new_password", problem, rule="password_policy")
    password_hash = await ctx.hasher.hash(new_password)
    await db.start_writing(session)
    user.password_hash = password_hash
    # Every other sign-in ends: whoever knew the old password is out.
    for other in await repository.sessions_of(session, user.id):
        if other.id != keep_session_id and other.revoked_at is None:
            other.revoked_at = clock.now()
            other.revoked_reason = "password changed"
    await session.flush()


# --- password reset ---------------------------------------------------------------------

RESET_TOKEN_TTL = timedelta(hours=1)
# "Forgot my password" requests: per address asked about, and per client address.
RESET_REQUESTS_PER_ACCOUNT = Rate.parse("3/15minutes")
RESET_REQUESTS_PER_IP = Rate.parse("10/15minutes")
RESET_REQUESTED = "If an account exists for that address, we sent a link to reset its password."
RESET_LINK_INVALID = (
    "This reset link is not valid any more: it was used, replaced or has expired. "
    "Ask for a new one."
)


async def send_password_reset_link(
    session: AsyncSession, ctx: AppContext, *, user: User, reset: PasswordResetToken, link: str
) -> None:
    """Deliver a reset link to the user: by email when the server has SMTP settings,
    else kept for an administrator to see once (`reset_links`); never in the log."""
    await reset_links.deliver(session, ctx, user=user, reset=reset, link=link)


async def request_password_reset(
    session: AsyncSession, ctx: AppContext, *, email: str, ip: str
) -> None:
    """Send a one-hour, single-use link to reset the password of the account behind
    `email`, if there is one that may sign in. The caller answers the same whether or
    not it exists (RESET_REQUESTED). Throttled per address and per client address."""
    key = identifiers.key_of_text(email)
    if ctx.settings.rate_limit_enabled:
        for limit_key, rate in (
            ("reset:account:" + key, RESET_REQUESTS_PER_ACCOUNT),
            ("reset:ip:" + ip, RESET_REQUESTS_PER_IP),
        ):
            decision = await ctx.limiter.hit(limit_key, rate)
            if not decision.allowed:
                raise TooManyRequests(
                    decision.retry_after,
                    "Too many reset requests; "
                    f"try again in {throttle.minutes(decision.retry_after)}.",
                )
    user = await user_by_login(session, email) if key else None
    if user is None or user.is_disabled:
        return
    token = new_opaque_token()
    reset = PasswordResetToken(
        user_id=user.id,
        token_hash=token_digest(token),
        expires_at=clock.now() + RESET_TOKEN_TTL,
        ip=ip,
    )
    session.add(reset)
    await session.flush()
    link = f"{ctx.settings.base_url.rstrip('/')}/reset?token={token}"
    await send_password_reset_link(session, ctx, user=user, reset=reset, link=link)


async def password_reset_user(session: AsyncSession, *, token: str) -> User | None:
    """The user a reset link is for, while it is unused and unexpired; else None."""
    found = await repository.reset_token_with_user(session, token_digest(token)) if token else None
    if found is None:
        return None
    reset, user = found
    if reset.used_at is not None or reset.expires_at <= clock.now() or user.is_disabled:
        return None
    return user


async def reset_password(
    session: AsyncSession, ctx: AppContext, *, token: str, new_password: str
) -> User:
    """Set a new password through a reset link. The link is spent, and so is every
    other link of the user; every sign-in of the user ends (like disabling does), so
    whoever knew the old password is out. The new password is hashed before the writer
    turn is taken (issue 11, item 4)."""
    now = clock.now()
    found = await repository.reset_token_with_user(session, token_digest(token)) if token else None
    if found is None:
        raise ValidationFailed.field("token", RESET_LINK_INVALID, rule="reset_token")
    reset, user = found
    if reset.used_at is not None or reset.expires_at <= now or user.is_disabled:
        raise ValidationFailed.field("token", RESET_LINK_INVALID, rule="reset_token")
    problem = password_problem(new_password, email=user.email)
    if problem:
        raise ValidationFailed.field("new_password", problem, rule="password_policy")
    password_hash = await ctx.hasher.hash(new_password)
    await db.start_writing(session)
    # Two tabs submitting the same link: exactly one spends it.
    if not await repository.spend_reset_token(session, reset.id, now):
        raise ValidationFailed.field("token", RESET_LINK_INVALID, rule="reset_token")
    await repository.spend_reset_tokens_of(session, user.id, now)
    # Links kept for an administrator are spent too: nobody needs to see them any more.
    await repository.delete_reset_notices_of(session, user.id)
    user.password_hash = password_hash
    await repository.revoke_user_sessions(session, user.id, now=now, reason="password reset")
    await throttle.forget_failures(ctx, identifiers.key_of(user))
    await session.flush()
    return user


# --- web preferences ----------------------------------------------------------------------


async def mark_onboarded(session: AsyncSession, *, user: User) -> None:
    """Onboarding is done (finished or skipped): sign-ins stop offering it."""
    if user.onboarded_at is None:
        user.onboarded_at = clock.now()
        await session.flush()
