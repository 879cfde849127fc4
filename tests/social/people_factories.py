"""Factories for the people tests (profiles, friends, blocks), through the services in
the app's own write transactions, skipping the HTTP round trips."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.models import FriendRequest, Habit, User
from habitus.social import blocks, friends, profiles
from tests.fixtures.personas import Persona

API = "/api/v1"


async def with_handle(app: FastAPI, persona: Persona, handle: str, *, public: bool = False) -> None:
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        await profiles.update_profile(session, persona.id, handle=handle, public=public)


async def _user(session: AsyncSession, persona: Persona) -> User:
    found = await session.get(User, persona.id)
    assert found is not None
    return found


async def request_friend(
    app: FastAPI, sender: Persona, email: str | None = None, *, handle: str | None = None
) -> None:
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        await friends.send_request(
            session, app.state.ctx, await _user(session, sender), email=email, handle=handle
        )


async def friends_with(app: FastAPI, one: Persona, other: Persona) -> None:
    """A request from `one`, accepted by `other` (D12.1), as the services do it."""
    await request_friend(app, one, other.email)
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        await friends.send_request(
            session, app.state.ctx, await _user(session, other), email=one.email
        )


async def blocking(app: FastAPI, blocker: Persona, blocked: Persona) -> None:
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        await blocks.block(session, await _user(session, blocker), blocked.id)


async def set_visibility(app: FastAPI, habit_id: str, visibility: str) -> None:
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        await session.execute(
            update(Habit).where(Habit.id == uuid.UUID(habit_id)).values(visibility=visibility)
        )


async def request_row(app: FastAPI, sender: Persona, to: Persona) -> FriendRequest | None:
    async with app.state.sessionmaker() as session:
        found: FriendRequest | None = await session.scalar(
            select(FriendRequest).where(
                FriendRequest.from_user_id == sender.id, FriendRequest.to_user_id == to.id
            )
        )
        return found
