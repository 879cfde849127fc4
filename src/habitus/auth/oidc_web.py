"""Pages of single sign-on (issue 20): the login page's "Sign in with <name>" button
posts to /auth/oidc/start; the provider sends the browser back to /auth/oidc/callback;
an account that exists already is linked on /auth/oidc/link once its password is given;
Settings → Sign-in methods (/settings/sign-ins) lists linked identities and unlinks them.
The rules live in `auth.oidc`.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from habitus import db
from habitus.auth import oidc, service
from habitus.auth.pages import Form, MaybePageUser, PageUser
from habitus.auth.web import safe_next, sign_in_browser
from habitus.errors import AccountDisabled, AppError, NotFound
from habitus.http.dependencies import Context, DbSession, client_address
from habitus.http.routing import TransactionalRoute
from habitus.kit import flash
from habitus.kit.forms import form_errors
from habitus.kit.rates import Rate
from habitus.kit.templating import render
from habitus.models import User

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

# The state of a sign-in started in this browser, and the identity waiting to be linked.
STATE_COOKIE = "habitus_oidc_state"
LINK_COOKIE = "habitus_oidc_link"
COOKIE_PATH = "/auth/oidc"
SIGN_INS_PAGE = "/settings/sign-ins"
# Each start writes a row (swept when expired): one address cannot fill the table.
STARTS_PER_IP = Rate.parse("30/10minutes")


def _provider(request: Request) -> oidc.Provider:
    provider = oidc.provider_of(request.app.state.settings)
    if provider is None:
        raise NotFound("Single sign-on is not set up on this server.")
    return provider


def _set_cookie(response: Response, request: Request, name: str, value: str) -> None:
    settings = request.app.state.settings
    response.set_cookie(
        name,
        value,
        max_age=int(oidc.LOGIN_TTL.total_seconds()),
        httponly=True,
        # Lax: sent on the provider's top-level redirect back to us, not on other sites'
        # posts or embedded requests.
        samesite="lax",
        secure=settings.https or request.url.scheme == "https",
        path=COOKIE_PATH,
    )


def _login_error(
    request: Request, error: AppError, *, next_path: str = "/", status_code: int | None = None
) -> Response:
    context: dict[str, Any] = {"next": next_path, "email": "", "errors": {}}
    if isinstance(error, AccountDisabled):
        context["disabled"] = error
    else:
        context["error"] = error.message
    response = render(
        request,
        "auth/login.html",
        context,
        status_code=status_code or error.status_code,
        headers=error.headers,  # Retry-After of a 429
    )
    response.delete_cookie(STATE_COOKIE, path=COOKIE_PATH)
    return response


@router.get("/auth/oidc/start")
async def start(request: Request, session: DbSession, ctx: Context, next: str = "/") -> Response:
    """Send the browser to the provider. A link, not a form: the page's CSP allows forms
    to post to this site only (`form-action 'self'`), and browsers hold a form's redirect
    to the provider to it. Starting is harmless to force on someone: the answer can only
    be finished in the browser that holds the state cookie, as whoever is signed in at
    the provider there."""
    provider = _provider(request)
    next_path = safe_next(next)
    try:
        await ctx.check_rate(
            "oidc:start:ip:" + client_address(request),
            STARTS_PER_IP,
            "Too many sign-ins started from your network; try again in a few minutes.",
        )
        url, state = await oidc.begin(session, provider, next_path=next_path)
    except AppError as error:
        return _login_error(request, error, next_path=next_path)
    response = RedirectResponse(url, status_code=303)
    _set_cookie(response, request, STATE_COOKIE, state)
    return response


@router.get(oidc.CALLBACK_PATH, response_class=HTMLResponse)
async def callback(
    request: Request,
    principal: MaybePageUser,
    session: DbSession,
    ctx: Context,
    state: str = "",
    code: str = "",
    error: str = "",
) -> Response:
    """The provider's answer. Whatever happens, the sign-in of `state` is spent (the
    error answers keep that write: `db.keep_writes_on_error`)."""
    provider = _provider(request)
    started_here = request.cookies.get(STATE_COOKIE, "")
    if not state or not started_here or not secrets.compare_digest(started_here, state):
        return _login_error(
            request,
            oidc.OidcFailed(
                "This sign-in was not started in this browser, or took too long; start again."
            ),
        )
    if error or not code:
        return _login_error(
            request, oidc.OidcFailed(f"Signing in with {provider.name} was cancelled.")
        )
    signed_in = principal.user if principal is not None and principal.via == "cookie" else None
    try:
        finished = await oidc.finish(session, provider, state=state, code=code)
        # A failure below undoes its own writes but not the spent state above.
        async with session.begin_nested():
            outcome = await oidc.resolve(
                session,
                ctx,
                provider,
                finished.claims,
                signed_in=signed_in,
                ip=client_address(request),
            )
    except AppError as failure:
        db.keep_writes_on_error(request)
        return _login_error(request, failure)
    response: Response
    if outcome.kind == "link":
        assert outcome.link_state is not None
        response = RedirectResponse("/auth/oidc/link", status_code=303)
        _set_cookie(response, request, LINK_COOKIE, outcome.link_state)
    elif outcome.kind == "linked":
        response = RedirectResponse(SIGN_INS_PAGE, status_code=303)
        flash.show(response, request, f"Your {provider.name} sign-in is linked.", "success")
    else:
        response = await _signed_in(request, session, ctx, outcome.user, finished.next_path)
        if outcome.kind == "created":
            flash.show(response, request, "Welcome to Habitus! Let's set up your day.", "success")
    response.delete_cookie(STATE_COOKIE, path=COOKIE_PATH)
    return response


async def _signed_in(
    request: Request, session: DbSession, ctx: Context, user: User, target: str | None
) -> Response:
    return await sign_in_browser(request, session, ctx, user, safe_next(target))


def _link_page(
    request: Request, pending: oidc.PendingLink, provider: oidc.Provider, **extra: Any
) -> Response:
    status_code = extra.pop("status_code", 200)
    context = {"provider": provider, "email": pending.email, "errors": {}, **extra}
    return render(request, "auth/oidc_link.html", context, status_code=status_code)


def _link_expired(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(LINK_COOKIE, path=COOKIE_PATH)
    flash.show(response, request, "That sign-in took too long; start again.", "info")
    return response


@router.get("/auth/oidc/link", response_class=HTMLResponse)
async def link_page(request: Request, session: DbSession) -> Response:
    provider = _provider(request)
    pending = await oidc.pending_link(session, request.cookies.get(LINK_COOKIE))
    if pending is None:
        return _link_expired(request)
    return _link_page(request, pending, provider)


@router.post("/auth/oidc/link", response_class=HTMLResponse)
@db.prepares_before_writing
async def link_submit(request: Request, form: Form, session: DbSession, ctx: Context) -> Response:
    """Prove the account with its password, then link the identity and sign in."""
    provider = _provider(request)
    pending = await oidc.pending_link(session, request.cookies.get(LINK_COOKIE))
    if pending is None:
        return _link_expired(request)
    password = form.get("password", "")
    if not password:
        errors = {"password": "enter the password of your Habitus account"}
        return _link_page(request, pending, provider, errors=errors, status_code=422)
    try:
        if pending.user.is_disabled:
            raise AccountDisabled(pending.user.disabled_reason)
        await service.confirm_password(
            ctx, user=pending.user, password=password, ip=client_address(request)
        )
        user = await oidc.complete_link(session, pending)
    except AccountDisabled as refused:
        return _login_error(request, refused)
    except AppError as failure:
        errors = form_errors(failure, fallback="password")
        return _link_page(
            request, pending, provider, errors=errors, status_code=failure.status_code
        )
    response = await _signed_in(request, session, ctx, user, "/")
    response.delete_cookie(LINK_COOKIE, path=COOKIE_PATH)
    flash.show(response, request, f"Your {provider.name} sign-in is linked.", "success")
    return response


# --- Settings → Sign-in methods ------------------------------------------------------------------


async def _sign_ins_page(
    request: Request,
    session: DbSession,
    user: User,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "provider": oidc.provider_of(request.app.state.settings),
        "identities": await oidc.identities_of(session, user.id),
        "has_password": oidc.has_password(user),
        "error": error,
    }
    return render(request, "account/sign_ins.html", context, status_code=status_code)


@router.get(SIGN_INS_PAGE, response_class=HTMLResponse)
async def sign_ins_page(request: Request, user: PageUser, session: DbSession) -> Response:
    return await _sign_ins_page(request, session, user)


@router.post(SIGN_INS_PAGE + "/{identity_id}/unlink", response_class=HTMLResponse)
async def unlink(
    request: Request, identity_id: uuid.UUID, user: PageUser, form: Form, session: DbSession
) -> Response:
    del form  # the CSRF check is the point
    try:
        await oidc.unlink(session, user=user, identity_id=identity_id)
    except AppError as failure:
        if failure.status_code == 404:
            raise
        return await _sign_ins_page(
            request, session, user, error=failure.message, status_code=failure.status_code
        )
    response = RedirectResponse(SIGN_INS_PAGE, status_code=303)
    flash.show(response, request, "The sign-in is unlinked.", "success")
    return response
