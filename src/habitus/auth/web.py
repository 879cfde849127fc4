"""Sign-in, sign-up and sign-out pages (cookie sessions, CSRF on every form)."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.auth import form_words, identifiers, service, sms, verification, verification_api
from habitus.auth.account_web import router as account_router
from habitus.auth.pages import CsrfChecked, Form, MaybePageUser
from habitus.auth.schemas import RegisterIn
from habitus.context import AppContext
from habitus.errors import AccountDisabled, AppError, TooManyRequests
from habitus.http.dependencies import SESSION_COOKIE, Context, DbSession, client_address
from habitus.http.routing import TransactionalRoute
from habitus.kit import flash
from habitus.kit.forms import form_errors
from habitus.kit.templating import render
from habitus.models import User

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)
# Onboarding and settings live next door; main.py registers this router only.
router.include_router(account_router)
# Where a sign-in lands when it was not sent from a particular page.
DEFAULT_LANDINGS = frozenset({"/", "/today"})


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def landing_for(user: User, target: str) -> str:
    """After signing in: a user who has not been through onboarding goes there first,
    unless they came for a particular page (a link they followed)."""
    if user.onboarded_at is None and target in DEFAULT_LANDINGS:
        return "/onboarding"
    return target


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.web_session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.https or request.url.scheme == "https",
        path="/",
    )


async def sign_in_browser(
    request: Request, session: AsyncSession, ctx: AppContext, user: User, target: str
) -> Response:
    """Start a web session for `user` (password, passkey, code or single sign-on: every
    way in ends here) and send the browser on to `target` with its cookie."""
    issued = await service.start_session(
        session,
        ctx,
        user=user,
        kind="web",
        ip=client_address(request),
        user_agent=request.headers.get("user-agent"),
    )
    response = RedirectResponse(landing_for(user, target), status_code=303)
    assert issued.cookie_token is not None
    set_session_cookie(response, request, issued.cookie_token)
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, principal: MaybePageUser, next: str = "/") -> Response:
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "auth/login.html", {"next": safe_next(next), "email": ""})


# The forms that check or hash a password take their writer turn only after it (the
# services call `db.start_writing`): issue 11, item 4.
@router.post("/login", response_class=HTMLResponse)
@db.prepares_before_writing
async def login_submit(request: Request, form: Form, session: DbSession, ctx: Context) -> Response:
    email = form.get("email", "").strip()
    target = safe_next(form.get("next"))
    context: dict[str, object] = {"next": target, "email": email, "errors": {}}
    # Every empty field says so at once; nothing is looked up (or counted as a failed
    # sign-in) until both are filled in.
    missing = {
        name: message
        for name, message in (
            ("email", form_words.NO_EMAIL if not email else None),
            ("password", form_words.NO_PASSWORD if not form.get("password") else None),
        )
        if message
    }
    if missing:
        return render(request, "auth/login.html", {**context, "errors": missing}, status_code=422)
    try:
        user = await service.authenticate(
            session, ctx, email=email, password=form.get("password", ""), ip=client_address(request)
        )
    except AccountDisabled as error:
        return render(request, "auth/login.html", {**context, "disabled": error}, status_code=403)
    except TooManyRequests as error:
        return render(
            request,
            "auth/login.html",
            {**context, "error": error.message},
            status_code=429,
            headers=error.headers,
        )
    except AppError as error:
        return render(
            request, "auth/login.html", {**context, "error": error.message}, status_code=401
        )
    response = await sign_in_browser(request, session, ctx, user, target)
    return response


def acquisition_source(value: str | None) -> str | None:
    """A `?ref=` or `utm_source` as the sign-up records it: trimmed to 64 printable
    characters, None when there is none (issue 21)."""
    cleaned = "".join(ch for ch in (value or "") if ch.isprintable()).strip()[:64]
    return cleaned or None


@router.get("/register", response_class=HTMLResponse)
async def register_page(
    request: Request,
    principal: MaybePageUser,
    session: DbSession,
    invite: str | None = None,
    ref: str | None = None,
    utm_source: str | None = None,
) -> Response:
    if principal is not None:
        return RedirectResponse("/", status_code=303)
    errors: dict[str, str] = {}
    if invite and request.app.state.settings.registration == "invite":
        problem = await service.invite_problem(session, invite)
        if problem:
            errors["invite_token"] = problem
    return render(
        request,
        "auth/register.html",
        {
            "values": {},
            "invite": invite,
            "errors": errors,
            "invite_unusable": bool(errors),
            # Issue 21: the acquisition source rides along in the form.
            "ref": acquisition_source(ref or utm_source),
        },
    )


@router.post("/register", response_class=HTMLResponse)
@db.prepares_before_writing
async def register_submit(
    request: Request, form: Form, session: DbSession, ctx: Context
) -> Response:
    values = {
        name: form.get(name, "").strip()
        for name in ("email", "display_name", "timezone", "invite_token")
    }
    invite = values.pop("invite_token") or None
    ref = acquisition_source(form.get("ref"))
    password = form.get("password", "")
    # Every field's problem at once (issue 13): the form's own checks, the input model's
    # and the password rules, before the service (which stops at its first).
    errors: dict[str, str] = {}
    if not values["email"]:
        errors["email"] = form_words.NO_EMAIL
    body: RegisterIn | None = None
    # "Email or phone" (issue 20): a number goes in `phone`; its errors show on the field.
    by_phone = identifiers.looks_like_phone(values["email"])
    try:
        body = RegisterIn(
            email=None if by_phone else values["email"] or None,
            phone=values["email"] if by_phone else None,
            password=password,
            display_name=values["display_name"] or None,
            timezone=values["timezone"] or "UTC",
            invite_token=invite,
            ref=ref,
        )
    except ValidationError as error:
        for name, message in form_errors(error, wording=form_words.wording).items():
            errors.setdefault("email" if name == "phone" else name, message)
    if weak := form_words.password_error(password, values["email"] or None):
        errors.setdefault("password", weak)
    if errors or body is None:
        return render(
            request,
            "auth/register.html",
            {"values": values, "invite": invite, "errors": errors, "ref": ref},
            status_code=422,
        )
    try:
        outcome = await verification_api.begin_sign_up(body, session, ctx, client_address(request))
    except TooManyRequests as error:
        return render(
            request,
            "auth/register.html",
            {"values": values, "invite": invite, "errors": {"form": error.message}, "ref": ref},
            status_code=429,
            headers=error.headers,
        )
    except AppError as error:
        errors = form_errors(error, wording=form_words.wording)
        if "phone" in errors:
            errors.setdefault("email", errors.pop("phone"))
    else:
        if isinstance(outcome, verification.Started):  # the code page (verification_web)
            return RedirectResponse(f"/register/verify?id={outcome.id}", status_code=303)
        user = outcome
        response = await sign_in_browser(request, session, ctx, user, "/")
        flash.show(response, request, "Welcome to Habitus! Let's set up your day.", "success")
        return response
    return render(
        request,
        "auth/register.html",
        {"values": values, "invite": invite, "errors": errors, "ref": ref},
        status_code=422,
    )


@router.post("/logout", dependencies=[CsrfChecked])
async def logout(request: Request, principal: MaybePageUser, session: DbSession) -> Response:
    if principal is not None and principal.session is not None:
        await service.end_session(session, session_id=principal.session.id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    flash.show(response, request, "You have signed out.", "info")
    return response


# --- password reset ---------------------------------------------------------------------


@router.get("/forgot", response_class=HTMLResponse)
async def forgot_page(request: Request) -> Response:
    return render(request, "auth/forgot.html", {"email": "", "errors": {}})


@router.post("/forgot", response_class=HTMLResponse)
async def forgot_submit(request: Request, form: Form, session: DbSession, ctx: Context) -> Response:
    email = form.get("email", "").strip()
    by_phone = identifiers.looks_like_phone(email)
    phone = identifiers.e164(email) if by_phone else None
    if problem := (
        (None if phone else identifiers.PHONE_RULE) if by_phone else form_words.email_words(email)
    ):
        errors = {"email": problem}
        return render(
            request, "auth/forgot.html", {"email": email, "errors": errors}, status_code=422
        )
    try:
        if phone is not None and sms.available(ctx.settings):
            # A code by SMS (issue 20), entered on the next page, whether or not the
            # number has an account; without an SMS gateway the administrator passes on a
            # link, as for an address without SMTP.
            started = await verification.start_phone_reset(
                session, ctx, phone=phone, ip=client_address(request)
            )
            return RedirectResponse(f"/reset/code?id={started.id}", status_code=303)
        await service.request_password_reset(session, ctx, email=email, ip=client_address(request))
    except TooManyRequests as error:
        return render(
            request,
            "auth/forgot.html",
            {"email": email, "errors": {"form": error.message}},
            status_code=429,
            headers=error.headers,
        )
    # The same answer whether or not the address has an account.
    response = RedirectResponse("/login", status_code=303)
    flash.show(response, request, service.RESET_REQUESTED, "info")
    return response


@router.get("/reset", response_class=HTMLResponse)
async def reset_page(request: Request, session: DbSession, token: str = "") -> Response:
    user = await service.password_reset_user(session, token=token)
    if user is None:
        return render(
            request, "auth/reset.html", {"link_invalid": True, "token": ""}, status_code=400
        )
    return render(request, "auth/reset.html", {"token": token, "errors": {}, "email": user.email})


@router.post("/reset", response_class=HTMLResponse)
@db.prepares_before_writing
async def reset_submit(request: Request, form: Form, session: DbSession, ctx: Context) -> Response:
    token = form.get("token", "")
    try:
        user = await service.reset_password(
            session, ctx, token=token, new_password=form.get("new_password", "")
        )
    except AppError as error:
        by_field = form_errors(error.errors, wording=form_words.wording)
        if "token" in by_field:
            return render(
                request, "auth/reset.html", {"link_invalid": True, "token": ""}, status_code=400
            )
        found = await service.password_reset_user(session, token=token)
        return render(
            request,
            "auth/reset.html",
            {"token": token, "errors": by_field, "email": found.email if found else ""},
            status_code=error.status_code,
        )
    # Every sign-in of the account ended; this browser starts a fresh one.
    response = await sign_in_browser(request, session, ctx, user, "/today")
    flash.show(
        response,
        request,
        "Your password is changed. Every other sign-in of your account has ended.",
        "success",
    )
    return response
