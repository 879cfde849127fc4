"""Rows written straight into the live server's database, for pages whose data only
time or a worker makes (notifications from past days, deliveries that failed): built
with the models, as the firing code and the dispatcher write them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from habitus.models import User
from tests.e2e.conftest import SERVER_ENV, _run
from tests.fixtures.live import LiveServer


def user_id(server: LiveServer, email: str) -> uuid.UUID:
    async def find(session: AsyncSession) -> uuid.UUID:
        found = await session.scalar(select(User.id).where(User.email == email))
        assert found is not None, email
        return found

    return _with_session(server, find)


def add(server: LiveServer, rows: Callable[[], list[Any]]) -> None:
    """Insert the rows `rows()` makes, in order, in one transaction."""

    async def insert(session: AsyncSession) -> None:
        for row in rows():
            session.add(row)
            await session.flush()

    _with_session(server, insert)


def _with_session(server: LiveServer, work: Callable[[AsyncSession], Any]) -> Any:
    env, _workdir = SERVER_ENV[server.base_url]

    async def run() -> Any:
        engine = create_async_engine(env["HABITUS_DATABASE_URL"])
        try:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return _run(run())
