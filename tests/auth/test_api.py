"""API.md "Auth and account" through HTTP: sign-up, sign-in, token rotation, the
profile, throttling, disabled accounts, registration modes, and bad input."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import AuthSession, RefreshToken, User
from tests.auth.helpers import (
    API,
    bearer,
    count,
    fields,
    message_for,
    problem,
    try_login,
    try_refresh,
)
from tests.fixtures.personas import DEFAULT_PASSWORD, Persona, login, register
from tests.fixtures.web import browser

USER_FIELDS = {"id", "email", "display_name", "timezone", "day_start_hour", "week_start"}


async def me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get(f"{API}/me", headers=bearer(token))


# --- sign-up ----------------------------------------------------------------------


async def test_register_answers_the_new_user(client: httpx.AsyncClient) -> None:
    """API.md Auth: POST /auth/register answers 201 with the user, never a secret."""
    response = await client.post(
        f"{API}/auth/register",
        json={
            "email": "dora@example.org",
            "password": DEFAULT_PASSWORD,
            "display_name": "Dora",
            "timezone": "Europe/Berlin",
        },
    )
    assert response.status_code == 201, response.text
    user = response.json()
    assert USER_FIELDS | {"created_at"} <= user.keys()
    assert user["email"] == "dora@example.org"
    assert user["display_name"] == "Dora"
    assert user["timezone"] == "Europe/Berlin"
    assert user["created_at"].endswith("Z")
    assert DEFAULT_PASSWORD not in response.text
    assert "hash" not in response.text


async def test_register_defaults(client: httpx.AsyncClient) -> None:
    """API.md Auth: display_name and timezone are optional (UTC, day at 0:00, week on Monday)."""
    user = await register(client, "dora@example.org")
    assert (user["display_name"], user["timezone"]) == (None, "UTC")
    assert (user["day_start_hour"], user["week_start"]) == (0, "mon")


async def test_email_is_unique_case_insensitively(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """API.md Auth: 409 on ALICE@example.org after alice@example.org, nothing written."""
    before = await count(db_session, User)
    response = await client.post(
        f"{API}/auth/register", json={"email": "ALICE@example.org", "password": "another fine one"}
    )
    body = problem(response, 409)
    assert fields(body) == {"email"}
    assert await count(db_session, User) == before


async def test_register_refuses_an_unknown_time_zone(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    """API.md Auth: a zone that is not IANA (Mars/Olympus) is a 422 naming timezone."""
    response = await client.post(
        f"{API}/auth/register",
        json={
            "email": "dora@example.org",
            "password": DEFAULT_PASSWORD,
            "timezone": "Mars/Olympus",
        },
    )
    body = problem(response, 422)
    assert fields(body) == {"timezone"}
    assert "Mars/Olympus" in message_for(body, "timezone")
    assert await count(db_session, User) == 0


# --- sign-in ----------------------------------------------------------------------


async def test_login_gives_a_bearer_pair(client: httpx.AsyncClient, alice: Persona) -> None:
    """API.md Auth: login answers {access_token, refresh_token, token_type: bearer, expires_in}."""
    response = await try_login(client, "alice@example.org", DEFAULT_PASSWORD)
    assert response.status_code == 200, response.text
    pair = response.json()
    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == 15 * 60
    assert pair["refresh_token"] != pair["access_token"]
    answer = await me(client, pair["access_token"])
    assert answer.status_code == 200
    assert answer.json()["id"] == str(alice.id)


async def test_login_matches_the_email_in_any_case(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """API.md Auth: emails are unique case-insensitively, so ALICE@EXAMPLE.ORG signs alice in."""
    pair = await login(client, "ALICE@EXAMPLE.ORG")
    assert (await me(client, pair["access_token"])).json()["id"] == str(alice.id)


async def test_token_endpoint_takes_the_oauth2_password_form(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """API.md Auth: POST /auth/token takes username/password as a form and answers as login."""
    response = await client.post(
        f"{API}/auth/token", data={"username": alice.email, "password": alice.password}
    )
    assert response.status_code == 200, response.text
    pair = response.json()
    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == 15 * 60
    assert (await me(client, pair["access_token"])).json()["id"] == str(alice.id)
    wrong = await client.post(
        f"{API}/auth/token", data={"username": alice.email, "password": "not her password"}
    )
    via_login = await try_login(client, alice.email, "not her password")
    assert problem(wrong, 401) == problem(via_login, 401)


async def test_unknown_email_and_wrong_password_answer_alike(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """API.md Auth: 401 with the same message for an unknown email and a wrong password."""
    unknown = await try_login(client, "nobody@example.org", DEFAULT_PASSWORD)
    wrong = await try_login(client, alice.email, "not her password")
    assert problem(unknown, 401) == problem(wrong, 401)
    assert unknown.headers["www-authenticate"] == wrong.headers["www-authenticate"] == "Bearer"


@pytest.mark.slow
async def test_unknown_email_and_wrong_password_cost_alike(make_client: Any) -> None:
    """API.md Auth: an unknown email takes about as long as a wrong password (no timing oracle)."""
    client = await make_client(argon2_time_cost=2, argon2_memory_kib=19456, argon2_parallelism=1)
    await register(client, "alice@example.org")

    async def timed(email: str) -> float:
        started = time.perf_counter()
        response = await try_login(client, email, "not the password at all")
        elapsed = time.perf_counter() - started
        assert response.status_code == 401
        return elapsed

    await timed("nobody@example.org")  # warm-up: first queries, thread pool
    await timed("alice@example.org")
    unknown, wrong = [], []
    for _ in range(9):
        unknown.append(await timed("nobody@example.org"))
        wrong.append(await timed("alice@example.org"))
    # The fastest of each: a loaded machine only ever adds time, so the minimum is the
    # cost itself (medians flaked on a busy 2-core CI run: 1.601 against 1.6).
    ratio = min(unknown) / min(wrong)
    assert 0.6 <= ratio <= 1.6, (ratio, unknown, wrong)


async def test_me_needs_a_valid_token(client: httpx.AsyncClient, alice: Persona) -> None:
    """API.md Conventions: no token, or a forged one, is a 401 problem with WWW-Authenticate."""
    for headers in ({}, bearer("not-a-jwt"), bearer(alice.access_token[:-4] + "AAAA")):
        response = await client.get(f"{API}/me", headers=headers)
        problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"


# --- refresh tokens -------------------------------------------------------------------


async def test_refresh_rotates_the_pair(client: httpx.AsyncClient, alice: Persona) -> None:
    """API.md Auth: refresh answers a new pair that works; the old refresh token is spent."""
    response = await try_refresh(client, alice.refresh_token)
    assert response.status_code == 200, response.text
    pair = response.json()
    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == 15 * 60
    assert pair["refresh_token"] != alice.refresh_token
    assert (await me(client, pair["access_token"])).json()["id"] == str(alice.id)
    again = await try_refresh(client, pair["refresh_token"])
    assert again.status_code == 200, again.text


async def test_refresh_tokens_are_opaque_and_stored_hashed(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """API.md Auth: a refresh token is opaque and stored as its SHA-256 hex, never itself."""
    token = alice.refresh_token
    assert token.count(".") != 2, "a refresh token must not be a JWT carrying claims"
    assert str(alice.id) not in token
    rows = (
        await db_session.execute(select(RefreshToken).where(RefreshToken.user_id == alice.id))
    ).scalars()
    stored = [row.token_hash for row in rows]
    await db_session.commit()
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    for digest in stored:
        assert len(digest) == 64
        int(digest, 16)  # hex
        assert digest != token
    sessions = (
        await db_session.execute(select(AuthSession).where(AuthSession.user_id == alice.id))
    ).scalars()
    assert all(session.token_hash != token for session in sessions)
    await db_session.commit()


async def test_spent_refresh_token_revokes_the_whole_login(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """API.md Auth: a spent refresh token revokes the whole login (reuse detection)."""
    other_login = await login(client, alice.email)
    rotated = (await try_refresh(client, alice.refresh_token)).json()

    reused = await try_refresh(client, alice.refresh_token)
    body = problem(reused, 401)
    assert body["type"].endswith("refresh-token-reused")

    # Everything of that login is dead, the rotation's tokens included...
    problem(await me(client, rotated["access_token"]), 401)
    problem(await me(client, alice.access_token), 401)
    problem(await try_refresh(client, rotated["refresh_token"]), 401)
    # ...and alice's other login is untouched.
    assert (await me(client, other_login["access_token"])).status_code == 200
    assert (await try_refresh(client, other_login["refresh_token"])).status_code == 200


async def test_unknown_refresh_token_is_refused(client: httpx.AsyncClient, alice: Persona) -> None:
    """API.md Auth: a refresh token the server never issued is a 401."""
    body = problem(await try_refresh(client, alice.refresh_token + "x"), 401)
    assert body["type"].endswith("invalid-refresh-token")
    assert (await me(client, alice.access_token)).status_code == 200


async def test_refresh_tokens_expire(
    frozen_clock: time_machine.Coordinates, client: httpx.AsyncClient
) -> None:
    """DESIGN.md tokens: a refresh token lasts 30 days from its issue, then is refused."""
    await register(client, "alice@example.org")
    kept_fresh = await login(client, "alice@example.org")
    left_alone = await login(client, "alice@example.org")
    frozen_clock.shift(timedelta(days=29))
    renewed = (await try_refresh(client, kept_fresh["refresh_token"])).json()
    frozen_clock.shift(timedelta(days=1, seconds=1))
    problem(await try_refresh(client, left_alone["refresh_token"]), 401)
    assert (await try_refresh(client, renewed["refresh_token"])).status_code == 200


async def test_access_token_lasts_15_minutes(
    frozen_clock: time_machine.Coordinates, client: httpx.AsyncClient
) -> None:
    """DESIGN.md tokens: an access token works for 15 minutes; refresh gives a new one."""
    await register(client, "alice@example.org")
    pair = await login(client, "alice@example.org")
    frozen_clock.shift(timedelta(minutes=14, seconds=59))
    assert (await me(client, pair["access_token"])).status_code == 200
    frozen_clock.shift(timedelta(seconds=2))
    body = problem(await me(client, pair["access_token"]), 401)
    assert body["type"].endswith("invalid-token")
    fresh = (await try_refresh(client, pair["refresh_token"])).json()
    assert (await me(client, fresh["access_token"])).status_code == 200


# --- logout ---------------------------------------------------------------------------


async def test_logout_ends_that_login_only(client: httpx.AsyncClient, alice: Persona) -> None:
    """API.md Auth: logout answers 204 and ends that login: its access and refresh tokens fail."""
    other_login = await login(client, alice.email)
    response = await client.post(f"{API}/auth/logout", json={"refresh_token": alice.refresh_token})
    assert response.status_code == 204
    assert response.content == b""
    problem(await me(client, alice.access_token), 401)
    problem(await try_refresh(client, alice.refresh_token), 401)
    assert (await me(client, other_login["access_token"])).status_code == 200


async def test_logout_with_an_unknown_token_is_a_no_op(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """API.md Auth: logout answers 204 whatever the token; a real login is left alone."""
    response = await client.post(f"{API}/auth/logout", json={"refresh_token": "no-such-token"})
    assert response.status_code == 204
    assert (await me(client, alice.access_token)).status_code == 200


# --- the account ----------------------------------------------------------------------


async def test_get_me(client: httpx.AsyncClient, alice: Persona) -> None:
    """API.md Auth: GET /me answers {id, email, display_name, timezone, day_start_hour, ...}."""
    user = (await me(client, alice.access_token)).json()
    assert USER_FIELDS | {"created_at"} <= user.keys()
    assert user["id"] == str(alice.id)
    assert (user["email"], user["display_name"]) == ("alice@example.org", "Alice")
    assert "password_hash" not in user


async def test_patch_me_changes_what_was_sent(client: httpx.AsyncClient, alice: Persona) -> None:
    """API.md Auth: PATCH /me takes any of display_name, timezone, day_start_hour, week_start."""
    response = await client.patch(
        f"{API}/me",
        json={
            "display_name": "Alice L.",
            "timezone": "America/New_York",
            "day_start_hour": 6,
            "week_start": "sun",
        },
        headers=alice.headers,
    )
    assert response.status_code == 200, response.text
    expected = {
        "display_name": "Alice L.",
        "timezone": "America/New_York",
        "day_start_hour": 6,
        "week_start": "sun",
    }
    assert {key: response.json()[key] for key in expected} == expected
    stored = (await me(client, alice.access_token)).json()
    assert {key: stored[key] for key in expected} == expected

    partial = await client.patch(f"{API}/me", json={"day_start_hour": 0}, headers=alice.headers)
    assert partial.json()["day_start_hour"] == 0
    assert partial.json()["timezone"] == "America/New_York"
    cleared = await client.patch(f"{API}/me", json={"display_name": None}, headers=alice.headers)
    assert cleared.json()["display_name"] is None


DAY_SETTING_CASES: list[tuple[str, object, str]] = [
    ("timezone", "Mars/Olympus", "IANA"),
    ("timezone", None, "null"),
    ("day_start_hour", 7, "6"),
    ("day_start_hour", -1, "0"),
    ("day_start_hour", None, "null"),
    ("week_start", "monday", "mon"),
    ("week_start", None, "null"),
]


async def test_patch_me_refuses_bad_day_settings(
    client: httpx.AsyncClient, alice: Persona, subtests: pytest.Subtests
) -> None:
    """API.md Auth: IANA zone, day_start_hour 0..6, week_start mon..sun; none may be null."""
    before = (await me(client, alice.access_token)).json()
    for field, value, rule in DAY_SETTING_CASES:
        with subtests.test(msg=f"{field}={value!r}"):
            response = await client.patch(f"{API}/me", json={field: value}, headers=alice.headers)
            body = problem(response, 422)
            assert fields(body) == {field}
            assert rule in message_for(body, field)
            assert (await me(client, alice.access_token)).json() == before


async def test_delete_me_needs_the_password(
    client: httpx.AsyncClient, alice: Persona, bob: Persona, db_session: AsyncSession
) -> None:
    """API.md Auth: DELETE /me with a wrong password is a 422 on password; nothing is deleted."""
    response = await client.request(
        "DELETE", f"{API}/me", json={"password": "not her password"}, headers=alice.headers
    )
    body = problem(response, 422)
    assert fields(body) == {"password"}
    assert await count(db_session, User) == 2
    assert (await me(client, alice.access_token)).status_code == 200


async def test_delete_me_ends_the_account(
    client: httpx.AsyncClient, alice: Persona, bob: Persona, db_session: AsyncSession
) -> None:
    """API.md Auth: DELETE /me answers 204; then her tokens fail and she cannot sign in."""
    other_login = await login(client, alice.email)
    response = await client.request(
        "DELETE", f"{API}/me", json={"password": alice.password}, headers=alice.headers
    )
    assert response.status_code == 204, response.text
    assert await count(db_session, User, User.id == alice.id) == 0
    problem(await me(client, alice.access_token), 401)
    problem(await me(client, other_login["access_token"]), 401)
    problem(await try_refresh(client, alice.refresh_token), 401)
    problem(await try_login(client, alice.email, alice.password), 401)
    assert (await me(client, bob.access_token)).status_code == 200


async def test_export_has_the_account_and_no_secret(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """API.md Auth: GET /me/export answers the user's data as JSON, and no secrets."""
    response = await client.get(f"{API}/me/export", headers=alice.headers)
    assert response.status_code == 200, response.text
    export = response.json()
    assert export["user"]["id"] == str(alice.id)
    assert export["user"]["email"] == "alice@example.org"
    assert export["sessions"], "the login that asked is part of the account's data"
    for secret in (alice.password, alice.refresh_token, alice.access_token, "argon2"):
        assert secret not in response.text
    assert "hash" not in response.text
    assert charlie.email not in response.text
    problem(await client.get(f"{API}/me/export"), 401)


