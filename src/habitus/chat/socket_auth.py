"""Who is on the other end of a WebSocket: the browser's session cookie (only from our
own origin) or an access token in the first frame. And whether that sign-in still holds.

The Origin check matters because browsers send cookies with a WebSocket handshake from
any page: without it, another site could open a socket as the signed-in user (cross-site
WebSocket hijacking). A token, unlike a cookie, is never sent by the browser on its own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.websockets import WebSocket

from habitus.auth import repository
from habitus.auth.tokens import InvalidToken, read_access_token, token_digest
from habitus.config import Settings
from habitus.http.dependencies import SESSION_COOKIE
from habitus.kit import clock
from habitus.models import User


@dataclass(frozen=True, slots=True)
class SocketUser:
    user_id: uuid.UUID
    session_id: uuid.UUID


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_site(websocket: WebSocket, settings: Settings) -> bool:
    """No Origin (not a browser: it cannot carry someone else's cookie) or our own."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    host = websocket.headers.get("host", "")
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    allowed = {_origin_of(settings.base_url), f"{scheme}://{host}".lower()}
    allowed.update(_origin_of(extra) for extra in settings.cors_origins)
    return origin.lower().rstrip("/") in allowed


def session_cookie(websocket: WebSocket) -> str | None:
    return websocket.cookies.get(SESSION_COOKIE) or None


async def from_cookie(session: AsyncSession, cookie: str) -> SocketUser | None:
    found = await repository.web_session_with_user(session, token_digest(cookie))
    if found is None:
        return None
    auth_session, user = found
    if user.is_disabled or auth_session.revoked_at is not None:
        return None
    if auth_session.expires_at <= clock.now():
        return None
    return SocketUser(user_id=user.id, session_id=auth_session.id)


async def from_token(session: AsyncSession, settings: Settings, token: str) -> SocketUser | None:
    try:
        claims = read_access_token(token, key=settings.signing_key, now=clock.now())
    except InvalidToken:
        return None
    found = await repository.session_with_user(
        session, session_id=claims.session_id, user_id=claims.user_id
    )
    if found is None:
        return None
    auth_session, user = found
    if user.is_disabled or auth_session.revoked_at is not None:
        return None
    return SocketUser(user_id=user.id, session_id=auth_session.id)


async def signed_in_user(session: AsyncSession, who: SocketUser) -> User | None:
    """The socket's user, unless the sign-in ended or the account was disabled since the
    socket opened (one query)."""
    found = await repository.session_with_user(
        session, session_id=who.session_id, user_id=who.user_id
    )
    if found is None:
        return None
    auth_session, user = found
    if user.is_disabled or auth_session.revoked_at is not None:
        return None
    return user


async def still_signed_in(session: AsyncSession, who: SocketUser) -> bool:
    return await signed_in_user(session, who) is not None
