"""Passkeys in the browser: the list in Settings → Passkeys (loaded into the section by
HTMX), deleting one with a plain form, and "Sign in with a passkey" on the login page,
whose answer is posted as a form and turned into the usual session cookie.

Adding a passkey needs the browser's WebAuthn API: static/js/passkeys.js calls the JSON
API (`passkeys_api`) with the session cookie and the X-CSRF-Token header."""

from __future__ import annotations

import json
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from habitus import db
from habitus.auth import passkeys
from habitus.auth.pages import CsrfChecked, Form, PageUser
from habitus.auth.web import safe_next, sign_in_browser
from habitus.errors import AccountDisabled, AppError, TooManyRequests
from habitus.http.dependencies import Context, DbSession, client_address
from habitus.http.routing import TransactionalRoute
from habitus.kit import flash
from habitus.kit.templating import render

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)


@router.get("/settings/passkeys", response_class=HTMLResponse)
async def passkey_list(request: Request, user: PageUser, session: DbSession) -> Response:
    """The list of Settings → Passkeys (a fragment: the section asks for it on load)."""
    rows = await passkeys.passkeys_of(session, user.id)
    return render(request, "account/_passkey_list.html", {"passkeys": rows})


@router.post("/settings/passkeys/{passkey_id}/delete", dependencies=[CsrfChecked])
async def delete_passkey(
    request: Request, passkey_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    await passkeys.delete_passkey(session, user=user, passkey_id=passkey_id)
    response = RedirectResponse("/settings#passkeys", status_code=303)
    flash.show(response, request, "The passkey is deleted: it signs in no more.", "success")
    return response


@router.post("/login/passkey", response_class=HTMLResponse)
async def passkey_sign_in(
    request: Request, form: Form, session: DbSession, ctx: Context
) -> Response:
    """The answer of navigator.credentials.get(), posted by the login page's script:
    the browser is signed in as with a password (a session cookie), or the login page
    says why not. A refused answer keeps its challenge spent."""
    target = safe_next(form.get("next"))
    context: dict[str, object] = {"next": target, "email": "", "errors": {}}
    try:
        credential = json.loads(form.get("credential", ""))
    except ValueError:
        credential = None
    if not isinstance(credential, dict):
        return render(
            request,
            "auth/login.html",
            {**context, "error": passkeys.REFUSED},
            status_code=422,
        )
    try:
        user = await passkeys.authenticate(
            session, ctx, credential=credential, ip=client_address(request)
        )
    except AccountDisabled as error:
        db.keep_writes_on_error(request)
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
        db.keep_writes_on_error(request)
        message = error.message if error.status_code == 401 else passkeys.REFUSED
        return render(request, "auth/login.html", {**context, "error": message}, status_code=401)
    return await sign_in_browser(request, session, ctx, user, target)