# --- throttling -----------------------------------------------------------------------


async def test_failed_logins_are_throttled_per_account_until_the_wait_drains(
    frozen_clock: time_machine.Coordinates, make_client: Any
) -> None:
    """API.md Auth: failures on one account end in 429 + Retry-After; after it the owner gets in."""
    client = await make_client(login_failures_per_account="3/minute")
    await register(client, "alice@example.org")
    await register(client, "bob@example.org")
    for attempt in range(3):
        problem(await try_login(client, "alice@example.org", f"guess number {attempt}"), 401)

    refused = await try_login(client, "alice@example.org", "guess number 4")
    problem(refused, 429)
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    # While it lasts the password is not even tried, the right one included...
    problem(await try_login(client, "alice@example.org", DEFAULT_PASSWORD), 429)
    # ...and only this account is held back.
    assert (await try_login(client, "bob@example.org", DEFAULT_PASSWORD)).status_code == 200

    frozen_clock.shift(retry_after - 1)
    problem(await try_login(client, "alice@example.org", DEFAULT_PASSWORD), 429)
    frozen_clock.shift(2)
    assert (await try_login(client, "alice@example.org", DEFAULT_PASSWORD)).status_code == 200


async def test_a_successful_login_resets_the_account_counter(
    frozen_clock: time_machine.Coordinates, make_client: Any
) -> None:
    """API.md Auth: a successful login clears the account's failures."""
    client = await make_client(login_failures_per_account="3/minute")
    await register(client, "alice@example.org")
    for attempt in range(2):
        problem(await try_login(client, "alice@example.org", f"guess number {attempt}"), 401)
    assert (await try_login(client, "alice@example.org", DEFAULT_PASSWORD)).status_code == 200
    # A full allowance again (without the reset the second of these would be a 429).
    for attempt in range(3):
        problem(await try_login(client, "alice@example.org", f"typo number {attempt}"), 401)
    problem(await try_login(client, "alice@example.org", "typo number 4"), 429)


