"""Issue 22: verified sign-ins kept per process (auth/signin_cache.py), and every way a
sign-in stops being valid still refused on the very next request, here and in another
process (through Redis)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.auth.dependencies import _signed_in
from habitus.auth.signin_cache import SignInCache
from habitus.kit import clock
from habitus.models import User
from tests.conftest import REDIS_URL, TEST_SECRET
from tests.fixtures.database import backend
from tests.fixtures.live import LiveServer, habitus_env, live_server
from tests.fixtures.personas import DEFAULT_PASSWORD, Persona
from tests.fixtures.web import browser, web_login
from tests.habits.test_queries import counting

ME = "/api/v1/me"
PAGE = "/settings"


def sign_in_reads(statements: list[str]) -> list[str]:
    """The statements that read a sign-in (auth_sessions)."""
    return [statement for statement in statements if "FROM auth_sessions" in statement]


async def test_a_repeated_request_reads_no_sign_in(client, app, alice: Persona):
    """Issue 22: the second request with the same token is answered from the cache."""
    assert (await client.get(ME, headers=alice.headers)).status_code == 200
    with counting(app) as statements:
        response = await client.get(ME, headers=alice.headers)
    assert response.status_code == 200
    assert response.json()["email"] == alice.email
    assert sign_in_reads(statements) == []


async def test_a_cached_user_disabled_is_refused_at_once(client, app, admin, bob: Persona):
    """Issue 22 (and issue 2 Admin): bob's sign-in is cached, the admin disables him, and
    his very next request is refused, reading the database again."""
    for _ in range(2):
        assert (await client.get(ME, headers=bob.headers)).status_code == 200
    disabled = await client.post(
        f"/api/v1/admin/users/{bob.id}/disable", json={"reason": "spam"}, headers=admin.headers
    )
    assert disabled.status_code == 200, disabled.text
    with counting(app) as statements:
        refused = await client.get(ME, headers=bob.headers)
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("account-disabled")
    assert len(sign_in_reads(statements)) == 1


async def test_a_cached_sign_in_ended_is_refused_at_once(client, alice: Persona):
    """Issue 22: sign-out (a bulk UPDATE of auth_sessions) ends the cached access token."""
    for _ in range(2):
        assert (await client.get(ME, headers=alice.headers)).status_code == 200
    ended = await client.post("/api/v1/auth/logout", json={"refresh_token": alice.refresh_token})
    assert ended.status_code == 204
    refused = await client.get(ME, headers=alice.headers)
    assert refused.status_code == 401
    assert refused.json()["type"].endswith("session-revoked")


async def test_a_change_committed_outside_a_request_is_seen_at_once(
    client, alice: Persona, db_session: AsyncSession
):
    """Issue 22: any commit in the process bumps the versions (a CLI-like job, a test's
    own session), not only the request boundary's."""
    for _ in range(2):
        assert (await client.get(ME, headers=alice.headers)).status_code == 200
    user = await db_session.get(User, alice.id)
    assert user is not None
    user.disabled_at = clock.now()
    await db_session.commit()
    assert (await client.get(ME, headers=alice.headers)).status_code == 403


async def test_a_profile_change_is_read_back_not_the_cached_copy(client, alice: Persona):
    """Issue 22: the cached user is a copy; a handler that changes it writes the row, and
    the next request sees the new value (the change bumped the user's version)."""
    for _ in range(2):
        assert (await client.get(ME, headers=alice.headers)).json()["timezone"] == "UTC"
    changed = await client.patch(ME, json={"timezone": "Europe/Berlin"}, headers=alice.headers)
    assert changed.status_code == 200, changed.text
    for _ in range(2):
        assert (await client.get(ME, headers=alice.headers)).json()["timezone"] == "Europe/Berlin"


async def test_a_bulk_update_of_users_drops_every_entry(
    client, alice: Persona, bob: Persona, db_session
):
    """Issue 22: an UPDATE whose rows SQLAlchemy does not see bumps everyone's version."""
    for persona in (alice, bob, alice, bob):
        assert (await client.get(ME, headers=persona.headers)).status_code == 200
    await db_session.execute(update(User).values(disabled_at=clock.now()))
    await db_session.commit()
    for persona in (alice, bob):
        assert (await client.get(ME, headers=persona.headers)).status_code == 403


