"""Single sign-on with OpenID Connect (issue 20), against the loopback provider of
tests/fixtures/oidc_provider.py: the code flow with state, nonce and PKCE, the checks of
the ID token, new accounts, linking an existing account only with its password, disabled
users, Settings → Sign-in methods, export and deletion."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.auth import oidc
from habitus.auth.oidc_web import STATE_COOKIE
from habitus.kit import clock
from habitus.models import User
from habitus.models.identity import OidcIdentity, OidcLogin
from tests.auth.helpers import API, count
from tests.conftest import AppFactory
from tests.fixtures.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    Person,
    Provider,
    running_provider,
)
from tests.fixtures.personas import DEFAULT_PASSWORD, Persona, make_persona
from tests.fixtures.web import SESSION_COOKIE, browser, page_csrf_token, web_login

PROVIDER_NAME = "Example ID"


@pytest.fixture(scope="module")
def provider_server() -> Iterator[Provider]:
    with running_provider() as provider:
        yield provider


@pytest.fixture
def provider(provider_server: Provider) -> Provider:
    provider_server.reset()
    oidc.forget_provider_cache()
    return provider_server


def sso_settings(provider: Provider, **extra: Any) -> dict[str, Any]:
    return {
        "oidc_issuer": provider.issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": CLIENT_SECRET,
        "oidc_name": PROVIDER_NAME,
        "base_url": "http://testserver",
        **extra,
    }


@pytest.fixture
async def client(make_client: AppFactory, provider: Provider) -> httpx.AsyncClient:
    return await make_client(**sso_settings(provider))


async def start(visitor: httpx.AsyncClient, next_path: str = "/today") -> str:
    """Follow "Sign in with ..." (or Settings' "Link ..."): the provider's authorization
    URL."""
    started = await visitor.get("/auth/oidc/start", params={"next": next_path})
    assert started.status_code == 303, started.text
    assert visitor.cookies.get(STATE_COOKIE)
    return started.headers["location"]


async def at_provider(authorize_url: str) -> str:
    """The provider consents at once and sends the browser back: our callback path."""
    async with httpx.AsyncClient() as outside:
        answer = await outside.get(authorize_url)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    assert back.path == "/auth/oidc/callback"
    return f"{back.path}?{back.query}"


async def sign_in(visitor: httpx.AsyncClient) -> httpx.Response:
    return await visitor.get(await at_provider(await start(visitor)))


async def users_named(db_session: AsyncSession, email: str) -> int:
    return await count(db_session, User, User.email_key == email.lower())


def refused(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert words in response.text, response.text
    assert SESSION_COOKIE not in response.cookies


# --- the flow and a new account -------------------------------------------------------------


async def test_a_new_person_gets_an_account_and_is_signed_in(
    client: httpx.AsyncClient, provider: Provider, db_session: AsyncSession
) -> None:
    """Issue 20 OIDC: state + nonce + PKCE (S256) go to the provider; the verified
    address of an unknown subject makes a new account, signed in with a cookie."""
    provider.person = Person(subject="sub-dora", email="dora@example.org")
    async with browser(client) as visitor:
        authorize_url = await start(visitor)
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        assert query["code_challenge_method"] == "S256"
        assert query["state"] == visitor.cookies.get(STATE_COOKIE)
        assert query["nonce"]
        assert query["code_challenge"]
        assert query["redirect_uri"] == "http://testserver/auth/oidc/callback"
        assert set(query["scope"].split()) == {"openid", "email", "profile"}
        arrived = await visitor.get(await at_provider(authorize_url))
        assert arrived.status_code == 303, arrived.text
        assert arrived.headers["location"] == "/onboarding"  # a new account starts there
        assert visitor.cookies.get(SESSION_COOKIE)
        assert (await visitor.get("/settings")).status_code == 200
    assert provider.token_requests[0]["code_verifier"]
    user = (await db_session.scalars(select(User).where(User.email == "dora@example.org"))).one()
    assert user.display_name == "Dora Example"
    assert user.password_hash == oidc.NO_PASSWORD
    identity = (await db_session.scalars(select(OidcIdentity))).one()
    assert (identity.issuer, identity.subject, identity.user_id) == (
        provider.issuer,
        "sub-dora",
        user.id,
    )
    assert await count(db_session, OidcLogin) == 0  # spent


async def test_a_known_subject_signs_in_to_its_account(
    client: httpx.AsyncClient, provider: Provider, db_session: AsyncSession
) -> None:
    """Issue 20 OIDC: a known (issuer, subject) signs in, even when its address changed
    at the provider; no second account is made."""
    provider.person = Person(subject="sub-dora", email="dora@example.org")
    async with browser(client) as first:
        assert (await sign_in(first)).status_code == 303
    provider.person = Person(subject="sub-dora", email="dora.new@example.org")
    async with browser(client) as second:
        again = await sign_in(second)
        assert again.status_code == 303, again.text
        assert second.cookies.get(SESSION_COOKIE)
    assert await count(db_session, User) == 1


async def test_the_login_page_offers_the_provider_only_when_configured(
    client: httpx.AsyncClient, make_client: AppFactory
) -> None:
    """Issue 20 OIDC: "Sign in with <name>" on /login when HABITUS_OIDC_* is set."""
    page = await client.get("/login")
    assert f"Sign in with {PROVIDER_NAME}" in page.text
    plain = await make_client()
    assert "/auth/oidc/start" not in (await plain.get("/login")).text
    assert (await plain.get("/auth/oidc/callback?state=x&code=y")).status_code == 404


# --- the checks ----------------------------------------------------------------------------


async def test_a_wrong_state_signs_nobody_in(
    client: httpx.AsyncClient, provider: Provider, db_session: AsyncSession
) -> None:
    """Issue 20 OIDC: a state that is not the one this browser started is refused, and
    an answer brought to another browser (no state cookie) too."""
    provider.person = Person(subject="sub-eve", email="eve@example.org")
    async with browser(client) as visitor:
        callback = await at_provider(await start(visitor))
        forged = callback.replace("state=", "state=x")
        refused(await visitor.get(forged), 400, "not started in this browser")
        async with browser(client) as other:
            refused(await other.get(callback), 400, "not started in this browser")
    assert await users_named(db_session, "eve@example.org") == 0
    assert provider.token_requests == []  # no code was traded


async def test_a_replayed_state_is_refused(
    client: httpx.AsyncClient, provider: Provider, db_session: AsyncSession
) -> None:
    """Issue 20 OIDC: each sign-in is single use: the same answer a second time is 400."""
    provider.person = Person(subject="sub-dora", email="dora@example.org")
    async with browser(client) as visitor:
        callback = await at_provider(await start(visitor))
        state = parse_qs(urlsplit(callback).query)["state"][0]
        assert (await visitor.get(callback)).status_code == 303
        visitor.cookies.delete(SESSION_COOKIE)
        visitor.cookies.set(STATE_COOKIE, state, path="/auth/oidc")
        refused(await visitor.get(callback), 400, "already used")


@pytest.mark.parametrize(
    ("spoil", "value"),
    [
        ("nonce", "another-nonce"),
        ("audience", "another-client"),
        ("expired", True),
        ("foreign_key", True),
    ],
)
async def test_an_id_token_that_fails_a_check_signs_nobody_in(
    client: httpx.AsyncClient,
    provider: Provider,
    db_session: AsyncSession,
    spoil: str,
    value: Any,
) -> None:
    """Issue 20 OIDC: the ID token's nonce, audience, expiry and signature (a key the
    provider does not publish) are checked; a failure makes no account, and the state
    is spent all the same (a retry of it is refused)."""
    provider.person = Person(subject="sub-eve", email="eve@example.org")
    setattr(provider.spoil, spoil, value)
    async with browser(client) as visitor:
        callback = await at_provider(await start(visitor))
        refused(await visitor.get(callback), 400, "could not be verified")
    assert await users_named(db_session, "eve@example.org") == 0
    assert await count(db_session, OidcIdentity) == 0
    assert await count(db_session, OidcLogin) == 0


async def test_a_pkce_verifier_mismatch_is_refused_by_the_provider(
    client: httpx.AsyncClient, provider: Provider, db_session: AsyncSession
) -> None:
    """Issue 20 OIDC: the code is only good with the verifier of its challenge (PKCE):
    an intercepted code with another verifier gets no token, and nobody is signed in."""
    provider.person = Person(subject="sub-eve", email="eve@example.org")
    async with browser(client) as visitor:
        callback = await at_provider(await start(visitor))
        await db_session.execute(update(OidcLogin).values(code_verifier="x" * 64))
        await db_session.commit()
        refused(await visitor.get(callback), 502, "did not accept this sign-in")
    assert provider.token_requests[0]["code_verifier"] == "x" * 64
    assert await users_named(db_session, "eve@example.org") == 0


async def test_a_sign_in_started_long_ago_is_refused(
    client: httpx.AsyncClient, provider: Provider, db_session: AsyncSession
) -> None:
    """Issue 20 OIDC: a sign-in in progress is good for 10 minutes."""
    provider.person = Person(subject="sub-eve", email="eve@example.org")
    async with browser(client) as visitor:
        callback = await at_provider(await start(visitor))
        await db_session.execute(update(OidcLogin).values(expires_at=clock.now()))
        await db_session.commit()
        refused(await visitor.get(callback), 400, "took too long")
    assert provider.token_requests == []


# --- existing accounts -------------------------------------------------------------------------


@pytest.mark.parametrize("verified", [True, False, None])
async def test_an_existing_address_is_linked_only_with_its_password(
    client: httpx.AsyncClient, provider: Provider, db_session: AsyncSession, verified: bool | None
) -> None:
    """Issue 20 OIDC: an unknown subject with the address of an account is not signed
    in (verified or not): the account's password first, then the identity is linked and
    the next sign-in goes straight in."""
    alice = await make_persona(client, "alice@example.org")
    provider.person = Person(
        subject="sub-alice", email="alice@example.org", email_verified=verified
    )
    async with browser(client) as visitor:
        arrived = await sign_in(visitor)
        assert arrived.status_code == 303, arrived.text
        assert arrived.headers["location"] == "/auth/oidc/link"
        assert not visitor.cookies.get(SESSION_COOKIE)
        assert (await visitor.get("/settings")).status_code in (303, 401)
        page = await visitor.get("/auth/oidc/link")
        assert "alice@example.org" in page.text
        token = await page_csrf_token(visitor, "/auth/oidc/link")
        wrong = await visitor.post(
            "/auth/oidc/link", data={"csrf_token": token, "password": "not her password"}
        )
        assert wrong.status_code == 422, wrong.text
        assert "is not your current password" in wrong.text
        assert await count(db_session, OidcIdentity) == 0
        linked = await visitor.post(
            "/auth/oidc/link", data={"csrf_token": token, "password": alice.password}
        )
        assert linked.status_code == 303, linked.text
        assert visitor.cookies.get(SESSION_COOKIE)
    identity = (await db_session.scalars(select(OidcIdentity))).one()
    assert identity.user_id == alice.id
    async with browser(client) as later:
        assert (await sign_in(later)).status_code == 303
        assert later.cookies.get(SESSION_COOKIE)
    assert await users_named(db_session, "alice@example.org") == 1


async def test_the_link_waits_ten_minutes_and_is_single_use(
    client: httpx.AsyncClient, provider: Provider, db_session: AsyncSession
) -> None:
    """Issue 20 OIDC: the identity waiting for a password expires, and is spent once
    linked (the same link cookie again links nothing)."""
    alice = await make_persona(client, "alice@example.org")
    provider.person = Person(subject="sub-alice", email="alice@example.org")
    async with browser(client) as visitor:
        await sign_in(visitor)
        token = await page_csrf_token(visitor, "/auth/oidc/link")
        link_cookie = visitor.cookies.get("habitus_oidc_link")
        done = await visitor.post(
            "/auth/oidc/link", data={"csrf_token": token, "password": alice.password}
        )
        assert done.status_code == 303
        visitor.cookies.set("habitus_oidc_link", link_cookie, path="/auth/oidc")
        again = await visitor.post(
            "/auth/oidc/link", data={"csrf_token": token, "password": alice.password}
        )
        assert again.status_code == 303
        assert again.headers["location"] == "/login"
    provider.person = Person(subject="sub-other", email="alice@example.org")
    async with browser(client) as slow:
        await sign_in(slow)
        await db_session.execute(update(OidcLogin).values(expires_at=clock.now()))
        await db_session.commit()
        late = await slow.get("/auth/oidc/link")
        assert late.status_code == 303
        assert late.headers["location"] == "/login"
    assert await count(db_session, OidcIdentity) == 1


async def test_an_unverified_address_makes_no_account(
    client: httpx.AsyncClient, provider: Provider, db_session: AsyncSession
) -> None:
    """Issue 20 OIDC: a new account needs an address the provider verified."""
    for verified in (False, None):
        provider.person = Person(
            subject="sub-eve", email="eve@example.org", email_verified=verified
        )
        async with browser(client) as visitor:
            refused(await sign_in(visitor), 403, "did not confirm an email address")
    provider.person = Person(subject="sub-eve", email=None)
    async with browser(client) as visitor:
        refused(await sign_in(visitor), 403, "did not confirm an email address")
    assert await count(db_session, User) == 0


@pytest.mark.parametrize("mode", ["closed", "invite"])
async def test_sign_up_rules_hold_for_new_accounts(
    make_client: AppFactory, provider: Provider, db_session: AsyncSession, mode: str
) -> None:
    """Issue 20 OIDC: HABITUS_REGISTRATION=closed or invite: no account is made through
    the provider (an invited person signs up with the link, then links)."""
    closed = await make_client(**sso_settings(provider, registration=mode))
    provider.person = Person(subject="sub-eve", email="eve@example.org")
    async with browser(closed) as visitor:
        refused(await sign_in(visitor), 403, "sign-up on this server is")
    assert await count(db_session, User) == 0


async def test_a_disabled_user_is_refused(
    client: httpx.AsyncClient, provider: Provider, db_session: AsyncSession
) -> None:
    """Issue 20: disabled users cannot sign in through the provider."""
    provider.person = Person(subject="sub-dora", email="dora@example.org")
    async with browser(client) as visitor:
        assert (await sign_in(visitor)).status_code == 303
    await db_session.execute(
        update(User).values(disabled_at=clock.now(), disabled_reason="too many check-ins")
    )
    await db_session.commit()
    async with browser(client) as visitor:
        refused(await sign_in(visitor), 403, "too many check-ins")


# --- Settings → Sign-in methods ---------------------------------------------------------------


async def signed_in_browser(client: httpx.AsyncClient, persona: Persona) -> httpx.AsyncClient:
    visitor = httpx.AsyncClient(transport=client._transport, base_url=client.base_url)
    await web_login(visitor, persona.email, persona.password)
    return visitor


async def test_linking_from_settings_and_unlinking(
    client: httpx.AsyncClient, provider: Provider, db_session: AsyncSession
) -> None:
    """Issue 20 OIDC: a signed-in user links the provider from Settings (their session
    proves the account), sees it listed and unlinks it (they have a password)."""
    alice = await make_persona(client, "alice@example.org")
    provider.person = Person(subject="sub-alice-work", email="alice@work.example")
    async with browser(client) as visitor:
        await web_login(visitor, alice.email, alice.password)
        settings = await visitor.get("/settings")
        assert 'href="/settings/sign-ins"' in settings.text
        page = await visitor.get("/settings/sign-ins")
        assert "No sign-in is linked." in page.text
        linked = await visitor.get(await at_provider(await start(visitor, "/settings/sign-ins")))
        assert linked.status_code == 303, linked.text
        assert linked.headers["location"] == "/settings/sign-ins"
        page = await visitor.get("/settings/sign-ins")
        assert "alice@work.example" in page.text
        identity = (await db_session.scalars(select(OidcIdentity))).one()
        assert identity.user_id == alice.id
        token = await page_csrf_token(visitor, "/settings/sign-ins")
        unlinked = await visitor.post(
            f"/settings/sign-ins/{identity.id}/unlink", data={"csrf_token": token}
        )
        assert unlinked.status_code == 303, unlinked.text
    assert await count(db_session, OidcIdentity) == 0


async def test_the_last_way_to_sign_in_cannot_be_unlinked(
    client: httpx.AsyncClient, provider: Provider, db_session: AsyncSession
) -> None:
    """Issue 20 OIDC: an account made through the provider has no password: unlinking
    its only identity would lock it out (409, still linked)."""
    provider.person = Person(subject="sub-dora", email="dora@example.org")
    async with browser(client) as visitor:
        await sign_in(visitor)
        identity = (await db_session.scalars(select(OidcIdentity))).one()
        token = await page_csrf_token(visitor, "/settings/sign-ins")
        kept = await visitor.post(
            f"/settings/sign-ins/{identity.id}/unlink", data={"csrf_token": token}
        )
        assert kept.status_code == 409, kept.text
        assert "set a password first" in kept.text
    assert await count(db_session, OidcIdentity) == 1


async def test_charlie_cannot_unlink_alices_identity(
    client: httpx.AsyncClient, provider: Provider, db_session: AsyncSession
) -> None:
    """Issue 20 OIDC: another user's identity is a 404, and stays."""
    provider.person = Person(subject="sub-dora", email="dora@example.org")
    async with browser(client) as visitor:
        await sign_in(visitor)
    identity = (await db_session.scalars(select(OidcIdentity))).one()
    charlie = await make_persona(client, "charlie@example.org")
    async with browser(client) as visitor:
        await web_login(visitor, charlie.email, charlie.password)
        page = await visitor.get("/settings/sign-ins")
        assert "dora@example.org" not in page.text
        token = await page_csrf_token(visitor, "/settings/sign-ins")
        refused_unlink = await visitor.post(
            f"/settings/sign-ins/{identity.id}/unlink", data={"csrf_token": token}
        )
        assert refused_unlink.status_code == 404
    assert await count(db_session, OidcIdentity) == 1