async def test_failed_logins_are_throttled_per_ip(
    frozen_clock: time_machine.Coordinates, make_client: Any
) -> None:
    """API.md Conventions: many unknown emails from one address end in 429 with Retry-After."""
    client = await make_client(login_failures_per_ip="5/minute")
    await register(client, "alice@example.org")
    for number in range(5):
        problem(await try_login(client, f"nobody{number}@example.org", "some password"), 401)
    refused = await try_login(client, "nobody-else@example.org", "some password")
    problem(refused, 429)
    assert int(refused.headers["Retry-After"]) >= 1
    # Every sign-in from that address waits, the form endpoint too...
    problem(await try_login(client, "alice@example.org", DEFAULT_PASSWORD), 429)
    form = await client.post(
        f"{API}/auth/token", data={"username": "alice@example.org", "password": DEFAULT_PASSWORD}
    )
    problem(form, 429)
    # ...while another address is not held back.
    async with browser(client, ip="198.51.100.20") as elsewhere:
        response = await try_login(elsewhere, "alice@example.org", DEFAULT_PASSWORD)
        assert response.status_code == 200, response.text


# --- disabled accounts ----------------------------------------------------------------


async def disable(client: httpx.AsyncClient, admin: Persona, user: Persona, reason: str) -> None:
    response = await client.post(
        f"{API}/admin/users/{user.id}/disable", json={"reason": reason}, headers=admin.headers
    )
    assert response.status_code == 200, response.text


