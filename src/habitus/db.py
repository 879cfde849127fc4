"""Engine, sessions and the transaction boundary.

Services flush, never commit. A request commits here, once, after its handler has
returned a success (see `kit.routing.TransactionalRoute`); a raised error or an error
answer rolls back everything the request wrote, unless the handler said otherwise
with `keep_writes_on_error`. This module and the background worker are the only
places allowed to call `commit()` (tests/test_architecture.py checks it).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

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
from sqlalchemy.orm import ORMExecuteState, Session
from starlette.requests import HTTPConnection

DEFAULT_LOCK_TIMEOUT_SECONDS = 10.0
_Endpoint = TypeVar("_Endpoint", bound=Callable[..., Any])


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


# --- a writer turn taken late -----------------------------------------------------
#
# Most writing requests take their turn before the handler runs. A few do slow work
# before their first write (checking a password with Argon2, parsing an upload): held
# through that, the turn would stall every other writer of the process (issue 11, items
# 2 and 4). Their handlers are marked with `prepares_before_writing`; they run without
# the turn and take it with `start_writing(session)` right before they write. Reads before
# that are safe on SQLite: its driver begins a transaction only at the first write, so
# nothing is held while the slow part runs.

_DEFERS_ATTR = "__habitus_prepares_before_writing__"
_CLAIM_KEY = "habitus_writer_claim"


def prepares_before_writing(endpoint: _Endpoint) -> _Endpoint:
    """Mark a route's handler: it takes its writer turn itself, with `start_writing`."""
    setattr(endpoint, _DEFERS_ATTR, True)
    return endpoint


def defers_writer_turn(endpoint: Callable[..., Any]) -> bool:
    return bool(getattr(endpoint, _DEFERS_ATTR, False))


class WriterClaim:
    """A request's writer turn, taken on first `start_writing` and held until the request
    has committed or rolled back (`release`)."""

    def __init__(self, queue: WriterQueue) -> None:
        self._queue = queue
        self._turn: AbstractAsyncContextManager[None] | None = None

    @property
    def held(self) -> bool:
        return self._turn is not None

    async def take(self) -> None:
        if self._turn is not None:
            return
        turn = self._queue.turn()
        await turn.__aenter__()
        self._turn = turn

    async def release(self) -> None:
        turn, self._turn = self._turn, None
        if turn is not None:
            await turn.__aexit__(None, None, None)


@asynccontextmanager
async def deferred_writer_turn(connection: HTTPConnection) -> AsyncIterator[WriterClaim]:
    """The request runs without the writer turn; `start_writing` on its session takes it
    and it is given back when this block ends (after commit or rollback)."""
    claim = WriterClaim(connection.app.state.writer_queue)
    setattr(connection.state, _CLAIM_KEY, claim)
    try:
        yield claim
    finally:
        await claim.release()


async def start_writing(session: AsyncSession) -> None:
    """Take the writer turn this session's request deferred; a no-op anywhere else (a
    request that took it up front, a job, PostgreSQL). Call it before the first write."""
    claim: WriterClaim | None = session.info.get(_CLAIM_KEY)
    if claim is not None:
        await claim.take()


def writes_deferred(session: AsyncSession) -> bool:
    """True while this session's request has not taken its deferred writer turn yet:
    code that would write in passing (touching a sign-in's last-seen time) leaves it."""
    claim: WriterClaim | None = session.info.get(_CLAIM_KEY)
    return claim is not None and not claim.held


def _refuse_unclaimed_flush(session: Session, _context: Any, _instances: Any) -> None:
    claim: WriterClaim | None = session.info.get(_CLAIM_KEY)
    if claim is None or claim.held:
        return
    if session.new or session.deleted or any(session.is_modified(row) for row in session.dirty):
        raise RuntimeError("a request that prepares before writing called no start_writing")


def _refuse_unclaimed_statement(state: ORMExecuteState) -> None:
    claim: WriterClaim | None = state.session.info.get(_CLAIM_KEY)
    if claim is None or claim.held:
        return
    if state.is_insert or state.is_update or state.is_delete:
        raise RuntimeError("a request that prepares before writing called no start_writing")


def _watch_for_early_writes(session: AsyncSession) -> None:
    """A write before the turn is a programming error, caught by the tests of every such
    route: it would hold SQLite's lock through the slow part, the very thing deferring
    avoids. Watched only on these sessions, so other requests pay nothing."""
    event.listen(session.sync_session, "before_flush", _refuse_unclaimed_flush)
    event.listen(session.sync_session, "do_orm_execute", _refuse_unclaimed_statement)


_SESSION_ATTR = "db_session"


def request_session(connection: HTTPConnection) -> AsyncSession:
    """The request's session, opened on first use and closed by the route wrapper."""
    session: AsyncSession | None = getattr(connection.state, _SESSION_ATTR, None)
    if session is None:
        maker: async_sessionmaker[AsyncSession] = connection.app.state.sessionmaker
        session = maker()
        claim = getattr(connection.state, _CLAIM_KEY, None)
        if claim is not None:
            session.info[_CLAIM_KEY] = claim
            _watch_for_early_writes(session)
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


_AFTER_COMMIT_ASYNC = "after_commit_async"


def after_commit_async(
    session: AsyncSession | Session, callback: Callable[[], Awaitable[None]]
) -> None:
    """Await `callback` right after this session's transaction has committed, before the
    request answers: for news other processes must have at once (issue 22: a revoked
    sign-in, through Redis). May be called from SQLAlchemy's own `after_commit` event."""
    session.info.setdefault(_AFTER_COMMIT_ASYNC, []).append(callback)


async def _commit(session: AsyncSession) -> None:
    await session.commit()
    for callback in session.info.pop(_AFTER_COMMIT, []):
        callback()
    for awaited in session.info.pop(_AFTER_COMMIT_ASYNC, []):
        await awaited()


async def _rollback(session: AsyncSession) -> None:
    session.info.pop(_AFTER_COMMIT, None)
    session.info.pop(_AFTER_COMMIT_ASYNC, None)
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


@asynccontextmanager
async def write_transaction(
    maker: async_sessionmaker[AsyncSession], queue: WriterQueue | None = None
) -> AsyncIterator[AsyncSession]:
    """A short transaction of its own, committed on exit, taken in `queue`'s turn (the
    web process's writer queue on SQLite): for long work split into bounded steps, such
    as an import, so other writers get their turns in between."""
    if queue is None:
        async with independent_transaction(maker) as session:
            yield session
        return
    async with queue.turn(), independent_transaction(maker) as session:
        yield session
