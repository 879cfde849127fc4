"""Request and response bodies of /auth and /me."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from habitus.auth.identifiers import PHONE_RULE, e164
from habitus.core.time import MAX_DAY_START_HOUR, Weekday
from habitus.kit.validation import NoNul
from habitus.kit.zones import canonical_zone
from habitus.models.user import DayPart, Theme


def _check_timezone(value: str) -> str:
    canonical = canonical_zone(value)
    if canonical is None:
        raise ValueError(
            f"{value!r} is not an IANA time zone name of a place "
            "(for example Europe/Berlin, America/New_York or UTC)"
        )
    return canonical


TimeZoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(_check_timezone)]
DisplayName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul
]
# strict: `true` or "3" is the wrong type for an hour, not 1 or 3.
DayStartHour = Annotated[int, Field(ge=0, le=MAX_DAY_START_HOUR, strict=True)]
# The rules (at least 10 characters, not common) are checked by the service, so the web
# form and the API give the same messages; the schema documents the length.
Password = Annotated[
    str,
    StringConstraints(max_length=1024),
    Field(json_schema_extra={"minLength": 10}, description="At least 10 characters, not common."),
]


def _check_phone(value: str) -> str:
    number = e164(value)
    if number is None:
        raise ValueError(PHONE_RULE)
    return number


# Issue 20: a phone number, given in international form, kept in E.164.
Phone = Annotated[
    str,
    StringConstraints(max_length=32),
    AfterValidator(_check_phone),
    Field(description="International form (E.164), such as +4915112345678."),
]


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _EmailOrPhone(StrictBody):
    """A body that names an account by `email` or `phone` (issue 20): with neither, the
    422 names `email` as missing, as when it was the only way."""

    @model_validator(mode="before")
    @classmethod
    def _neither_is_a_missing_email(cls, data: Any) -> Any:
        if isinstance(data, dict) and "email" not in data and "phone" not in data:
            return {**data, "email": _ABSENT}
        return data

    @field_validator("email", mode="before", check_fields=False)
    @classmethod
    def _absent_email(cls, value: Any) -> Any:
        if value is _ABSENT:
            raise PydanticCustomError("missing", "Field required")
        return value


_ABSENT = object()


class RegisterIn(_EmailOrPhone):
    # One of the two (issue 20): a phone only where the server can text it a code.
    email: EmailStr | None = Field(default=None, max_length=320)
    phone: Phone | None = None
    password: Password
    display_name: DisplayName | None = None
    timezone: TimeZoneName = "UTC"
    invite_token: str | None = Field(
        default=None, max_length=200, description="Required when sign-up is by invite."
    )
    ref: Annotated[str, NoNul] | None = Field(
        default=None,
        max_length=64,
        description="Where the person came from (a link's ref or utm_source), for the "
        "operator's sign-up counts.",
    )


class LoginIn(_EmailOrPhone):
    # Not EmailStr: a malformed address gets the same 401 as a wrong password. A phone
    # number may stand here too, or in `phone` (issue 20); one of the two is required.
    email: Annotated[str, NoNul] | None = Field(default=None, min_length=1, max_length=320)
    phone: Annotated[str, NoNul] | None = Field(default=None, min_length=1, max_length=32)
    password: str = Field(min_length=1, max_length=1024)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")


class RefreshIn(StrictBody):
    refresh_token: str = Field(min_length=1, max_length=200)


class PasswordIn(StrictBody):
    password: str = Field(min_length=1, max_length=1024)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str | None = Field(description="null for an account made with a phone number.")
    phone: str | None = Field(default=None, description="E.164, when the account has one.")
    display_name: str | None
    timezone: str
    day_start_hour: int
    week_start: Weekday
    is_admin: bool
    created_at: datetime
    theme: Theme = Field(default="system", description="The web app's colour theme.")
    day_part: DayPart | None = Field(
        default=None, description="Morning or evening person (from onboarding); null: not said."
    )


class UserPatch(StrictBody):
    display_name: DisplayName | None = None
    timezone: TimeZoneName | None = None
    day_start_hour: DayStartHour | None = None
    week_start: Weekday | None = None
    theme: Theme | None = None
    day_part: DayPart | None = Field(default=None, description="null clears it.")

    @field_validator("timezone", "day_start_hour", "week_start", "theme", mode="before")
    @classmethod
    def _no_null_settings(cls, value: object) -> object:
        # A field validator, not a model one: the 422 must name the field.
        if value is None:
            raise ValueError("may not be null")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the client sent; `display_name: null` clears the name (and
        `day_part: null` the preference)."""
        sent = self.model_dump(exclude_unset=True)
        return {
            key: value
            for key, value in sent.items()
            if value is not None or key in {"display_name", "day_part"}
        }


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: Literal["api", "web"]
    created_at: datetime
    last_seen_at: datetime | None
    expires_at: datetime
    revoked_at: datetime | None
    ip: str | None
    user_agent: str | None