async def test_a_disabled_account_is_refused_everywhere_with_the_reason(
    client: httpx.AsyncClient, admin: Persona, alice: Persona
) -> None:
    """API.md Auth: a disabled account's token, refresh and login are refused, with the reason."""
    await disable(client, admin, alice, "Spam reports")

    body = problem(await me(client, alice.access_token), 403)
    assert body["type"].endswith("account-disabled")
    assert "Spam reports" in body["detail"]
    assert body["reason"] == "Spam reports"

    refreshed = await try_refresh(client, alice.refresh_token)
    assert refreshed.status_code in {401, 403}, refreshed.text
    assert "access_token" not in refreshed.text

    body = problem(await try_login(client, alice.email, alice.password), 403)
    assert body["type"].endswith("account-disabled")
    assert "Spam reports" in body["detail"]
    # Without her password nobody learns the account is disabled.
    wrong = await try_login(client, alice.email, "not her password")
    unknown = await try_login(client, "nobody@example.org", "not her password")
    assert problem(wrong, 401) == problem(unknown, 401)


async def test_a_re_enabled_account_can_sign_in_again(
    client: httpx.AsyncClient, admin: Persona, alice: Persona
) -> None:
    """API.md Auth: re-enabled, alice signs in again; the sign-ins ended by disabling stay ended."""
    await disable(client, admin, alice, "Spam reports")
    response = await client.post(f"{API}/admin/users/{alice.id}/enable", headers=admin.headers)
    assert response.status_code == 200, response.text
    pair = await login(client, alice.email)
    assert (await me(client, pair["access_token"])).status_code == 200
    problem(await me(client, alice.access_token), 401)


