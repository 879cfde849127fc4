"""API.md Conventions and the issue's web rules: the web UI signs in with an HttpOnly cookie
session and every state-changing form (and cookie-authenticated API call) needs CSRF."""

from __future__ import annotations

import html
from typing import Any

import httpx
import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import AuthSession, User
from tests.auth.helpers import API, count, problem
from tests.fixtures.personas import DEFAULT_PASSWORD, Persona, register
from tests.fixtures.web import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    browser,
    form_csrf_token,
    meta_csrf_token,
    page_csrf_token,
    web_login,
)

FOREIGN_ORIGIN = {"Origin": "https://evil.example"}


def set_cookie(response: httpx.Response, name: str) -> str:
    """The Set-Cookie line of `name` in this answer."""
    lines = [
        line for line in response.headers.get_list("set-cookie") if line.startswith(name + "=")
    ]
    assert len(lines) == 1, response.headers.get_list("set-cookie")
    return lines[0]


def cookie_value(line: str) -> str:
    return line.split(";", 1)[0].split("=", 1)[1]


async def signed_in_as(client: httpx.AsyncClient) -> str | None:
    """Who the home page greets, or None when it shows the signed-out page."""
    page = await client.get("/", follow_redirects=True)  # signed in: on to /today
    assert page.status_code == 200, page.text
    if ">Hello, " not in page.text:  # the heading's text, not its title attribute
        return None
    start = page.text.index(">Hello, ") + len(">Hello, ")
    return html.unescape(page.text[start : page.text.index("</h1>", start)])


# --- signing in ------------------------------------------------------------------------


