"""The `habitus` command line, run as a user runs it: a real process, a real database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.fixtures.database import backend
from tests.fixtures.live import habitus_env, live_server, run_cli

ADMIN_PASSWORD = "a sturdy admin passphrase"

# Every test starts `habitus` processes: slow tests run first (tests/conftest.py).
pytestmark = pytest.mark.slow


def test_help_lists_the_commands(tmp_path: Path):
    """Issue 2: `habitus --help` lists the CLI."""
    result = run_cli("--help", env=habitus_env("sqlite+aiosqlite:///unused.db", tmp_path))
    assert result.returncode == 0, result.stderr
    for command in ("serve", "migrate", "create-admin"):
        assert command in result.stdout


def test_migrate_creates_the_database_and_is_idempotent(fresh_database_url: str, tmp_path: Path):
    """Issue 2: `habitus migrate` creates the schema; a second run changes nothing."""
    env = habitus_env(fresh_database_url, tmp_path)
    first = run_cli("migrate", env=env)
    assert first.returncode == 0, first.stderr
    assert "migrated" in first.stderr
    second = run_cli("migrate", env=env)
    assert second.returncode == 0, second.stderr
    assert "already at" in second.stderr


@pytest.mark.skipif(backend() != "sqlite", reason="SQLite file specifics")
def test_migrate_makes_a_wal_sqlite_file(tmp_path: Path):
    """Issue 2: the SQLite database is created on first use, in WAL mode."""
    database = tmp_path / "nested" / "habitus.db"
    result = run_cli("migrate", env=habitus_env(f"sqlite+aiosqlite:///{database}", tmp_path))
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"users", "alembic_version"} <= tables


def test_create_admin_then_sign_in_as_admin(fresh_database_url: str, tmp_path: Path):
    """Issue 2: `habitus create-admin EMAIL` makes an admin who can use the admin API."""
    env = habitus_env(fresh_database_url, tmp_path)
    created = run_cli("create-admin", "Boss@Example.org", "--password", ADMIN_PASSWORD, env=env)
    assert created.returncode == 0, created.stderr
    assert "created" in created.stderr
    with live_server(env, tmp_path) as server:
        tokens = httpx.post(
            f"{server.base_url}/api/v1/auth/login",
            json={"email": "boss@example.org", "password": ADMIN_PASSWORD},
        )
        assert tokens.status_code == 200, tokens.text
        headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
        users = httpx.get(f"{server.base_url}/api/v1/admin/users", headers=headers)
        assert users.status_code == 200
        assert [user["is_admin"] for user in users.json()["items"]] == [True]


def test_create_admin_promotes_an_existing_user(fresh_database_url: str, tmp_path: Path):
    """Issue 2: create-admin on an existing account makes it an admin, password unchanged."""
    env = habitus_env(fresh_database_url, tmp_path)
    assert run_cli("migrate", env=env).returncode == 0
    with live_server(env, tmp_path) as server:
        registered = httpx.post(
            f"{server.base_url}/api/v1/auth/register",
            json={"email": "dana@example.org", "password": "dana's own passphrase"},
        )
        assert registered.status_code == 201
        promoted = run_cli("create-admin", "dana@example.org", env=env)
        assert promoted.returncode == 0, promoted.stderr
        assert "now an administrator" in promoted.stderr
        tokens = httpx.post(
            f"{server.base_url}/api/v1/auth/login",
            json={"email": "dana@example.org", "password": "dana's own passphrase"},
        )
        me = httpx.get(
            f"{server.base_url}/api/v1/me",
            headers={"Authorization": f"Bearer {tokens.json()['access_token']}"},
        )
        assert me.json()["is_admin"] is True


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("ok@example.org", "short", "at least 10 characters"),
        ("ok@example.org", "password123", "too common"),
        ("not-an-email", ADMIN_PASSWORD, "not a valid email"),
    ],
)
def test_create_admin_refuses_bad_input(
    fresh_database_url: str, tmp_path: Path, email: str, password: str, message: str
):
    """Issue 2: the CLI applies the same password and email rules as sign-up."""
    env = habitus_env(fresh_database_url, tmp_path)
    result = run_cli("create-admin", email, "--password", password, env=env)
    assert result.returncode == 1
    assert message in result.stderr


def test_create_admin_without_a_password_and_no_terminal_fails_clearly(
    fresh_database_url: str, tmp_path: Path
):
    """Issue 2: without a password and without a terminal to ask on, say how to give one."""
    result = run_cli("create-admin", "x@example.org", env=habitus_env(fresh_database_url, tmp_path))
    assert result.returncode == 2
    assert "HABITUS_ADMIN_PASSWORD" in result.stderr


def test_serve_serves_pages_docs_and_the_schema(fresh_database_url: str, tmp_path: Path):
    """Issue 2: `habitus serve --host H --port P` migrates and serves the web page, /docs,
    /redoc and /openapi.json."""
    with live_server(habitus_env(fresh_database_url, tmp_path), tmp_path) as server:
        for path in ("/", "/login", "/docs", "/redoc", "/openapi.json", "/readyz"):
            response = httpx.get(server.base_url + path)
            assert response.status_code == 200, (path, response.text)
        assert httpx.get(server.base_url + "/openapi.json").json()["info"]["title"] == "Habitus"


def test_production_refuses_a_placeholder_secret(fresh_database_url: str, tmp_path: Path):
    """Issue 2: HABITUS_SECRET_KEY is refused if it is a known placeholder in production."""
    env = habitus_env(
        fresh_database_url,
        tmp_path,
        HABITUS_ENVIRONMENT="production",
        HABITUS_SECRET_KEY="changeme",
    )
    result = run_cli("migrate", env=env)
    assert result.returncode == 2
    assert "placeholder" in result.stderr
