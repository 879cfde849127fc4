"""Settings → Access tokens (/settings/tokens): make a token (shown once, with a copy
button), list them with their last use, revoke one. Plain forms with CSRF; the rules
live in `auth.access_tokens`, the same as the API's."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from habitus import db
from habitus.auth import access_tokens
from habitus.auth.access_tokens_api import CREATIONS_PER_USER, TokenIn
from habitus.auth.pages import Form, PageUser
from habitus.errors import AppError
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import flash
from habitus.kit.forms import form_errors
from habitus.kit.templating import render
from habitus.models import User

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

PAGE = "/settings/tokens"
# What the form offers: (value, words). The API takes any 1..365 days.
EXPIRY_CHOICES = [
    ("30", "In 30 days"),
    (str(access_tokens.DEFAULT_EXPIRY_DAYS), f"In {access_tokens.DEFAULT_EXPIRY_DAYS} days"),
    ("365", "In a year"),
    ("never", "Never"),
]
SCOPE_CHOICES = [
    ("read", "Read only: see habits, check-ins and stats"),
    ("read write", "Read and write: also check in, add and change things"),
]


async def _page(
    request: Request,
    session: DbSession,
    user: User,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    created: access_tokens.Minted | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "tokens": await access_tokens.tokens_of(session, user.id),
        "values": values
        or {"name": "", "scopes": "read", "expires": str(access_tokens.DEFAULT_EXPIRY_DAYS)},
        "errors": errors or {},
        "created": created,
        "expiry_choices": EXPIRY_CHOICES,
        "scope_choices": SCOPE_CHOICES,
        "is_expired": access_tokens.is_expired,
        "max_tokens": access_tokens.MAX_TOKENS_PER_USER,
    }
    return render(request, "account/access_tokens.html", context, status_code=status_code)


@router.get(PAGE, response_class=HTMLResponse)
async def tokens_page(request: Request, user: PageUser, session: DbSession) -> Response:
    return await _page(request, session, user)


@router.post(PAGE, response_class=HTMLResponse)
async def create_token(
    request: Request, user: PageUser, form: Form, session: DbSession, ctx: Context
) -> Response:
    """Make a token and show it on the page this once (no redirect: the secret must not
    travel in a cookie or a URL)."""
    values = {
        "name": form.get("name", "").strip(),
        "scopes": form.get("scopes", ""),
        "expires": form.get("expires", ""),
    }
    errors: dict[str, str] = {}
    body: TokenIn | None = None
    if values["expires"] not in {value for value, _words in EXPIRY_CHOICES}:
        errors["expires"] = "choose when the token stops working"
    try:
        body = TokenIn(
            name=values["name"],
            scopes=values["scopes"].split(),  # type: ignore[arg-type]
            expires_in_days=None if values["expires"] in ("never", "") else int(values["expires"]),
        )
    except (ValidationError, ValueError) as error:
        if isinstance(error, ValidationError):
            for name, message in form_errors(error).items():
                errors.setdefault(name, message)
    if errors or body is None:
        return await _page(request, session, user, values=values, errors=errors, status_code=422)
    try:
        await ctx.check_rate(
            f"pat:create:{user.id}",
            CREATIONS_PER_USER,
            "You made many access tokens in a short time; try again later.",
        )
        minted = await access_tokens.create_token(
            session,
            user=user,
            name=body.name,
            scopes=access_tokens.stored_scopes(list(body.scopes)) or access_tokens.READ,
            expires_in_days=body.expires_in_days,
        )
    except AppError as error:
        return await _page(
            request,
            session,
            user,
            values=values,
            errors={"form": error.message},
            status_code=error.status_code,
        )
    return await _page(request, session, user, created=minted)


@router.post(PAGE + "/{token_id}/revoke", response_class=HTMLResponse)
async def revoke_token(
    request: Request, token_id: uuid.UUID, user: PageUser, form: Form, session: DbSession
) -> Response:
    del form  # the CSRF check is the point
    await db.start_writing(session)
    await access_tokens.revoke_token(session, user=user, token_id=token_id)
    response = RedirectResponse(PAGE, status_code=303)
    flash.show(response, request, "The token is revoked: it stopped working.", "success")
    return response