# --- registration modes ---------------------------------------------------------------


async def create_invite(client: httpx.AsyncClient, admin: Persona, **body: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/admin/invites", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    invite: dict[str, Any] = response.json()
    return invite


async def try_register(client: httpx.AsyncClient, email: str, **extra: Any) -> httpx.Response:
    return await client.post(
        f"{API}/auth/register", json={"email": email, "password": DEFAULT_PASSWORD, **extra}
    )


async def test_closed_registration_refuses_every_sign_up(
    make_client: Any, alice: Persona, db_session: AsyncSession
) -> None:
    """API.md Auth: with HABITUS_REGISTRATION=closed every sign-up is a 403; sign-in still works."""
    closed = await make_client(registration="closed")
    body = problem(await try_register(closed, "dora@example.org"), 403)
    assert body["type"].endswith("registration-closed")
    problem(await try_register(closed, "dora@example.org", invite_token="anything"), 403)
    assert await count(db_session, User) == 1
    assert (await try_login(closed, alice.email, alice.password)).status_code == 200


async def test_invite_registration_needs_a_valid_unused_invite(
    make_client: Any, admin: Persona, db_session: AsyncSession
) -> None:
    """API.md Auth: invite mode: no invite 403, a valid one 201, the same one again 422."""
    invited = await make_client(registration="invite")
    body = problem(await try_register(invited, "dora@example.org"), 403)
    assert "invite" in body["detail"]
    assert await count(db_session, User) == 1

    invite = await create_invite(invited, admin)
    response = await try_register(invited, "dora@example.org", invite_token=invite["token"])
    assert response.status_code == 201, response.text

    again = await try_register(invited, "erin@example.org", invite_token=invite["token"])
    assert fields(problem(again, 422)) == {"invite_token"}
    made_up = await try_register(invited, "erin@example.org", invite_token="made-up-token")
    assert fields(problem(made_up, 422)) == {"invite_token"}
    assert await count(db_session, User) == 2


async def test_an_expired_invite_is_refused(
    frozen_clock: time_machine.Coordinates,
    make_client: Any,
    admin: Persona,
    db_session: AsyncSession,
) -> None:
    """API.md Auth: an invite past its expiry is a 422 on invite_token."""
    invited = await make_client(registration="invite")
    invite = await create_invite(invited, admin, expires_in_days=1)
    frozen_clock.shift(timedelta(days=1, seconds=1))
    response = await try_register(invited, "dora@example.org", invite_token=invite["token"])
    body = problem(response, 422)
    assert fields(body) == {"invite_token"}
    assert "expired" in message_for(body, "invite_token")
    assert await count(db_session, User) == 1


async def test_an_invite_for_another_email_is_refused(
    make_client: Any, admin: Persona, db_session: AsyncSession
) -> None:
    """API.md Auth: an invite bound to one address is a 422 for any other, and works for it."""
    invited = await make_client(registration="invite")
    invite = await create_invite(invited, admin, email="dora@example.org")
    response = await try_register(invited, "erin@example.org", invite_token=invite["token"])
    assert fields(problem(response, 422)) == {"invite_token"}
    assert await count(db_session, User) == 1
    response = await try_register(invited, "Dora@Example.org", invite_token=invite["token"])
    assert response.status_code == 201, response.text


async def test_a_revoked_invite_is_refused(make_client: Any, admin: Persona) -> None:
    """API.md Auth: an invite the admin revoked no longer signs anyone up (422)."""
    invited = await make_client(registration="invite")
    invite = await create_invite(invited, admin)
    revoked = await invited.delete(f"{API}/admin/invites/{invite['id']}", headers=admin.headers)
    assert revoked.status_code == 204
    response = await try_register(invited, "dora@example.org", invite_token=invite["token"])
    assert fields(problem(response, 422)) == {"invite_token"}


# --- charlie cannot see or touch alice ------------------------------------------------


async def test_charlie_only_ever_sees_himself(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """DESIGN.md access control: charlie's token never returns alice's data."""
    mine = (await me(client, charlie.access_token)).json()
    assert mine["id"] == str(charlie.id)
    export = await client.get(f"{API}/me/export", headers=charlie.headers)
    assert str(alice.id) not in export.text
    assert alice.email not in export.text


async def test_charlie_changes_only_his_own_profile(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """DESIGN.md access control: charlie's PATCH /me and DELETE /me never reach alice."""
    before = (await me(client, alice.access_token)).json()
    response = await client.patch(
        f"{API}/me",
        json={"display_name": "Mallory", "timezone": "Asia/Tokyo"},
        headers=charlie.headers,
    )
    assert response.json()["id"] == str(charlie.id)
    deleted = await client.request(
        "DELETE", f"{API}/me", json={"password": charlie.password}, headers=charlie.headers
    )
    assert deleted.status_code == 204
    assert (await me(client, alice.access_token)).json() == before
    problem(await me(client, charlie.access_token), 401)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def test_charlie_cannot_rewrite_his_token_to_be_alice(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """DESIGN.md access control: a token whose subject was changed to alice is a 401."""
    header, payload, signature = charlie.access_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(alice.id)
    forged = ".".join([header, _b64url(json.dumps(claims).encode()), signature])
    response = await client.get(f"{API}/me", headers=bearer(forged))
    problem(response, 401)
    assert str(alice.id) not in response.text


ADMIN_REQUESTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/admin/users", None),
    ("GET", "/admin/users/{alice}", None),
    ("POST", "/admin/users/{alice}/disable", {"reason": "charlie says so"}),
    ("POST", "/admin/users/{alice}/enable", None),
    ("GET", "/admin/invites", None),
    ("POST", "/admin/invites", {}),
]


async def test_admin_endpoints_refuse_charlie(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona, subtests: pytest.Subtests
) -> None:
    """API.md Auth: administration answers 403 to a user who is not an admin."""
    for method, path, body in ADMIN_REQUESTS:
        with subtests.test(msg=f"{method} {path}"):
            response = await client.request(
                method, API + path.format(alice=alice.id), json=body, headers=charlie.headers
            )
            assert problem(response, 403)["type"].endswith("admin-only")
    assert (await me(client, alice.access_token)).status_code == 200


# --- bad input, every field -------------------------------------------------------------

LONG_NAME = "x" * 10_000
NOT_JSON = b'{"email": "dora@example.org", "password": '

SIGN_UP = {"email": "dora@example.org", "password": DEFAULT_PASSWORD}


def sign_up(**changes: Any) -> dict[str, Any]:
    return {**SIGN_UP, **changes}


REGISTER_CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    ("no-email", {"password": DEFAULT_PASSWORD}, {"email"}),
    ("no-password", {"email": "dora@example.org"}, {"password"}),
    ("nothing", {}, {"email", "password"}),
    ("email-not-an-address", sign_up(email="dora.example.org"), {"email"}),
    ("email-blank", sign_up(email=""), {"email"}),
    ("email-number", sign_up(email=42), {"email"}),
    ("email-null", sign_up(email=None), {"email"}),
    ("email-too-long", sign_up(email="d" * 64 + "@" + "e" * 250 + ".org"), {"email"}),
    ("password-number", sign_up(password=1234567890123), {"password"}),
    ("password-list", sign_up(password=[DEFAULT_PASSWORD]), {"password"}),
    ("password-null", sign_up(password=None), {"password"}),
    ("password-too-long", sign_up(password="p" * 1025), {"password"}),
    ("display-name-10000", sign_up(display_name=LONG_NAME), {"display_name"}),
    ("display-name-blank", sign_up(display_name="   "), {"display_name"}),
    ("display-name-number", sign_up(display_name=7), {"display_name"}),
    ("timezone-mars", sign_up(timezone="Mars/Olympus"), {"timezone"}),
    ("timezone-null", sign_up(timezone=None), {"timezone"}),
    ("timezone-number", sign_up(timezone=1), {"timezone"}),
    ("invite-number", sign_up(invite_token=5), {"invite_token"}),
    ("invite-too-long", sign_up(invite_token="i" * 201), {"invite_token"}),
    ("extra-field", sign_up(is_admin=True), {"is_admin"}),
    ("two-bad", sign_up(email="nope", timezone="Nowhere/Else"), {"email", "timezone"}),
]


@pytest.mark.parametrize(
    ("body", "named"),
    [(body, named) for _, body, named in REGISTER_CASES],
    ids=[case_id for case_id, _, _ in REGISTER_CASES],
)
async def test_register_bad_input(
    client: httpx.AsyncClient, db_session: AsyncSession, body: dict[str, Any], named: set[str]
) -> None:
    """API.md Conventions: bad input to /auth/register is a 422 naming each field; no user made."""
    response = await client.post(f"{API}/auth/register", json=body)
    assert fields(problem(response, 422)) == named
    assert await count(db_session, User) == 0


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"[1, 2]", "application/json"),
        (b'"dora@example.org"', "application/json"),
        (b"", "application/json"),
        (b"email=dora%40example.org", "application/x-www-form-urlencoded"),
    ],
    ids=["list", "string", "empty", "form"],
)
async def test_register_needs_a_json_object(
    client: httpx.AsyncClient, db_session: AsyncSession, content: bytes, content_type: str
) -> None:
    """API.md Conventions: a body that is not a JSON object is a 422 on the body; no user made."""
    response = await client.post(
        f"{API}/auth/register", content=content, headers={"content-type": content_type}
    )
    assert fields(problem(response, 422)) == {"body"}
    assert await count(db_session, User) == 0


