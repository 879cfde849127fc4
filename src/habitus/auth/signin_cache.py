"""Verified sign-ins kept per process for a short while (issue 22).

Looking up the sign-in and its user was one SQL round trip on every authenticated
request: a fifth of a check-in's statements. A process now keeps what it read, keyed by
the sign-in, for `HABITUS_AUTH_CACHE_SECONDS`, and hands the request copies of the rows
(merged into its session without a query, so a handler that changes the user still
writes it).

What must never happen is a cached sign-in outliving its revocation. Every entry is
tagged with the **revocation versions** read *before* its rows were loaded, and a
request uses it only while the versions are unchanged:

- Any commit that changed a user, a sign-in or a personal access token row (sign-out,
  disable, password change, token revoked, session deleted, settings saved, a web
  session's last-seen touch) bumps that user's version; a bulk UPDATE/DELETE of those
  tables (whose rows we do not see) bumps everyone's. Hooked to SQLAlchemy's events,
  like `chat/disconnects.py`, so no service needs to know about this cache.
- In-process versions are bumped on the commit itself, for every cache of the process.
- With `HABITUS_REDIS_URL` the versions also live in Redis: each request reads them (one
  MGET, cheaper than the SQL round trip it replaces) and a commit bumps them before the
  request answers, so a disable in one process is refused at once in all the others.
  Redis unreachable: no cache (every request reads the database, as before).

Without Redis the versions are this process's own: right for one process (`habitus
serve` turns the cache off when it starts several workers without Redis, and
`Settings.sign_in_cache_seconds` keeps none on PostgreSQL without Redis). A change made
by another process (a CLI command) is then seen within the cache's lifetime.
"""

from __future__ import annotations

import time
import uuid
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, make_transient_to_detached, object_session

from habitus import db
from habitus.models import AuthSession, User
from habitus.models.identity import PersonalAccessToken

log = structlog.get_logger(__name__)

Versions = tuple[int, int, int, int]  # local everyone, local user, shared everyone, shared user
_Row = TypeVar("_Row", User, AuthSession)
_WATCHED_TABLES = frozenset({"users", "auth_sessions", "personal_access_tokens"})
_EVERYONE = "*"
_PENDING = "signin_cache_changed"
_MAX_ENTRIES = 10_000


class SharedVersions:
    """Revocation versions in Redis, shared by every process using the same prefix."""

    def __init__(self, url: str, prefix: str) -> None:
        from redis.asyncio import Redis

        self._redis: Any = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix + "authv:"

    def _user_key(self, user_id: uuid.UUID) -> str:
        return f"{self._prefix}u:{user_id}"

    async def read(self, user_id: uuid.UUID) -> tuple[int, int] | None:
        """(everyone, this user); None when Redis cannot answer (then nothing is cached)."""
        from redis.exceptions import RedisError

        try:
            everyone, user = await self._redis.mget(
                self._prefix + _EVERYONE, self._user_key(user_id)
            )
        except (RedisError, OSError):
            return None
        return int(everyone or 0), int(user or 0)

    async def bump(self, user_ids: set[uuid.UUID], everyone: bool) -> None:
        from redis.exceptions import RedisError

        keys = [self._prefix + _EVERYONE] if everyone else [self._user_key(u) for u in user_ids]
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.incr(key)
                await pipe.execute()
        except (RedisError, OSError):
            # Other processes keep their entries until they expire (or until they, too,
            # cannot reach Redis and stop caching). Said loudly: it weakens revocation.
            log.error("revocation-not-shared", users=len(user_ids), everyone=everyone)

    async def close(self) -> None:
        await self._redis.aclose()


@dataclass(slots=True)
class _Entry:
    user: User
    auth_session: AuthSession
    versions: Versions
    until: float


