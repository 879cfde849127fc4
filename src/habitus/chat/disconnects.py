"""A disabled account's sockets close at once, in every process.

When a transaction that set `users.disabled_at` commits, a `{"type": "disconnect"}` is
published on that user's channel; each of the user's sockets, wherever it is, closes on
it. Hooked to SQLAlchemy's events so the admin code (API, web page, CLI) needs no chat
knowledge. Sockets also re-check their sign-in now and then and on every frame, which
catches what no event announces (a sign-in ended from the sessions page).
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, object_session

from habitus.kit.fanout import Fanout
from habitus.models import User

DISCONNECT = {"type": "disconnect", "reason": "account disabled"}
_PENDING = "chat_disabled_users"

_fanouts: weakref.WeakSet[Any] = weakref.WeakSet()
_tasks: set[asyncio.Task[None]] = set()
_installed = False


def user_channel(user_id: uuid.UUID) -> str:
    return f"user:{user_id}"


def watch(fanout: Fanout) -> None:
    """Announce disabled accounts on `fanout` (each app registers its own at start-up)."""
    _install()
    _fanouts.add(fanout)


def _install() -> None:
    global _installed
    if _installed:
        return
    event.listen(User, "after_update", _after_user_update)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _forget)
    _installed = True


def _after_user_update(_mapper: Any, _connection: Any, target: User) -> None:
    history = inspect(target).attrs.disabled_at.history
    if target.disabled_at is None or not history.added:
        return
    session = object_session(target)
    if session is not None:
        session.info.setdefault(_PENDING, set()).add(target.id)


def _after_commit(session: Session) -> None:
    disabled: set[uuid.UUID] = session.info.pop(_PENDING, set())
    if not disabled or not _fanouts:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return  # a synchronous script: no sockets live here
    for fanout in list(_fanouts):
        for user_id in disabled:
            task = loop.create_task(fanout.publish(user_channel(user_id), dict(DISCONNECT)))
            _tasks.add(task)
            task.add_done_callback(_tasks.discard)


def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
