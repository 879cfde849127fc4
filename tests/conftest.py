"""Fixtures for the whole suite. See tests/fixtures/ for the parts."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import time_machine
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from habitus.config import Settings
from habitus.db import create_engine
from habitus.main import create_app
from habitus.wiring import register_all
from tests.fixtures import passes
from tests.fixtures.apps import AppPool, settings_key
from tests.fixtures.database import (
    backend,
    drop_postgres_database,
    migrated_database,
    new_database,
    wipe,
)
from tests.fixtures.fake_llm import fake_llm_fixture, fake_llm_server  # noqa: F401
from tests.fixtures.files import LOOP_FIXTURES, required
from tests.fixtures.personas import Persona, create_persona, make_persona

# The app, the CLI and the worker fill the registry of reactions first thing; tests that
# call services directly get the same reactions (DESIGN: one wiring root).
register_all()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests this pass leaves to the other one are deselected (tests/fixtures/passes.py:
    with `make test`, a test that touches no database runs in the SQLite pass only, and
    each browser test file in one of the two passes).

    Tests marked `slow` run first, the rest in their usual order. Under xdist
    (`--dist worksteal`, pyproject.toml) a worker that runs out of tests takes some of
    another's queue, never the test that worker is running: a minute-long test left to
    the end ran on alone while the other worker idled. Started first, it runs while the
    other worker gets through the short ones."""
    left = passes.left_for_the_other_pass(items, backend())
    if left:
        config.hook.pytest_deselected(items=left)
        leaving = set(map(id, left))
        items[:] = [item for item in items if id(item) not in leaving]
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
REDIS_URL = os.environ.get("HABITUS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def uses_redis() -> bool:
    """The PostgreSQL run also shares rate limits through Redis, the multi-process shape."""
    return os.environ.get("HABITUS_TEST_REDIS", "1" if backend() == "postgresql" else "0") == "1"


@pytest.fixture(scope="session")
def loop_fixtures() -> Path:
    """The real Loop Habit Tracker files (tests/fixtures/files.py says where they are
    looked for), or a skip naming the path."""
    return required(LOOP_FIXTURES, "the real Loop files (../shared/fixtures/loop/)")


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
async def database_url(data_dir: Path) -> AsyncIterator[str]:
    url, name = await migrated_database(data_dir)
    yield url
    if name is not None:
        await drop_postgres_database(name)


@pytest.fixture
async def fresh_database_url(tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the suite's kind (no tables), dropped afterwards."""
    url, name = await new_database(tmp_path)
    yield url
    if name is not None:
        await drop_postgres_database(name)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session for reading what the app wrote (and arranging rare states)."""
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        yield session


@pytest.fixture(autouse=True)
async def _clean_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    if "engine" in request.fixturenames:
        await wipe(request.getfixturevalue("engine"))


def settings_for(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "data_dir": data_dir,
        "secret_key": TEST_SECRET,
        "auto_migrate": False,
        "run_worker": False,
        # Cheap Argon2 keeps the suite fast; a dedicated test checks the real cost.
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
        "argon2_parallelism": 1,
        "rate_limit_user": "100000/minute",
        "rate_limit_ip": "100000/minute",
        "login_failures_per_account": "1000/minute",
        "login_failures_per_ip": "1000/minute",
        "registrations_per_ip": "100000/minute",
        # Sign-ups answer 201 at once even in tests that configure SMTP (issue 20); the
        # verification tests turn it on.
        "verify_signups": False,
        "log_level": "WARNING",
        "redis_url": REDIS_URL if uses_redis() else None,
        "redis_prefix": f"habitus-test:{uuid.uuid4().hex}:",
    }
    values.update(overrides)
    return Settings(**values)


AppFactory = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture(scope="session")
def app_pool() -> AppPool:
    """This worker's built apps, lent to one test at a time (tests/fixtures/apps.py)."""
    return AppPool()


@pytest.fixture
async def make_client(
    database_url: str, data_dir: Path, engine: AsyncEngine, app_pool: AppPool
) -> AsyncIterator[AppFactory]:
    """Start an app with these setting overrides and return a client for it.

    The app comes from the worker's pool when one was built with the same overrides
    (building is the slow part); its lifespan runs for this test alone."""
    managers: list[LifespanManager] = []
    clients: list[httpx.AsyncClient] = []
    borrowed: list[tuple[str, FastAPI]] = []

    async def factory(**overrides: Any) -> httpx.AsyncClient:
        key = settings_key(overrides)
        app = app_pool.take(
            key, lambda: create_app(settings_for(database_url, data_dir, **overrides))
        )
        borrowed.append((key, app))
        manager = LifespanManager(app)
        await manager.__aenter__()
        managers.append(manager)
        client = httpx.AsyncClient(
            # The app itself, not manager.app: that wrapper shares one state dict
            # between all requests, which no real server does.
            transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 50000)),
            base_url="http://testserver",
        )
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.aclose()
    for manager in reversed(managers):
        await manager.__aexit__(None, None, None)
    for key, app in borrowed:
        await app_pool.give_back(key, app, redis_url=REDIS_URL)


@pytest.fixture
async def client(make_client: AppFactory) -> httpx.AsyncClient:
    return await make_client()


@pytest.fixture
def app(client: httpx.AsyncClient) -> FastAPI:
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    return transport.app  # type: ignore[return-value]


PersonaFactory = Callable[..., Awaitable[Persona]]


@pytest.fixture
def new_persona(client: httpx.AsyncClient) -> PersonaFactory:
    """How the personas below are made: through the auth services, in the app of
    `client` (tests/fixtures/personas.py). Tests about signing up and signing in
    override it with the HTTP way (tests/auth/conftest.py)."""
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    app: FastAPI = transport.app  # type: ignore[assignment]

    async def make(email: str, **fields: Any) -> Persona:
        return await create_persona(app, email, **fields)

    return make


@pytest.fixture
def new_persona_over_http(client: httpx.AsyncClient) -> PersonaFactory:
    """Personas signed up and signed in through the API (POST /auth/register, /login)."""

    async def make(email: str, **fields: Any) -> Persona:
        return await make_persona(client, email, **fields)

    return make


@pytest.fixture
async def alice(new_persona: PersonaFactory) -> Persona:
    return await new_persona("alice@example.org", display_name="Alice")


@pytest.fixture
async def bob(new_persona: PersonaFactory) -> Persona:
    return await new_persona("bob@example.org", display_name="Bob")


@pytest.fixture
async def charlie(new_persona: PersonaFactory) -> Persona:
    """The curious one: tries to see and touch other people's data."""
    return await new_persona("charlie@example.org", display_name="Charlie")


@pytest.fixture
async def admin(new_persona: PersonaFactory, db_session: AsyncSession) -> Persona:
    from sqlalchemy import update

    from habitus.models import User

    persona = await new_persona("root@example.org", display_name="Root")
    await db_session.execute(update(User).where(User.id == persona.id).values(is_admin=True))
    await db_session.commit()
    return persona


FROZEN_AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen_clock() -> Iterator[time_machine.Coordinates]:
    """Time stands still at 2026-11-21 12:00 UTC until the test moves it."""
    with time_machine.travel(FROZEN_AT, tick=False) as traveller:
        yield traveller
