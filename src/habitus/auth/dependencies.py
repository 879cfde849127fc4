"""Who is asking: a Bearer token (API clients) or a session cookie (the web UI).

Both resolve to the same `Principal` with one query (the sign-in joined to its user),
or none while the process keeps that sign-in (issue 22, `signin_cache`); either way a
revoked sign-in or a disabled account is refused on the very next request.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Header, Request, params
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.auth import access_tokens, identifiers, repository
from habitus.auth.service import WEB_SESSION_TOUCH
from habitus.auth.signin_cache import SignInCache
from habitus.auth.tokens import InvalidToken, read_access_token, token_digest
from habitus.context import AppContext
from habitus.errors import AccountDisabled, Forbidden, TooManyRequests, Unauthorized
from habitus.http import idempotency
from habitus.http.dependencies import SESSION_COOKIE, Context, DbSession
from habitus.kit import clock, csrf
from habitus.models import AuthSession, User
from habitus.models.identity import PersonalAccessToken

bearer_scheme = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/token",
    auto_error=False,
    description="An access token from POST /api/v1/auth/login (or /auth/token).",
)


@dataclass(slots=True)
class Principal:
    """`session` is the sign-in (None for a personal access token: `token` instead)."""

    user: User
    session: AuthSession | None
    via: Literal["bearer", "cookie", "token"]
    token: PersonalAccessToken | None = None


@dataclass(frozen=True, slots=True)
class Viewer:
    """What pages show of the signed-in user, copied out of the ORM row.

    Pages read this, not the row: an error page is drawn after the request's
    transaction was rolled back, when the row's attributes are expired.
    """

    id: uuid.UUID
    email: str
    display_name: str | None
    timezone: str
    day_start_hour: int
    week_start: str
    is_admin: bool
    theme: str = "system"
    day_part: str | None = None
    onboarded: bool = True
    plan: str = "free"  # issue 21; shown only with HABITUS_PLANS=on

    @classmethod
    def of(cls, user: User) -> Viewer:
        return cls(
            id=user.id,
            email=identifiers.shown(user),  # a phone-only user (issue 20): the number
            display_name=user.display_name,
            timezone=user.timezone,
            day_start_hour=user.day_start_hour,
            week_start=user.week_start,
            is_admin=user.is_admin,
            theme=user.theme or "system",
            day_part=user.day_part,
            onboarded=user.onboarded_at is not None,
            plan=user.plan or "free",
        )


async def _signed_in(
    session: AsyncSession,
    cache: SignInCache | None,
    key: object,
    user_id: uuid.UUID | None,
    load: Callable[[], Awaitable[tuple[AuthSession, User] | None]],
) -> tuple[AuthSession, User] | None:
    """The sign-in and its user: from the process's cache while no revocation since
    (issue 22), else `load`ed (one query) and kept when the user is known beforehand."""
    if cache is None or not cache.enabled or user_id is None:
        return await load()
    versions = await cache.versions(user_id)  # before loading: see signin_cache
    entry = cache.get(key, versions)
    if entry is not None:
        return cache.attach(session, entry)
    found = await load()
    # Refusals are not kept: a disabled user or an ended sign-in is read each time.
    usable = found is not None and not found[1].is_disabled and found[0].revoked_at is None
    if found is not None and usable and versions is not None and found[1].id == user_id:
        cache.put(key, found[0], found[1], versions)
    return found


def _signin_cache(request: Request) -> SignInCache | None:
    cache: SignInCache | None = getattr(request.app.state, "signins", None)
    return cache


async def _from_bearer(
    session: AsyncSession, ctx: AppContext, token: str, cache: SignInCache | None = None
) -> Principal:
    try:
        claims = read_access_token(token, key=ctx.settings.signing_key, now=clock.now())
    except InvalidToken as error:
        raise Unauthorized(
            "The access token is invalid or has expired.", code="invalid-token"
        ) from error
    found = await _signed_in(
        session,
        cache,
        ("bearer", claims.session_id),
        claims.user_id,
        lambda: repository.session_with_user(
            session, session_id=claims.session_id, user_id=claims.user_id
        ),
    )
    if found is None:
        raise Unauthorized("The access token is invalid or has expired.", code="invalid-token")
    auth_session, user = found
    if user.is_disabled:
        raise AccountDisabled(user.disabled_reason)
    if auth_session.revoked_at is not None:
        raise Unauthorized("This sign-in has ended; sign in again.", code="session-revoked")
    return Principal(user=user, session=auth_session, via="bearer")


async def _from_cookie(
    session: AsyncSession, cookie: str, cache: SignInCache | None = None
) -> Principal | None:
    digest = token_digest(cookie)
    # A cookie names no user: its owner is learnt on its first lookup (it never
    # changes), and the sign-in is kept from the second on.
    owner = cache.owner_of(digest) if cache is not None else None
    found = await _signed_in(
        session,
        cache,
        ("cookie", digest),
        owner,
        lambda: repository.web_session_with_user(session, digest),
    )
    if found is None:
        return None
    if cache is not None and owner is None:
        cache.remember_owner(digest, found[1].id)
    auth_session, user = found
    if user.is_disabled:
        raise AccountDisabled(user.disabled_reason)
    now = clock.now()
    if auth_session.revoked_at is not None or auth_session.expires_at <= now:
        return None
    stale = auth_session.last_seen_at is None or now - auth_session.last_seen_at > WEB_SESSION_TOUCH
    # A request that checks a password first has not taken its writer turn yet: the touch
    # waits for the next request rather than make it write (and wait) in passing.
    if stale and not db.writes_deferred(session):
        auth_session.last_seen_at = now
    return Principal(user=user, session=auth_session, via="cookie")


async def get_principal(
    request: Request,
    session: DbSession,
    ctx: Context,
    token: Annotated[str | None, Depends(bearer_scheme)],
) -> Principal | None:
    """The caller, if any: Bearer first, then the browser's session cookie."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    principal = None
    if token and access_tokens.is_personal_token(token):
        # A personal access token (issue 20): looked up by its hash, not decoded.
        user, pat = await access_tokens.authenticate(
            session, token, method=request.method, path=request.url.path
        )
        principal = Principal(user=user, session=None, via="token", token=pat)
    elif token:
        principal = await _from_bearer(session, ctx, token, _signin_cache(request))
    elif cookie := request.cookies.get(SESSION_COOKIE):
        principal = await _from_cookie(session, cookie, _signin_cache(request))
        if principal is not None:
            request.state.web_session_id = principal.session and principal.session.id
            if request.url.path.startswith("/api/"):
                # Cookie-authenticated API calls (the web UI's own scripts) need the
                # CSRF header; Bearer calls cannot be forged by another site.
                csrf.verify(request, request.headers.get(csrf.HEADER))
    if principal is not None:
        request.state.principal = principal
        request.state.viewer = Viewer.of(principal.user)
        request.scope.setdefault("state", {})["user_id"] = str(principal.user.id)
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(get_principal)]


