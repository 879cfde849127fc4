"""The checks of a browser's Web Push subscription (`PushSubscription.toJSON()`), as the
`webpush` channel's config model (`channel_types.WebPushConfig`) runs them: cheap to
import (no push library), so the API can validate a new channel without loading
pywebpush. Each raises ValueError (`UnsafeTarget` for the address rule) with a plain
message, shown to the user when a channel is made and as the reason a kept one fails."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

from habitus.reminders.targets import UnsafeTarget, check_public_host


def check_endpoint_url(endpoint: str) -> None:
    """An http(s) URL with a host (whether it must be https is `check_push_endpoint`)."""
    parts = urlsplit(endpoint)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ValueError("the push subscription's endpoint is not a URL")


def check_p256dh(p256dh: str) -> None:
    """The browser's public key: an uncompressed P-256 point, base64url."""
    try:
        point = _b64url_decode(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError as error:
        raise ValueError("the push subscription's p256dh key is not a P-256 key") from error
    if len(point) != 65:
        raise ValueError("the push subscription's p256dh key is not a P-256 key")


def check_auth_secret(auth: str) -> None:
    """The browser's auth secret: 16 bytes, base64url (RFC 8291 section 3.2)."""
    try:
        secret = _b64url_decode(auth)
    except ValueError as error:
        raise ValueError("the push subscription's auth secret is not base64url") from error
    if len(secret) != 16:
        raise ValueError("the push subscription's auth secret must be 16 bytes")


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
