"""What a channel type is, in one place (issue 12 item 4): for each of `email`,
`webpush`, `apprise` and `webhook` one `ChannelKind` naming its pydantic config model,
its transport (imported on first use: Apprise and pywebpush take long to import), the
name a new channel gets, the field the Settings page types it in, and the rest that
depends on the type. The service validates configs here, the dispatcher sends through
here, the web page and the OpenAPI document (`schemas.ChannelCreate`) read it.

A config model is checked in two ways:

- when a channel is made or changed (`ChannelKind.checked`), with a `Checking` context:
  every rule, the ones that depend on the server's settings too (the address rules of
  `targets.py` and `subscriptions.py`, the 2,048-character cap, the Apprise allow-list,
  email needing SMTP); a refusal is a 422 naming the field as before (below);
- when a kept config is sent (`ChannelKind.stored`), without context: only its shape,
  what the transport needs. The transports judge the target again when they connect.
  A kept config that no longer parses fails the delivery permanently, with a plain
  reason (the dispatcher turns the channel off and tells the user).

A 422 names `config.<path>` for the rules that name their own field (`string_too_long`,
`public_target`, `allowed_apprise_service`), and `config` with the rule
`channel_config` for every other problem, in the plain words of the model's `PLAIN`
table (missing or mistyped fields) or of its validators.
"""

from __future__ import annotations

import importlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Generic, TypeVar, cast
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from habitus.config import Settings
from habitus.errors import FieldError, ValidationFailed
from habitus.reminders.subscriptions import (
    check_auth_secret,
    check_endpoint_url,
    check_p256dh,
    check_push_endpoint,
)
from habitus.reminders.targets import (
    MAX_URL_LENGTH,
    UnsafeTarget,
    check_public_host,
    check_public_url,
)
from habitus.reminders.transports.base import PermanentFailure, Transport

# The rule of every config problem that names no field of its own (a 422 on `config`).
CONFIG_RULE = "channel_config"
# Rules that name the field they are about (`config.url`, `config.subscription.endpoint`),
# and the order problems are listed in: the length cap first, then what a config holds,
# then where it may send (so the first error is the one the checks met first).
FIELD_RULES = frozenset({"string_too_long", "public_target", "allowed_apprise_service"})
_ORDER = {"string_too_long": 0, CONFIG_RULE: 1, "public_target": 2, "allowed_apprise_service": 2}


@dataclass(frozen=True, slots=True)
class Checking:
    """The validation context of a config being made or changed: the server's rules."""

    allow_private: bool


def _checking(info: ValidationInfo) -> Checking | None:
    return info.context if isinstance(info.context, Checking) else None


def _capped(url: str) -> None:
    """Issue 11 item 12: a target URL longer than `MAX_URL_LENGTH` is refused (a 100 KB
    one was accepted) before anything parses it."""
    if len(url) > MAX_URL_LENGTH:
        raise PydanticCustomError(
            "string_too_long",
            "must be at most {max_length} characters",
            {"max_length": MAX_URL_LENGTH},
        )


def _documented_cap() -> Any:
    return Field(json_schema_extra={"maxLength": MAX_URL_LENGTH})


class ChannelConfig(BaseModel):
    """A channel's config. Unknown keys are dropped, as they always were."""

    model_config = ConfigDict(extra="ignore")

    # What a missing or mistyped field reads as, by its path in the config.
    PLAIN: ClassVar[Mapping[str, str]] = {}

    def kept(self) -> dict[str, Any]:
        """The JSON kept in `channels.config` (a webhook's secret has its own column)."""
        return self.model_dump(mode="json")

    def signing_secret(self) -> str | None:
        """The secret kept for signing, generated when absent; None: nothing is signed."""
        return None

    def wants_events(self) -> bool:
        """Whether the channel also gets the user's check-ins and streak changes."""
        return False


# --- email ----------------------------------------------------------------------------------


def _normalized_address(address: str, info: ValidationInfo) -> str:
    if _checking(info) is None:
        return address  # a kept address is sent as it was kept
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"not a valid email address: {error}") from error


class EmailConfig(ChannelConfig):
    """email: mail over the server's SMTP settings (`HABITUS_SMTP_*`) to `address`."""

    PLAIN: ClassVar[Mapping[str, str]] = {"address": "an email address is required"}

    address: Annotated[str, AfterValidator(_normalized_address)]


def _email_unavailable(settings: Settings) -> str | None:
    if settings.smtp_host is None:
        return "email is not set up on this server (HABITUS_SMTP_HOST)"
    return None


