"""API.md Auth and DESIGN.md: passwords are hashed with Argon2id, at least 10 characters
and not a common one; the 422 says which rule failed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import User
from tests.auth.helpers import API, count, fields, message_for, problem, try_login
from tests.fixtures.personas import DEFAULT_PASSWORD, Persona, login, register


async def stored_hash(db_session: AsyncSession, email: str) -> str:
    value = await db_session.scalar(
        select(User.password_hash).where(User.email_key == email.lower())
    )
    await db_session.commit()
    assert value is not None
    return value


async def try_register(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(f"{API}/auth/register", json={"email": email, "password": password})


async def test_the_stored_hash_is_argon2id(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """DESIGN.md: passwords are stored as Argon2id hashes with the configured cost."""
    digest = await stored_hash(db_session, alice.email)
    assert digest.startswith("$argon2id$")
    assert "$m=1024,t=1,p=1$" in digest  # the suite's cheap settings, see conftest
    assert alice.password not in digest


async def test_the_hash_follows_the_configured_cost(
    make_client: Any, db_session: AsyncSession
) -> None:
    """DESIGN.md: HABITUS_ARGON2_* set the Argon2id cost of new hashes."""
    client = await make_client(argon2_time_cost=2, argon2_memory_kib=19456, argon2_parallelism=1)
    await register(client, "dora@example.org")
    assert (await stored_hash(db_session, "dora@example.org")).startswith(
        "$argon2id$v=19$m=19456,t=2,p=1$"
    )


async def test_a_raised_cost_rehashes_at_the_next_login(
    client: httpx.AsyncClient, make_client: Any, alice: Persona, db_session: AsyncSession
) -> None:
    """DESIGN.md: after the cost is raised, a successful login stores a hash at the new cost."""
    stronger = await make_client(argon2_time_cost=2, argon2_memory_kib=2048, argon2_parallelism=1)
    problem(await try_login(stronger, alice.email, "not her password"), 401)
    assert "$m=1024,t=1,p=1$" in await stored_hash(db_session, alice.email)
    await login(stronger, alice.email)
    assert "$m=2048,t=2,p=1$" in await stored_hash(db_session, alice.email)
    # The old settings still read the new hash.
    await login(client, alice.email)


@pytest.mark.parametrize(
    "password",
    ["", "Zq9-xw3k!", "ab cd ef "],
    ids=["empty", "nine", "nine-with-spaces"],
)
async def test_a_password_under_10_characters_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, password: str
) -> None:
    """API.md Auth: a password under 10 characters is a 422 that says so."""
    body = problem(await try_register(client, "dora@example.org", password), 422)
    assert fields(body) == {"password"}
    assert "at least 10 characters" in message_for(body, "password")
    assert await count(db_session, User) == 0


async def test_a_10_character_password_is_enough(client: httpx.AsyncClient) -> None:
    """API.md Auth: 10 characters that are not a common password are accepted."""
    response = await try_register(client, "dora@example.org", "Zq9-xw3k!p")
    assert response.status_code == 201, response.text
    await login(client, "dora@example.org", "Zq9-xw3k!p")


@pytest.mark.parametrize("password", ["password123", "1234567890", "QWERTYUIOP", "Football12"])
async def test_a_common_password_is_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, password: str
) -> None:
    """API.md Auth: a password on the common-passwords list (any case) is a 422 that says so."""
    body = problem(await try_register(client, "dora@example.org", password), 422)
    assert fields(body) == {"password"}
    message = message_for(body, "password")
    assert "common" in message
    assert "10 characters" not in message
    assert await count(db_session, User) == 0


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("dora.the.explorer@example.org", "email"),
        ("DORA.THE.EXPLORER", "email"),
        ("zqzqzqzqzqzq", "repetitive"),
        ("p" * 200 + "assphrase!" * 6, "at most 256"),
    ],
    ids=["email", "email-local-part", "two-characters", "over-256"],
)
async def test_other_password_rules_say_which_failed(
    client: httpx.AsyncClient, db_session: AsyncSession, password: str, rule: str
) -> None:
    """API.md Auth: the 422 message says which password rule failed."""
    response = await try_register(client, "dora.the.explorer@example.org", password)
    body = problem(response, 422)
    assert fields(body) == {"password"}
    assert rule in message_for(body, "password")
    assert password not in response.text
    assert await count(db_session, User) == 0


async def test_any_unicode_password_works(client: httpx.AsyncClient) -> None:
    """API.md Auth: a password is any text of 10 or more characters, accents and emoji included."""
    password = "Fräulein Übermut 🦉 ñ"
    await register(client, "dora@example.org", password)
    await login(client, "dora@example.org", password)
    problem(await try_login(client, "dora@example.org", "Fraulein Ubermut 🦉 n"), 401)


async def test_the_timing_decoy_password_opens_nothing(client: httpx.AsyncClient) -> None:
    """API.md Auth: an unknown email is checked against a decoy hash, which never matches."""
    response = await try_login(client, "nobody@example.org", "habitus-timing-equalizer")
    assert problem(response, 401)["type"].endswith("invalid-credentials")


async def test_the_password_is_never_echoed(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """API.md Auth: no answer of sign-up, sign-in or /me carries the password or its hash."""
    digest = await stored_hash(db_session, alice.email)
    answers = [
        await try_register(client, "dora@example.org", DEFAULT_PASSWORD),
        await try_login(client, alice.email, alice.password),
        await client.get(f"{API}/me", headers=alice.headers),
        await client.get(f"{API}/me/export", headers=alice.headers),
    ]
    for response in answers:
        assert response.status_code in {200, 201}, response.text
        assert DEFAULT_PASSWORD not in response.text
        assert digest not in response.text
