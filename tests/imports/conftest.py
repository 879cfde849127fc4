"""Import tests run with the clock frozen at 2026-11-21 12:00 UTC (as the habit engine's
tests do), so "today" is fixed and years-old Loop data sits far outside any backfill
window."""

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