async def test_sign_in_sets_an_httponly_lax_session_cookie(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """API.md Conventions: the web UI uses an HttpOnly, SameSite=Lax cookie (not Secure on http)."""
    response = await web_login(client, alice.email, alice.password)
    # Issue 4: a user who has not been through onboarding starts there.
    assert response.headers["location"] == "/onboarding"
    line = set_cookie(response, SESSION_COOKIE).lower()
    assert "httponly" in line
    assert "samesite=lax" in line
    assert "secure" not in line
    assert await signed_in_as(client) == "Alice"


async def test_the_session_cookie_is_secure_when_the_site_is_https(
    make_client: Any, db_session: AsyncSession
) -> None:
    """Issue: the session cookie is Secure when HABITUS_BASE_URL is https (behind a proxy too)."""
    client = await make_client(base_url="https://habitus.example")
    await register(client, "alice@example.org")
    page = await client.get("/login")
    anon = set_cookie(page, CSRF_COOKIE)
    assert "secure" in anon.lower()
    # The app sees plain http (TLS ends at the proxy): the browser still sends its cookies.
    response = await client.post(
        "/login",
        data={
            "email": "alice@example.org",
            "password": DEFAULT_PASSWORD,
            "csrf_token": form_csrf_token(page.text),
        },
        headers={"Cookie": f"{CSRF_COOKIE}={cookie_value(anon)}"},
    )
    assert response.status_code == 303, response.text
    line = set_cookie(response, SESSION_COOKIE).lower()
    assert "secure" in line
    assert "httponly" in line
    assert "samesite=lax" in line


async def test_a_wrong_password_shows_the_form_again(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """API.md Auth: a wrong password is a 401 page with the same message as an unknown email."""
    wrong = await web_login(client, alice.email, "not her password", expect=401)
    unknown = await web_login(client, "nobody@example.org", "not her password", expect=401)
    for page in (wrong, unknown):
        assert "Incorrect email or password." in page.text
        assert "not her password" not in page.text
        assert SESSION_COOKIE not in page.headers.get("set-cookie", "")
    assert 'value="alice@example.org"' in wrong.text
    assert await signed_in_as(client) is None


async def test_sign_in_only_redirects_within_the_site(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue (web sign-in): `next` after sign-in is a path on this site, never another host."""
    # Another host falls back to the usual landing: onboarding, for a new account.
    for target, expected in [
        ("/api/v1/me/export", "/api/v1/me/export"),
        ("https://evil.example/", "/onboarding"),
        ("//evil.example/", "/onboarding"),
    ]:
        async with browser(client) as fresh:
            token = await page_csrf_token(fresh, "/login")
            response = await fresh.post(
                "/login",
                data={
                    "email": alice.email,
                    "password": alice.password,
                    "csrf_token": token,
                    "next": target,
                },
            )
            assert response.status_code == 303
            assert response.headers["location"] == expected


async def test_web_sign_in_is_throttled(
    frozen_clock: time_machine.Coordinates, make_client: Any
) -> None:
    """API.md Conventions: repeated failed web sign-ins answer 429 with Retry-After."""
    client = await make_client(login_failures_per_account="2/minute")
    await register(client, "alice@example.org")
    for _ in range(2):
        await web_login(client, "alice@example.org", "a wrong guess", expect=401)
    refused = await web_login(client, "alice@example.org", DEFAULT_PASSWORD, expect=429)
    assert int(refused.headers["Retry-After"]) >= 1
    assert "Too many failed sign-in attempts" in refused.text
    frozen_clock.shift(int(refused.headers["Retry-After"]) + 1)
    await web_login(client, "alice@example.org", DEFAULT_PASSWORD)


# --- CSRF on the forms -------------------------------------------------------------------


async def test_login_form_needs_the_csrf_token(client: httpx.AsyncClient, alice: Persona) -> None:
    """Issue: POST /login without a valid csrf_token or from a foreign Origin is a 403."""
    credentials = {"email": alice.email, "password": alice.password}
    missing = await client.post("/login", data=credentials)
    assert missing.status_code == 403
    token = await page_csrf_token(client, "/login")
    # The first character changed (the last ones may only carry base64 padding bits, so
    # changing them could leave the decoded token as it was: this test once flaked so).
    altered = ("A" if token[0] != "A" else "B") + token[1:]
    forged = await client.post("/login", data={**credentials, "csrf_token": altered})
    assert forged.status_code == 403
    foreign = await client.post(
        "/login", data={**credentials, "csrf_token": token}, headers=FOREIGN_ORIGIN
    )
    assert foreign.status_code == 403
    # Another browser's token does not fit this browser's cookie.
    async with browser(client) as other:
        other_token = await page_csrf_token(other, "/login")
    assert (
        await client.post("/login", data={**credentials, "csrf_token": other_token})
    ).status_code == 403
    assert client.cookies.get(SESSION_COOKIE) is None

    same_origin = await client.post(
        "/login",
        data={**credentials, "csrf_token": token},
        headers={"Origin": "http://testserver"},
    )
    assert same_origin.status_code == 303
    assert await signed_in_as(client) == "Alice"


async def test_register_form_needs_the_csrf_token(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    """Issue: POST /register without a valid csrf_token or from a foreign Origin is a 403."""
    form = {"email": "dora@example.org", "password": DEFAULT_PASSWORD, "display_name": "Dora"}
    assert (await client.post("/register", data=form)).status_code == 403
    token = await page_csrf_token(client, "/register")
    foreign = await client.post(
        "/register", data={**form, "csrf_token": token}, headers=FOREIGN_ORIGIN
    )
    assert foreign.status_code == 403
    assert await count(db_session, User) == 0

    response = await client.post("/register", data={**form, "csrf_token": token})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/onboarding"
    assert "httponly" in set_cookie(response, SESSION_COOKIE).lower()
    assert await signed_in_as(client) == "Dora"
    assert await count(db_session, User) == 1


async def test_logout_with_the_page_token_ends_the_session(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue: POST /logout with the token from the rendered page signs out, for good."""
    await web_login(client, alice.email, alice.password)
    cookie = client.cookies[SESSION_COOKIE]
    token = form_csrf_token((await client.get("/settings")).text)
    response = await client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert await signed_in_as(client) is None
    # The old cookie, replayed, opens nothing: the session ended on the server.
    async with browser(client) as thief:
        thief.cookies.set(SESSION_COOKIE, cookie)
        assert await signed_in_as(thief) is None
    revoked = await db_session.scalar(
        select(AuthSession.revoked_at).where(
            AuthSession.user_id == alice.id, AuthSession.kind == "web"
        )
    )
    await db_session.commit()
    assert revoked is not None


async def test_logout_without_a_valid_token_is_refused(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue: POST /logout without a valid csrf_token, or from a foreign Origin, is a 403."""
    await web_login(client, alice.email, alice.password)
    token = form_csrf_token((await client.get("/settings")).text)
    assert (await client.post("/logout")).status_code == 403
    assert (await client.post("/logout", data={"csrf_token": "made-up"})).status_code == 403
    foreign = await client.post("/logout", data={"csrf_token": token}, headers=FOREIGN_ORIGIN)
    assert foreign.status_code == 403
    assert await signed_in_as(client) == "Alice"


async def test_logout_needs_a_token_even_when_signed_out(client: httpx.AsyncClient) -> None:
    """Issue: POST /logout is a state-changing form: no valid csrf_token is a 403."""
    assert (await client.post("/logout")).status_code == 403
    token = await page_csrf_token(client, "/login")
    foreign = await client.post("/logout", data={"csrf_token": token}, headers=FOREIGN_ORIGIN)
    assert foreign.status_code == 403
    response = await client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303


# --- the register page ---------------------------------------------------------------------


async def post_register(client: httpx.AsyncClient, **form: str) -> httpx.Response:
    token = await page_csrf_token(client, "/register")
    return await client.post("/register", data={**form, "csrf_token": token})


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (
            {"email": "not-an-address", "display_name": "Zoë", "password": "Zq9-xw3k!p-long"},
            "email",
            "email",
        ),
        (
            {"email": "zoe@example.org", "display_name": "Zoë", "password": "Sh0rt!pw"},
            "password",
            "at least 10 characters",
        ),
        (
            {"email": "zoe@example.org", "display_name": "Zoë", "password": "Password123"},
            "password",
            "common",
        ),
        (
            {"email": "zoe@example.org", "display_name": "Z" * 101, "password": "Zq9-xw3k!p-l"},
            "display_name",
            "100",
        ),
    ],
    ids=["bad-email", "short-password", "common-password", "long-name"],
)
async def test_register_page_shows_errors_next_to_the_field(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    form: dict[str, str],
    field: str,
    message: str,
) -> None:
    """Issue: register page errors sit by their field; email and name kept, password never."""
    response = await post_register(client, **form)
    assert response.status_code == 422
    page = response.text
    error_at = page.index(f'<p class="field-error" id="{field}-error">')
    assert message in page[error_at : page.index("</p>", error_at)]
    # Next to its field: right after that input, before the following label.
    input_at = page.index(f'id="{field}"')
    assert input_at < error_at
    assert "<label" not in page[input_at:error_at]
    assert f'value="{html.escape(form["email"])}"' in page
    assert html.escape(form["display_name"]) in page
    assert form["password"] not in page
    assert await count(db_session, User) == 0
    assert client.cookies.get(SESSION_COOKIE) is None


async def test_register_page_says_when_the_email_is_taken(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """API.md Auth: a taken email (any case) shows next to the email field on the page."""
    response = await post_register(
        client, email="Alice@Example.org", display_name="Alice 2", password="Zq9-xw3k!p-long"
    )
    assert response.status_code == 422
    assert 'id="email-error"' in response.text
    assert "already registered" in response.text
    assert "Zq9-xw3k!p-long" not in response.text
    assert await count(db_session, User) == 1


async def test_register_page_escapes_what_was_typed(client: httpx.AsyncClient) -> None:
    """Issue: what was typed comes back as text, never as markup."""
    response = await post_register(
        client,
        email="<b>x</b>@example.org",
        display_name='<script>alert("hi")</script>',
        password="Zq9-xw3k!p-long",
    )
    assert response.status_code == 422
    assert "<script>alert" not in response.text
    assert "&lt;script&gt;" in response.text


async def test_invite_only_register_page_explains_itself(
    make_client: Any, admin: Persona, db_session: AsyncSession
) -> None:
    """Issue: invite mode: /register without ?invite= says it is invite-only; the link signs up."""
    client = await make_client(registration="invite")
    page = await client.get("/register")
    assert page.status_code == 200
    assert "invite-only" in page.text
    assert 'name="password"' not in page.text

    created = await client.post(f"{API}/admin/invites", json={}, headers=admin.headers)
    invite = created.json()["token"]
    page = await client.get("/register", params={"invite": invite})
    assert f'name="invite_token" value="{invite}"' in page.text
    response = await client.post(
        "/register",
        data={
            "email": "dora@example.org",
            "password": DEFAULT_PASSWORD,
            "invite_token": invite,
            "csrf_token": form_csrf_token(page.text),
        },
    )
    assert response.status_code == 303, response.text
    assert await count(db_session, User, User.email_key == "dora@example.org") == 1


async def test_closed_register_page_offers_no_form(
    make_client: Any, db_session: AsyncSession
) -> None:
    """API.md Auth: with registration closed the page says so and a form post makes no user."""
    client = await make_client(registration="closed")
    page = await client.get("/register")
    assert "Sign-up is closed" in page.text
    assert 'name="password"' not in page.text
    response = await client.post(
        "/register",
        data={
            "email": "dora@example.org",
            "password": DEFAULT_PASSWORD,
            "csrf_token": meta_csrf_token(page.text),
        },
    )
    assert response.status_code in {403, 422}
    assert "Sign-up is closed" in response.text
    assert client.cookies.get(SESSION_COOKIE) is None
    assert await count(db_session, User) == 0


# --- cookie-authenticated API calls ----------------------------------------------------------


async def test_cookie_api_calls_need_the_csrf_header(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue: a cookie-authenticated API PATCH without X-CSRF-Token is a 403; with it, it works."""
    await web_login(client, alice.email, alice.password)
    token = meta_csrf_token((await client.get("/settings")).text)

    refused = await client.patch(f"{API}/me", json={"display_name": "Forged"})
    assert problem(refused, 403)["type"].endswith("csrf")
    wrong = await client.patch(
        f"{API}/me", json={"display_name": "Forged"}, headers={"X-CSRF-Token": "nope"}
    )
    problem(wrong, 403)
    foreign = await client.patch(
        f"{API}/me",
        json={"display_name": "Forged"},
        headers={"X-CSRF-Token": token, **FOREIGN_ORIGIN},
    )
    problem(foreign, 403)
    # Reading needs no token.
    assert (await client.get(f"{API}/me")).json()["display_name"] == "Alice"

    response = await client.patch(
        f"{API}/me", json={"display_name": "Alice W."}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 200, response.text
    assert (await client.get(f"{API}/me")).json()["display_name"] == "Alice W."


async def test_cookie_api_delete_needs_the_csrf_header(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue: a cookie-authenticated API DELETE without X-CSRF-Token is a 403; with it, it works."""
    await web_login(client, alice.email, alice.password)
    token = meta_csrf_token((await client.get("/settings")).text)
    refused = await client.request("DELETE", f"{API}/me", json={"password": alice.password})
    problem(refused, 403)
    assert await count(db_session, User, User.id == alice.id) == 1
    response = await client.request(
        "DELETE", f"{API}/me", json={"password": alice.password}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 204, response.text
    assert await count(db_session, User, User.id == alice.id) == 0


async def test_cookie_api_post_needs_the_csrf_header(
    client: httpx.AsyncClient, admin: Persona
) -> None:
    """Issue: a cookie-authenticated API POST without X-CSRF-Token is a 403; with it, it works."""
    await web_login(client, admin.email, admin.password)
    token = meta_csrf_token((await client.get("/settings")).text)
    problem(await client.post(f"{API}/admin/invites", json={"note": "forged"}), 403)
    response = await client.post(
        f"{API}/admin/invites", json={"note": "for Dora"}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 201, response.text
    listed = (await client.get(f"{API}/admin/invites")).json()["items"]
    assert [invite["note"] for invite in listed] == ["for Dora"]


async def test_bearer_api_calls_need_no_csrf(client: httpx.AsyncClient, alice: Persona) -> None:
    """Issue: the JSON API with a Bearer token needs no CSRF token, whatever the Origin."""
    response = await client.patch(
        f"{API}/me", json={"display_name": "Alice B."}, headers={**alice.headers, **FOREIGN_ORIGIN}
    )
    assert response.status_code == 200, response.text
    # Even when the same client also holds a browser session.
    await web_login(client, alice.email, alice.password)
    response = await client.patch(f"{API}/me", json={"week_start": "sun"}, headers=alice.headers)
    assert response.status_code == 200, response.text


# --- disabled accounts -------------------------------------------------------------------


async def test_a_disabled_user_is_signed_out_of_the_web_with_the_reason(
    client: httpx.AsyncClient, admin: Persona, alice: Persona
) -> None:
    """Issue: disabled, alice's next page is /login showing the reason; re-enabled, she's in."""
    async with browser(client) as alices_browser:
        await web_login(alices_browser, alice.email, alice.password)
        disabled = await client.post(
            f"{API}/admin/users/{alice.id}/disable",
            json={"reason": "Too many spam reports"},
            headers=admin.headers,
        )
        assert disabled.status_code == 200, disabled.text

        response = await alices_browser.get("/")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")
        page = await alices_browser.get(response.headers["location"])
        assert "Too many spam reports" in page.text
        assert await signed_in_as(alices_browser) is None

        again = await web_login(alices_browser, alice.email, alice.password, expect=403)
        assert "Too many spam reports" in again.text
        assert alices_browser.cookies.get(SESSION_COOKIE) is None

        enabled = await client.post(f"{API}/admin/users/{alice.id}/enable", headers=admin.headers)
        assert enabled.status_code == 200
        await web_login(alices_browser, alice.email, alice.password)
        assert await signed_in_as(alices_browser) == "Alice"
