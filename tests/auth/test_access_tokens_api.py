"""Personal access tokens over HTTP (issue 20; API.md "Verification, passkeys and
tokens"): POST/GET/DELETE /me/tokens, the token as a Bearer on the whole API, its
scopes, expiry, last use, revocation, limits, isolation, export and deletion."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import Any

import httpx
import time_machine
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.auth import access_tokens
from habitus.kit import clock
from habitus.models import User
from habitus.models.identity import PersonalAccessToken
from tests.auth.helpers import API, bearer, count, fields, problem
from tests.conftest import AppFactory
from tests.fixtures.personas import Persona

TOKENS = f"{API}/me/tokens"


async def mint(
    client: httpx.AsyncClient, persona: Persona, scopes: list[str], **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        TOKENS, json={"name": "Shortcuts", "scopes": scopes, **extra}, headers=persona.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def new_habit(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.post(
        f"{API}/habits", json={"name": "Walk", "schedule": {"type": "daily"}}, headers=headers
    )


# --- making, listing, revoking ---------------------------------------------------------------


async def test_a_new_token_is_shown_once_and_stored_as_its_hash(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 20 tokens: 201 {id, token}; the token has the scanner-friendly prefix; only
    its SHA-256 is stored; the default expiry is 90 days."""
    created = await mint(client, alice, ["read"])
    token = created["token"]
    assert token.startswith("hab_pat_")
    assert len(token) >= len("hab_pat_") + 43
    assert created["scopes"] == ["read"]
    row = await db_session.get(PersonalAccessToken, uuid.UUID(created["id"]))
    assert row is not None
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_hash
    assert row.expires_at is not None
    lifetime = row.expires_at - row.created_at
    assert abs(lifetime - timedelta(days=access_tokens.DEFAULT_EXPIRY_DAYS)) < timedelta(minutes=1)