class SignInCache:
    """One process's verified sign-ins. `ttl_seconds` 0: nothing is kept."""

    def __init__(self, ttl_seconds: float, shared: SharedVersions | None = None) -> None:
        self.ttl = ttl_seconds
        self.shared = shared
        self._entries: dict[object, _Entry] = {}
        self._everyone = 0
        self._users: dict[uuid.UUID, int] = {}
        # A web session's owner, learnt from its first lookup: a cookie names no user,
        # and the versions must be read before the rows are (see `versions`).
        self._owners: dict[str, uuid.UUID] = {}
        _caches.add(self)

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    async def versions(self, user_id: uuid.UUID) -> Versions | None:
        """The user's versions now; read them BEFORE loading the rows to be kept, so a
        revocation committed in between leaves the entry already out of date."""
        local = (self._everyone, self._users.get(user_id, 0))
        if self.shared is None:
            return (*local, 0, 0)
        shared = await self.shared.read(user_id)
        return None if shared is None else (*local, *shared)

    def get(self, key: object, versions: Versions | None) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if versions is None or entry.versions != versions or entry.until <= time.monotonic():
            del self._entries[key]
            return None
        return entry

    def put(self, key: object, auth_session: AuthSession, user: User, versions: Versions) -> None:
        if len(self._entries) >= _MAX_ENTRIES:
            # Dicts keep insertion order: drop the oldest tenth.
            for old in list(self._entries)[: _MAX_ENTRIES // 10]:
                del self._entries[old]
        self._entries[key] = _Entry(
            user=_snapshot(user),
            auth_session=_snapshot(auth_session),
            versions=versions,
            until=time.monotonic() + self.ttl,
        )

    def owner_of(self, cookie_digest: str) -> uuid.UUID | None:
        return self._owners.get(cookie_digest)

    def remember_owner(self, cookie_digest: str, user_id: uuid.UUID) -> None:
        """Kept only while the cache is on, and bounded like the entries."""
        if not self.enabled:
            return
        if len(self._owners) >= _MAX_ENTRIES:
            self._owners.clear()
        self._owners[cookie_digest] = user_id

    def attach(self, session: Any, entry: _Entry) -> tuple[AuthSession, User]:
        """Copies of the entry's rows in `session` (no query): the request may change
        them and its flush writes them, never touching the kept snapshot."""
        sync: Session = session.sync_session
        return (
            sync.merge(entry.auth_session, load=False),
            sync.merge(entry.user, load=False),
        )

    def _bump_local(self, user_ids: set[uuid.UUID], everyone: bool) -> None:
        if everyone:
            self._everyone += 1
        for user_id in user_ids:
            self._users[user_id] = self._users.get(user_id, 0) + 1

    async def close(self) -> None:
        _caches.discard(self)
        if self.shared is not None:
            await self.shared.close()


def _snapshot(row: _Row) -> _Row:
    """A detached copy of a loaded row's columns, never attached to any session."""
    state = inspect(row)
    copy = type(row)()
    for attr in state.mapper.column_attrs:
        if attr.key in state.dict:
            setattr(copy, attr.key, state.dict[attr.key])
    make_transient_to_detached(copy)
    return copy


def build(ttl_seconds: float, redis_url: str | None, redis_prefix: str) -> SignInCache:
    _install()
    shared = SharedVersions(redis_url, redis_prefix) if redis_url and ttl_seconds > 0 else None
    return SignInCache(ttl_seconds, shared)


# --- what bumps the versions --------------------------------------------------------

_caches: weakref.WeakSet[SignInCache] = weakref.WeakSet()
_installed = False


@dataclass(slots=True)
class _Changed:
    users: set[uuid.UUID]
    everyone: bool = False


def _install() -> None:
    global _installed
    if _installed:
        return
    for model in (User, AuthSession, PersonalAccessToken):
        event.listen(model, "after_update", _row_changed)
        event.listen(model, "after_delete", _row_changed)
    event.listen(Session, "do_orm_execute", _statement)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _forget)
    _installed = True


def _pending(session: Session) -> _Changed:
    changed: _Changed | None = session.info.get(_PENDING)
    if changed is None:
        changed = session.info[_PENDING] = _Changed(set())
    return changed


def _row_changed(_mapper: Any, _connection: Any, target: Any) -> None:
    session = object_session(target)
    if session is None:
        return
    user_id = target.id if isinstance(target, User) else target.user_id
    _pending(session).users.add(user_id)


def _statement(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in _WATCHED_TABLES:
        _pending(state.session).everyone = True


def _after_commit(session: Session) -> None:
    changed: _Changed | None = session.info.pop(_PENDING, None)
    if changed is None:
        return
    # This process: at once, whichever way the commit came (requests, jobs, tests).
    for cache in list(_caches):
        cache._bump_local(changed.users, changed.everyone)
    # Other processes: through Redis, before the request that revoked answers
    # (`db._commit` awaits this right after the commit).
    shared = {id(c.shared): c.shared for c in list(_caches) if c.shared is not None}
    if shared:
        db.after_commit_async(session, _bump_shared(list(shared.values()), changed))


def _bump_shared(stores: list[SharedVersions], changed: _Changed) -> Callable[[], Awaitable[None]]:
    async def bump() -> None:
        for store in stores:
            await store.bump(changed.users, changed.everyone)

    return bump


def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
