"""Passkeys over HTTP (issue 20, API.md "Verification, passkeys and tokens"), answered by
a software authenticator (tests/auth/passkey_device.py): registering, signing in for
tokens, and each rule of the ceremonies (origin, RP ID, single-use challenge, counter,
user verification, someone else's key, disabled users, deletion)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
import time_machine
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.kit import clock
from habitus.models import Passkey, User, WebAuthnChallenge
from tests.auth.helpers import API, bearer, count, fields, problem
from tests.auth.passkey_device import SoftwareAuthenticator, b64url
from tests.conftest import AppFactory
from tests.fixtures.personas import Persona

BASE_URL = "http://habits.localhost:8080"
RP_ID = "habits.localhost"
ORIGIN = BASE_URL


@pytest.fixture
async def client(make_client: AppFactory) -> httpx.AsyncClient:
    """The app at HABITUS_BASE_URL=http://habits.localhost:8080: the relying party."""
    return await make_client(base_url=BASE_URL + "/")


def device(**overrides: Any) -> SoftwareAuthenticator:
    return SoftwareAuthenticator(origin=overrides.pop("origin", ORIGIN), **overrides)


async def creation_options(client: httpx.AsyncClient, persona: Persona) -> dict[str, Any]:
    answer = await client.post(f"{API}/auth/passkeys/register/options", headers=persona.headers)
    assert answer.status_code == 200, answer.text
    options: dict[str, Any] = answer.json()
    return options


async def try_register(
    client: httpx.AsyncClient,
    persona: Persona,
    key: SoftwareAuthenticator,
    name: str | None = "My phone",
) -> httpx.Response:
    credential = key.create(await creation_options(client, persona))
    body: dict[str, Any] = {"credential": credential}
    if name is not None:
        body["name"] = name
    return await client.post(f"{API}/auth/passkeys/register", json=body, headers=persona.headers)


async def register_passkey(
    client: httpx.AsyncClient, persona: Persona, key: SoftwareAuthenticator, name: str = "My phone"
) -> dict[str, Any]:
    answer = await try_register(client, persona, key, name)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def request_options(client: httpx.AsyncClient, email: str | None = None) -> dict[str, Any]:
    answer = await client.post(
        f"{API}/auth/passkeys/login/options", json={"email": email} if email else {}
    )
    assert answer.status_code == 200, answer.text
    options: dict[str, Any] = answer.json()
    return options


async def try_login(
    client: httpx.AsyncClient, key: SoftwareAuthenticator, email: str | None = None, **get: Any
) -> httpx.Response:
    credential = key.get(await request_options(client, email), **get)
    return await client.post(f"{API}/auth/passkeys/login", json={"credential": credential})


# --- registering ---------------------------------------------------------------------------


