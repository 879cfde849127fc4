"""Sign-in with an OpenID Connect provider (issue 20): Google, Authentik, Keycloak or
any issuer configured by HABITUS_OIDC_* (docs/OPERATIONS.md).

The authorization code flow with `state`, `nonce` and PKCE (S256), through Authlib's
client (its httpx one). Each sign-in in progress is an `OidcLogin` row: single use (it
is deleted when the provider sends the browser back, whatever happens next) and good for
LOGIN_TTL. The state is also bound to the browser that started (a cookie, checked by
`oidc_web`), so nobody can finish their own sign-in in someone else's browser.

The ID token is checked here, not trusted from the token endpoint's TLS alone: its
signature against the provider's published keys (JWKS, refetched once for an unknown
key id: providers rotate keys), `iss`, `aud` (and `azp` when several audiences), `exp`,
`iat` and the `nonce` sent.

Then (`resolve`):
- a known (issuer, subject) signs its user in;
- an unknown subject whose email belongs to an account is NOT signed in: the user
  proves that account (its password) before the identity is linked. Never on the email
  alone, whether or not the provider calls it verified: whoever runs an issuer, or an
  account at one that lets people type any address, must not get into someone's account;
- an unknown subject with no matching account makes a new account, when sign-ups are
  open and the provider says the address is verified (otherwise the account would hold
  an address nobody checked, and keep its owner from signing up).

Outbound calls go to the operator's configured issuer: not a user-supplied target, so
the reminders' SSRF guard (armed only around a send, `reminders.outbound`) does not
apply; a loopback issuer (tests, a provider on the same host) is allowed.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
import structlog
from authlib.integrations.httpx_client import AsyncOAuth2Client  # type: ignore[import-untyped]
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.auth import repository
from habitus.config import Settings
from habitus.context import AppContext
from habitus.errors import AccountDisabled, AppError, Conflict, NotFound, TooManyRequests
from habitus.kit import clock
from habitus.models import User
from habitus.models.identity import OidcIdentity, OidcLogin, Passkey

log = structlog.get_logger(__name__)

LOGIN_TTL = timedelta(minutes=10)
DISCOVERY_TTL_SECONDS = 3600.0
HTTP_TIMEOUT_SECONDS = 10.0
CLOCK_LEEWAY_SECONDS = 60
CALLBACK_PATH = "/auth/oidc/callback"
# The password of an account made through a provider: not an Argon2 hash, so no password
# ever matches it (`Hasher.verify` answers False) until the user sets one ("Forgot your
# password?" mails a link to the address the provider verified).
NO_PASSWORD = "!oidc"
SIGNING_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]


class OidcFailed(AppError):
    """The provider's answer cannot sign anyone in; the message says why, for the user."""

    status_code = 400
    code = "oidc-failed"


@dataclass(frozen=True, slots=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str | None
    name: str
    scopes: str
    redirect_uri: str


def provider_of(settings: Settings) -> Provider | None:
    """The configured provider, or None when single sign-on is off."""
    if not settings.oidc_issuer or not settings.oidc_client_id:
        return None
    return Provider(
        issuer=settings.oidc_issuer.rstrip("/"),
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret or None,
        name=settings.oidc_name,
        scopes=settings.oidc_scopes,
        redirect_uri=settings.base_url.rstrip("/") + CALLBACK_PATH,
    )


def issuer_problem(issuer: str) -> str | None:
    """Why an issuer URL cannot be used: https, or http on a loopback host only."""
    parts = urlsplit(issuer)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost", "::1"}:
        return None
    return "HABITUS_OIDC_ISSUER must be an https:// URL (http:// only on loopback)"


# --- the provider's metadata and keys -------------------------------------------------------

_metadata: dict[str, tuple[float, dict[str, Any]]] = {}
_keys: dict[str, tuple[float, KeySet]] = {}
_fetching = asyncio.Lock()


def _client(provider: Provider, **kwargs: Any) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        scope=provider.scopes,
        redirect_uri=provider.redirect_uri,
        code_challenge_method="S256",
        timeout=HTTP_TIMEOUT_SECONDS,
        token_endpoint_auth_method="client_secret_basic" if provider.client_secret else "none",
        **kwargs,
    )


