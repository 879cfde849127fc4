"""JSON API: /api/v1/auth/* and /api/v1/me."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm

from habitus import db
from habitus.auth import service, verification_api
from habitus.auth.dependencies import CurrentUser
from habitus.auth.schemas import (
    LoginIn,
    PasswordIn,
    RefreshIn,
    RegisterIn,
    TokenPair,
    UserOut,
    UserPatch,
)
from habitus.errors import ValidationFailed, problem_response
from habitus.http.dependencies import Context, DbSession, request_ip
from habitus.http.routing import TransactionalRoute
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, COMMON_PROBLEMS, problems
from habitus.kit.validation import NUL_MESSAGE

router = APIRouter(route_class=TransactionalRoute, responses=COMMON_PROBLEMS)
ClientIp = Annotated[str, Depends(request_ip)]


def _pair(issued: service.Issued, ctx: Context) -> TokenPair:
    assert issued.access_token is not None
    assert issued.refresh_token is not None
    return TokenPair(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=ctx.settings.access_token_minutes * 60,
    )


@router.post(
    "/auth/register",
    status_code=status.HTTP_201_CREATED,
    tags=["auth"],
    response_model=UserOut,
    responses={**problems(403, 409, 429), **verification_api.STARTED_RESPONSE},
)
@db.prepares_before_writing
async def register(
    body: RegisterIn, session: DbSession, ctx: Context, ip: ClientIp
) -> UserOut | JSONResponse:
    """Create an account with an email address or a phone number. When sign-ups are
    verified (issue 20), 202: a code is sent and the account exists once it comes back
    (POST /auth/verify). With `HABITUS_REGISTRATION=invite`, `invite_token` is required;
    with `closed`, sign-up is refused (403)."""
    return await verification_api.sign_up(body, session, ctx, ip)


async def _login(
    request: Request, session: DbSession, ctx: Context, *, email: str, password: str, ip: str
) -> TokenPair:
    user = await service.authenticate(session, ctx, email=email, password=password, ip=ip)
    issued = await service.start_session(
        session,
        ctx,
        user=user,
        kind="api",
        ip=ip,
        user_agent=request.headers.get("user-agent"),
    )
    return _pair(issued, ctx)


# The routes that check a password with Argon2 take their writer turn only once it is
# checked (the services call `db.start_writing`): issue 11, item 4.
@router.post("/auth/login", tags=["auth"], responses=problems(401, 403))
@db.prepares_before_writing
async def login(
    body: LoginIn, request: Request, session: DbSession, ctx: Context, ip: ClientIp
) -> TokenPair:
    """Exchange email (or phone) and password for an access token (15 minutes) and a
    refresh token."""
    login = verification_api.login_name(body)
    return await _login(request, session, ctx, email=login, password=body.password, ip=ip)


@router.post("/auth/token", tags=["auth"], responses=problems(401, 403))
@db.prepares_before_writing
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: DbSession,
    ctx: Context,
    ip: ClientIp,
) -> TokenPair:
    """The OAuth2 password flow (form fields `username` = email, `password`), for
    Swagger UI's Authorize button. Same answers as /auth/login."""
    if "\x00" in form.username:  # the form class is FastAPI's; check what LoginIn checks
        raise ValidationFailed.field("username", NUL_MESSAGE, rule="value_error")
    return await _login(request, session, ctx, email=form.username, password=form.password, ip=ip)


@router.post("/auth/refresh", tags=["auth"], response_model=TokenPair, responses=problems(401, 403))
async def refresh(
    body: RefreshIn, request: Request, session: DbSession, ctx: Context
) -> TokenPair | JSONResponse:
    """Trade a refresh token for a new pair; the old one is spent. Presenting a spent
    token revokes every token of that sign-in and answers 401."""
    outcome = await service.refresh(session, ctx, refresh_token=body.refresh_token)
    if isinstance(outcome, service.RefreshRejected):
        # An error answer that must keep its write: the revoked sign-in.
        db.keep_writes_on_error(request)
        return problem_response(
            401,
            outcome.message,
            code="refresh-token-reused" if outcome.family_revoked else "invalid-refresh-token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return _pair(outcome, ctx)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
async def logout(body: RefreshIn, session: DbSession) -> Response:
    """End the sign-in the refresh token belongs to (its access tokens stop working)."""
    await service.logout_refresh_token(session, refresh_token=body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", tags=["account"], responses=AUTHENTICATED_PROBLEMS)
async def get_me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@router.patch("/me", tags=["account"], responses=AUTHENTICATED_PROBLEMS)
async def patch_me(body: UserPatch, user: CurrentUser, session: DbSession) -> UserOut:
    """Change the profile: name, time zone (IANA), day start hour (0-6), week start."""
    await service.update_profile(session, user=user, changes=body.changes())
    return UserOut.model_validate(user)


@router.delete(
    "/me",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["account"],
    responses=AUTHENTICATED_PROBLEMS,
)
@db.prepares_before_writing
async def delete_me(
    body: PasswordIn, user: CurrentUser, session: DbSession, ctx: Context, ip: ClientIp
) -> Response:
    """Delete the account and every row that belongs to it. Needs the password."""
    await service.delete_account(session, ctx, user=user, password=body.password, ip=ip)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# GET /me/export (the whole account as JSON) is served by habitus.exports.api.
