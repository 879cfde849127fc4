"""What every route may ask for, whatever its feature: the request's database session, the
application context, the client's address. Who is asking (the signed-in user) is auth's
business (`auth.dependencies`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.context import AppContext
from habitus.http.middleware import client_ip

# The browser's sign-in cookie (HttpOnly; auth sets and reads it, error pages clear it).
SESSION_COOKIE = "habitus_session"

# Dependencies are `async def` even when they do not await: FastAPI runs a plain `def`
# dependency in a thread pool, a hand-off that cost more than the work (~0.3 ms each).


async def get_session(request: Request) -> AsyncSession:
    return db.request_session(request)


async def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


DbSession = Annotated[AsyncSession, Depends(get_session)]
Context = Annotated[AppContext, Depends(get_context)]


def client_address(request: Request) -> str:
    return client_ip(request.scope)


async def request_ip(request: Request) -> str:
    return client_address(request)
