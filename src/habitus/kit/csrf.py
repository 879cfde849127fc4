"""CSRF protection for everything a browser session can change.

Signed-in: the token is an HMAC of the session ID (nothing stored, nothing to leak to
another session). Signed-out forms (sign-in, sign-up): a random cookie and an HMAC of
it (signed double submit). Unsafe requests also must not come from another origin.

Pages are compressed (BREACH): the token a page carries is masked with fresh random
bytes on every response, so no two pages carry the same string to guess at by length
(docs/SECURITY.md). Any masking of the right token, or the bare token, is accepted.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request

from habitus.errors import Forbidden
from habitus.kit import signing

ANON_COOKIE = "habitus_csrf"
FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
_NEW_COOKIE_ATTR = "new_csrf_cookie"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _key(request: Request) -> str:
    key: str = request.app.state.settings.signing_key
    return key


def token_for(request: Request) -> str:
    """The token to put in this page's forms (and its meta tag, for HTMX), masked."""
    return mask(_bare_token(request))


def mask(token: str) -> str:
    """`token` XOR a random pad, with the pad in front: a new string every time."""
    raw = _decode(token)
    if raw is None:
        return token
    pad = secrets.token_bytes(len(raw))
    return _encode(pad + bytes(a ^ b for a, b in zip(pad, raw, strict=True)))


def unmask(submitted: str) -> str:
    """The bare token inside a masked one; anything else is returned unchanged."""
    raw = _decode(submitted)
    if raw is None or len(raw) != 2 * _TOKEN_BYTES:
        return submitted
    pad, masked = raw[:_TOKEN_BYTES], raw[_TOKEN_BYTES:]
    return _encode(bytes(a ^ b for a, b in zip(pad, masked, strict=True)))


_TOKEN_BYTES = 32  # an HMAC-SHA256 (kit.signing.sign)


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def _bare_token(request: Request) -> str:
    session_id = getattr(request.state, "web_session_id", None)
    if session_id is not None:
        return signing.sign(_key(request), "csrf-session", str(session_id))
    anon = request.cookies.get(ANON_COOKIE) or getattr(request.state, _NEW_COOKIE_ATTR, None)
    if not anon:
        anon = secrets.token_urlsafe(24)
        setattr(request.state, _NEW_COOKIE_ATTR, anon)
    return signing.sign(_key(request), "csrf-anon", anon)


def new_anon_cookie(request: Request) -> str | None:
    """A cookie value the response must set, when this page made one up."""
    value: str | None = getattr(request.state, _NEW_COOKIE_ATTR, None)
    return value


def verify(request: Request, submitted: str | None) -> None:
    """Refuse an unsafe request whose token does not match, or from a foreign origin."""
    if request.method in SAFE_METHODS:
        return
    _check_origin(request)
    if not submitted:
        raise Forbidden("This form has expired; reload the page and try again.", code="csrf")
    submitted = unmask(submitted)
    key = _key(request)
    session_id = getattr(request.state, "web_session_id", None)
    if session_id is not None and signing.matches(key, "csrf-session", str(session_id), submitted):
        return
    anon = request.cookies.get(ANON_COOKIE)
    if anon and signing.matches(key, "csrf-anon", anon, submitted):
        return
    raise Forbidden("This form has expired; reload the page and try again.", code="csrf")


def _check_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return  # old browsers and same-origin form posts may omit it; the token decides
    expected = {_origin_of(str(request.base_url)), _origin_of(request.app.state.settings.base_url)}
    if _origin_of(origin) not in expected:
        raise Forbidden("Cross-origin request refused.", code="csrf-origin")


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


async def verified_form(request: Request) -> dict[str, str]:
    """A dependency for web form handlers: the submitted fields, after the CSRF check."""
    form = await request.form()
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    verify(request, fields.get(FORM_FIELD) or request.headers.get(HEADER))
    return fields