JSON_ENDPOINTS = [
    ("POST", "/auth/register"),
    ("POST", "/auth/login"),
    ("POST", "/auth/refresh"),
    ("POST", "/auth/logout"),
    ("PATCH", "/me"),
    ("DELETE", "/me"),
]


async def test_non_json_body_is_a_422_problem(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession, subtests: pytest.Subtests
) -> None:
    """API.md Conventions: a body that is not JSON is a 422 naming the body; nothing changes."""
    before = (await me(client, alice.access_token)).json()
    for method, path in JSON_ENDPOINTS:
        with subtests.test(msg=f"{method} {path}"):
            response = await client.request(
                method,
                API + path,
                content=NOT_JSON,
                headers={"content-type": "application/json", **alice.headers},
            )
            assert fields(problem(response, 422)) == {"body"}
            assert await count(db_session, User) == 1
            assert (await me(client, alice.access_token)).json() == before


LOGIN_CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    ("no-email", {"password": DEFAULT_PASSWORD}, {"email"}),
    ("no-password", {"email": "alice@example.org"}, {"password"}),
    ("nothing", {}, {"email", "password"}),
    ("email-blank", {"email": "", "password": DEFAULT_PASSWORD}, {"email"}),
    ("password-blank", {"email": "alice@example.org", "password": ""}, {"password"}),
    ("email-number", {"email": 1, "password": DEFAULT_PASSWORD}, {"email"}),
    ("email-list", {"email": ["alice@example.org"], "password": DEFAULT_PASSWORD}, {"email"}),
    ("password-null", {"email": "alice@example.org", "password": None}, {"password"}),
    ("password-too-long", {"email": "alice@example.org", "password": "p" * 1025}, {"password"}),
    ("email-too-long", {"email": "a" * 321, "password": DEFAULT_PASSWORD}, {"email"}),
    ("extra-field", {"email": "alice@example.org", "password": "p", "remember": 1}, {"remember"}),
]


