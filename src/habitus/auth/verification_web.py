"""Pages of one-time codes (issue 20): "Enter the code we sent to ..." after signing up
and after asking for a password reset by phone, with a resend button; and Settings →
Change email, whose code step is on the same page. Plain POST forms with CSRF: all of
it works without JavaScript (js/verification.js only counts the resend wait down)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from habitus import db
from habitus.auth import form_words, identifiers, identity_mail, verification
from habitus.auth.pages import Form, MaybePageUser, PageUser
from habitus.auth.web import sign_in_browser
from habitus.errors import AppError
from habitus.http.dependencies import Context, DbSession, client_address
from habitus.http.routing import TransactionalRoute
from habitus.kit import clock, flash
from habitus.kit.forms import form_errors
from habitus.kit.templating import render
from habitus.models import User

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

CODE_PAGE = "auth/verify_code.html"
EMAIL_PAGE = "account/email_change.html"
NEW_CODE_SENT = "A new code is on its way."


def _id(text: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(text or "")
    except ValueError:
        return None


async def _code_page(
    request: Request,
    session: DbSession,
    *,
    kind: verification.Purpose,
    verification_id: uuid.UUID | None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The code form, or "start again" when the attempt is over (expired, used up)."""
    started = (
        await verification.pending(session, verification_id, kind) if verification_id else None
    )
    context: dict[str, Any] = {"kind": kind, "errors": errors or {}, "expired": started is None}
    if started is not None:
        context.update(
            verification_id=started.id,
            target=await verification.target_of(session, started.id),
            channel=started.channel,
            resend_in=max(0, int((started.resend_at - clock.now()).total_seconds() + 0.999)),
        )
    elif status_code == 200:
        status_code = 410
    return render(request, CODE_PAGE, context, status_code=status_code, headers=headers)


# --- sign-up -----------------------------------------------------------------------------


@router.get("/register/verify", response_class=HTMLResponse)
async def signup_code_page(
    request: Request, principal: MaybePageUser, session: DbSession, id: str = ""
) -> Response:
    if principal is not None:
        return RedirectResponse("/", status_code=303)
    return await _code_page(request, session, kind="signup", verification_id=_id(id))


@router.post("/register/verify", response_class=HTMLResponse)
@db.prepares_before_writing
async def signup_code_submit(
    request: Request, form: Form, session: DbSession, ctx: Context
) -> Response:
    verification_id = _id(form.get("id"))
    code = form.get("code", "").strip()
    if verification_id is None or not code:
        errors = {"code": "Enter the 6-digit code we sent you."}
        return await _code_page(
            request,
            session,
            kind="signup",
            verification_id=verification_id,
            errors=errors,
            status_code=422,
        )
    try:
        user = await verification.confirm_signup(
            session, ctx, verification_id=verification_id, code=code, ip=client_address(request)
        )
    except AppError as error:
        if isinstance(error, verification.WrongCode):
            db.keep_writes_on_error(request)
        return await _code_page(
            request,
            session,
            kind="signup",
            verification_id=verification_id,
            errors={"code": _code_message(error)},
            status_code=error.status_code,
            headers=error.headers,
        )
    response = await sign_in_browser(request, session, ctx, user, "/")
    flash.show(response, request, "Welcome to Habitus! Let's set up your day.", "success")
    return response


def _code_message(error: AppError) -> str:
    by_field = form_errors(error, wording=form_words.wording)
    message = by_field.get("code") or by_field.get("verification_id") or error.message
    if message.startswith("is "):  # "is not the code we sent": a sentence by the field
        return "That " + message + "."
    return message


@router.post("/register/verify/resend", response_class=HTMLResponse)
@db.prepares_before_writing
async def signup_resend(request: Request, form: Form, session: DbSession, ctx: Context) -> Response:
    return await _resend(request, form, session, ctx, kind="signup", page="/register/verify")


async def _resend(
    request: Request,
    form: dict[str, str],
    session: DbSession,
    ctx: Context,
    *,
    kind: verification.Purpose,
    page: str,
) -> Response:
    verification_id = _id(form.get("id"))
    if verification_id is None:
        return await _code_page(request, session, kind=kind, verification_id=None)
    try:
        await verification.resend(
            session, ctx, verification_id=verification_id, ip=client_address(request)
        )
    except AppError as error:
        return await _code_page(
            request,
            session,
            kind=kind,
            verification_id=verification_id,
            errors={"resend": error.message},
            status_code=error.status_code,
            headers=error.headers,
        )
    response = RedirectResponse(f"{page}?id={verification_id}", status_code=303)
    flash.show(response, request, NEW_CODE_SENT, "info")
    return response


