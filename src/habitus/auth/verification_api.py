"""JSON API of one-time codes (issue 20): the sign-up's answer when it waits for a code,
POST /auth/verify and /auth/verify/resend, and the email change (POST /me/email and
/me/email/verify)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, EmailStr, Field

from habitus import db
from habitus.auth import service, verification
from habitus.auth.dependencies import CurrentUser, idempotent
from habitus.auth.schemas import LoginIn, RegisterIn, StrictBody, UserOut
from habitus.context import AppContext
from habitus.errors import ValidationFailed, problem_response
from habitus.http.dependencies import Context, DbSession, request_ip
from habitus.http.routing import TransactionalRoute
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, COMMON_PROBLEMS, problems
from habitus.models import User

router = APIRouter(route_class=TransactionalRoute, responses=COMMON_PROBLEMS)
ClientIp = Annotated[str, Depends(request_ip)]

Code = Annotated[
    str, Field(pattern=r"^\s*[0-9]{6}\s*$", max_length=20, description="The 6 digits sent.")
]
ONE_OF = "give an email address or a phone number"


class VerificationStarted(BaseModel):
    verification_id: uuid.UUID
    channel: Literal["email", "sms"]
    expires_at: datetime
    resend_at: datetime = Field(description="When a new code may be asked for.")


class VerifyIn(StrictBody):
    verification_id: uuid.UUID
    code: Code


class ResendIn(StrictBody):
    verification_id: uuid.UUID


class EmailChangeIn(StrictBody):
    email: EmailStr = Field(max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class CodeIn(StrictBody):
    code: Code


STARTED_RESPONSE: dict[int | str, dict[str, Any]] = {
    202: {
        "model": VerificationStarted,
        "description": "A code was sent; the account exists once it is entered.",
    }
}


def _started(started: verification.Started) -> JSONResponse:
    body = VerificationStarted(
        verification_id=started.id,
        channel=started.channel,
        expires_at=started.expires_at,
        resend_at=started.resend_at,
    )
    return JSONResponse(jsonable_encoder(body), status_code=status.HTTP_202_ACCEPTED)


def _spent_try(request: Request, error: verification.WrongCode) -> JSONResponse:
    """A wrong code's 422, answered (not raised) so that the spent try is committed."""
    db.keep_writes_on_error(request)
    return problem_response(error.status_code, error.message, code=error.code, errors=error.errors)


def login_name(body: LoginIn) -> str:
    """What signs in: the address, or the phone (either field may hold a number)."""
    name = body.phone or body.email
    if not name:
        raise ValidationFailed.field("email", f"is required: {ONE_OF}", rule="missing")
    return name


async def begin_sign_up(
    body: RegisterIn, session: DbSession, ctx: AppContext, ip: str
) -> User | verification.Started:
    """A sign-up, for the API and the web form: the account at once, or a code on its
    way. A phone is taken only where the server can text it a code, and always waits for
    that code (a number is not trusted unconfirmed, whatever HABITUS_VERIFY_SIGNUPS says)."""
    if body.email is None and body.phone is None:
        raise ValidationFailed.field("email", f"is required: {ONE_OF}", rule="missing")
    if body.email is not None and body.phone is not None:
        raise ValidationFailed.field("phone", f"{ONE_OF}, not both", rule="one_of")
    if body.phone is not None and (problem := verification.phone_problem(ctx.settings)):
        raise ValidationFailed.field("phone", problem, rule="sms_unavailable")
    checked = await service.check_sign_up(
        session,
        ctx,
        email=str(body.email) if body.email is not None else None,
        phone=body.phone,
        password=body.password,
        display_name=body.display_name,
        timezone=body.timezone,
        invite_token=body.invite_token,
        ip=ip,
        source=body.ref,
    )
    if ctx.settings.signups_verified or checked.phone is not None:
        return await verification.start_signup(session, ctx, sign_up=checked, ip=ip)
    return await service.create_account(session, ctx, checked)


async def sign_up(
    body: RegisterIn, session: DbSession, ctx: AppContext, ip: str
) -> UserOut | JSONResponse:
    """POST /auth/register: the account at once (201), or a code on its way (202)."""
    outcome = await begin_sign_up(body, session, ctx, ip)
    if isinstance(outcome, verification.Started):
        return _started(outcome)
    return UserOut.model_validate(outcome)


@router.post(
    "/auth/verify",
    status_code=status.HTTP_201_CREATED,
    response_model=UserOut,
    tags=["auth"],
    responses=problems(403, 409, 429),
)
@db.prepares_before_writing
async def verify(
    body: VerifyIn, request: Request, session: DbSession, ctx: Context, ip: ClientIp
) -> UserOut | JSONResponse:
    """Enter the code a sign-up was sent: the account now exists. A wrong code spends
    one of 5 tries; after them, or 15 minutes, start again (422)."""
    try:
        user = await verification.confirm_signup(
            session, ctx, verification_id=body.verification_id, code=body.code, ip=ip
        )
    except verification.WrongCode as error:
        return _spent_try(request, error)
    return UserOut.model_validate(user)


@router.post(
    "/auth/verify/resend",
    status_code=status.HTTP_202_ACCEPTED,
    tags=["auth"],
    responses=problems(429),
)
@db.prepares_before_writing
async def resend(
    body: ResendIn, session: DbSession, ctx: Context, ip: ClientIp
) -> VerificationStarted:
    """A new code, 60 s after the last at the earliest (429 with Retry-After before)."""
    started = await verification.resend(session, ctx, verification_id=body.verification_id, ip=ip)
    return VerificationStarted(
        verification_id=started.id,
        channel=started.channel,
        expires_at=started.expires_at,
        resend_at=started.resend_at,
    )


@router.post(
    "/me/email",
    tags=["account"],
    dependencies=[idempotent()],
    response_model=UserOut,
    responses={
        **AUTHENTICATED_PROBLEMS,
        **problems(409, 429),
        202: {"model": VerificationStarted, "description": "A code went to the new address."},
    },
)
@db.prepares_before_writing
async def change_email(
    body: EmailChangeIn, user: CurrentUser, session: DbSession, ctx: Context, ip: ClientIp
) -> UserOut | JSONResponse:
    """Move the account to a new address (the password is asked again). 202: a code went
    to the new address (POST /me/email/verify); 200: changed at once, on a server that
    sends no email."""
    started = await verification.start_email_change(
        session, ctx, user=user, email=str(body.email), password=body.password, ip=ip
    )
    if started is None:
        return UserOut.model_validate(user)
    return _started(started)


@router.post(
    "/me/email/verify",
    tags=["account"],
    dependencies=[idempotent()],
    response_model=UserOut,
    responses={**AUTHENTICATED_PROBLEMS, **problems(409, 429)},
)
@db.prepares_before_writing
async def verify_email_change(
    body: CodeIn,
    request: Request,
    user: CurrentUser,
    session: DbSession,
    ctx: Context,
    ip: ClientIp,
) -> UserOut | JSONResponse:
    """Enter the code sent to the new address: it is the account's address now, and
    the old one is told."""
    try:
        await verification.confirm_email_change(session, ctx, user=user, code=body.code, ip=ip)
    except verification.WrongCode as error:
        return _spent_try(request, error)
    return UserOut.model_validate(user)