async def test_login_bad_input(
    client: httpx.AsyncClient, alice: Persona, subtests: pytest.Subtests
) -> None:
    """API.md Conventions: bad input to /auth/login is a 422 naming each field, no token."""
    for case_id, body, named in LOGIN_CASES:
        with subtests.test(msg=case_id):
            response = await client.post(f"{API}/auth/login", json=body)
            assert fields(problem(response, 422)) == named
            assert "access_token" not in response.text


TOKEN_FORM_CASES: list[tuple[str, dict[str, str], set[str]]] = [
    ("no-username", {"password": DEFAULT_PASSWORD}, {"username"}),
    ("no-password", {"username": "alice@example.org"}, {"password"}),
    ("nothing", {}, {"username", "password"}),
    (
        "wrong-grant-type",
        {"username": "alice@example.org", "password": DEFAULT_PASSWORD, "grant_type": "magic"},
        {"grant_type"},
    ),
]


async def test_token_form_bad_input(
    client: httpx.AsyncClient, alice: Persona, subtests: pytest.Subtests
) -> None:
    """API.md Conventions: a bad OAuth2 password form is a 422 naming each field."""
    for case_id, form, named in TOKEN_FORM_CASES:
        with subtests.test(msg=case_id):
            response = await client.post(f"{API}/auth/token", data=form)
            assert fields(problem(response, 422)) == named
            assert "access_token" not in response.text


REFRESH_CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    ("missing", {}, {"refresh_token"}),
    ("blank", {"refresh_token": ""}, {"refresh_token"}),
    ("number", {"refresh_token": 12345}, {"refresh_token"}),
    ("null", {"refresh_token": None}, {"refresh_token"}),
    ("too-long", {"refresh_token": "r" * 201}, {"refresh_token"}),
    ("extra-field", {"refresh_token": "abc", "access_token": "abc"}, {"access_token"}),
]


@pytest.mark.parametrize("path", ["/auth/refresh", "/auth/logout"])
async def test_refresh_and_logout_bad_input(
    client: httpx.AsyncClient, alice: Persona, subtests: pytest.Subtests, path: str
) -> None:
    """API.md Conventions: bad input to /auth/refresh and /auth/logout is a 422 naming the field."""
    for case_id, body, named in REFRESH_CASES:
        with subtests.test(msg=case_id):
            response = await client.post(API + path, json=body)
            assert fields(problem(response, 422)) == named
    # Nothing was spent or ended.
    assert (await me(client, alice.access_token)).status_code == 200
    assert (await try_refresh(client, alice.refresh_token)).status_code == 200


