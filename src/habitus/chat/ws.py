"""The chat WebSocket, GET /api/v1/ws (docs/API.md "Chat").

One socket per browser tab or app. After it is authenticated (`socket_auth`) it is
subscribed to its user's channel on the fan-out; three tasks then run side by side:
frames from the client (send, ping), frames to the client (what the fan-out delivers),
and a watch that closes the socket when the sign-in ends. A send is stored first (one
transaction through `chat.service.send`), then acknowledged to the sender and published
to every member's channel, so whatever a process or Redis loses, the database still
has, and a reconnecting client fetches it by cursor.

Close codes: 4401 not signed in (no cookie and no valid auth frame within 5 s, or the
sign-in ended), 4403 a cross-site page tried to use the cookie, 1013 the client fell too
far behind (reconnect and catch up), 1008 a frame that is not JSON, 1003 a binary frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

import structlog
from fastapi import APIRouter, WebSocket
from fastapi.encoders import jsonable_encoder
from starlette.websockets import WebSocketDisconnect, WebSocketState

from habitus import db
from habitus.chat import repository, service, socket_auth
from habitus.chat.disconnects import user_channel
from habitus.chat.socket_auth import SocketUser
from habitus.context import AppContext
from habitus.errors import AppError, TooManyRequests
from habitus.kit.fanout import Fanout, Payload
from habitus.models import Message

log = structlog.get_logger(__name__)
router = APIRouter()

AUTH_TIMEOUT_SECONDS = 5.0
# How often an idle socket re-checks its sign-in (a disabled account is announced at
# once through the fan-out; this catches a sign-in ended some other way).
RECHECK_SECONDS = 30.0
MAX_CLIENT_ID = service.MAX_CLIENT_ID

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TRY_AGAIN = 1013
CLOSE_POLICY = 1008
CLOSE_UNSUPPORTED = 1003
# Error frames' codes for the service's refusals (snake_case, like "rate_limited").
_CODES = {403: "forbidden", 404: "not_found", 422: "invalid"}


class SocketClosed(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def fanout_of(websocket: WebSocket) -> Fanout:
    fanout: Fanout = websocket.app.state.fanout
    return fanout


@router.websocket("/ws")
async def chat_socket(websocket: WebSocket) -> None:
    ctx: AppContext = websocket.app.state.ctx
    await websocket.accept()
    try:
        who = await _authenticate(websocket, ctx)
    except SocketClosed as closed:
        await _close(websocket, closed.code, closed.reason)
        return
    except WebSocketDisconnect:
        return
    await _Connection(websocket, ctx, fanout_of(websocket), who).run()


async def _authenticate(websocket: WebSocket, ctx: AppContext) -> SocketUser:
    if not socket_auth.same_site(websocket, ctx.settings):
        raise SocketClosed(CLOSE_FORBIDDEN, "cross-site origin")
    maker = websocket.app.state.sessionmaker
    if cookie := socket_auth.session_cookie(websocket):
        async with maker() as session:
            who = await socket_auth.from_cookie(session, cookie)
        if who is not None:
            return who
    try:
        async with asyncio.timeout(AUTH_TIMEOUT_SECONDS):
            frame = await _receive_text(websocket)
    except TimeoutError as error:
        raise SocketClosed(CLOSE_UNAUTHORIZED, "sign in first") from error
    data = _parse(frame)
    token = data.get("token") if data and data.get("type") == "auth" else None
    if not isinstance(token, str) or not token:
        raise SocketClosed(CLOSE_UNAUTHORIZED, "sign in first")
    async with maker() as session:
        who = await socket_auth.from_token(session, ctx.settings, token)
    if who is None:
        raise SocketClosed(CLOSE_UNAUTHORIZED, "the access token is invalid or has expired")
    return who


async def _receive_text(websocket: WebSocket) -> str:
    """The next text frame; a binary one is refused (1003), a goodbye ends the socket."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    text = message.get("text")
    if text is None:
        raise SocketClosed(CLOSE_UNSUPPORTED, "frames are JSON text")
    return str(text)


def _parse(frame: str) -> dict[str, Any] | None:
    try:
        data = json.loads(frame)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state != WebSocketState.DISCONNECTED:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(code=code, reason=reason)


