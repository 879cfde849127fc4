"""Issue 4 "Sign up / sign in": password reset by a link, and invite sign-up when the
server is invite-only. How the link is delivered (email, or kept for an administrator,
never the log) is tested in test_reset_delivery.py (issue 11, item 11)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import housekeeping
from habitus.auth import service
from habitus.context import AppContext
from habitus.models import PasswordResetToken, User
from tests.auth.helpers import API, count, try_login
from tests.auth.pages import error_sits_by_its_field, field_errors, follow, post_form
from tests.fixtures.personas import Persona
from tests.fixtures.web import SESSION_COOKIE, browser, page_csrf_token, web_login

NEW_PASSWORD = "a brand new quiet harbour"


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The links the app sends, as (email, link), caught at the delivery seam."""
    sent: list[tuple[str, str]] = []

    async def deliver(
        session: AsyncSession,
        ctx: AppContext,
        *,
        user: User,
        reset: PasswordResetToken,
        link: str,
    ) -> None:
        sent.append((user.email, link))

    monkeypatch.setattr(service, "send_password_reset_link", deliver)
    return sent


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


async def ask(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await post_form(client, "/forgot", "/forgot", {"email": email})


async def choose(client: httpx.AsyncClient, token: str, password: str) -> httpx.Response:
    return await post_form(
        client, f"/reset?token={token}", "/reset", {"token": token, "new_password": password}
    )


async def test_login_page_links_to_the_reset_form(client: httpx.AsyncClient) -> None:
    """Issue 4 reset: "Forgot your password?" on /login leads to a form asking the email."""
    login = await client.get("/login")
    assert '<a href="/forgot">Forgot your password?</a>' in login.text
    page = await client.get("/forgot")
    assert page.status_code == 200
    assert 'name="email"' in page.text


async def test_the_answer_is_the_same_for_unknown_addresses(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession, mailbox: Any
) -> None:
    """Issue 4 reset: always "If an account exists, we sent a link"; only a real account
    gets a token and a link."""
    known = await ask(client, "ALICE@example.org")
    known_page = (await follow(client, known)).text
    unknown = await ask(client, "nobody@example.org")
    unknown_page = (await follow(client, unknown)).text
    assert known.headers["location"] == unknown.headers["location"] == "/login"
    for page in (known_page, unknown_page):
        assert service.RESET_REQUESTED in page
    assert [email for email, _ in mailbox] == ["alice@example.org"]
    assert await count(db_session, PasswordResetToken) == 1


async def test_an_empty_address_is_an_error_next_to_the_field(client: httpx.AsyncClient) -> None:
    """Issue 4 forms: errors next to the field, 422."""
    response = await ask(client, "   ")
    assert response.status_code == 422
    assert "email" in field_errors(response.text)
    error_sits_by_its_field(response.text, "email")


async def test_only_the_hash_of_the_token_is_stored(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession, mailbox: Any
) -> None:
    """Issue 4 reset: a random token, only its hash stored, valid for one hour."""
    await ask(client, alice.email)
    token = token_of(mailbox[0][1])
    row = (await db_session.scalars(select(PasswordResetToken))).one()
    await db_session.commit()
    assert row.token_hash != token
    assert row.token_hash == service.token_digest(token)
    assert row.user_id == alice.id
    assert row.used_at is None
    assert 3590 <= (row.expires_at - row.created_at).total_seconds() <= 3600


async def test_a_link_sets_a_new_password_once_and_signs_in(
    client: httpx.AsyncClient, alice: Persona, mailbox: Any
) -> None:
    """Issue 4 reset: the link opens a form; the new password works, the old one not; the
    browser is signed in fresh; the same link never works twice."""
    await ask(client, alice.email)
    token = token_of(mailbox[0][1])
    form = await client.get(f"/reset?token={token}")
    assert form.status_code == 200
    assert alice.email in form.text
    done = await choose(client, token, NEW_PASSWORD)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/onboarding"  # alice never went through it
    assert client.cookies.get(SESSION_COOKIE)
    assert (await client.get("/settings")).status_code == 200
    assert (await try_login(client, alice.email, alice.password)).status_code == 401
    assert (await try_login(client, alice.email, NEW_PASSWORD)).status_code == 200

    async with browser(client) as other:
        reopened = await other.get(f"/reset?token={token}")
        assert reopened.status_code == 400
        assert "not valid any more" in reopened.text
        again = await other.post(
            "/reset",
            data={
                "token": token,
                "new_password": "yet another long phrase",
                "csrf_token": await page_csrf_token(other, "/forgot"),
            },
        )
        assert again.status_code == 400
        assert "not valid any more" in again.text
    assert (await try_login(client, alice.email, NEW_PASSWORD)).status_code == 200


async def test_a_reset_ends_every_sign_in(
    client: httpx.AsyncClient, alice: Persona, mailbox: Any
) -> None:
    """Issue 4 reset: on success every sign-in of the user is revoked (like disabling)."""
    async with browser(client) as laptop, browser(client) as stranger:
        await web_login(laptop, alice.email, alice.password)
        assert (await laptop.get("/settings")).status_code == 200
        assert (await client.get(f"{API}/me", headers=alice.headers)).status_code == 200
        await ask(stranger, alice.email)
        assert (await choose(stranger, token_of(mailbox[0][1]), NEW_PASSWORD)).status_code == 303

        assert (await laptop.get("/settings")).status_code == 303
        assert (await client.get(f"{API}/me", headers=alice.headers)).status_code == 401
        refreshed = await client.post(
            f"{API}/auth/refresh", json={"refresh_token": alice.refresh_token}
        )
        assert refreshed.status_code == 401
        assert (await stranger.get("/settings")).status_code == 200  # the fresh sign-in


async def test_a_link_expires_after_an_hour(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    alice: Persona,
    mailbox: Any,
) -> None:
    """Issue 4 reset: the token expires in 1 hour."""
    await ask(client, alice.email)
    token = token_of(mailbox[0][1])
    frozen_clock.shift(3599)
    assert (await client.get(f"/reset?token={token}")).status_code == 200
    frozen_clock.shift(2)
    assert (await client.get(f"/reset?token={token}")).status_code == 400
    late = await client.post(
        "/reset",
        data={
            "token": token,
            "new_password": NEW_PASSWORD,
            "csrf_token": await page_csrf_token(client, "/forgot"),
        },
    )
    assert late.status_code == 400
    assert (await try_login(client, alice.email, NEW_PASSWORD)).status_code == 401
    assert (await try_login(client, alice.email, alice.password)).status_code == 200


async def test_using_a_link_spends_the_earlier_ones(
    client: httpx.AsyncClient, alice: Persona, mailbox: Any, db_session: AsyncSession
) -> None:
    """Issue 4 reset: all earlier tokens of the user are invalidated on use."""
    await ask(client, alice.email)
    await ask(client, alice.email)
    first, second = (token_of(link) for _, link in mailbox)
    assert (await choose(client, second, NEW_PASSWORD)).status_code == 303
    async with browser(client) as other:
        assert (await other.get(f"/reset?token={first}")).status_code == 400
    assert await count(db_session, PasswordResetToken, PasswordResetToken.used_at.is_(None)) == 0


async def test_a_weak_password_is_refused_next_to_the_field(
    client: httpx.AsyncClient, alice: Persona, mailbox: Any
) -> None:
    """Issue 4 reset: the existing password rules, errors next to the field; the link
    still works afterwards."""
    await ask(client, alice.email)
    token = token_of(mailbox[0][1])
    for weak, words in (("short", "at least 10 characters"), ("password123", "common")):
        response = await choose(client, token, weak)
        assert response.status_code == 422
        assert words in field_errors(response.text)["new_password"]
        error_sits_by_its_field(response.text, "new_password")
        assert f'value="{token}"' in response.text
    assert (await choose(client, token, NEW_PASSWORD)).status_code == 303


async def test_bogus_and_missing_tokens_get_the_same_page(client: httpx.AsyncClient) -> None:
    """Issue 4 reset: a made-up link is refused, and says how to get a new one."""
    for path in ("/reset", "/reset?token=made-up"):
        page = await client.get(path)
        assert page.status_code == 400
        assert 'href="/forgot"' in page.text


async def test_reset_requests_are_throttled(
    make_client: Any, mailbox: Any, db_session: AsyncSession
) -> None:
    """Issue 4 reset: throttled with the existing limiter (per address asked about)."""
    client = await make_client(rate_limit_enabled=True)
    await client.post(
        f"{API}/auth/register", json={"email": "alice@example.org", "password": NEW_PASSWORD}
    )
    for _ in range(service.RESET_REQUESTS_PER_ACCOUNT.count):
        assert (await ask(client, "alice@example.org")).status_code == 303
    refused = await ask(client, "alice@example.org")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "Too many reset requests" in refused.text
    assert len(mailbox) == service.RESET_REQUESTS_PER_ACCOUNT.count


async def test_a_disabled_account_gets_no_link(
    client: httpx.AsyncClient, alice: Persona, admin: Persona, mailbox: Any
) -> None:
    """Issue 4 reset: a disabled account cannot come back in through a reset."""
    await ask(client, alice.email)
    disabled = await client.post(
        f"{API}/admin/users/{alice.id}/disable", json={"reason": "spam"}, headers=admin.headers
    )
    assert disabled.status_code == 200
    assert (await ask(client, alice.email)).status_code == 303
    assert len(mailbox) == 1
    assert (await choose_status(client, token_of(mailbox[0][1]))) == 400


async def choose_status(client: httpx.AsyncClient, token: str) -> int:
    return (await client.get(f"/reset?token={token}")).status_code


# --- invite sign-up ---------------------------------------------------------------------------


async def test_an_invite_link_fills_the_form_and_signs_up(
    make_client: Any, admin: Persona, db_session: AsyncSession
) -> None:
    """Issue 4: /register?invite=TOKEN works when sign-up is invite-only, and the new
    account goes on to onboarding."""
    client = await make_client(registration="invite")
    created = await client.post(f"{API}/admin/invites", json={}, headers=admin.headers)
    invite = created.json()["token"]
    page = await client.get("/register", params={"invite": invite})
    assert f'name="invite_token" value="{invite}"' in page.text
    assert 'name="password"' in page.text
    response = await post_form(
        client,
        f"/register?invite={invite}",
        "/register",
        {"email": "dora@example.org", "password": NEW_PASSWORD, "invite_token": invite},
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/onboarding"
    assert await count(db_session, User, User.email_key == "dora@example.org") == 1


async def test_a_used_or_expired_invite_says_so_before_the_form(
    frozen_clock: time_machine.Coordinates,
    make_client: Any,
    admin: Persona,
) -> None:
    """Issue 4: a clear message for a used or expired invite (no form to fill in vain)."""
    client = await make_client(registration="invite")
    used = (await client.post(f"{API}/admin/invites", json={}, headers=admin.headers)).json()
    signed_up = await client.post(
        f"{API}/auth/register",
        json={"email": "dora@example.org", "password": NEW_PASSWORD, "invite_token": used["token"]},
    )
    assert signed_up.status_code == 201
    page = await client.get("/register", params={"invite": used["token"]})
    assert "This invite was already used" in page.text
    assert 'name="password"' not in page.text

    late = (
        await client.post(
            f"{API}/admin/invites", json={"expires_in_days": 1}, headers=admin.headers
        )
    ).json()
    frozen_clock.shift(86400 + 1)
    page = await client.get("/register", params={"invite": late["token"]})
    assert "This invite has expired" in page.text
    assert 'name="password"' not in page.text

    page = await client.get("/register", params={"invite": "made-up"})
    assert "This invite is not valid" in page.text


async def test_housekeeping_sweeps_expired_and_spent_links(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    alice: Persona,
    bob: Persona,
    mailbox: Any,
    db_session: AsyncSession,
) -> None:
    """Issue 4 reset: a spent or expired link is useless, so the hourly sweep drops it;
    a live one stays usable."""
    await ask(client, alice.email)
    await choose(client, token_of(mailbox[0][1]), NEW_PASSWORD)  # spent
    frozen_clock.shift(1800)
    await ask(client, bob.email)  # still live after the next shift
    frozen_clock.shift(1801)
    await ask(client, alice.email)  # live
    await db_session.rollback()
    counts = await housekeeping.sweep(db_session)
    await db_session.commit()
    assert counts["password_reset_tokens"] == 1
    assert await count(db_session, PasswordResetToken) == 2