# --- password reset by a code to a phone ---------------------------------------------------


@router.get("/reset/code", response_class=HTMLResponse)
async def reset_code_page(request: Request, session: DbSession, id: str = "") -> Response:
    return await _code_page(request, session, kind="password_reset", verification_id=_id(id))


@router.post("/reset/code", response_class=HTMLResponse)
@db.prepares_before_writing
async def reset_code_submit(
    request: Request, form: Form, session: DbSession, ctx: Context
) -> Response:
    verification_id = _id(form.get("id"))
    try:
        if verification_id is None:
            raise verification.WrongCode([])
        user = await verification.finish_phone_reset(
            session,
            ctx,
            verification_id=verification_id,
            code=form.get("code", "").strip(),
            new_password=form.get("new_password", ""),
            ip=client_address(request),
        )
    except AppError as error:
        if isinstance(error, verification.WrongCode):
            db.keep_writes_on_error(request)
        errors = form_errors(error, wording=form_words.wording)
        if "verification_id" in errors or not errors:
            errors = {"code": _code_message(error)}
        return await _code_page(
            request,
            session,
            kind="password_reset",
            verification_id=verification_id,
            errors=errors,
            status_code=error.status_code,
            headers=error.headers,
        )
    response = await sign_in_browser(request, session, ctx, user, "/today")
    flash.show(
        response,
        request,
        "Your password is changed. Every other sign-in of your account has ended.",
        "success",
    )
    return response


@router.post("/reset/code/resend", response_class=HTMLResponse)
@db.prepares_before_writing
async def reset_resend(request: Request, form: Form, session: DbSession, ctx: Context) -> Response:
    return await _resend(request, form, session, ctx, kind="password_reset", page="/reset/code")


# --- Settings → Change email ----------------------------------------------------------------


async def _email_page(
    request: Request,
    session: DbSession,
    user: User,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    waiting = await verification.pending_email_change(session, user)
    context = {
        "current": identifiers.shown(user),
        "values": values or {},
        "errors": errors or {},
        "waiting_for": waiting.target if waiting else None,
        "mail_available": identity_mail.available(request.app.state.settings),
    }
    return render(request, EMAIL_PAGE, context, status_code=status_code, headers=headers)


@router.get("/settings/email", response_class=HTMLResponse)
async def email_page(request: Request, user: PageUser, session: DbSession) -> Response:
    return await _email_page(request, session, user)


@router.post("/settings/email", response_class=HTMLResponse)
@db.prepares_before_writing
async def email_submit(
    request: Request, user: PageUser, form: Form, session: DbSession, ctx: Context
) -> Response:
    email = form.get("email", "").strip()
    values = {"email": email}
    errors: dict[str, str] = {}
    if problem := form_words.email_words(email):
        errors["email"] = problem
    if not form.get("password"):
        errors["password"] = form_words.NO_PASSWORD
    if errors:
        return await _email_page(
            request, session, user, values=values, errors=errors, status_code=422
        )
    try:
        started = await verification.start_email_change(
            session,
            ctx,
            user=user,
            email=email,
            password=form.get("password", ""),
            ip=client_address(request),
        )
    except AppError as error:
        errors = form_errors(error, wording=form_words.wording) or {"form": error.message}
        return await _email_page(
            request,
            session,
            user,
            values=values,
            errors=errors,
            status_code=error.status_code,
            headers=error.headers,
        )
    if started is None:
        response = RedirectResponse("/settings", status_code=303)
        flash.show(response, request, "Your email address is changed.", "success")
        return response
    response = RedirectResponse("/settings/email", status_code=303)
    flash.show(response, request, f"We sent a code to {email}.", "info")
    return response


@router.post("/settings/email/verify", response_class=HTMLResponse)
@db.prepares_before_writing
async def email_verify(
    request: Request, user: PageUser, form: Form, session: DbSession, ctx: Context
) -> Response:
    try:
        await verification.confirm_email_change(
            session, ctx, user=user, code=form.get("code", "").strip(), ip=client_address(request)
        )
    except AppError as error:
        if isinstance(error, verification.WrongCode):
            db.keep_writes_on_error(request)
        return await _email_page(
            request,
            session,
            user,
            errors={"code": _code_message(error)},
            status_code=error.status_code,
            headers=error.headers,
        )
    response = RedirectResponse("/settings", status_code=303)
    flash.show(response, request, "Your email address is changed.", "success")
    return response
