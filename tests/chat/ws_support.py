"""Real sockets for the WebSocket tests: the test's own app (already started by
`make_client`) served by uvicorn on a free loopback port, and a `websockets` client.

Serving the very app the test arranged its data in keeps the factories (personas,
friendships, conversations made through the services) and the socket in one process,
while every frame still crosses a real TCP connection and uvicorn's WebSocket code.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from habitus import db
from habitus.chat import service
from habitus.models import User
from tests.fixtures.live import free_port
from tests.fixtures.personas import Persona

WAIT = 5.0


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """`app` on a real port; yields its ws:// base. Its lifespan already ran (the test's
    client started it), so uvicorn does not run it again."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", ws="auto"
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(WAIT):
            while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
                await asyncio.sleep(0.01)
        yield f"ws://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def socket(
    base: str,
    *,
    token: str | None = None,
    cookie: str | None = None,
    origin: str | None = None,
    expect_ready: bool = True,
) -> AsyncIterator[ClientConnection]:
    """A client socket; with `token`, it signs in with the first frame. Waits for the
    server's `ready` frame unless told not to."""
    headers = {"Cookie": f"habitus_session={cookie}"} if cookie else None
    async with connect(
        f"{base}/api/v1/ws",
        additional_headers=headers,
        origin=origin,  # type: ignore[arg-type]
        open_timeout=WAIT,
    ) as ws:
        if token is not None:
            await ws.send(json.dumps({"type": "auth", "token": token}))
        if expect_ready:
            ready = await next_frame(ws)
            assert ready["type"] == "ready", ready
        yield ws


async def next_frame(ws: ClientConnection, wait: float = WAIT) -> dict[str, Any]:
    async with asyncio.timeout(wait):
        frame: dict[str, Any] = json.loads(await ws.recv())
    return frame


async def frame_of_type(ws: ClientConnection, kind: str, wait: float = WAIT) -> dict[str, Any]:
    """The next frame of `kind`, skipping others (e.g. a `resync`)."""
    async with asyncio.timeout(wait):
        while True:
            frame = await next_frame(ws, wait)
            if frame["type"] == kind:
                return frame


async def no_frame(ws: ClientConnection, within: float = 0.5) -> None:
    try:
        async with asyncio.timeout(within):
            frame = await ws.recv()
    except TimeoutError:
        return
    raise AssertionError(f"expected nothing, got {frame!r}")


async def close_code(ws: ClientConnection, wait: float = WAIT) -> int | None:
    """Read until the server closes; its close code."""
    try:
        async with asyncio.timeout(wait):
            while True:
                await ws.recv()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    raise AssertionError("unreachable")


def send_frame(conversation_id: uuid.UUID | str, body: str, client_id: str) -> str:
    return json.dumps(
        {
            "type": "send",
            "conversation_id": str(conversation_id),
            "body": body,
            "client_id": client_id,
        }
    )


async def direct_conversation(app: FastAPI, one: Persona, other: Persona) -> uuid.UUID:
    """The two friends' direct conversation, opened through the chat service."""
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        user = await session.get(User, one.id)
        assert user is not None
        found, _ = await service.open_direct(session, user, other.id)
        return found.id