# --- webpush --------------------------------------------------------------------------------


def _push_endpoint(endpoint: str, info: ValidationInfo) -> str:
    checking = _checking(info)
    if checking is not None:
        _capped(endpoint)
    check_endpoint_url(endpoint)
    if checking is not None:
        try:
            check_push_endpoint(endpoint, allow_private=checking.allow_private)
        except UnsafeTarget as error:
            raise PydanticCustomError("public_target", str(error)) from error
    return endpoint


def _p256dh(value: str) -> str:
    check_p256dh(value)
    return value


def _auth_secret(value: str) -> str:
    check_auth_secret(value)
    return value


class PushKeys(BaseModel):
    model_config = ConfigDict(extra="ignore")

    p256dh: Annotated[str, AfterValidator(_p256dh)] = Field(
        description="The browser's P-256 public key, base64url."
    )
    auth: Annotated[str, AfterValidator(_auth_secret)] = Field(
        description="The browser's 16-byte auth secret, base64url."
    )


class PushSubscription(BaseModel):
    """The browser's `PushSubscription.toJSON()` (other keys are dropped)."""

    model_config = ConfigDict(extra="ignore")

    endpoint: Annotated[str, AfterValidator(_push_endpoint), _documented_cap()] = Field(
        description="The push service's URL: https, on a public address."
    )
    keys: PushKeys


class WebPushConfig(ChannelConfig):
    """webpush: Web Push to the browser that made `subscription`."""

    PLAIN: ClassVar[Mapping[str, str]] = {
        "subscription": "the channel has no browser push subscription",
        "subscription.endpoint": "the push subscription's endpoint is not a URL",
        "subscription.keys": "the push subscription has no keys",
        "subscription.keys.p256dh": "the push subscription's keys are missing",
        "subscription.keys.auth": "the push subscription's keys are missing",
    }

    subscription: PushSubscription


# --- apprise --------------------------------------------------------------------------------


def _apprise_url(url: str, info: ValidationInfo) -> str:
    checking = _checking(info)
    if checking is None:
        return url  # the transport refuses what Apprise cannot use or does not allow
    _capped(url)
    # Apprise takes a moment to import: only when an Apprise channel is made or changed.
    from habitus.reminders.transports.apprise import ServiceNotAllowed, validate_apprise_url

    try:
        validate_apprise_url(url)
    except ServiceNotAllowed as error:
        raise PydanticCustomError("allowed_apprise_service", str(error)) from error
    host = urlsplit(url).hostname
    if host:
        check_public_host(host, allow_private=checking.allow_private)
    return url


class AppriseConfig(ChannelConfig):
    """apprise: an Apprise URL of an allowed chat or push service (docs/NOTIFICATIONS.md
    lists them), on a public address."""

    PLAIN: ClassVar[Mapping[str, str]] = {"url": "an Apprise URL is required"}

    url: Annotated[str, AfterValidator(_apprise_url), _documented_cap()]


# --- webhook --------------------------------------------------------------------------------


def _webhook_url(url: str, info: ValidationInfo) -> str:
    checking = _checking(info)
    if checking is not None:
        _capped(url)
        check_public_url(url, allow_private=checking.allow_private)
    return url


class WebhookConfig(ChannelConfig):
    """webhook: a signed JSON POST to `url` (http or https, on a public address); the
    signing secret is generated when absent and shown once; with `events` the user's
    check-ins and streak changes are sent too."""

    PLAIN: ClassVar[Mapping[str, str]] = {
        "url": "a webhook URL is required",
        "secret": "a webhook secret must be a string of at least 16 characters",
        "events": "events must be true or false",
    }

    url: Annotated[str, AfterValidator(_webhook_url), _documented_cap()]
    secret: Annotated[str, Field(min_length=16)] | None = None
    events: StrictBool = False

    def kept(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"secret"})

    def signing_secret(self) -> str | None:
        return self.secret or secrets.token_urlsafe(32)

    def wants_events(self) -> bool:
        return self.events


# --- the registry ---------------------------------------------------------------------------

C = TypeVar("C", bound=ChannelConfig)


@dataclass(frozen=True, slots=True)
class FormField:
    """How Settings → Notifications offers a type: its label, and the config key the one
    typed "target" goes to (also the key whose value the channel list shows); None: not
    typed (web push is added from the browser itself, with its own button)."""

    label: str
    key: str | None


def _always_available(settings: Settings) -> str | None:
    del settings
    return None


