"""JSON API of passkeys: /api/v1/auth/passkeys/* (the two WebAuthn ceremonies) and
/api/v1/me/passkeys (the signed-in user's list). API.md "Verification, passkeys and
tokens"; the rules are in `habitus.auth.passkeys`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from habitus.auth import passkeys, service
from habitus.auth.dependencies import CurrentUser
from habitus.auth.schemas import StrictBody, TokenPair
from habitus.db import keep_writes_on_error
from habitus.errors import AppError, problem_response
from habitus.http.dependencies import Context, DbSession, request_ip
from habitus.http.routing import TransactionalRoute
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, COMMON_PROBLEMS, problems
from habitus.kit.validation import NoNul

router = APIRouter(route_class=TransactionalRoute, responses=COMMON_PROBLEMS)
ClientIp = Annotated[str, Depends(request_ip)]

PasskeyName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul
]
Credential = Annotated[
    dict[str, Any],
    Field(
        description="What navigator.credentials.create() or .get() gave, as JSON "
        "(PublicKeyCredential.toJSON(): id, rawId, type and response, binary values "
        "in base64url)."
    ),
]


class PasskeyRegisterIn(StrictBody):
    credential: Credential
    name: PasskeyName | None = Field(default=None, description='Defaults to "Passkey".')


class PasskeyLoginOptionsIn(StrictBody):
    email: EmailStr | None = Field(
        default=None,
        max_length=320,
        description="Names the account's passkeys in allowCredentials; without it any "
        "passkey of this site may answer.",
    )


class PasskeyLoginIn(StrictBody):
    credential: Credential


class PasskeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    created_at: datetime
    last_used_at: datetime | None


class PasskeyList(BaseModel):
    items: list[PasskeyOut]


def _spent_anyway(request: Request, error: AppError) -> JSONResponse:
    """An error answer that keeps its one write: the challenge it spent stays spent."""
    keep_writes_on_error(request)
    return problem_response(
        error.status_code,
        error.message,
        code=error.code,
        errors=error.errors,
        headers=error.headers,
        extra=error.extra,
    )


@router.post("/auth/passkeys/register/options", tags=["auth"], responses=AUTHENTICATED_PROBLEMS)
async def register_options(user: CurrentUser, session: DbSession, ctx: Context) -> dict[str, Any]:
    """WebAuthn creation options for navigator.credentials.create() (a discoverable
    credential, user verification required). The challenge is good for 5 minutes, once."""
    return await passkeys.registration_options(session, ctx, user=user)


@router.post(
    "/auth/passkeys/register",
    status_code=status.HTTP_201_CREATED,
    tags=["auth"],
    response_model=PasskeyOut,
    responses={**AUTHENTICATED_PROBLEMS, **problems(409)},
)
async def register(
    body: PasskeyRegisterIn, request: Request, user: CurrentUser, session: DbSession, ctx: Context
) -> PasskeyOut | JSONResponse:
    """Store the passkey the browser made. 422 on `credential` when it does not verify
    (wrong site, no user verification, spent or expired challenge)."""
    try:
        passkey = await passkeys.register(
            session, ctx, user=user, credential=body.credential, name=body.name
        )
    except AppError as error:
        return _spent_anyway(request, error)
    return PasskeyOut.model_validate(passkey)


@router.post("/auth/passkeys/login/options", tags=["auth"])
async def login_options(
    body: PasskeyLoginOptionsIn, session: DbSession, ctx: Context, ip: ClientIp
) -> dict[str, Any]:
    """WebAuthn request options for navigator.credentials.get(), user verification
    required. The answer is the same shape whether or not `email` has an account."""
    return await passkeys.sign_in_options(
        session, ctx, email=str(body.email) if body.email else None, ip=ip
    )


@router.post(
    "/auth/passkeys/login",
    tags=["auth"],
    response_model=TokenPair,
    responses=problems(401, 403),
)
async def login(
    body: PasskeyLoginIn, request: Request, session: DbSession, ctx: Context, ip: ClientIp
) -> TokenPair | JSONResponse:
    """Sign in with a passkey: the same tokens as POST /auth/login."""
    try:
        user = await passkeys.authenticate(session, ctx, credential=body.credential, ip=ip)
    except AppError as error:
        return _spent_anyway(request, error)
    issued = await service.start_session(
        session, ctx, user=user, kind="api", ip=ip, user_agent=request.headers.get("user-agent")
    )
    assert issued.access_token is not None
    assert issued.refresh_token is not None
    return TokenPair(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=ctx.settings.access_token_minutes * 60,
    )


@router.get("/me/passkeys", tags=["account"], responses=AUTHENTICATED_PROBLEMS)
async def list_passkeys(user: CurrentUser, session: DbSession) -> PasskeyList:
    """The user's passkeys, oldest first (names and dates; never a key)."""
    rows = await passkeys.passkeys_of(session, user.id)
    return PasskeyList(items=[PasskeyOut.model_validate(row) for row in rows])


@router.delete(
    "/me/passkeys/{passkey_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["account"],
    responses={**AUTHENTICATED_PROBLEMS, **problems(404)},
)
async def delete_passkey(passkey_id: uuid.UUID, user: CurrentUser, session: DbSession) -> Response:
    """Forget a passkey: it signs in no more. Another user's is 404."""
    await passkeys.delete_passkey(session, user=user, passkey_id=passkey_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
