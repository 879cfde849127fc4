"""JSON API: /api/v1/me/tokens, the user's personal access tokens (issue 20; API.md
"Verification, passkeys and tokens"). `auth.access_tokens` holds the rules."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from habitus.auth import access_tokens
from habitus.auth.dependencies import CurrentPrincipal
from habitus.errors import Forbidden, ValidationFailed
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit.rates import Rate
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, problems
from habitus.kit.validation import NoNul
from habitus.models.identity import PersonalAccessToken

router = APIRouter(
    prefix="/me/tokens",
    tags=["account"],
    route_class=TransactionalRoute,
    responses=AUTHENTICATED_PROBLEMS,
)
# Minting is cheap for us but each token is a credential: a script gone wrong in a loop
# stops here long before the per-account cap.
CREATIONS_PER_USER = Rate.parse("20/hour")

TokenName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul
]
Scope = Literal["read", "write"]


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: TokenName = Field(description="What the token is for: 'Home Assistant'.")
    scopes: list[Scope] = Field(
        min_length=1, max_length=2, description='["read"] or ["read", "write"].'
    )
    expires_in_days: int | None = Field(
        default=access_tokens.DEFAULT_EXPIRY_DAYS,
        ge=1,
        le=access_tokens.MAX_EXPIRY_DAYS,
        description=f"1 to {access_tokens.MAX_EXPIRY_DAYS}; left out: "
        f"{access_tokens.DEFAULT_EXPIRY_DAYS} days; null: the token never expires.",
    )

    @field_validator("scopes")
    @classmethod
    def _read_first(cls, value: list[Scope]) -> list[Scope]:
        if access_tokens.stored_scopes(list(value)) is None:
            raise ValueError('must be ["read"] or ["read", "write"] (write needs read)')
        return value


class TokenOut(BaseModel):
    """A token as listed: never the token itself."""

    id: uuid.UUID
    name: str
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime | None = Field(description="null: never.")
    last_used_at: datetime | None = Field(description="To the minute; null: never used.")
    expired: bool

    @classmethod
    def of(cls, row: PersonalAccessToken) -> TokenOut:
        return cls(
            id=row.id,
            name=row.name,
            scopes=access_tokens.scopes_of(row),  # type: ignore[arg-type]
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            expired=access_tokens.is_expired(row),
        )


class TokenCreated(TokenOut):
    token: str = Field(
        description="The token, shown this once: send it as `Authorization: Bearer <token>`."
    )


class TokenList(BaseModel):
    items: list[TokenOut]


def _signed_in_with_password(principal: CurrentPrincipal) -> None:
    """A token never makes or revokes tokens (`auth.dependencies` refuses it before
    this; said again here, where the rule matters most)."""
    if principal.via == "token":
        raise Forbidden(
            "An access token cannot make or revoke access tokens; sign in for that.",
            code="token-not-allowed",
        )


@router.post("", status_code=status.HTTP_201_CREATED, responses=problems(403, 409))
async def create_token(
    body: TokenIn, principal: CurrentPrincipal, session: DbSession, ctx: Context
) -> TokenCreated:
    """A personal access token for a script or a phone automation. The answer holds the
    token once; only its SHA-256 is kept. Not idempotent on purpose: a replayed answer
    would keep the secret in the replay cache."""
    _signed_in_with_password(principal)
    await ctx.check_rate(
        f"pat:create:{principal.user.id}",
        CREATIONS_PER_USER,
        "You made many access tokens in a short time; try again later.",
    )
    scopes = access_tokens.stored_scopes(list(body.scopes))
    if scopes is None:  # the validator said so already; kept for the type checker
        raise ValidationFailed.field("scopes", 'must be ["read"] or ["read", "write"]')
    minted = await access_tokens.create_token(
        session,
        user=principal.user,
        name=body.name,
        scopes=scopes,
        expires_in_days=body.expires_in_days,
    )
    return TokenCreated(**TokenOut.of(minted.row).model_dump(), token=minted.token)


@router.get("")
async def list_tokens(principal: CurrentPrincipal, session: DbSession) -> TokenList:
    """The user's tokens, newest first, with their last use (never the tokens)."""
    rows = await access_tokens.tokens_of(session, principal.user.id)
    return TokenList(items=[TokenOut.of(row) for row in rows])


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404))
async def revoke_token(
    token_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Response:
    """Revoke a token: it stops working at once."""
    _signed_in_with_password(principal)
    await access_tokens.revoke_token(session, user=principal.user, token_id=token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