@dataclass(frozen=True, slots=True)
class ChannelKind(Generic[C]):
    """One channel type: everything that depends on it."""

    name: str
    config: type[C]
    # "module:Class", imported on first use (`transport()`).
    transport_path: str
    # A new channel's name when none is given.
    default_name: str
    form: FormField
    # Why this server cannot make such channels now, or None.
    unavailable: Callable[[Settings], str | None] = _always_available
    # The reason a kept config that no longer parses gives; None: the model's own words.
    unusable: str | None = None
    # Messages carry a one-click unsubscribe link (RFC 8058).
    unsubscribe_link: bool = False
    # The channel may also get the user's events (check-ins, streaks): `event_hooks`.
    forwards_events: bool = False
    # A new channel also gets "Achievement unlocked" and streak-freeze notices unless the
    # user says otherwise (`reward_notices`): yes for a person's own device or chat, no
    # for a mailbox or a machine.
    achievements_by_default: bool = False

    def checked(self, raw: Mapping[str, Any], settings: Settings) -> C:
        """`raw` as a new or changed channel keeps it, every rule checked; a 422 naming
        the field otherwise."""
        reason = self.unavailable(settings)
        if reason is not None:
            raise ValidationFailed.field("config", reason, CONFIG_RULE)
        try:
            return self.config.model_validate(
                raw, context=Checking(allow_private=settings.allow_private_targets)
            )
        except ValidationError as error:
            raise ValidationFailed(config_errors(self.config, error)) from error

    def stored(self, raw: Mapping[str, Any]) -> C:
        """A kept config, for sending; `PermanentFailure` with a plain reason when it no
        longer parses."""
        try:
            return self.config.model_validate(raw)
        except ValidationError as error:
            reason = self.unusable or config_errors(self.config, error)[0].message
            raise PermanentFailure(reason) from error

    def transport(self) -> Transport[C]:
        found = _transports.get(self.name)
        if found is None:
            module, _, name = self.transport_path.partition(":")
            found = _transports[self.name] = getattr(importlib.import_module(module), name)()
        return cast("Transport[C]", found)


_transports: dict[str, object] = {}

CHANNEL_TYPES: Mapping[str, ChannelKind[Any]] = {
    kind.name: kind
    for kind in (
        # In the order the Settings page offers them.
        ChannelKind(
            name="webhook",
            config=WebhookConfig,
            transport_path="habitus.reminders.transports.webhook:WebhookTransport",
            default_name="Webhook",
            form=FormField("Webhook URL", "url"),
            forwards_events=True,
        ),
        ChannelKind(
            name="apprise",
            config=AppriseConfig,
            transport_path="habitus.reminders.transports.apprise:AppriseTransport",
            default_name="Apprise",
            form=FormField("Apprise URL", "url"),
            unusable="Apprise does not understand this URL",
            achievements_by_default=True,
        ),
        ChannelKind(
            name="email",
            config=EmailConfig,
            transport_path="habitus.reminders.transports.email:EmailTransport",
            default_name="Email",
            form=FormField("Email address", "address"),
            unavailable=_email_unavailable,
            unusable="the email channel has no address",
            unsubscribe_link=True,
        ),
        ChannelKind(
            name="webpush",
            config=WebPushConfig,
            transport_path="habitus.reminders.transports.webpush:WebPushTransport",
            default_name="This browser",
            form=FormField("This browser", None),
            achievements_by_default=True,
        ),
    )
}


def event_channel_types() -> list[str]:
    """The types whose channels may forward the user's events."""
    return [name for name, kind in CHANNEL_TYPES.items() if kind.forwards_events]


def config_errors(model: type[ChannelConfig], error: ValidationError) -> list[FieldError]:
    """The 422's field errors for a config `model` refused, without repeats, in the order
    of `_ORDER`."""
    found: list[FieldError] = []
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"])
        rule = item["type"]
        if rule in FIELD_RULES:
            named = FieldError(f"config.{path}" if path else "config", item["msg"], rule)
        else:
            named = FieldError("config", _plain(model, path, item), CONFIG_RULE)
        if named not in found:
            found.append(named)
    return sorted(found, key=lambda named: _ORDER.get(named.rule, 1))


def _plain(model: type[ChannelConfig], path: str, item: ErrorDetails) -> str:
    if item["type"] == "value_error":
        return str(item["msg"]).removeprefix("Value error, ")
    return model.PLAIN.get(path, str(item["msg"]))