async def require_principal(
    request: Request, principal: OptionalPrincipal, ctx: Context
) -> Principal:
    if principal is None:
        raise Unauthorized()
    settings = ctx.settings
    if settings.rate_limit_enabled and request.url.path.startswith("/api/"):
        decision = await ctx.limiter.hit(f"user:{principal.user.id}", settings.rate_limit_user)
        if not decision.allowed:
            raise TooManyRequests(decision.retry_after)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(require_principal)]


async def get_current_user(principal: CurrentPrincipal) -> User:
    return principal.user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise Forbidden("This needs an administrator.", code="admin-only")
    return user


AdminUser = Annotated[User, Depends(get_admin)]


IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=idempotency.HEADER,
        description="Makes a retry of this POST safe: the first answer is replayed.",
        # Documented, and checked by `idempotency.validate_key` with a clearer message.
        json_schema_extra={"pattern": "^[!-~]{1,255}$"},
    ),
]


async def _idempotency_optional(
    request: Request, user: CurrentUser, key: IdempotencyKeyHeader = None
) -> None:
    await idempotency.guard(request, user.id, key, required=False)


async def _idempotency_required(
    request: Request, user: CurrentUser, key: IdempotencyKeyHeader = None
) -> None:
    await idempotency.guard(request, user.id, key, required=True)


async def _idempotency_required_at_end(
    request: Request, user: CurrentUser, key: IdempotencyKeyHeader = None
) -> None:
    await idempotency.guard(request, user.id, key, required=True, at_end=True)


def idempotent(*, required: bool = False, at_end: bool = False) -> params.Depends:
    """A route dependency for a signed-in user's POST: `dependencies=[idempotent()]`.
    With `required=True` a request without the header is refused (400). `at_end`
    (issue 22, with `required`): the key is claimed together with the answer, one
    statement fewer; only for handlers whose every effect is in the transaction
    (`http.idempotency`)."""
    guard: params.Depends
    if at_end:
        if not required:
            raise ValueError("at_end is for routes that require the key")
        guard = Depends(_idempotency_required_at_end)
    else:
        guard = Depends(_idempotency_required if required else _idempotency_optional)
    return guard
