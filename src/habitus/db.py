"""Engine, sessions and the transaction boundary.

Services flush, never commit. A request commits here, once, after its handler has
returned a success (see `kit.routing.TransactionalRoute`); a raised error or an error
answer rolls back everything the request wrote, unless the handler said otherwise
with `keep_writes_on_error`. This module and the background worker are the only
places allowed to call `commit()` (tests/test_architecture.py checks it).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Result, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from starlette.requests import HTTPConnection

DEFAULT_LOCK_TIMEOUT_SECONDS = 10.0


def create_engine(
    database_url: str, *, lock_timeout_seconds: float = DEFAULT_LOCK_TIMEOUT_SECONDS, **options: Any
) -> AsyncEngine:
    """An async engine; on SQLite with WAL and foreign keys. A statement waits at most
    `lock_timeout_seconds` for a lock (SQLite's busy timeout, PostgreSQL's
    lock_timeout); past it, `is_lock_timeout` recognises the error."""
    url = make_url(database_url)
    timeout_ms = max(1, int(lock_timeout_seconds * 1000))
    if url.get_backend_name() == "sqlite":
        database = url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **options)
        event.listen(engine.sync_engine, "connect", _sqlite_configurer(timeout_ms))
        return engine
    options.setdefault("pool_pre_ping", True)
    options.setdefault("connect_args", {}).setdefault(
        "server_settings", {"lock_timeout": str(timeout_ms)}
    )
    return create_async_engine(url, **options)


def _sqlite_configurer(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def configure(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers run while one writer writes; NORMAL is durable across app
        # crashes (a power loss may drop the last transactions, never corrupt the file).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.close()

    return configure


def is_lock_timeout(error: DBAPIError) -> bool:
    """Did the statement give up waiting for a lock (see `create_engine`)?"""
    original = error.orig
    if getattr(original, "sqlstate", None) == "55P03":  # PostgreSQL lock_not_available
        return True
    return "database is locked" in str(original)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: objects stay readable after the boundary commits,
    # and an async session must never lazy-load.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


# --- the request boundary -------------------------------------------------------


class WriterQueue:
    """SQLite has one writer at a time, and a writer that finds the database locked
    sleeps in its busy handler (1, 2, 5 ... 100 ms) before trying again, leaving the
    lock idle meanwhile. Requests that may write take turns here instead, in order,
    and each starts the moment the previous one commits. PostgreSQL needs none of
    this (row locks wake waiters at once): there the queue is a no-op."""

    def __init__(self, *, enabled: bool, timeout_seconds: float) -> None:
        self._lock = asyncio.Lock() if enabled else None
        self._timeout = timeout_seconds

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        if self._lock is None:
            yield
            return
        try:
            async with asyncio.timeout(self._timeout):
                await self._lock.acquire()
        except TimeoutError as error:
            raise WriterBusy from error
        try:
            yield
        finally:
            self._lock.release()


class WriterBusy(Exception):
    pass


def writer_turn(connection: HTTPConnection) -> AbstractAsyncContextManager[None]:
    queue: WriterQueue = connection.app.state.writer_queue
    return queue.turn()


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


_AFTER_COMMIT = "after_commit"


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run `callback` once this session's transaction has committed (not on rollback):
    for process caches that must only ever hold committed data."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


async def _commit(session: AsyncSession) -> None:
    await session.commit()
    for callback in session.info.pop(_AFTER_COMMIT, []):
        callback()


async def _rollback(session: AsyncSession) -> None:
    session.info.pop(_AFTER_COMMIT, None)
    await session.rollback()


async def commit_request(connection: HTTPConnection) -> None:
    """Commit what the request wrote. Called once, after the handler returned."""
    session: AsyncSession | None = getattr(connection.state, _SESSION_ATTR, None)
    if session is not None:
        await _commit(session)


async def rollback_request(connection: HTTPConnection) -> None:
    session: AsyncSession | None = getattr(connection.state, _SESSION_ATTR, None)
    if session is not None:
        await _rollback(session)


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

    For work outside a request (CLI commands, background jobs, tests' arrangements).
    """
    async with maker() as session:
        try:
            yield session
        except BaseException:
            await _rollback(session)
            raise
        await _commit(session)


@asynccontextmanager
async def job_transaction(maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """The boundary for CLI commands and background jobs: commit on success."""
    async with independent_transaction(maker) as session:
        yield session


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE changed (conditional updates claim work with it)."""
    return int(cast("CursorResult[Any]", result).rowcount)


def insert_for(dialect: str) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL alike)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name
