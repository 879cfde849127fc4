"""Bodies of /api/v1/admin."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StrictInt, StringConstraints

from habitus.auth.schemas import StrictBody, UserOut
from habitus.kit.validation import NoNul

InviteStatus = Literal["active", "used", "expired", "revoked"]


class AdminUserOut(UserOut):
    disabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    last_login_at: datetime | None
    plan: Literal["free", "pro"] = Field(
        default="free", description="Limits anything only with HABITUS_PLANS=on (issue 21)."
    )


class PlanIn(StrictBody):
    plan: Literal["free", "pro"] = Field(description="The account's plan (issue 21).")


class DisableIn(StrictBody):
    # Stripped before the length check: a reason made of blanks is no reason.
    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), NoNul
    ] = Field(description="Shown to the user when they try to sign in.")


class InviteIn(StrictBody):
    email: EmailStr | None = Field(
        default=None, max_length=320, description="Only this address may use the invite."
    )
    note: Annotated[str, NoNul] | None = Field(default=None, max_length=200)
    expires_in_days: StrictInt | None = Field(
        default=None, ge=1, le=365, description="Default: HABITUS_INVITE_DAYS (7)."
    )


class InviteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str | None
    note: str | None
    status: InviteStatus
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by_id: uuid.UUID | None
    revoked_at: datetime | None


class InviteCreated(InviteOut):
    token: str = Field(description="Shown once; only its hash is stored.")
    url: str = Field(description="The sign-up link to send to the invitee.")
