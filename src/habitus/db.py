"""Engine, sessions and the transaction boundary.

Services flush, never commit. A request commits here, once, after its handler has
returned a success (see `kit.routing.TransactionalRoute`); a raised error or an error
answer rolls back everything the request wrote, unless the handler said otherwise
with `keep_writes_on_error`. This module and the background worker are the only
places allowed to call `commit()` (tests/test_architecture.py checks it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Result, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from starlette.requests import HTTPConnection

SQLITE_BUSY_TIMEOUT_MS = 10_000


def create_engine(database_url: str, **options: Any) -> AsyncEngine:
    """An async engine; on SQLite with WAL, foreign keys and a busy timeout."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **options)
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        return engine
    options.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **options)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run while one writer writes; NORMAL is durable across app
    # crashes (a power loss may drop the last transactions, never corrupt the file).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: objects stay readable after the boundary commits,
    # and an async session must never lazy-load.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


# --- the request boundary -------------------------------------------------------

_SESSION_ATTR = "db_session"


def request_session(connection: HTTPConnection) -> AsyncSession:
    """The request's session, opened on first use and closed by the route wrapper."""
    session: AsyncSession | None = getattr(connection.state, _SESSION_ATTR, None)
    if session is None:
        maker: async_sessionmaker[AsyncSession] = connection.app.state.sessionmaker
        session = maker()
        setattr(connection.state, _SESSION_ATTR, session)
    return session


_KEEP_ATTR = "db_keep_writes_on_error"


def keep_writes_on_error(connection: HTTPConnection) -> None:
    """Commit this request's writes even though it answers an error status.

    By default a 4xx answer rolls back. A few answers must keep what they wrote:
    a refresh-token reuse revokes the whole sign-in *and* answers 401.
    """
    setattr(connection.state, _KEEP_ATTR, True)


def keeps_writes_on_error(connection: HTTPConnection) -> bool:
    return bool(getattr(connection.state, _KEEP_ATTR, False))


async def commit_request(connection: HTTPConnection) -> None:
    """Commit what the request wrote. Called once, after the handler returned."""
    session: AsyncSession | None = getattr(connection.state, _SESSION_ATTR, None)
    if session is not None:
        await session.commit()


async def rollback_request(connection: HTTPConnection) -> None:
    session: AsyncSession | None = getattr(connection.state, _SESSION_ATTR, None)
    if session is not None:
        await session.rollback()


async def close_request(connection: HTTPConnection) -> None:
    session: AsyncSession | None = getattr(connection.state, _SESSION_ATTR, None)
    if session is not None:
        setattr(connection.state, _SESSION_ATTR, None)
        await session.close()


@asynccontextmanager
async def independent_transaction(
    maker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A short transaction of its own, committed on exit whatever the request does.

    For bookkeeping that must be visible to other requests at once (an idempotency
    key in flight) or must survive the request's rollback.
    """
    async with maker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


@asynccontextmanager
async def job_transaction(maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """The boundary for CLI commands and background jobs: commit on success."""
    async with independent_transaction(maker) as session:
        yield session


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE changed (conditional updates claim work with it)."""
    return int(cast("CursorResult[Any]", result).rowcount)
