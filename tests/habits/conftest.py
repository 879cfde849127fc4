"""Habit engine tests run with the clock frozen at 2026-11-21 12:00 UTC (a Saturday)
from before the personas sign up, so tokens and "today" agree with the frozen time."""

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
