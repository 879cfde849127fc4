"""Where an import writes: its own short transactions, each in the process's writer turn.

A request's import (POST /import) writes outside the request's transaction, in bounded
steps; each step is `db.write_transaction` on the app's sessionmaker and writer queue
(SQLite's single writer), so other writers get their turns in between. The CLI passes
no queue (it is a process of its own)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from habitus import db


@dataclass(frozen=True, slots=True)
class Destination:
    maker: async_sessionmaker[AsyncSession]
    queue: db.WriterQueue | None = None

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A short transaction of its own, committed on exit, in the writer's turn."""
        return db.write_transaction(self.maker, self.queue)