# --- export and deletion -------------------------------------------------------------------------


async def test_export_lists_identities_and_deletion_removes_them(
    client: httpx.AsyncClient, provider: Provider, db_session: AsyncSession
) -> None:
    """Issue 20: the export names each linked identity; deleting the account removes it."""
    alice = await make_persona(client, "alice@example.org")
    provider.person = Person(subject="sub-alice", email="alice@example.org")
    async with browser(client) as visitor:
        await sign_in(visitor)
        token = await page_csrf_token(visitor, "/auth/oidc/link")
        linked = await visitor.post(
            "/auth/oidc/link", data={"csrf_token": token, "password": DEFAULT_PASSWORD}
        )
        assert linked.status_code == 303, linked.text
    exported = (await client.get(f"{API}/me/export", headers=alice.headers)).json()
    assert [(item["issuer"], item["subject"]) for item in exported["sign_ins"]] == [
        (provider.issuer, "sub-alice")
    ]
    deleted = await client.request(
        "DELETE", f"{API}/me", json={"password": alice.password}, headers=alice.headers
    )
    assert deleted.status_code == 204, deleted.text
    assert await count(db_session, OidcIdentity) == 0


async def test_housekeeping_sweeps_sign_ins_never_finished(
    client: httpx.AsyncClient, provider: Provider, db_session: AsyncSession
) -> None:
    """Issue 20 OIDC: a sign-in in progress is swept once its 10 minutes are over, and
    only then."""
    from datetime import timedelta

    import time_machine

    from habitus import housekeeping

    async with browser(client) as visitor:
        await start(visitor)
    await db_session.rollback()
    assert (await housekeeping.sweep(db_session))["oidc_logins"] == 0
    with time_machine.travel(clock.now() + oidc.LOGIN_TTL + timedelta(seconds=1), tick=False):
        assert (await housekeeping.sweep(db_session))["oidc_logins"] == 1
    await db_session.commit()
    assert await count(db_session, OidcLogin) == 0


async def test_a_cancelled_sign_in_says_so(
    client: httpx.AsyncClient, provider: Provider, db_session: AsyncSession
) -> None:
    """Issue 20 OIDC: the provider answering with an error (the person said no) signs
    nobody in and trades no code."""
    async with browser(client) as visitor:
        authorize_url = await start(visitor)
        state = parse_qs(urlsplit(authorize_url).query)["state"][0]
        answer = await visitor.get(
            "/auth/oidc/callback", params={"state": state, "error": "access_denied"}
        )
        refused(answer, 400, "was cancelled")
    assert provider.token_requests == []
    assert await count(db_session, User) == 0


async def test_starting_sign_ins_is_rate_limited(client: httpx.AsyncClient) -> None:
    """Issue 20 OIDC: each start keeps a row for 10 minutes, so one address may start
    only so many (30 per 10 minutes): then 429."""
    from habitus.auth.oidc_web import STARTS_PER_IP

    answers = [await client.get("/auth/oidc/start") for _ in range(STARTS_PER_IP.count + 1)]
    assert [answer.status_code for answer in answers[:-1]] == [303] * STARTS_PER_IP.count
    assert answers[-1].status_code == 429
    assert int(answers[-1].headers["Retry-After"]) > 0