PATCH_CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    ("display-name-10000", {"display_name": LONG_NAME}, {"display_name"}),
    ("display-name-101", {"display_name": "n" * 101}, {"display_name"}),
    ("display-name-blank", {"display_name": " "}, {"display_name"}),
    ("display-name-number", {"display_name": 12}, {"display_name"}),
    ("timezone-mars", {"timezone": "Mars/Olympus"}, {"timezone"}),
    ("timezone-null", {"timezone": None}, {"timezone"}),
    ("timezone-number", {"timezone": 2}, {"timezone"}),
    ("timezone-too-long", {"timezone": "Europe/" + "B" * 100}, {"timezone"}),
    ("day-start-7", {"day_start_hour": 7}, {"day_start_hour"}),
    ("day-start-minus-1", {"day_start_hour": -1}, {"day_start_hour"}),
    ("day-start-text", {"day_start_hour": "three"}, {"day_start_hour"}),
    ("day-start-numeric-text", {"day_start_hour": "3"}, {"day_start_hour"}),
    ("day-start-fraction", {"day_start_hour": 2.5}, {"day_start_hour"}),
    ("day-start-true", {"day_start_hour": True}, {"day_start_hour"}),
    ("day-start-null", {"day_start_hour": None}, {"day_start_hour"}),
    ("week-start-monday", {"week_start": "monday"}, {"week_start"}),
    ("week-start-upper", {"week_start": "MON"}, {"week_start"}),
    ("week-start-number", {"week_start": 1}, {"week_start"}),
    ("week-start-null", {"week_start": None}, {"week_start"}),
    ("email-is-not-patchable", {"email": "mallory@example.org"}, {"email"}),
    ("is-admin-is-not-patchable", {"is_admin": True}, {"is_admin"}),
    ("one-bad-among-good", {"display_name": "Changed", "day_start_hour": 9}, {"day_start_hour"}),
    ("two-bad", {"timezone": "Nowhere", "week_start": "someday"}, {"timezone", "week_start"}),
]


async def test_patch_me_bad_input(
    client: httpx.AsyncClient, alice: Persona, subtests: pytest.Subtests
) -> None:
    """API.md Conventions: bad input to PATCH /me is a 422 naming each field; nothing changes."""
    before = (await me(client, alice.access_token)).json()
    for case_id, body, named in PATCH_CASES:
        with subtests.test(msg=case_id):
            response = await client.patch(f"{API}/me", json=body, headers=alice.headers)
            assert fields(problem(response, 422)) == named
            assert (await me(client, alice.access_token)).json() == before


async def test_patch_me_needs_a_json_object(client: httpx.AsyncClient, alice: Persona) -> None:
    """API.md Conventions: PATCH /me with a list or a bare value is a 422 on the body."""
    for content in (b"[]", b"null", b"3"):
        response = await client.patch(
            f"{API}/me",
            content=content,
            headers={"content-type": "application/json", **alice.headers},
        )
        assert fields(problem(response, 422)) == {"body"}, content


DELETE_CASES: list[tuple[str, dict[str, Any] | None, set[str]]] = [
    ("no-body", None, {"body"}),
    ("missing", {}, {"password"}),
    ("blank", {"password": ""}, {"password"}),
    ("number", {"password": 1234567890}, {"password"}),
    ("too-long", {"password": "p" * 1025}, {"password"}),
    ("extra-field", {"password": DEFAULT_PASSWORD, "confirm": True}, {"confirm"}),
]


async def test_delete_me_bad_input(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession, subtests: pytest.Subtests
) -> None:
    """API.md Conventions: bad input to DELETE /me is a 422 naming the field; nothing deleted."""
    for case_id, body, named in DELETE_CASES:
        with subtests.test(msg=case_id):
            response = await client.request("DELETE", f"{API}/me", json=body, headers=alice.headers)
            assert fields(problem(response, 422)) == named
            assert await count(db_session, User, User.id == alice.id) == 1
            assert (await me(client, alice.access_token)).status_code == 200


async def test_sign_ups_are_rate_limited_per_client_address(make_client, db_session):
    """Issue 2 rate limits: sign-ups from one address are limited (429 with Retry-After),
    counting failed attempts too, and the refused one writes nothing."""
    from sqlalchemy import func, select

    from habitus.models import User

    server = await make_client(registrations_per_ip="2/hour")
    weak = await server.post(
        "/api/v1/auth/register", json={"email": "a@example.org", "password": "short"}
    )
    assert weak.status_code == 422
    ok = await server.post(
        "/api/v1/auth/register",
        json={"email": "b@example.org", "password": "a long and quiet meadow"},
    )
    assert ok.status_code == 201
    refused = await server.post(
        "/api/v1/auth/register",
        json={"email": "c@example.org", "password": "a long and quiet meadow"},
    )
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["Retry-After"]) >= 1
    await db_session.rollback()
    assert await db_session.scalar(select(func.count()).select_from(User)) == 1