async def test_an_entry_is_kept_only_while_the_versions_match():
    """Issue 22: the rule itself: read before loading, used only at the same versions."""
    cache = SignInCache(ttl_seconds=60)
    user_id = uuid.uuid4()
    loads: list[int] = []

    async def load():  # type: ignore[no-untyped-def]
        from habitus.models import AuthSession

        loads.append(1)
        user = User(id=user_id, email="x@example.org", password_hash="x", timezone="UTC")
        sign_in = AuthSession(id=uuid.uuid4(), user_id=user_id, kind="api", expires_at=clock.now())
        return sign_in, user

    class _Session:  # what `attach` needs of an AsyncSession
        def __init__(self) -> None:
            from sqlalchemy.orm import Session

            self.sync_session = Session()

    await _signed_in(_Session(), cache, "k", user_id, load)  # type: ignore[arg-type]
    await _signed_in(_Session(), cache, "k", user_id, load)  # type: ignore[arg-type]
    assert len(loads) == 1
    cache._bump_local({uuid.uuid4()}, everyone=False)  # someone else: still kept
    await _signed_in(_Session(), cache, "k", user_id, load)  # type: ignore[arg-type]
    assert len(loads) == 1
    cache._bump_local({user_id}, everyone=False)
    await _signed_in(_Session(), cache, "k", user_id, load)  # type: ignore[arg-type]
    assert len(loads) == 2
    cache._bump_local(set(), everyone=True)
    await _signed_in(_Session(), cache, "k", user_id, load)  # type: ignore[arg-type]
    assert len(loads) == 3
    off = SignInCache(ttl_seconds=0)
    await _signed_in(_Session(), off, "k", user_id, load)  # type: ignore[arg-type]
    await _signed_in(_Session(), off, "k", user_id, load)  # type: ignore[arg-type]
    assert len(loads) == 5


# --- two processes sharing Redis ---------------------------------------------------------


@pytest.fixture
def two_servers(database_url: str, tmp_path: Path) -> Iterator[list[LiveServer]]:
    prefix = f"habitus-test:{uuid.uuid4().hex}:"
    env = habitus_env(
        database_url,
        tmp_path,
        HABITUS_SECRET_KEY=TEST_SECRET,
        HABITUS_AUTO_MIGRATE="false",
        HABITUS_RATE_LIMIT_ENABLED="false",
        HABITUS_REDIS_URL=REDIS_URL,
        HABITUS_REDIS_PREFIX=prefix,
        HABITUS_LOG_LEVEL="WARNING",
    )
    with ExitStack() as stack:
        yield [stack.enter_context(live_server(env, tmp_path)) for _ in range(2)]


@pytest.mark.skipif(
    backend() != "postgresql", reason="two processes share a PostgreSQL database and Redis"
)
async def test_a_sign_out_in_one_process_is_refused_at_once_in_the_other(
    two_servers: list[LiveServer],
):
    """Issue 22: two `habitus serve` with one Redis. The sign-in is cached in the second
    process; it ends through the first; the second refuses the token on the next request."""
    first, second = (server.base_url for server in two_servers)
    async with httpx.AsyncClient() as http:
        email = "carol@example.org"
        registered = await http.post(
            f"{first}/api/v1/auth/register", json={"email": email, "password": DEFAULT_PASSWORD}
        )
        assert registered.status_code == 201, registered.text
        tokens = (
            await http.post(
                f"{first}/api/v1/auth/login", json={"email": email, "password": DEFAULT_PASSWORD}
            )
        ).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        for _ in range(3):  # cached in the second process
            assert (await http.get(f"{second}{ME}", headers=headers)).status_code == 200
        changed = await http.patch(f"{first}{ME}", json={"timezone": "Asia/Tokyo"}, headers=headers)
        assert changed.status_code == 200
        assert (await http.get(f"{second}{ME}", headers=headers)).json()["timezone"] == "Asia/Tokyo"
        ended = await http.post(
            f"{first}/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}
        )
        assert ended.status_code == 204
        refused = await http.get(f"{second}{ME}", headers=headers)
    assert refused.status_code == 401, refused.text


async def test_a_browser_sign_in_is_kept_and_still_ends_at_once(client, app, admin, alice):
    """Issue 22, cookie sessions: the cookie's owner is learnt on its first request, the
    sign-in is kept from the second, and disabling the account refuses the next page."""
    async with browser(client) as web:
        await web_login(web, alice.email, alice.password)
        for _ in range(2):
            assert (await web.get(PAGE)).status_code == 200
        with counting(app) as statements:
            assert (await web.get(PAGE)).status_code == 200
        assert sign_in_reads(statements) == []
        disabled = await client.post(
            f"/api/v1/admin/users/{alice.id}/disable",
            json={"reason": "spam"},
            headers=admin.headers,
        )
        assert disabled.status_code == 200, disabled.text
        refused = await web.get(PAGE)
    # A page answers a disabled account with the sign-in page, as without the cache.
    assert refused.status_code == 303
    assert refused.headers["location"].startswith("/login")


def test_cookie_owners_are_kept_only_while_the_cache_is_on() -> None:
    """Issue 22 (review): a cookie's owner was remembered even with the cache off (on
    PostgreSQL without Redis, the default), one entry per web session, never emptied."""
    user_id = uuid.uuid4()
    off, on = SignInCache(0), SignInCache(30)
    off.remember_owner("digest", user_id)
    on.remember_owner("digest", user_id)
    assert off.owner_of("digest") is None
    assert on.owner_of("digest") == user_id