async def test_creation_options_name_the_site_and_require_verification(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 20 Passkeys: the RP ID is HABITUS_BASE_URL's host; the credential must be
    discoverable and the user verified; the user handle is the account's id."""
    options = await creation_options(client, alice)
    assert options["rp"] == {"id": RP_ID, "name": "Habitus"}
    assert options["user"]["id"] == b64url(alice.id.bytes)
    assert options["user"]["name"] == alice.email
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["attestation"] == "none"
    assert len(options["challenge"]) >= 43  # at least 32 random bytes


async def test_register_then_list(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """API.md: POST /auth/passkeys/register answers 201 {id, name, created_at,
    last_used_at}; GET /me/passkeys lists it; the challenge is gone (single use)."""
    key = device()
    made = await register_passkey(client, alice, key, name="  Work laptop ")
    assert set(made) == {"id", "name", "created_at", "last_used_at"}
    assert made["name"] == "Work laptop"
    assert made["last_used_at"] is None
    listed = await client.get(f"{API}/me/passkeys", headers=alice.headers)
    assert listed.status_code == 200, listed.text
    assert listed.json() == {"items": [made]}
    assert await count(db_session, WebAuthnChallenge) == 0
    stored = await db_session.scalar(select(Passkey).where(Passkey.id == uuid.UUID(made["id"])))
    assert stored is not None
    assert stored.credential_id == key.credential_id
    assert stored.user_id == alice.id


async def test_name_defaults_and_is_checked(client: httpx.AsyncClient, alice: Persona) -> None:
    """API.md: `name` is optional ("Passkey"); a name over 100 characters is a 422 naming
    `name`, and nothing is stored."""
    made = await register_passkey(client, alice, device(), name=None)  # type: ignore[arg-type]
    assert made["name"] == "Passkey"
    too_long = await try_register(client, alice, device(), name="x" * 101)
    assert fields(problem(too_long, 422)) == {"name"}
    listed = (await client.get(f"{API}/me/passkeys", headers=alice.headers)).json()["items"]
    assert len(listed) == 1


async def test_existing_keys_are_excluded_and_not_registered_twice(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """WebAuthn excludeCredentials: the second options name alice's key; the same key
    registered again (by alice or by charlie) is a 409 on `credential`."""
    key = device()
    await register_passkey(client, alice, key)
    options = await creation_options(client, alice)
    assert [item["id"] for item in options["excludeCredentials"]] == [b64url(key.credential_id)]
    again = await try_register(client, alice, key)
    assert fields(problem(again, 409)) == {"credential"}
    by_charlie = await try_register(client, charlie, key)
    assert fields(problem(by_charlie, 409)) == {"credential"}


async def test_registration_needs_the_right_origin(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 20: the origin is checked against HABITUS_BASE_URL (scheme, host and port):
    a page at another origin, or at another port, cannot register a passkey."""
    for origin in (
        "http://evil.example",
        "http://habits.localhost:9090",
        "https://habits.localhost:8080",
    ):
        refused = await try_register(client, alice, device(origin=origin))
        body = problem(refused, 422)
        assert fields(body) == {"credential"}
        assert "origin" in body["errors"][0]["message"]
    assert (await client.get(f"{API}/me/passkeys", headers=alice.headers)).json()["items"] == []


async def test_registration_needs_the_right_rp_id(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 20: the RP ID hashed by the authenticator must be the base URL's host."""
    refused = await try_register(client, alice, device(rp_id="evil.example"))
    assert fields(problem(refused, 422)) == {"credential"}


async def test_registration_needs_user_verification(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 20: user verification is required: a key that only saw a touch (UP, no UV)
    is refused."""
    refused = await try_register(client, alice, device(user_verified=False))
    body = problem(refused, 422)
    assert fields(body) == {"credential"}
    assert "verif" in body["errors"][0]["message"].lower()


async def test_registration_challenge_is_single_use(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 20: a challenge answered once is spent: the same answer again is a 422, and
    so is an answer that failed (its challenge does not come back)."""
    key = device()
    credential = key.create(await creation_options(client, alice))
    first = await client.post(
        f"{API}/auth/passkeys/register", json={"credential": credential}, headers=alice.headers
    )
    assert first.status_code == 201, first.text
    again = await client.post(
        f"{API}/auth/passkeys/register", json={"credential": credential}, headers=alice.headers
    )
    assert fields(problem(again, 422)) == {"credential"}
    # A refused answer spends its challenge too: a corrected answer to it is too late.
    options = await creation_options(client, alice)
    bad = device(user_verified=False)
    refused = await client.post(
        f"{API}/auth/passkeys/register",
        json={"credential": bad.create(options)},
        headers=alice.headers,
    )
    assert refused.status_code == 422
    assert await count(db_session, WebAuthnChallenge) == 0
    retried = await client.post(
        f"{API}/auth/passkeys/register",
        json={"credential": device().create(options)},
        headers=alice.headers,
    )
    assert "expired or was already used" in problem(retried, 422)["errors"][0]["message"]


async def test_registration_challenge_is_the_users_own(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """Charlie cannot answer a challenge made for alice (and so bind a key to her
    account, or to his with her options)."""
    options = await creation_options(client, alice)
    answer = await client.post(
        f"{API}/auth/passkeys/register",
        json={"credential": device().create(options)},
        headers=charlie.headers,
    )
    assert fields(problem(answer, 422)) == {"credential"}


async def test_registration_challenge_expires(client: httpx.AsyncClient, alice: Persona) -> None:
    """Issue 20: a challenge lives 5 minutes."""
    options = await creation_options(client, alice)
    with time_machine.travel(clock.now() + timedelta(minutes=5, seconds=1)):
        late = await client.post(
            f"{API}/auth/passkeys/register",
            json={"credential": device().create(options)},
            headers=alice.headers,
        )
    assert fields(problem(late, 422)) == {"credential"}


@pytest.mark.parametrize(
    "credential",
    [
        {},
        {"response": "x"},
        {"response": {"clientDataJSON": "!!!"}},
        {"id": "a", "rawId": "a", "type": "public-key", "response": {"clientDataJSON": "e30"}},
    ],
)
async def test_register_garbage_is_422(
    client: httpx.AsyncClient, alice: Persona, credential: dict[str, Any]
) -> None:
    """Bad input: a credential that is not one is a 422 naming `credential`, never a 500."""
    answer = await client.post(
        f"{API}/auth/passkeys/register", json={"credential": credential}, headers=alice.headers
    )
    assert fields(problem(answer, 422)) == {"credential"}


async def test_registering_needs_a_sign_in(client: httpx.AsyncClient) -> None:
    """Only a signed-in user registers a passkey."""
    problem(await client.post(f"{API}/auth/passkeys/register/options"), 401)
    problem(await client.get(f"{API}/me/passkeys"), 401)


# --- signing in ----------------------------------------------------------------------------


async def test_sign_in_gives_tokens_like_password_login(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """API.md: POST /auth/passkeys/login answers the tokens of POST /auth/login; they
    work; the key's counter and last use and the user's last sign-in are kept."""
    key = device()
    made = await register_passkey(client, alice, key)
    options = await request_options(client)
    assert options["rpId"] == RP_ID
    assert options["userVerification"] == "required"
    assert options.get("allowCredentials", []) == []  # discoverable: no address asked
    started = clock.now()
    answer = await client.post(f"{API}/auth/passkeys/login", json={"credential": key.get(options)})
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in"}
    me = await client.get(f"{API}/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.json()["id"] == str(alice.id)
    refreshed = await client.post(
        f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    stored = await db_session.scalar(select(Passkey).where(Passkey.id == uuid.UUID(made["id"])))
    assert stored is not None
    assert stored.sign_count == 1
    assert stored.last_used_at is not None
    assert stored.last_used_at >= started
    user = await db_session.get(User, alice.id)
    assert user is not None
    assert user.last_login_at is not None
    assert user.last_login_at >= started
    assert await count(db_session, WebAuthnChallenge) == 0


async def test_sign_in_with_an_address_names_its_keys_without_telling_who_exists(
    client: httpx.AsyncClient, alice: Persona, bob: Persona
) -> None:
    """Issue 20: with an email, allowCredentials names the account's keys; an unknown
    address gets exactly what an account without passkeys gets (no user enumeration)."""
    key = device()
    await register_passkey(client, alice, key)
    for_alice = await request_options(client, alice.email)
    assert [item["id"] for item in for_alice["allowCredentials"]] == [b64url(key.credential_id)]
    for_bob = await request_options(client, bob.email)
    for_nobody = await request_options(client, "nobody@example.org")
    assert for_bob.keys() == for_nobody.keys()
    assert {k: v for k, v in for_bob.items() if k != "challenge"} == {
        k: v for k, v in for_nobody.items() if k != "challenge"
    }
    answer = await client.post(
        f"{API}/auth/passkeys/login", json={"credential": key.get(for_alice)}
    )
    assert answer.status_code == 200, answer.text


async def test_sign_in_refuses_another_users_key_for_named_options(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """Options asked for charlie's address are answered by charlie's keys only: alice's
    key signing them is refused (and gives nobody a sign-in)."""
    await register_passkey(client, charlie, device())
    alices = device()
    await register_passkey(client, alice, alices)
    refused = await try_login(client, alices, email=charlie.email)
    assert problem(refused, 401)["type"].endswith("passkey-refused")


async def test_sign_in_refuses_an_unknown_key(client: httpx.AsyncClient, alice: Persona) -> None:
    """A key never registered (or deleted) signs nobody in."""
    await register_passkey(client, alice, device())
    problem(await try_login(client, device()), 401)


async def test_sign_in_refuses_a_forged_user_handle(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """The user handle the authenticator returns must be the key owner's."""
    key = device()
    await register_passkey(client, alice, key)
    key.user_handle = charlie.id.bytes
    problem(await try_login(client, key), 401)


async def test_sign_in_needs_the_right_origin_and_rp_id(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 20: origin and RP ID are checked on every sign-in."""
    key = device()
    await register_passkey(client, alice, key)
    key.origin = "http://evil.example"
    problem(await try_login(client, key), 401)
    key.origin, key.rp_id = ORIGIN, "evil.example"
    problem(await try_login(client, key), 401)
    key.rp_id = None
    assert (await try_login(client, key)).status_code == 200


async def test_sign_in_needs_user_verification(client: httpx.AsyncClient, alice: Persona) -> None:
    """Issue 20: user verification is required on every sign-in, not only at
    registration."""
    key = device()
    await register_passkey(client, alice, key)
    key.user_verified = False
    problem(await try_login(client, key), 401)


async def test_sign_in_challenge_is_single_use(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 20: a replayed assertion is refused: its challenge was spent by the first
    use, even with a counter that went up; a refused answer spends its challenge too."""
    key = device()
    await register_passkey(client, alice, key)
    options = await request_options(client)
    first = await client.post(f"{API}/auth/passkeys/login", json={"credential": key.get(options)})
    assert first.status_code == 200, first.text
    replay = await client.post(f"{API}/auth/passkeys/login", json={"credential": key.get(options)})
    problem(replay, 401)
    options = await request_options(client)
    key.user_verified = False
    problem(
        await client.post(f"{API}/auth/passkeys/login", json={"credential": key.get(options)}),
        401,
    )
    assert await count(db_session, WebAuthnChallenge) == 0
    key.user_verified = True
    late = await client.post(f"{API}/auth/passkeys/login", json={"credential": key.get(options)})
    problem(late, 401)


async def test_sign_in_challenge_expires(client: httpx.AsyncClient, alice: Persona) -> None:
    """Issue 20: a sign-in challenge lives 5 minutes."""
    key = device()
    await register_passkey(client, alice, key)
    options = await request_options(client)
    with time_machine.travel(clock.now() + timedelta(minutes=5, seconds=1)):
        late = await client.post(
            f"{API}/auth/passkeys/login", json={"credential": key.get(options)}
        )
    problem(late, 401)


async def test_a_registration_challenge_does_not_sign_in(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """A challenge is for one ceremony: a registration challenge answered as a sign-in
    is refused."""
    key = device()
    await register_passkey(client, alice, key)
    options = await creation_options(client, alice)
    credential = key.get({"rpId": RP_ID, "challenge": options["challenge"]})
    problem(await client.post(f"{API}/auth/passkeys/login", json={"credential": credential}), 401)


async def test_counter_going_back_is_refused(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 20: the signature counter is checked: once non-zero, an answer whose
    counter does not grow (a cloned key) is refused, and the stored counter stays."""
    key = device()
    await register_passkey(client, alice, key)
    assert (await try_login(client, key, counter=5)).status_code == 200
    problem(await try_login(client, key, counter=3), 401)
    problem(await try_login(client, key, counter=5), 401)
    stored = await db_session.scalar(select(Passkey).where(Passkey.user_id == alice.id))
    await db_session.commit()
    assert stored is not None
    assert stored.sign_count == 5
    assert (await try_login(client, key, counter=6)).status_code == 200


async def test_a_key_that_counts_nothing_is_accepted(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """WebAuthn 6.1.1: authenticators that do not count (synced passkeys) always say 0;
    a counter of 0 after 0 is no sign of a clone."""
    key = device()
    await register_passkey(client, alice, key)
    for _ in range(2):
        assert (await try_login(client, key, counter=0)).status_code == 200


async def test_disabled_users_cannot_use_passkeys(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 20: a disabled account signs in with no passkey (403 with the reason), and
    registers none; its address gets the options of an account without passkeys."""
    key = device()
    await register_passkey(client, alice, key)
    await db_session.execute(
        update(User)
        .where(User.id == alice.id)
        .values(disabled_at=clock.now(), disabled_reason="spam")
    )
    await db_session.commit()
    refused = await try_login(client, key)
    body = problem(refused, 403)
    assert body["reason"] == "spam"
    options = await request_options(client, alice.email)
    assert options.get("allowCredentials", []) == []
    problem(await client.post(f"{API}/auth/passkeys/register/options", headers=alice.headers), 403)


@pytest.mark.parametrize("credential", [{}, {"response": {"clientDataJSON": 5}}, {"rawId": 1}])
async def test_sign_in_garbage_is_422(
    client: httpx.AsyncClient, credential: dict[str, Any]
) -> None:
    """Bad input: no clientDataJSON is a 422 naming `credential`."""
    answer = await client.post(f"{API}/auth/passkeys/login", json={"credential": credential})
    assert fields(problem(answer, 422)) == {"credential"}


async def test_sign_in_options_are_rate_limited(make_client: AppFactory) -> None:
    """Each options call keeps a challenge row: one client address asking without end
    gets 429 with Retry-After."""
    limited = await make_client(base_url=BASE_URL, rate_limit_enabled=True)
    answers = [await limited.post(f"{API}/auth/passkeys/login/options", json={}) for _ in range(31)]
    assert [a.status_code for a in answers[:30]] == [200] * 30
    assert problem(answers[30], 429)
    assert int(answers[30].headers["Retry-After"]) >= 1


# --- the list, deleting --------------------------------------------------------------------


async def test_charlie_cannot_see_or_delete_alices_passkeys(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """Charlie's list holds his keys only; DELETE of alice's is 404 and leaves it."""
    made = await register_passkey(client, alice, device())
    assert (await client.get(f"{API}/me/passkeys", headers=charlie.headers)).json() == {"items": []}
    gone = await client.delete(f"{API}/me/passkeys/{made['id']}", headers=charlie.headers)
    problem(gone, 404)
    problem(await client.delete(f"{API}/me/passkeys/{uuid.uuid4()}", headers=alice.headers), 404)
    listed = (await client.get(f"{API}/me/passkeys", headers=alice.headers)).json()["items"]
    assert [item["id"] for item in listed] == [made["id"]]


async def test_a_deleted_passkey_signs_in_no_more(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """API.md: DELETE /me/passkeys/{id} is 204; the key is refused afterwards."""
    key = device()
    made = await register_passkey(client, alice, key)
    gone = await client.delete(f"{API}/me/passkeys/{made['id']}", headers=alice.headers)
    assert gone.status_code == 204, gone.text
    assert (await client.get(f"{API}/me/passkeys", headers=alice.headers)).json() == {"items": []}
    problem(await try_login(client, key), 401)


async def test_account_deletion_takes_the_passkeys(
    client: httpx.AsyncClient, alice: Persona, bob: Persona, db_session: AsyncSession
) -> None:
    """Issue 20: deleting an account removes its passkeys and waiting challenges;
    another user's stay."""
    await register_passkey(client, alice, device())
    await register_passkey(client, bob, device())
    await creation_options(client, alice)  # a challenge left waiting
    deleted = await client.request(
        "DELETE", f"{API}/me", json={"password": alice.password}, headers=alice.headers
    )
    assert deleted.status_code == 204, deleted.text
    assert await count(db_session, Passkey, Passkey.user_id == alice.id) == 0
    assert await count(db_session, WebAuthnChallenge, WebAuthnChallenge.user_id == alice.id) == 0
    assert await count(db_session, Passkey, Passkey.user_id == bob.id) == 1