async def _get_json(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as client:
        response = await client.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        body = response.json()
    if not isinstance(body, dict):
        raise ValueError(f"{url} did not answer a JSON object")
    return body


async def metadata(provider: Provider) -> dict[str, Any]:
    """{issuer}/.well-known/openid-configuration, kept DISCOVERY_TTL_SECONDS."""
    problem = issuer_problem(provider.issuer)
    if problem:
        raise OidcFailed(f"Single sign-on is misconfigured: {problem}.", status_code=503)
    cached = _metadata.get(provider.issuer)
    if cached and time.monotonic() - cached[0] < DISCOVERY_TTL_SECONDS:
        return cached[1]
    async with _fetching:
        try:
            found = await _get_json(provider.issuer + "/.well-known/openid-configuration")
        except (httpx.HTTPError, ValueError) as error:
            log.warning("oidc_discovery_failed", issuer=provider.issuer, error=str(error))
            raise _unreachable(provider) from error
        # OpenID Connect Discovery 1.0, 4.3: the document must name the issuer asked.
        if str(found.get("issuer", "")).rstrip("/") != provider.issuer:
            log.warning("oidc_issuer_mismatch", issuer=provider.issuer, said=found.get("issuer"))
            raise _unreachable(provider)
        for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(found.get(needed), str):
                raise _unreachable(provider)
        _metadata[provider.issuer] = (time.monotonic(), found)
        return found


async def _key_set(provider: Provider, *, fresh: bool = False) -> KeySet:
    cached = _keys.get(provider.issuer)
    if cached and not fresh and time.monotonic() - cached[0] < DISCOVERY_TTL_SECONDS:
        return cached[1]
    meta = await metadata(provider)
    try:
        keys = KeySet.import_key_set(await _get_json(meta["jwks_uri"]))  # type: ignore[arg-type]
    except (httpx.HTTPError, ValueError, JoseError) as error:
        log.warning("oidc_jwks_failed", issuer=provider.issuer, error=str(error))
        raise _unreachable(provider) from error
    _keys[provider.issuer] = (time.monotonic(), keys)
    return keys


def forget_provider_cache() -> None:
    """Drop the cached metadata and keys (tests start each provider afresh)."""
    _metadata.clear()
    _keys.clear()


def _unreachable(provider: Provider) -> OidcFailed:
    return OidcFailed(
        f"{provider.name} cannot be reached right now; try again later or sign in "
        "with your password.",
        status_code=502,
    )


# --- the flow ---------------------------------------------------------------------------------


async def begin(session: AsyncSession, provider: Provider, *, next_path: str) -> tuple[str, str]:
    """Start a sign-in: (the provider's authorization URL, the state to bind to the
    browser). The state, nonce and PKCE verifier are kept in an `OidcLogin` row."""
    meta = await metadata(provider)
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(72)  # 96 characters; RFC 7636 asks 43..128
    await db.start_writing(session)
    session.add(
        OidcLogin(
            state=state,
            nonce=nonce,
            code_verifier=verifier,
            next_path=next_path[:500],
            expires_at=clock.now() + LOGIN_TTL,
        )
    )
    await session.flush()
    async with _client(provider) as client:
        url, _ = client.create_authorization_url(
            meta["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce
        )
    return url, state


@dataclass(frozen=True, slots=True)
class Claims:
    """What the provider said about the person, from a checked ID token."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None


@dataclass(frozen=True, slots=True)
class Finished:
    claims: Claims
    next_path: str


async def finish(session: AsyncSession, provider: Provider, *, state: str, code: str) -> Finished:
    """The provider sent the browser back with `code`: spend the sign-in of `state`
    (single use, even when what follows fails), trade the code for tokens with the PKCE
    verifier, and check the ID token."""
    now = clock.now()
    login = await session.scalar(
        select(OidcLogin).where(OidcLogin.state == state, OidcLogin.pending.is_(None))
    )
    if login is None:
        raise OidcFailed("This sign-in link was already used or is unknown; start again.")
    await db.start_writing(session)
    spent = await session.execute(delete(OidcLogin).where(OidcLogin.id == login.id))
    if db.rowcount(spent) != 1:  # two tabs with the same answer: one goes on
        raise OidcFailed("This sign-in link was already used or is unknown; start again.")
    if login.expires_at <= now:
        raise OidcFailed("This sign-in took too long; start again.")
    meta = await metadata(provider)
    try:
        async with _client(provider) as client:
            token = await client.fetch_token(
                meta["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=login.code_verifier,
            )
    except Exception as error:  # Authlib raises OAuthError, httpx its own; both alike
        log.warning("oidc_token_failed", issuer=provider.issuer, error=str(error))
        raise OidcFailed(
            f"{provider.name} did not accept this sign-in; start again.", status_code=502
        ) from error
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise OidcFailed(f"{provider.name} sent no ID token; start again.", status_code=502)
    claims = await _checked_claims(provider, id_token, nonce=login.nonce)
    return Finished(claims=claims, next_path=login.next_path or "/")


async def _checked_claims(provider: Provider, id_token: str, *, nonce: str) -> Claims:
    try:
        keys = await _key_set(provider)
        try:
            decoded = jwt.decode(id_token, keys, algorithms=SIGNING_ALGORITHMS)
        except InvalidKeyIdError:  # keys rotated since we fetched them
            decoded = jwt.decode(
                id_token, await _key_set(provider, fresh=True), algorithms=SIGNING_ALGORITHMS
            )
        jwt.JWTClaimsRegistry(
            now=lambda: int(clock.now().timestamp()),
            leeway=CLOCK_LEEWAY_SECONDS,
            iss={"essential": True, "value": provider.issuer},
            aud={"essential": True, "value": provider.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(decoded.claims)
    except JoseError as error:
        log.warning("oidc_id_token_refused", issuer=provider.issuer, error=str(error))
        raise OidcFailed(
            f"The answer from {provider.name} could not be verified; start again."
        ) from error
    claims = decoded.claims
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != provider.client_id:
        raise OidcFailed(f"The answer from {provider.name} was meant for another application.")
    email = claims.get("email")
    verified = claims.get("email_verified")
    name = str(claims.get("name") or "").strip()
    return Claims(
        issuer=provider.issuer,
        subject=str(claims["sub"])[:255],
        email=email.strip() if isinstance(email, str) and "@" in email else None,
        # Some providers send "true" as a string.
        email_verified=verified is True or verified == "true",
        name=name[:100] or None,
    )


# --- who it is --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a checked answer leads to: sign `user` in, or ask for the password of the
    account `user` (kind "link"; `link_state` names the waiting `OidcLogin`)."""

    kind: Literal["signed_in", "created", "linked", "link"]
    user: User
    link_state: str | None = None


async def resolve(
    session: AsyncSession,
    ctx: AppContext,
    provider: Provider,
    claims: Claims,
    *,
    signed_in: User | None,
    ip: str,
) -> Outcome:
    """Who the checked `claims` are (the module's docstring has the rules). `signed_in`:
    the user of this browser's session, linking from Settings."""
    await db.start_writing(session)
    identity = await identity_of(session, claims.issuer, claims.subject)
    if identity is not None:
        user = await repository.user_by_id(session, identity.user_id)
        assert user is not None  # the foreign key cascades
        if signed_in is not None and signed_in.id != user.id:
            raise OidcFailed(
                f"This {provider.name} account is already linked to another Habitus account."
            )
        if user.is_disabled:
            raise AccountDisabled(user.disabled_reason)
        identity.last_used_at = clock.now()
        identity.email = claims.email
        user.last_login_at = clock.now()
        await session.flush()
        return Outcome("signed_in", user)
    if signed_in is not None:
        # The browser's own session proves the account; the state cookie proves the
        # browser started this sign-in.
        await _link(session, signed_in, claims)
        return Outcome("linked", signed_in)
    existing = await repository.user_by_email(session, claims.email) if claims.email else None
    if existing is not None:
        if existing.is_disabled:
            raise AccountDisabled(existing.disabled_reason)
        return Outcome("link", existing, link_state=await _wait_for_link(session, existing, claims))
    return Outcome("created", await _new_account(session, ctx, provider, claims, ip=ip))


async def identity_of(session: AsyncSession, issuer: str, subject: str) -> OidcIdentity | None:
    found: OidcIdentity | None = await session.scalar(
        select(OidcIdentity).where(OidcIdentity.issuer == issuer, OidcIdentity.subject == subject)
    )
    return found


async def _link(session: AsyncSession, user: User, claims: Claims) -> OidcIdentity:
    identity = OidcIdentity(
        user_id=user.id,
        issuer=claims.issuer,
        subject=claims.subject,
        email=claims.email,
        last_used_at=clock.now(),
    )
    session.add(identity)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:  # linked by a concurrent request meanwhile
        raise OidcFailed("This account was linked meanwhile; sign in again.") from error
    return identity


async def _wait_for_link(session: AsyncSession, user: User, claims: Claims) -> str:
    """Keep the checked identity for LOGIN_TTL under a new state, until the user proves
    the account's password (`link_with_password`)."""
    state = secrets.token_urlsafe(32)
    session.add(
        OidcLogin(
            state=state,
            nonce="-",
            code_verifier="-",
            expires_at=clock.now() + LOGIN_TTL,
            pending={
                "user_id": str(user.id),
                "issuer": claims.issuer,
                "subject": claims.subject,
                "email": claims.email,
            },
        )
    )
    await session.flush()
    return state


async def _new_account(
    session: AsyncSession, ctx: AppContext, provider: Provider, claims: Claims, *, ip: str
) -> User:
    settings = ctx.settings
    if settings.registration != "open":
        raise OidcFailed(
            f"There is no Habitus account for this {provider.name} account, and sign-up on "
            "this server is "
            + (
                "by invite only: sign up with your invite link first, then link it in Settings."
                if settings.registration == "invite"
                else "closed."
            ),
            status_code=403,
        )
    if not claims.email or not claims.email_verified:
        raise OidcFailed(
            f"{provider.name} did not confirm an email address for this account, which a new "
            "Habitus account needs. Sign up with your email instead; you can link "
            f"{provider.name} in Settings afterwards.",
            status_code=403,
        )
    if settings.rate_limit_enabled:
        decision = await ctx.limiter.hit("register:ip:" + ip, settings.registrations_per_ip)
        if not decision.allowed:
            raise TooManyRequests(decision.retry_after, "Too many sign-ups from your network.")
    user = User(
        email=claims.email,
        email_key=repository.email_key(claims.email),
        password_hash=NO_PASSWORD,
        display_name=claims.name,
        timezone="UTC",
        theme="system",
        last_login_at=clock.now(),
    )
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:  # the same address signed up meanwhile
        raise OidcFailed("An account with this address was just made; sign in again.") from error
    await _link(session, user, claims)
    return user


# --- linking an existing account ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PendingLink:
    login: OidcLogin
    user: User
    email: str | None


async def pending_link(session: AsyncSession, state: str | None) -> PendingLink | None:
    """The identity waiting for the password of an account, while fresh."""
    if not state:
        return None
    login = await session.scalar(
        select(OidcLogin).where(OidcLogin.state == state, OidcLogin.pending.is_not(None))
    )
    if login is None or login.pending is None or login.expires_at <= clock.now():
        return None
    try:
        user = await repository.user_by_id(session, uuid.UUID(login.pending["user_id"]))
    except (KeyError, ValueError):
        return None
    if user is None:
        return None
    return PendingLink(login=login, user=user, email=login.pending.get("email"))


async def complete_link(session: AsyncSession, pending: PendingLink) -> User:
    """Link the waiting identity to its account (its password was just proved) and spend
    the waiting row: single use."""
    if pending.user.is_disabled:
        raise AccountDisabled(pending.user.disabled_reason)
    await db.start_writing(session)
    spent = await session.execute(delete(OidcLogin).where(OidcLogin.id == pending.login.id))
    if db.rowcount(spent) != 1 or pending.login.pending is None:
        raise OidcFailed("This link was already used; sign in again.")
    data = pending.login.pending
    claims = Claims(
        issuer=data["issuer"],
        subject=data["subject"],
        email=data.get("email"),
        email_verified=False,
        name=None,
    )
    if await identity_of(session, claims.issuer, claims.subject) is None:
        await _link(session, pending.user, claims)
    pending.user.last_login_at = clock.now()
    await session.flush()
    return pending.user


# --- Settings: linked identities ------------------------------------------------------------------


async def identities_of(session: AsyncSession, user_id: uuid.UUID) -> list[OidcIdentity]:
    rows = await session.scalars(
        select(OidcIdentity)
        .where(OidcIdentity.user_id == user_id)
        .order_by(OidcIdentity.created_at, OidcIdentity.id)
    )
    return list(rows)


def has_password(user: User) -> bool:
    return not user.password_hash.startswith("!")


async def unlink(session: AsyncSession, *, user: User, identity_id: uuid.UUID) -> None:
    """Remove a linked identity, unless it is the account's last way to sign in (no
    password, no passkey, no other identity): the user would be locked out."""
    identity = await session.get(OidcIdentity, identity_id)
    if identity is None or identity.user_id != user.id:
        raise NotFound("No such linked sign-in.")
    others = await session.scalar(
        select(func.count())
        .select_from(OidcIdentity)
        .where(OidcIdentity.user_id == user.id, OidcIdentity.id != identity.id)
    )
    passkeys = await session.scalar(
        select(func.count()).select_from(Passkey).where(Passkey.user_id == user.id)
    )
    if not has_password(user) and not others and not passkeys:
        raise Conflict(
            "This is how you sign in: set a password first (Forgot your password? on the "
            "sign-in page mails you a link), then unlink it.",
            code="last-sign-in",
        )
    await db.start_writing(session)
    await session.delete(identity)
    await session.flush()


async def export_of(session: AsyncSession, user_id: uuid.UUID) -> list[dict[str, object]]:
    """The account export's `sign_ins`: each linked identity (issuer, subject, the
    address the provider gave, dates)."""
    return [
        {
            "issuer": row.issuer,
            "subject": row.subject,
            "email": row.email,
            "created_at": row.created_at,
            "last_used_at": row.last_used_at,
        }
        for row in await identities_of(session, user_id)
    ]
