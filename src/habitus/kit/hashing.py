"""Argon2id password hashing, off the event loop, a few at a time."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Set while a task holds a password turn, so that `Hasher.turn` nests.
_IN_TURN: ContextVar[bool] = ContextVar("habitus_password_turn", default=False)


def concurrent_hashes(parallelism: int) -> int:
    """How many Argon2 computations may run at once: enough to keep every CPU busy (each
    runs `parallelism` threads), no more."""
    return max(1, (os.cpu_count() or 1) // parallelism)


class Hasher:
    """Argon2id with the configured cost. Hashing runs in a worker thread: it is
    deliberately slow and must not stall the event loop.

    Password work takes turns (`turn`), a few at a time: a flood of sign-ins then waits in
    line instead of running dozens of hashes at once, which starved the event loop of CPU
    and, each holding a database connection, emptied the pool that every other request
    needs (issue 11, item 4)."""

    def __init__(
        self,
        *,
        time_cost: int,
        memory_kib: int,
        parallelism: int,
        concurrency: int | None = None,
    ) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        self._turns = asyncio.Semaphore(concurrency or concurrent_hashes(parallelism))
        # Checked against when the email is unknown, so that path costs the same.
        self._dummy_hash = self._hasher.hash("habitus-timing-equalizer")

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold one of the password turns. A sign-in takes it before it reads the user,
        so that while it waits it holds no database connection. `hash` and `verify` take
        one themselves when the caller holds none."""
        if _IN_TURN.get():
            yield
            return
        async with self._turns:
            token = _IN_TURN.set(True)
            try:
                yield
            finally:
                _IN_TURN.reset(token)

    async def hash(self, password: str) -> str:
        async with self.turn():
            return await anyio.to_thread.run_sync(self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when `password` matches; with no stored hash, burns the same time."""
        async with self.turn():
            return await anyio.to_thread.run_sync(self._verify, stored_hash, password)

    def _verify(self, stored_hash: str | None, password: str) -> bool:
        target = stored_hash if stored_hash is not None else self._dummy_hash
        try:
            matched = self._hasher.verify(target, password)
        except (VerificationError, InvalidHashError):
            return False
        return matched and stored_hash is not None

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)