class _Connection:
    def __init__(
        self, websocket: WebSocket, ctx: AppContext, fanout: Fanout, who: SocketUser
    ) -> None:
        self.websocket = websocket
        self.ctx = ctx
        self.fanout = fanout
        self.who = who
        self.maker = websocket.app.state.sessionmaker
        self.writer_queue: db.WriterQueue = websocket.app.state.writer_queue
        # Acks (reader task) and deliveries (writer task) share the socket: one at a time.
        self._send_lock = asyncio.Lock()

    async def run(self) -> None:
        subscription = self.fanout.subscribe(user_channel(self.who.user_id))
        tasks = [
            asyncio.create_task(self._read_frames()),
            asyncio.create_task(self._deliver(subscription.get)),
            asyncio.create_task(self._watch_sign_in()),
        ]
        outcome: SocketClosed | None = None
        try:
            await self.send({"type": "ready", "user_id": str(self.who.user_id)})
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                error = task.exception()
                if isinstance(error, SocketClosed):
                    outcome = error
                elif error is not None and not isinstance(error, WebSocketDisconnect):
                    log.error("chat_socket_failed", error=repr(error))
                    outcome = SocketClosed(1011, "server error")
        except WebSocketDisconnect:
            pass
        finally:
            subscription.close()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if outcome is not None:
            await _close(self.websocket, outcome.code, outcome.reason)

    async def send(self, payload: Payload) -> None:
        async with self._send_lock:
            await self.websocket.send_text(json.dumps(payload, default=str))

    async def _deliver(self, next_payload: Any) -> None:
        while True:
            payload: Payload = await next_payload()
            kind = payload.get("type")
            if kind == "overflow":
                raise SocketClosed(CLOSE_TRY_AGAIN, "too far behind; reconnect")
            if kind == "disconnect":
                raise SocketClosed(CLOSE_UNAUTHORIZED, str(payload.get("reason", "signed out")))
            await self.send(payload)

    async def _watch_sign_in(self) -> None:
        while True:
            await asyncio.sleep(RECHECK_SECONDS)
            await self._check_sign_in()

    async def _check_sign_in(self) -> None:
        async with self.maker() as session:
            if not await socket_auth.still_signed_in(session, self.who):
                raise SocketClosed(CLOSE_UNAUTHORIZED, "signed out")

    async def _read_frames(self) -> None:
        while True:
            data = _parse(await _receive_text(self.websocket))
            if data is None:
                raise SocketClosed(CLOSE_POLICY, "frames are JSON objects")
            kind = data.get("type")
            if kind == "send":
                await self._on_send(data)  # checks the sign-in in its own transaction
                continue
            # Every frame is a moment to notice an ended sign-in (cheap: one query).
            await self._check_sign_in()
            if kind == "ping":
                await self.send({"type": "pong"})
            elif kind == "auth":
                continue  # already signed in (a client that always sends it)
            else:
                await self.send(_error("unknown_type", "type", "is not a frame this server knows"))

    async def _on_send(self, data: dict[str, Any]) -> None:
        client_id = data.get("client_id")
        if not isinstance(client_id, str) or not 1 <= len(client_id) <= MAX_CLIENT_ID:
            await self.send(
                _error("invalid", "client_id", f"must be text of 1 to {MAX_CLIENT_ID} characters")
            )
            return
        try:
            conversation_id = uuid.UUID(str(data.get("conversation_id")))
        except ValueError:
            await self.send(
                _error("invalid", "conversation_id", "must be a conversation id", client_id)
            )
            return
        body = data.get("body")
        try:
            await self._store_and_publish(conversation_id, body, client_id)
        except TooManyRequests as error:
            await self.send(
                {
                    "type": "error",
                    "code": "rate_limited",
                    "retry_after": error.retry_after,
                    "message": error.message,
                    "client_id": client_id,
                }
            )
        except AppError as error:
            field = error.errors[0].field if error.errors else None
            code = _CODES.get(error.status_code, error.code.replace("-", "_"))
            await self.send(_error(code, field, error.message, client_id))

    async def _store_and_publish(
        self, conversation_id: uuid.UUID, body: object, client_id: str
    ) -> None:
        async with db.write_transaction(self.maker, self.writer_queue) as session:
            # A resend (same client_id) is answered again but published no second time.
            resend = await repository.by_client_id(session, self.who.user_id, client_id)
            user = await socket_auth.signed_in_user(session, self.who)
            if user is None:
                raise SocketClosed(CLOSE_UNAUTHORIZED, "signed out")
            stored, member_ids = await service.send(
                session, self.ctx, user, conversation_id, body, client_id
            )
            message = message_json(self.ctx, stored)
        # Committed: now it may be told.
        members = [] if resend is not None else member_ids
        await self.send({"type": "ack", "client_id": client_id, "message": message})
        frame = {"type": "message", "conversation_id": str(conversation_id), "message": message}
        for member_id in members:
            await self.fanout.publish(user_channel(member_id), frame)


def message_json(ctx: AppContext, message: Message) -> Payload:
    """A stored message as frames carry it (the same fields as GET .../messages)."""
    return {
        "id": message.id,
        "conversation_id": str(message.conversation_id),
        "sender_id": str(message.sender_id),
        "body": service.body_of(ctx, message),
        "created_at": jsonable_encoder(message.created_at),
    }


def _error(code: str, field: str | None, message: str, client_id: str | None = None) -> Payload:
    frame: Payload = {"type": "error", "code": code, "message": message}
    if field is not None:
        frame["field"] = field
    if client_id is not None:
        frame["client_id"] = client_id
    return frame
