"""Issue 2 Admin: /api/v1/admin (users, invites, disabling) and the registration modes."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import IdempotencyKey, Invite, User
from tests.conftest import FROZEN_AT, AppFactory
from tests.fixtures.personas import DEFAULT_PASSWORD, Persona, login, make_persona, register
from tests.fixtures.web import SESSION_COOKIE, browser, web_login

ADMIN = "/api/v1/admin"
PROBLEM_JSON = "application/problem+json"


# --- helpers ---------------------------------------------------------------------------


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem+json body of an error answer, after checking its status and type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def error_fields(response: httpx.Response) -> set[str]:
    """The fields a 422 names."""
    body = problem(response, 422)
    return {error["field"] for error in body["errors"]}


def iso(instant: datetime) -> str:
    """An instant as the API writes it: ISO 8601, UTC, with `Z`."""
    return instant.isoformat().replace("+00:00", "Z")


def cursor_of(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


async def count(db_session: AsyncSession, model: Any) -> int:
    await db_session.rollback()  # a fresh snapshot: see what the app committed since
    total = await db_session.scalar(select(func.count()).select_from(model))
    assert total is not None
    return total


async def user_row(db_session: AsyncSession, user_id: uuid.UUID) -> User:
    await db_session.rollback()
    user = await db_session.get(User, user_id, populate_existing=True)
    assert user is not None
    return user


async def headers_of(client: httpx.AsyncClient, persona: Persona) -> dict[str, str]:
    """A fresh access token (after the clock moved past the old one's 15 minutes)."""
    tokens = await login(client, persona.email, persona.password)
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def promote(db_session: AsyncSession, persona: Persona) -> None:
    await db_session.execute(update(User).where(User.id == persona.id).values(is_admin=True))
    await db_session.commit()


async def sign_up(
    client: httpx.AsyncClient, email: str, invite_token: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"email": email, "password": DEFAULT_PASSWORD}
    if invite_token is not None:
        body["invite_token"] = invite_token
    return await client.post("/api/v1/auth/register", json=body)


async def new_invite(
    client: httpx.AsyncClient, admin: Persona | dict[str, str], **fields: Any
) -> dict[str, Any]:
    headers = admin.headers if isinstance(admin, Persona) else admin
    response = await client.post(f"{ADMIN}/invites", json=fields, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def invite_statuses(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> dict[str, dict[str, Any]]:
    response = await client.get(f"{ADMIN}/invites", headers=headers)
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["items"]}


async def walk_users(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[list[dict[str, Any]]]:
    """Every page of GET /admin/users, following next_cursor to the end."""
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(f"{ADMIN}/users", params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100, "next_cursor never ends"


# --- who may call it --------------------------------------------------------------------


def admin_calls(user_id: uuid.UUID) -> list[tuple[str, str, dict[str, Any] | None]]:
    invite_id = uuid.uuid4()
    return [
        ("GET", f"{ADMIN}/users", None),
        ("GET", f"{ADMIN}/users/{user_id}", None),
        ("POST", f"{ADMIN}/users/{user_id}/disable", {"reason": "because"}),
        ("POST", f"{ADMIN}/users/{user_id}/enable", None),
        ("POST", f"{ADMIN}/invites", {}),
        ("GET", f"{ADMIN}/invites", None),
        ("DELETE", f"{ADMIN}/invites/{invite_id}", None),
    ]


async def test_admin_api_needs_a_token(client, bob):
    """Issue 2 Admin: every admin route answers 401 problem+json without a valid token."""
    for method, path, body in admin_calls(bob.id):
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            response = await client.request(method, path, json=body, headers=headers)
            problem(response, 401)
            assert response.headers["www-authenticate"] == "Bearer"


async def test_admin_api_refuses_non_admins(client, alice, bob, db_session):
    """Issue 2 Admin: a signed-in non-admin gets 403 on every admin route and writes nothing."""
    for method, path, body in admin_calls(bob.id):
        response = await client.request(method, path, json=body, headers=alice.headers)
        assert problem(response, 403)["type"].endswith("admin-only"), (method, path)
    assert await count(db_session, Invite) == 0
    assert not (await user_row(db_session, bob.id)).is_disabled
    assert (await client.get("/api/v1/me", headers=bob.headers)).status_code == 200


# --- listing and reading users ------------------------------------------------------------


async def test_users_walk_in_pages_newest_first(frozen_clock, client, admin):
    """Issue 2 Admin: pages of 3 list every user exactly once, newest first, last cursor null."""
    created = []
    for n in range(7):
        frozen_clock.shift(timedelta(minutes=1))
        created.append((await register(client, f"user{n}@example.org"))["id"])
    pages = await walk_users(client, admin.headers, limit=3)
    assert [len(page) for page in pages] == [3, 3, 2]
    ids = [item["id"] for page in pages for item in page]
    assert ids == [*reversed(created), str(admin.id)]
    stamps = [item["created_at"] for page in pages for item in page]
    assert stamps == sorted(stamps, reverse=True)


async def test_users_created_in_the_same_instant_are_each_listed_once(
    frozen_clock,
    client,
    admin,
):
    """Issue 2 Admin: the cursor breaks created_at ties by id, so no user is skipped or repeated."""
    for n in range(6):
        await register(client, f"twin{n}@example.org")
    pages = await walk_users(client, admin.headers, limit=2)
    assert [len(page) for page in pages] == [2, 2, 2, 1]
    ids = [item["id"] for page in pages for item in page]
    assert len(set(ids)) == len(ids) == 7
    assert {item["created_at"] for page in pages for item in page} == {iso(FROZEN_AT)}
    assert ids == sorted(ids, key=lambda value: uuid.UUID(value).hex, reverse=True)


async def test_users_limit_default_and_bounds(client, admin, db_session):
    """Conventions: `limit` defaults to 50 and is at most 500; 0, 501 and "x" are 422 on `limit`."""
    db_session.add_all(
        User(email=f"bulk{n}@example.org", email_key=f"bulk{n}@example.org", password_hash="x")
        for n in range(55)
    )
    await db_session.commit()
    first = await client.get(f"{ADMIN}/users", headers=admin.headers)
    assert first.status_code == 200, first.text
    assert len(first.json()["items"]) == 50
    assert first.json()["next_cursor"] is not None
    rest = await client.get(
        f"{ADMIN}/users", params={"cursor": first.json()["next_cursor"]}, headers=admin.headers
    )
    assert len(rest.json()["items"]) == 6
    assert rest.json()["next_cursor"] is None
    everything = await client.get(f"{ADMIN}/users", params={"limit": 500}, headers=admin.headers)
    assert len(everything.json()["items"]) == 56
    assert everything.json()["next_cursor"] is None
    for bad in (0, 501, "x", -1):
        response = await client.get(f"{ADMIN}/users", params={"limit": bad}, headers=admin.headers)
        assert error_fields(response) == {"limit"}, bad


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!!",
        "A" * 600,
        cursor_of({"a": 1}),
        cursor_of([1, 2]),
        cursor_of(["yesterday", str(uuid.uuid4())]),
        cursor_of(["2026-11-21T12:00:00", str(uuid.uuid4())]),  # naive
        cursor_of(["2026-11-21T12:00:00+00:00", "not-a-uuid"]),
        cursor_of(["2026-11-21T12:00:00+00:00"]),
        cursor_of([None, None]),
    ],
    ids=lambda value: value[:20],
)
async def test_users_garbage_cursor_is_422(client, admin, cursor):
    """Conventions: a cursor the server did not issue is a 422 naming `cursor`, never a 500."""
    response = await client.get(f"{ADMIN}/users", params={"cursor": cursor}, headers=admin.headers)
    assert error_fields(response) == {"cursor"}
    invites = await client.get(f"{ADMIN}/invites", params={"cursor": cursor}, headers=admin.headers)
    assert error_fields(invites) == {"cursor"}


async def test_users_search_is_part_of_email_any_case(client, admin, alice, bob):
    """Issue 2 Admin: `?q=` matches part of the email case-insensitively."""

    async def emails(q: str) -> list[str]:
        response = await client.get(f"{ADMIN}/users", params={"q": q}, headers=admin.headers)
        assert response.status_code == 200, response.text
        return sorted(item["email"] for item in response.json()["items"])

    assert await emails("ALI") == ["alice@example.org"]
    assert await emails("ce@Ex") == ["alice@example.org"]
    assert await emails("EXAMPLE.ORG") == sorted([alice.email, bob.email, admin.email])
    assert await emails("nobody") == []
    assert len(await emails("")) == 3
    too_long = await client.get(f"{ADMIN}/users", params={"q": "a" * 321}, headers=admin.headers)
    assert error_fields(too_long) == {"q"}


async def test_users_search_takes_wildcards_literally(client, admin, alice, bob):
    """Issue 2 Admin: `%` and `_` in `?q=` are literal characters, not LIKE wildcards."""
    await register(client, "under_score@example.org")
    await register(client, "per%cent@example.org")

    async def emails(q: str) -> list[str]:
        response = await client.get(f"{ADMIN}/users", params={"q": q}, headers=admin.headers)
        assert response.status_code == 200, response.text
        return sorted(item["email"] for item in response.json()["items"])

    assert await emails("_") == ["under_score@example.org"]
    assert await emails("%") == ["per%cent@example.org"]
    assert await emails("r_s") == ["under_score@example.org"]
    assert await emails("a%e") == []  # as a pattern it would match alice@example.org
    assert await emails("b_b") == []  # as a pattern it would match bob@
    assert await emails("\\") == []


async def test_users_search_pages_keep_the_filter(client, admin, alice, bob, charlie):
    """Issue 2 Admin: paging through a search returns every match once and nothing else."""
    for n in range(3):
        await register(client, f"Team{n}@Elsewhere.net")
    pages = await walk_users(client, admin.headers, q="ELSEWHERE", limit=2)
    emails = sorted(item["email"].lower() for page in pages for item in page)
    assert emails == ["team0@elsewhere.net", "team1@elsewhere.net", "team2@elsewhere.net"]


async def test_get_user(client, admin, alice):
    """Issue 2 Admin: GET /admin/users/{id} shows the account, its state and last sign-in."""
    response = await client.get(f"{ADMIN}/users/{alice.id}", headers=admin.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == str(alice.id)
    assert body["email"] == alice.email
    assert body["is_admin"] is False
    assert body["disabled"] is False
    assert body["disabled_at"] is None
    assert body["disabled_reason"] is None
    assert body["last_login_at"] is not None
    assert "password_hash" not in body


async def test_get_user_unknown_is_404_malformed_is_422(client, admin):
    """Conventions: an unknown id is a 404 problem+json; a malformed id is a 422 naming it."""
    body = problem(await client.get(f"{ADMIN}/users/{uuid.uuid4()}", headers=admin.headers), 404)
    assert body["type"].endswith("not-found")
    response = await client.get(f"{ADMIN}/users/not-a-uuid", headers=admin.headers)
    assert error_fields(response) == {"user_id"}


# --- invites ----------------------------------------------------------------------------------


async def test_create_invite_shows_the_token_once_and_stores_a_hash(
    frozen_clock,
    client,
    admin,
    db_session,
):
    """Issue 2 Admin: POST /admin/invites answers 201 with token, url and expiry; the DB keeps
    only a hash."""
    response = await client.post(
        f"{ADMIN}/invites",
        json={"email": "Dana@Example.org", "note": "for Dana", "expires_in_days": 3},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    token = body["token"]
    assert len(token) >= 32
    assert "/register?invite=" in body["url"]
    assert body["url"].endswith(f"/register?invite={token}")
    assert body["expires_at"] == iso(FROZEN_AT + timedelta(days=3))
    assert body["created_at"] == iso(FROZEN_AT)
    assert body["status"] == "active"
    assert body["email"] == "dana@example.org"
    assert body["note"] == "for Dana"
    await db_session.rollback()
    rows = (await db_session.execute(select(Invite.__table__))).all()
    assert len(rows) == 1
    for value in rows[0]:
        assert token not in str(value)
    listed = await client.get(f"{ADMIN}/invites", headers=admin.headers)
    assert token not in listed.text
    assert "token" not in listed.json()["items"][0]


async def test_invite_default_expiry_is_invite_days(
    frozen_clock,
    client,
    admin,
):
    """Issue 2 Admin: without expires_in_days an invite lasts HABITUS_INVITE_DAYS (7) days."""
    body = await new_invite(client, admin)
    assert body["expires_at"] == iso(FROZEN_AT + timedelta(days=7))
    assert body["email"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"expires_in_days": 366}, "expires_in_days"),
        ({"expires_in_days": "x"}, "expires_in_days"),
        ({"expires_in_days": 1.5}, "expires_in_days"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@"}, "email"),
        ({"note": "n" * 201}, "note"),
        ({"surprise": True}, "surprise"),
    ],
)
async def test_create_invite_bad_input_is_422_and_writes_nothing(
    client, admin, db_session, payload, field
):
    """Issue 2 Admin: bad invite input is a 422 naming the field, and no invite is written."""
    response = await client.post(f"{ADMIN}/invites", json=payload, headers=admin.headers)
    assert error_fields(response) == {field}
    assert await count(db_session, Invite) == 0


async def test_invite_mode_sign_up_needs_a_valid_invite(make_client: AppFactory, admin, db_session):
    """Issue 2 Admin: with registration=invite, sign-up needs an invite; the invite is spent."""
    server = await make_client(registration="invite")
    refused = await sign_up(server, "dana@example.org")
    assert problem(refused, 403)["type"].endswith("invite-required")
    assert {error["field"] for error in refused.json()["errors"]} == {"invite_token"}
    assert error_fields(await sign_up(server, "dana@example.org", "made-up-token")) == {
        "invite_token"
    }
    assert await count(db_session, User) == 1  # the admin only

    invite = await new_invite(server, admin, note="Dana")
    created = await sign_up(server, "dana@example.org", invite["token"])
    assert created.status_code == 201, created.text
    statuses = await invite_statuses(server, admin.headers)
    assert statuses[invite["id"]]["status"] == "used"
    assert statuses[invite["id"]]["used_by_id"] == created.json()["id"]
    assert statuses[invite["id"]]["used_at"] is not None


async def test_invite_is_single_use(make_client: AppFactory, admin, db_session):
    """Issue 2 Admin: an invite works once; a second sign-up with it is refused."""
    server = await make_client(registration="invite")
    invite = await new_invite(server, admin)
    assert (await sign_up(server, "first@example.org", invite["token"])).status_code == 201
    again = await sign_up(server, "second@example.org", invite["token"])
    assert error_fields(again) == {"invite_token"}
    assert "used" in again.json()["detail"]
    assert await count(db_session, User) == 2


async def test_invite_for_an_address_only_admits_that_address(make_client: AppFactory, admin):
    """Issue 2 Admin: an invite for an email admits only that address (any case)."""
    server = await make_client(registration="invite")
    invite = await new_invite(server, admin, email="erin@example.org")
    assert error_fields(await sign_up(server, "mallory@example.org", invite["token"])) == {
        "invite_token"
    }
    assert (await sign_up(server, "Erin@Example.ORG", invite["token"])).status_code == 201


async def test_invite_expires(frozen_clock, make_client: AppFactory, admin):
    """Issue 2 Admin: an invite is active until expires_at; from then on it is `expired` and
    refused."""
    server = await make_client(registration="invite")
    invite = await new_invite(server, admin, expires_in_days=2)
    frozen_clock.move_to(FROZEN_AT + timedelta(days=2) - timedelta(seconds=1))
    headers = await headers_of(server, admin)
    assert (await invite_statuses(server, headers))[invite["id"]]["status"] == "active"

    frozen_clock.move_to(FROZEN_AT + timedelta(days=2))
    assert (await invite_statuses(server, headers))[invite["id"]]["status"] == "expired"
    refused = await sign_up(server, "late@example.org", invite["token"])
    assert error_fields(refused) == {"invite_token"}
    assert "expired" in refused.json()["detail"]
    assert (await invite_statuses(server, headers))[invite["id"]]["status"] == "expired"


async def test_revoked_invite_is_refused(make_client: AppFactory, admin, db_session):
    """Issue 2 Admin: DELETE /admin/invites/{id} revokes: status `revoked`, sign-up refused."""
    server = await make_client(registration="invite")
    invite = await new_invite(server, admin)
    response = await server.delete(f"{ADMIN}/invites/{invite['id']}", headers=admin.headers)
    assert response.status_code == 204, response.text
    assert (await invite_statuses(server, admin.headers))[invite["id"]]["status"] == "revoked"
    assert (await invite_statuses(server, admin.headers))[invite["id"]]["revoked_at"] is not None
    assert error_fields(await sign_up(server, "dana@example.org", invite["token"])) == {
        "invite_token"
    }
    assert await count(db_session, User) == 1


async def test_revoke_unknown_or_used_invite(make_client: AppFactory, admin):
    """Issue 2 Admin: revoking an unknown invite is 404, a malformed id 422; a used one stays
    used."""
    server = await make_client(registration="invite")
    problem(await server.delete(f"{ADMIN}/invites/{uuid.uuid4()}", headers=admin.headers), 404)
    assert error_fields(await server.delete(f"{ADMIN}/invites/nope", headers=admin.headers)) == {
        "invite_id"
    }
    invite = await new_invite(server, admin)
    assert (await sign_up(server, "dana@example.org", invite["token"])).status_code == 201
    response = await server.delete(f"{ADMIN}/invites/{invite['id']}", headers=admin.headers)
    assert response.status_code == 204
    listed = (await invite_statuses(server, admin.headers))[invite["id"]]
    assert listed["status"] == "used"
    assert listed["revoked_at"] is None


async def test_invite_list_shows_each_status(frozen_clock, make_client: AppFactory, admin):
    """Issue 2 Admin: the invite list shows active, used, expired and revoked invites."""
    server = await make_client(registration="invite")
    expiring = await new_invite(server, admin, expires_in_days=1)
    used = await new_invite(server, admin)
    revoked = await new_invite(server, admin)
    active = await new_invite(server, admin)
    assert (await sign_up(server, "dana@example.org", used["token"])).status_code == 201
    await server.delete(f"{ADMIN}/invites/{revoked['id']}", headers=admin.headers)
    frozen_clock.shift(timedelta(days=1, minutes=1))
    statuses = await invite_statuses(server, await headers_of(server, admin))
    assert {key: item["status"] for key, item in statuses.items()} == {
        expiring["id"]: "expired",
        used["id"]: "used",
        revoked["id"]: "revoked",
        active["id"]: "active",
    }


async def test_invites_walk_in_pages(frozen_clock, client, admin):
    """Conventions: GET /admin/invites pages with limit and cursor, newest first, each once."""
    made = []
    for _ in range(5):
        frozen_clock.shift(timedelta(seconds=1))
        made.append((await new_invite(client, admin))["id"])
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = await client.get(f"{ADMIN}/invites", params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        seen += [item["id"] for item in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))


# --- disabling and enabling -------------------------------------------------------------------


async def test_disabled_user_is_refused_on_the_next_api_request(client, admin, alice, bob):
    """Issue 2 Admin: a disabled user's existing access token is refused at once: 403
    account-disabled with the reason."""
    assert (await client.get("/api/v1/me", headers=bob.headers)).status_code == 200
    response = await client.post(
        f"{ADMIN}/users/{bob.id}/disable", json={"reason": "Posting spam"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["disabled"] is True
    assert response.json()["disabled_reason"] == "Posting spam"
    assert response.json()["disabled_at"] is not None

    refused = problem(await client.get("/api/v1/me", headers=bob.headers), 403)
    assert refused["type"].endswith("account-disabled")
    assert "Posting spam" in refused["detail"]
    assert refused["reason"] == "Posting spam"

    signing_in = await client.post(
        "/api/v1/auth/login", json={"email": bob.email, "password": bob.password}
    )
    assert problem(signing_in, 403)["type"].endswith("account-disabled")
    assert "Posting spam" in signing_in.json()["detail"]
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": bob.refresh_token})
    assert refreshed.status_code in (401, 403), refreshed.text

    assert (await client.get("/api/v1/me", headers=alice.headers)).status_code == 200
    listed = await client.get(f"{ADMIN}/users/{bob.id}", headers=admin.headers)
    assert listed.json()["disabled"] is True


async def test_disabled_user_is_signed_out_of_the_web_on_the_next_page(client, admin, bob):
    """Issue 2 Admin: a disabled user's browser session is refused at once: redirect to /login,
    which shows the reason."""
    async with browser(client) as bobs:
        await web_login(bobs, bob.email, bob.password)
        assert "Hello, Bob" in (await bobs.get("/", follow_redirects=True)).text
        response = await client.post(
            f"{ADMIN}/users/{bob.id}/disable",
            json={"reason": "Posting spam"},
            headers=admin.headers,
        )
        assert response.status_code == 200, response.text

        page = await bobs.get("/")
        assert page.status_code == 303
        assert page.headers["location"] == "/login"
        assert not bobs.cookies.get(SESSION_COOKIE)
        login_page = await bobs.get("/login")
        assert login_page.status_code == 200
        assert "Posting spam" in login_page.text
        assert "Hello, Bob" not in (await bobs.get("/")).text


async def test_disable_refuses_bad_requests(client, admin, bob, db_session):
    """Issue 2 Admin: disabling yourself or with an empty reason is 422, an unknown user 404;
    nothing changes."""
    own = await client.post(
        f"{ADMIN}/users/{admin.id}/disable", json={"reason": "oops"}, headers=admin.headers
    )
    assert error_fields(own) == {"user_id"}
    for body in ({"reason": ""}, {"reason": "   "}, {}, {"reason": "r" * 501}, {"reason": None}):
        response = await client.post(
            f"{ADMIN}/users/{bob.id}/disable", json=body, headers=admin.headers
        )
        assert error_fields(response) == {"reason"}, body
    extra = await client.post(
        f"{ADMIN}/users/{bob.id}/disable",
        json={"reason": "spam", "until": "tomorrow"},
        headers=admin.headers,
    )
    assert error_fields(extra) == {"until"}
    unknown = await client.post(
        f"{ADMIN}/users/{uuid.uuid4()}/disable", json={"reason": "spam"}, headers=admin.headers
    )
    problem(unknown, 404)
    malformed = await client.post(
        f"{ADMIN}/users/42/disable", json={"reason": "spam"}, headers=admin.headers
    )
    assert error_fields(malformed) == {"user_id"}
    assert not (await user_row(db_session, admin.id)).is_disabled
    assert not (await user_row(db_session, bob.id)).is_disabled
    assert (await client.get("/api/v1/me", headers=bob.headers)).status_code == 200
    assert (await client.get("/api/v1/me", headers=admin.headers)).status_code == 200


async def test_disable_reason_is_trimmed(client, admin, bob):
    """Issue 2 Admin: the reason is stored without surrounding blanks (what the user is shown)."""
    response = await client.post(
        f"{ADMIN}/users/{bob.id}/disable",
        json={"reason": "  Posting spam \n"},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["disabled_reason"] == "Posting spam"


async def test_enabled_user_signs_in_again_but_old_sign_ins_stay_ended(client, admin, bob):
    """Issue 2 Admin: a re-enabled user can sign in again; sessions ended by disabling stay
    ended."""
    async with browser(client) as bobs:
        await web_login(bobs, bob.email, bob.password)
        disabled = await client.post(
            f"{ADMIN}/users/{bob.id}/disable", json={"reason": "a pause"}, headers=admin.headers
        )
        assert disabled.status_code == 200, disabled.text
        enabled = await client.post(f"{ADMIN}/users/{bob.id}/enable", headers=admin.headers)
        assert enabled.status_code == 200, enabled.text
        assert enabled.json()["disabled"] is False
        assert enabled.json()["disabled_reason"] is None
        assert enabled.json()["disabled_at"] is None

        assert problem(await client.get("/api/v1/me", headers=bob.headers), 401)["type"].endswith(
            "session-revoked"
        )
        stale = await client.post("/api/v1/auth/refresh", json={"refresh_token": bob.refresh_token})
        problem(stale, 401)
        home = await bobs.get("/")
        assert home.status_code == 200
        assert "Hello, Bob" not in home.text

        fresh = await headers_of(client, bob)
        assert (await client.get("/api/v1/me", headers=fresh)).status_code == 200
        await web_login(bobs, bob.email, bob.password)
        assert "Hello, Bob" in (await bobs.get("/", follow_redirects=True)).text


async def test_enable_unknown_user_is_404(client, admin):
    """Conventions: enabling an unknown user is a 404 problem+json."""
    problem(await client.post(f"{ADMIN}/users/{uuid.uuid4()}/enable", headers=admin.headers), 404)


# --- Idempotency-Key on POST /admin/invites ---------------------------------------------------


async def test_invite_idempotency_key_replays_the_first_answer(client, admin, db_session):
    """Idempotency: the same key and body replay the first 201 byte for byte, writing once."""
    headers = {**admin.headers, "Idempotency-Key": "invite-dana-1"}
    payload = {"email": "dana@example.org", "note": "Dana"}
    first = await client.post(f"{ADMIN}/invites", json=payload, headers=headers)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    again = await client.post(f"{ADMIN}/invites", json=payload, headers=headers)
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"] == first.headers["content-type"]
    assert await count(db_session, Invite) == 1

    other_body = await client.post(
        f"{ADMIN}/invites", json={"email": "eve@example.org"}, headers=headers
    )
    assert error_fields(other_body) == {"Idempotency-Key"}
    assert await count(db_session, Invite) == 1


async def test_invite_idempotency_keys_are_per_user(client, admin, db_session):
    """Idempotency: keys are scoped to the user; another admin's same key makes a new invite."""
    other = await make_persona(client, "root2@example.org")
    await promote(db_session, other)
    payload = {"note": "same"}
    first = await client.post(
        f"{ADMIN}/invites", json=payload, headers={**admin.headers, "Idempotency-Key": "k-1"}
    )
    second = await client.post(
        f"{ADMIN}/invites", json=payload, headers={**other.headers, "Idempotency-Key": "k-1"}
    )
    assert first.status_code == second.status_code == 201
    assert "idempotent-replayed" not in second.headers
    assert first.json()["token"] != second.json()["token"]
    assert await count(db_session, Invite) == 2
    assert await count(db_session, IdempotencyKey) == 2


async def test_failed_invite_does_not_burn_the_idempotency_key(client, admin, db_session):
    """Idempotency: a refused request keeps no key, so a corrected retry is not a 'different
    body'."""
    headers = {**admin.headers, "Idempotency-Key": "retry-me"}
    bad = await client.post(f"{ADMIN}/invites", json={"expires_in_days": 0}, headers=headers)
    assert error_fields(bad) == {"expires_in_days"}
    assert await count(db_session, IdempotencyKey) == 0
    good = await client.post(f"{ADMIN}/invites", json={"expires_in_days": 1}, headers=headers)
    assert good.status_code == 201, good.text


# --- registration modes ------------------------------------------------------------------------


async def test_closed_registration_refuses_everyone(make_client: AppFactory, admin, db_session):
    """Issue 2 Admin: with registration=closed every sign-up is 403, even with a valid invite."""
    server = await make_client(registration="closed")
    invite = await new_invite(server, admin)
    for token in (None, invite["token"]):
        response = await sign_up(server, "dana@example.org", token)
        assert problem(response, 403)["type"].endswith("registration-closed")
    assert await count(db_session, User) == 1
    assert (await invite_statuses(server, admin.headers))[invite["id"]]["status"] == "active"


async def test_open_registration_needs_no_invite(client, db_session):
    """Issue 2 Admin: with registration=open (the default) anyone may sign up."""
    assert (await sign_up(client, "dana@example.org")).status_code == 201
    assert await count(db_session, User) == 1
