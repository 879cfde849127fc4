"""Factories for the share-link tests: links made through the shares module in the
app's own transaction (as POST /habits/{id}/shares would), and a profile row."""

from __future__ import annotations

import uuid

from fastapi import FastAPI

from habitus import db
from habitus.models import Profile, User
from habitus.social import shares
from tests.fixtures.personas import Persona


async def make_share(app: FastAPI, owner: Persona, habit_id: str | uuid.UUID) -> tuple[str, str]:
    """(share id, token) of a new link to `habit_id`."""
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        user = await session.get(User, owner.id)
        assert user is not None
        made = await shares.create(session, app.state.ctx, user, uuid.UUID(str(habit_id)))
        return str(made.share.id), made.token


async def make_profile(app: FastAPI, owner: Persona, handle: str, *, public: bool) -> None:
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        session.add(Profile(user_id=owner.id, handle=handle, public=public))
