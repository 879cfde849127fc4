"""Social tests run with the clock frozen at 2026-11-21 12:00 UTC (a Saturday), like the
habit engine's, so "today" and the personas' tokens agree."""

from __future__ import annotations

import httpx
import pytest
import time_machine

from tests.conftest import AppFactory


@pytest.fixture
async def client(
    make_client: AppFactory, frozen_clock: time_machine.Coordinates
) -> httpx.AsyncClient:
    return await make_client()
