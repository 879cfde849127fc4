"""Habit engine tests run with the clock frozen at 2026-11-21 12:00 UTC (a Saturday)
from before the personas sign up, so tokens and "today" agree with the frozen time."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import time_machine
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from habitus.models import Base
from tests.conftest import AppFactory


@pytest.fixture
async def client(
    make_client: AppFactory, frozen_clock: time_machine.Coordinates
) -> httpx.AsyncClient:
    return await make_client()


@pytest.fixture(autouse=True)
async def _clean_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Empty every table after each test, as the suite's own fixture does, with DELETE:
    on the few rows a test writes it is far quicker than TRUNCATE on PostgreSQL."""
    yield
    if "engine" in request.fixturenames:
        engine: AsyncEngine = request.getfixturevalue("engine")
        async with engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                await connection.execute(delete(table))