async def test_the_list_has_names_scopes_and_dates_never_the_token(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 20 tokens: GET /me/tokens lists name, scopes, created, expires, last used."""
    first = await mint(client, alice, ["read"], expires_in_days=None)
    second = await mint(client, alice, ["write", "read"], expires_in_days=7)
    listed = await client.get(TOKENS, headers=alice.headers)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [item["id"] for item in items] == [second["id"], first["id"]]
    assert items[0]["scopes"] == ["read", "write"]
    assert items[1]["expires_at"] is None
    assert {"name", "created_at", "expires_at", "last_used_at", "expired"} <= items[0].keys()
    assert first["token"] not in listed.text
    assert second["token"] not in listed.text
    assert "token_hash" not in listed.text


async def test_a_revoked_token_stops_working_at_once(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 20 tokens: DELETE /me/tokens/{id} -> 204; the token is then a 401."""
    created = await mint(client, alice, ["read"])
    assert (await client.get(f"{API}/me", headers=bearer(created["token"]))).status_code == 200
    revoked = await client.delete(f"{TOKENS}/{created['id']}", headers=alice.headers)
    assert revoked.status_code == 204, revoked.text
    body = problem(await client.get(f"{API}/me", headers=bearer(created["token"])), 401)
    assert body["type"].endswith("invalid-token")


async def test_charlie_cannot_see_or_revoke_alices_tokens(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """Issue 20 tokens: another user's token is not listed, and revoking it is a 404."""
    created = await mint(client, alice, ["read"])
    listed = await client.get(TOKENS, headers=charlie.headers)
    assert listed.json()["items"] == []
    problem(await client.delete(f"{TOKENS}/{created['id']}", headers=charlie.headers), 404)
    assert (await client.get(f"{API}/me", headers=bearer(created["token"]))).status_code == 200
    problem(await client.delete(f"{TOKENS}/{uuid.uuid4()}", headers=alice.headers), 404)


async def test_bad_bodies_are_422s_naming_the_field(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 20 tokens: name 1..100, scopes ["read"] or ["read","write"], expiry 1..365."""
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "", "scopes": ["read"]}, "name"),
        ({"name": "x" * 101, "scopes": ["read"]}, "name"),
        ({"name": "a\x00b", "scopes": ["read"]}, "name"),
        ({"name": "ok", "scopes": []}, "scopes"),
        ({"name": "ok", "scopes": ["write"]}, "scopes"),
        ({"name": "ok", "scopes": ["read", "read"]}, "scopes"),
        ({"name": "ok", "scopes": ["admin"]}, "scopes.0"),
        ({"name": "ok", "scopes": ["read"], "expires_in_days": 0}, "expires_in_days"),
        ({"name": "ok", "scopes": ["read"], "expires_in_days": 366}, "expires_in_days"),
        ({"name": "ok", "scopes": ["read"], "owner": "bob"}, "owner"),
    ]
    for body, field in cases:
        response = await client.post(TOKENS, json=body, headers=alice.headers)
        assert field in fields(problem(response, 422)), (body, response.text)
    assert (await client.get(TOKENS, headers=alice.headers)).json()["items"] == []


async def test_an_account_holds_at_most_fifty_tokens(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 20 tokens: past MAX_TOKENS_PER_USER the answer is 409; revoking frees a place."""
    for index in range(access_tokens.MAX_TOKENS_PER_USER - 1):
        db_session.add(
            PersonalAccessToken(
                user_id=alice.id, name=f"t{index}", token_hash=f"{index:064d}", scopes="read"
            )
        )
    await db_session.commit()
    last = await mint(client, alice, ["read"])
    body = problem(
        await client.post(
            TOKENS, json={"name": "one more", "scopes": ["read"]}, headers=alice.headers
        ),
        409,
    )
    assert body["type"].endswith("too-many-tokens")
    await client.delete(f"{TOKENS}/{last['id']}", headers=alice.headers)
    await mint(client, alice, ["read"])


async def test_making_tokens_is_rate_limited(make_client: AppFactory) -> None:
    """Issue 20 tokens: minting is limited per user (20 an hour): 429 with Retry-After."""
    from tests.fixtures.personas import make_persona

    client = await make_client()
    dora = await make_persona(client, "dora@example.org")
    for _ in range(20):
        await mint(client, dora, ["read"])
    refused = await client.post(
        TOKENS, json={"name": "x", "scopes": ["read"]}, headers=dora.headers
    )
    problem(refused, 429)
    assert int(refused.headers["Retry-After"]) > 0


# --- using a token -----------------------------------------------------------------------------


async def test_a_read_token_reads_and_is_refused_every_write(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 20 tokens: a `read` token gets 403 naming the scope on POST, PUT, PATCH and
    DELETE, and reads like any Bearer token."""
    made = await new_habit(client, alice.headers)
    habit_id = made.json()["id"]
    token = bearer((await mint(client, alice, ["read"]))["token"])
    assert (await client.get(f"{API}/habits", headers=token)).status_code == 200
    me = await client.get(f"{API}/me", headers=token)
    assert me.json()["id"] == str(alice.id)
    writes = [
        client.post(
            f"{API}/habits", json={"name": "X", "schedule": {"type": "daily"}}, headers=token
        ),
        client.patch(f"{API}/habits/{habit_id}", json={"name": "Y"}, headers=token),
        client.put(
            f"{API}/habits/{habit_id}/entries/2026-11-20", json={"status": "done"}, headers=token
        ),
        client.delete(f"{API}/habits/{habit_id}", headers=token),
        client.patch(f"{API}/me", json={"display_name": "Eve"}, headers=token),
        client.post(TOKENS, json={"name": "more", "scopes": ["read"]}, headers=token),
    ]
    for pending in writes:
        body = problem(await pending, 403)
        assert body["type"].endswith("insufficient-scope")
        assert body["required_scope"] == "write"
        assert "write scope" in body["detail"]
    habits = (await client.get(f"{API}/habits", headers=alice.headers)).json()["items"]
    assert [habit["name"] for habit in habits] == ["Walk"]


async def test_a_write_token_writes_but_never_touches_the_sign_in(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 20 tokens: read+write checks in and changes the profile, but cannot make or
    revoke tokens nor delete the account: those need a password sign-in."""
    created = await mint(client, alice, ["read", "write"])
    token = bearer(created["token"])
    made = await new_habit(client, token)
    assert made.status_code == 201, made.text
    renamed = await client.patch(f"{API}/me", json={"display_name": "Al"}, headers=token)
    assert renamed.status_code == 200, renamed.text
    refused = [
        client.post(TOKENS, json={"name": "more", "scopes": ["read"]}, headers=token),
        client.delete(f"{TOKENS}/{created['id']}", headers=token),
        client.request("DELETE", f"{API}/me", json={"password": alice.password}, headers=token),
    ]
    for pending in refused:
        body = problem(await pending, 403)
        assert body["type"].endswith("token-not-allowed")
    assert (await client.get(f"{API}/me", headers=token)).status_code == 200
    listed = await client.get(TOKENS, headers=token)  # reading the list is a read
    assert [item["id"] for item in listed.json()["items"]] == [created["id"]]


async def test_an_expired_token_is_a_401(client: httpx.AsyncClient, alice: Persona) -> None:
    """Issue 20 tokens: past expires_in_days the token is refused; one made with no
    expiry (null) still works, and the list says which expired."""
    created = await mint(client, alice, ["read"], expires_in_days=1)
    forever = await mint(client, alice, ["read"], expires_in_days=None)
    assert forever["expires_at"] is None
    with time_machine.travel(clock.now() + timedelta(days=1, seconds=1), tick=False):
        body = problem(await client.get(f"{API}/me", headers=bearer(created["token"])), 401)
        assert body["type"].endswith("invalid-token")
        listed = await client.get(TOKENS, headers=bearer(forever["token"]))
    assert listed.status_code == 200, listed.text
    expired = {item["id"]: item["expired"] for item in listed.json()["items"]}
    assert expired == {created["id"]: True, forever["id"]: False}


async def test_last_use_is_written_at_most_once_a_minute(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 20 tokens: `last_used_at` is set on use, left alone for a minute (no write
    on every request), then moved on."""
    created = await mint(client, alice, ["read"])
    token = bearer(created["token"])
    row_id = uuid.UUID(created["id"])

    async def last_used() -> Any:
        await db_session.rollback()
        row = await db_session.get(PersonalAccessToken, row_id, populate_existing=True)
        assert row is not None
        return row.last_used_at

    assert await last_used() is None
    start = clock.now()
    with time_machine.travel(start, tick=False):
        await client.get(f"{API}/me", headers=token)
        first = await last_used()
    assert first is not None
    with time_machine.travel(start + timedelta(seconds=50), tick=False):
        await client.get(f"{API}/me", headers=token)
        assert await last_used() == first
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        await client.get(f"{API}/me", headers=token)
        assert await last_used() > first


async def test_a_disabled_users_token_is_refused(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 20: disabled users can use none of it (403 account-disabled)."""
    created = await mint(client, alice, ["read", "write"])
    await db_session.execute(
        update(User)
        .where(User.id == alice.id)
        .values(disabled_at=clock.now(), disabled_reason="spam")
    )
    await db_session.commit()
    body = problem(await client.get(f"{API}/me", headers=bearer(created["token"])), 403)
    assert body["type"].endswith("account-disabled")
    problem(await client.get(TOKENS, headers=alice.headers), 403)


async def test_an_unknown_token_with_the_prefix_is_a_401(client: httpx.AsyncClient) -> None:
    """Issue 20 tokens: a made-up token is looked up, not decoded, and refused."""
    body = problem(await client.get(f"{API}/me", headers=bearer("hab_pat_" + "x" * 43)), 401)
    assert body["type"].endswith("invalid-token")


async def test_token_calls_count_against_the_users_rate_limit(make_client: AppFactory) -> None:
    """Issue 20 tokens: rate limits apply as for other Bearer calls."""
    from tests.fixtures.personas import make_persona

    client = await make_client(rate_limit_user="4/minute")
    dora = await make_persona(client, "dora@example.org")
    token = bearer((await mint(client, dora, ["read"]))["token"])
    answers = [(await client.get(f"{API}/me", headers=token)).status_code for _ in range(5)]
    assert 429 in answers


# --- export and deletion -------------------------------------------------------------------------


async def test_the_export_has_names_and_dates_never_hashes(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 20 tokens: GET /me/export lists each token's name, scopes and dates."""
    created = await mint(client, alice, ["read", "write"])
    exported = await client.get(f"{API}/me/export", headers=alice.headers)
    assert exported.status_code == 200, exported.text
    tokens = exported.json()["access_tokens"]
    assert [(item["name"], item["scopes"]) for item in tokens] == [("Shortcuts", ["read", "write"])]
    row = (await db_session.scalars(select(PersonalAccessToken))).one()
    assert row.token_hash not in exported.text
    assert created["token"] not in exported.text


async def test_deleting_the_account_deletes_its_tokens(
    client: httpx.AsyncClient, alice: Persona, bob: Persona, db_session: AsyncSession
) -> None:
    """Issue 20: deleting an account removes its tokens (and bob's stay)."""
    created = await mint(client, alice, ["read"])
    await mint(client, bob, ["read"])
    deleted = await client.request(
        "DELETE", f"{API}/me", json={"password": alice.password}, headers=alice.headers
    )
    assert deleted.status_code == 204, deleted.text
    assert (
        await count(db_session, PersonalAccessToken, PersonalAccessToken.user_id == alice.id) == 0
    )
    assert await count(db_session, PersonalAccessToken, PersonalAccessToken.user_id == bob.id) == 1
    problem(await client.get(f"{API}/me", headers=bearer(created["token"])), 401)
