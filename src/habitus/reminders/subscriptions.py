"""A browser's Web Push subscription as a channel keeps it, checked: cheap to import
(no push library), so the API can validate a new channel without loading pywebpush."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

from habitus.reminders.targets import UnsafeTarget, check_public_host


def parse_subscription(config: Mapping[str, Any]) -> dict[str, Any]:
    """The browser's `PushSubscription.toJSON()` as kept in the channel's config, checked:
    an https endpoint URL, a P-256 public key (`p256dh`) and a 16-byte `auth` secret.
    Raises ValueError with a plain message (also usable when the channel is created)."""
    subscription = config.get("subscription")
    if not isinstance(subscription, Mapping):
        raise ValueError("the channel has no browser push subscription")
    endpoint = subscription.get("endpoint")
    keys = subscription.get("keys")
    if not isinstance(endpoint, str) or urlsplit(endpoint).scheme not in {"https", "http"}:
        raise ValueError("the push subscription's endpoint is not a URL")
    if not urlsplit(endpoint).hostname:
        raise ValueError("the push subscription's endpoint is not a URL")
    if not isinstance(keys, Mapping):
        raise ValueError("the push subscription has no keys")
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not isinstance(p256dh, str) or not isinstance(auth, str):
        raise ValueError("the push subscription's keys are missing")
    try:
        point = _b64url_decode(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError as error:
        raise ValueError("the push subscription's p256dh key is not a P-256 key") from error
    if len(point) != 65:
        raise ValueError("the push subscription's p256dh key is not a P-256 key")
    try:
        secret = _b64url_decode(auth)
    except ValueError as error:
        raise ValueError("the push subscription's auth secret is not base64url") from error
    if len(secret) != 16:
        raise ValueError("the push subscription's auth secret must be 16 bytes")
    return {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}


def check_push_endpoint(endpoint: str, *, allow_private: bool) -> None:
    """Refuse (`UnsafeTarget`, plain words) an endpoint that is not https or that names a
    non-public address literally or as a local name (issue 11 item 3). Push services
    speak https on the internet; with private targets allowed, plain http and private
    addresses pass (a test or a home network playing the push service). No DNS here:
    when sending, the connect-time guard judges the address a name leads to."""
    if allow_private:
        return
    parts = urlsplit(endpoint)
    if parts.scheme != "https":
        raise UnsafeTarget("the push subscription's endpoint does not use https")
    check_public_host(parts.hostname or "", allow_private=False)


def _b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError(str(error)) from error
