"""Service-level checks of what HTTP cannot show: that services never commit, and races
staged in a fixed order (two sign-ups of one address, two refreshes of one token)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from habitus.auth import service
from habitus.context import AppContext
from habitus.errors import Conflict
from habitus.models import AuthSession, RefreshToken, User
from tests.auth.helpers import API, bearer, problem
from tests.fixtures.personas import DEFAULT_PASSWORD, Persona

# Long enough for the racing side to reach its write and wait on the other's lock.
RACE_SETTLE_SECONDS = 0.3


@pytest.fixture
def ctx(app: FastAPI) -> AppContext:
    context: AppContext = app.state.ctx
    return context


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def committed_rows(maker: async_sessionmaker[AsyncSession], model: type) -> int:
    async with maker() as reader:
        return int(await reader.scalar(select(func.count()).select_from(model)) or 0)


async def test_services_flush_and_never_commit(
    ctx: AppContext, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """DESIGN.md: services flush, never commit; the request boundary decides."""
    async with sessions() as session:
        user = await service.register(
            session, ctx, email="dora@example.org", password=DEFAULT_PASSWORD
        )
        issued = await service.start_session(
            session, ctx, user=user, kind="api", ip="203.0.113.7", user_agent=None
        )
        assert issued.refresh_token is not None
        rotated = await service.refresh(session, ctx, refresh_token=issued.refresh_token)
        assert isinstance(rotated, service.Issued)
        # Seen inside the transaction, invisible to everyone else: nothing was committed.
        assert await session.scalar(select(func.count()).select_from(RefreshToken)) == 2
        for model in (User, AuthSession, RefreshToken):
            assert await committed_rows(sessions, model) == 0
        await session.rollback()
    for model in (User, AuthSession, RefreshToken):
        assert await committed_rows(sessions, model) == 0


async def test_concurrent_sign_ups_of_one_address_end_in_a_conflict(
    ctx: AppContext, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """API.md Auth: two sign-ups of one address at once: one account, the other a 409 (not 500)."""
    async with sessions() as first, sessions() as second:
        await service.register(first, ctx, email="dora@example.org", password=DEFAULT_PASSWORD)
        # The second passes the "is it taken?" check (the first is not committed) and
        # waits on the database for the first one's insert.
        racing = asyncio.create_task(
            service.register(second, ctx, email="DORA@example.org", password=DEFAULT_PASSWORD)
        )
        await asyncio.sleep(RACE_SETTLE_SECONDS)
        assert not racing.done(), "the race was not staged: the second sign-up did not wait"
        await first.commit()
        with pytest.raises(Conflict) as raised:
            await racing
        assert [error.field for error in raised.value.errors] == ["email"]
        await second.rollback()
    assert await committed_rows(sessions, User) == 1


async def test_two_racing_refreshes_of_one_token_revoke_the_login(
    client: httpx.AsyncClient,
    alice: Persona,
    ctx: AppContext,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """API.md Auth: of two racing refreshes of one token one wins; the other revokes the login."""
    async with sessions() as first, sessions() as second:
        winner = await service.refresh(first, ctx, refresh_token=alice.refresh_token)
        assert isinstance(winner, service.Issued)
        racing = asyncio.create_task(
            service.refresh(second, ctx, refresh_token=alice.refresh_token)
        )
        await asyncio.sleep(RACE_SETTLE_SECONDS)
        assert not racing.done(), "the race was not staged: the second refresh did not wait"
        await first.commit()
        loser = await racing
        assert isinstance(loser, service.RefreshRejected)
        assert loser.family_revoked
        await second.commit()
    assert winner.access_token is not None
    assert winner.refresh_token is not None
    problem(await client.get(f"{API}/me", headers=bearer(winner.access_token)), 401)
    refreshed = await client.post(
        f"{API}/auth/refresh", json={"refresh_token": winner.refresh_token}
    )
    problem(refreshed, 401)
