"""Issue 2 Admin: the /admin page (cookie session, CSRF on every form)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import Invite, User
from tests.conftest import AppFactory
from tests.fixtures.personas import DEFAULT_PASSWORD, Persona
from tests.fixtures.web import SESSION_COOKIE, browser, form_csrf_token, web_login

ADMIN = "/api/v1/admin"
_USER_ROW = re.compile(r'<tr id="user-([0-9a-f-]{36})">')
_INVITE_ROW = re.compile(
    r"<tr>\s*<td>(?P<who>[^<]*)</td>\s*<td>(?P<note>[^<]*)</td>.*?"
    r'<span class="badge[^"]*">(?P<status>\w+)</span>',
    re.S,
)


# --- reading pages ---------------------------------------------------------------------------

_VOID = frozenset({"input", "br", "img", "meta", "link", "hr"})


class _Element(HTMLParser):
    """The text (or, for an input, the value and attributes) of the element with an id."""

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id = element_id
        self.depth = 0
        self.attrs: dict[str, str | None] | None = None
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += tag not in _VOID
        elif self.attrs is None and dict(attrs).get("id") == self.element_id:
            self.attrs = dict(attrs)
            if tag in _VOID:
                self.parts.append(self.attrs.get("value") or "")
            else:
                self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def element(page: str, element_id: str) -> tuple[str, dict[str, str | None]] | None:
    """(text, attributes) of the element `id=element_id`, or None when the page has none."""
    parser = _Element(element_id)
    parser.feed(page)
    if parser.attrs is None:
        return None
    return " ".join("".join(parser.parts).split()), parser.attrs


def user_rows(page: str) -> list[str]:
    return _USER_ROW.findall(page)


def invite_rows(page: str) -> list[dict[str, str]]:
    invites = page.split('id="invites-heading"', 1)[1]
    return [match.groupdict() for match in _INVITE_ROW.finditer(invites)]


# --- arranging ----------------------------------------------------------------------------------


@asynccontextmanager
async def signed_in(
    client: httpx.AsyncClient, persona: Persona
) -> AsyncIterator[httpx.AsyncClient]:
    """A browser of its own, signed in as `persona` through the /login form."""
    async with browser(client) as other:
        await web_login(other, persona.email, persona.password)
        yield other


async def admin_page(root: httpx.AsyncClient, query: str = "") -> tuple[str, str]:
    """The admin page's HTML and its forms' CSRF token."""
    page = await root.get("/admin" + query)
    assert page.status_code == 200, page.text
    return page.text, form_csrf_token(page.text)


async def count(db_session: AsyncSession, model: Any) -> int:
    await db_session.rollback()
    total = await db_session.scalar(select(func.count()).select_from(model))
    assert total is not None
    return total


async def is_disabled(db_session: AsyncSession, user_id: uuid.UUID) -> bool:
    await db_session.rollback()
    user = await db_session.get(User, user_id, populate_existing=True)
    assert user is not None
    return user.is_disabled


async def disable_by_api(client: httpx.AsyncClient, admin: Persona, user: Persona) -> None:
    response = await client.post(
        f"{ADMIN}/users/{user.id}/disable", json={"reason": "a pause"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text


async def invite_by_api(client: httpx.AsyncClient, admin: Persona, **fields: Any) -> dict[str, Any]:
    response = await client.post(f"{ADMIN}/invites", json=fields, headers=admin.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def invite_status(client: httpx.AsyncClient, admin: Persona, invite_id: str) -> str:
    listed = await client.get(f"{ADMIN}/invites", headers=admin.headers)
    assert listed.status_code == 200, listed.text
    return next(item["status"] for item in listed.json()["items"] if item["id"] == invite_id)


async def follow(client: httpx.AsyncClient, response: httpx.Response) -> httpx.Response:
    assert response.status_code == 303, response.text
    return await client.get(response.headers["location"])


# --- the page -------------------------------------------------------------------------------------


async def test_admin_page_lists_users(client, admin, alice, bob):
    """Issue 2 Admin: /admin lists every user, with a disable form for each but yourself."""
    async with signed_in(client, admin) as root:
        page, _ = await admin_page(root)
    assert set(user_rows(page)) == {str(admin.id), str(alice.id), str(bob.id)}
    assert alice.email in page
    assert bob.email in page
    assert f'action="/admin/users/{bob.id}/disable"' in page
    assert f'action="/admin/users/{admin.id}/disable"' not in page


async def test_admin_page_search(client, admin, alice, bob):
    """Issue 2 Admin: the page's search matches part of the email, any case, `_` literally."""
    async with signed_in(client, admin) as root:
        page, _ = await admin_page(root, "?q=ALI")
        assert user_rows(page) == [str(alice.id)]
        assert (element(page, "q") or ("",))[0] == "ALI"  # the search box keeps the query
        page, _ = await admin_page(root, "?q=_")
        assert user_rows(page) == []
        assert "No users match." in page


async def test_admin_page_pages_through_users(client, admin, db_session):
    """Issue 2 Admin: the page shows 25 users at a time; its next link lists the rest, each once."""
    db_session.add_all(
        User(email=f"bulk{n}@example.org", email_key=f"bulk{n}@example.org", password_hash="x")
        for n in range(30)
    )
    await db_session.commit()
    async with signed_in(client, admin) as root:
        first, _ = await admin_page(root)
        link = re.search(r'<a href="(/admin\?cursor=[^"]+)">Next page', first)
        assert link is not None
        second, _ = await admin_page(root, link[1].removeprefix("/admin"))
        assert "Next page" not in second
    ids = user_rows(first) + user_rows(second)
    assert len(user_rows(first)) == 25
    assert len(ids) == len(set(ids)) == 31


async def test_admin_page_garbage_cursor_is_422(client, admin):
    """Conventions: a cursor the server did not issue is a 422 on the page too, never a 500."""
    async with signed_in(client, admin) as root:
        page = await root.get("/admin?cursor=garbage")
        assert page.status_code == 422
        assert "cursor" in page.text


async def test_admin_page_sends_strangers_to_sign_in(client, admin):
    """Issue 2 Admin: nobody signed in (an API token is not a browser session) is sent to
    /login."""
    async with browser(client) as anonymous:
        page = await anonymous.get("/admin")
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=/admin"
    page = await client.get("/admin", headers={**admin.headers, "Accept": "text/html"})
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/admin"


async def test_admin_page_is_for_admins_only(client, admin, alice, db_session):
    """Issue 2 Admin: a signed-in non-admin gets 403 on /admin and on its forms."""
    async with signed_in(client, alice) as browser_of_alice:
        page = await browser_of_alice.get("/admin")
        assert page.status_code == 403
        assert "administrators" in page.text
        assert alice.email not in user_rows(page.text)
        token = form_csrf_token((await browser_of_alice.get("/settings")).text)
        posted = await browser_of_alice.post(
            f"/admin/users/{admin.id}/disable", data={"reason": "coup", "csrf_token": token}
        )
        assert posted.status_code == 403
    assert not await is_disabled(db_session, admin.id)


# --- disabling and enabling --------------------------------------------------------------------


async def test_disable_form_signs_the_user_out_with_the_reason(client, admin, bob, db_session):
    """Issue 2 Admin: the disable form ends the user's session; their next page view lands on
    /login, which shows the reason."""
    async with signed_in(client, bob) as bobs, signed_in(client, admin) as root:
        assert "Hello, Bob" in (await bobs.get("/", follow_redirects=True)).text
        _, token = await admin_page(root)
        response = await root.post(
            f"/admin/users/{bob.id}/disable", data={"reason": "Posting spam", "csrf_token": token}
        )
        assert response.headers["location"] == "/admin"
        page = (await follow(root, response)).text
        assert f"{bob.email} is disabled and signed out." in page
        assert "Posting spam" in page
        assert f'action="/admin/users/{bob.id}/enable"' in page
        assert await is_disabled(db_session, bob.id)

        refused = await bobs.get("/")
        assert refused.status_code == 303
        assert refused.headers["location"] == "/login"
        assert not bobs.cookies.get(SESSION_COOKIE)
        login_page = await bobs.get("/login")
        assert login_page.status_code == 200
        assert "Posting spam" in login_page.text
        assert "Hello, Bob" not in (await bobs.get("/")).text

        # Signing in again shows the reason too, and opens no session.
        again = await web_login(bobs, bob.email, bob.password, expect=403)
        assert "Posting spam" in (element(again.text, "disabled-reason") or ("",))[0]
        assert not bobs.cookies.get(SESSION_COOKIE)


async def test_empty_disable_reason_rerenders_with_the_error(client, admin, bob, db_session):
    """Issue 2 Admin: an empty disable reason re-renders the page with the error next to the
    field and changes nothing."""
    async with signed_in(client, bob) as bobs, signed_in(client, admin) as root:
        _, token = await admin_page(root)
        for reason in ("", "   "):
            response = await root.post(
                f"/admin/users/{bob.id}/disable", data={"reason": reason, "csrf_token": token}
            )
            assert response.status_code == 422
            found = element(response.text, f"reason-{bob.id}-error")
            assert found is not None, "no error next to the reason field"
            assert found[0]
            field = element(response.text, f"reason-{bob.id}")
            assert field is not None
            assert field[1].get("aria-invalid") == "true"
            assert field[1].get("aria-describedby") == f"reason-{bob.id}-error"
        assert not await is_disabled(db_session, bob.id)
        assert "Hello, Bob" in (await bobs.get("/", follow_redirects=True)).text
        assert (await client.get("/api/v1/me", headers=bob.headers)).status_code == 200


async def test_disable_form_refuses_yourself(client, admin, db_session):
    """Issue 2 Admin: an admin cannot disable their own account from the page either."""
    async with signed_in(client, admin) as root:
        _, token = await admin_page(root)
        response = await root.post(
            f"/admin/users/{admin.id}/disable", data={"reason": "oops", "csrf_token": token}
        )
        assert response.status_code == 422
        shown = element(response.text, "users-error")
        assert shown is not None
        assert "your own account" in shown[0]
        assert (await root.get("/admin")).status_code == 200
    assert not await is_disabled(db_session, admin.id)


async def test_enable_form(client, admin, bob, db_session):
    """Issue 2 Admin: the enable form lets a disabled user sign in again."""
    await disable_by_api(client, admin, bob)
    async with signed_in(client, admin) as root:
        page, token = await admin_page(root)
        assert f'action="/admin/users/{bob.id}/enable"' in page
        response = await root.post(f"/admin/users/{bob.id}/enable", data={"csrf_token": token})
        assert f"{bob.email} can sign in again." in (await follow(root, response)).text
    assert not await is_disabled(db_session, bob.id)
    async with signed_in(client, bob) as bobs:
        assert "Hello, Bob" in (await bobs.get("/", follow_redirects=True)).text


# --- invites ---------------------------------------------------------------------------------


async def test_invite_form_shows_the_link_once_and_it_signs_someone_up(
    make_client: AppFactory, admin, db_session
):
    """Issue 2 Admin: creating an invite on the page shows its link once (after a redirect,
    so a reload neither creates another nor shows it again); the link works once."""
    server = await make_client(registration="invite")
    async with signed_in(server, admin) as root:
        _, token = await admin_page(root)
        created = await root.post(
            "/admin/invites",
            data={"email": "", "note": "For Dana", "expires_in_days": "3", "csrf_token": token},
        )
        assert created.status_code == 303, created.text
        assert created.headers["location"] == "/admin"
        response = await root.get("/admin")
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"  # shown once, kept nowhere
        shown = element(response.text, "invite-url")
        assert shown is not None
        url = shown[0]
        assert "/register?invite=" in url
        invite_token = url.split("invite=", 1)[1]
        assert len(invite_token) >= 32
        assert invite_rows(response.text)[0] == {
            "who": "anyone",
            "note": "For Dana",
            "status": "active",
        }
        later, _ = await admin_page(root)
        assert invite_token not in later
        assert element(later, "invite-url") is None

        async with browser(server) as dana:
            path = urlsplit(url)
            form = await dana.get(f"{path.path}?{path.query}")
            assert form.status_code == 200
            assert f'name="invite_token" value="{invite_token}"' in form.text
            signed_up = await dana.post(
                "/register",
                data={
                    "email": "dana@example.org",
                    "password": DEFAULT_PASSWORD,
                    "invite_token": invite_token,
                    "csrf_token": form_csrf_token(form.text),
                },
            )
            assert signed_up.status_code == 303, signed_up.text
            assert dana.cookies.get(SESSION_COOKIE)

        used, _ = await admin_page(root)
        assert invite_rows(used)[0]["status"] == "used"
    assert await count(db_session, Invite) == 1


async def test_invite_form_bad_input_rerenders_with_errors(client, admin, db_session):
    """Issue 2 Admin: bad invite input re-renders the page with the error next to the field and
    writes nothing."""
    async with signed_in(client, admin) as root:
        _, token = await admin_page(root)
        for fields, error_id in (
            ({"expires_in_days": "0"}, "invite-days-error"),
            ({"expires_in_days": "366"}, "invite-days-error"),
            ({"expires_in_days": "soon"}, "invite-days-error"),
            ({"email": "not-an-email"}, "invite-email-error"),
        ):
            response = await root.post("/admin/invites", data={**fields, "csrf_token": token})
            assert response.status_code == 422, fields
            found = element(response.text, error_id)
            assert found is not None, (fields, error_id)
            assert found[0]
            assert element(response.text, "invite-url") is None
    assert await count(db_session, Invite) == 0


async def test_revoke_form(make_client: AppFactory, admin):
    """Issue 2 Admin: the revoke button ends an invite: status `revoked`, sign-up refused."""
    server = await make_client(registration="invite")
    invite = await invite_by_api(server, admin)
    async with signed_in(server, admin) as root:
        page, token = await admin_page(root)
        assert f'action="/admin/invites/{invite["id"]}/revoke"' in page
        response = await root.post(
            f"/admin/invites/{invite['id']}/revoke", data={"csrf_token": token}
        )
        page = (await follow(root, response)).text
        assert "Invite revoked." in page
        assert invite_rows(page)[0]["status"] == "revoked"
        assert f'action="/admin/invites/{invite["id"]}/revoke"' not in page
    assert await invite_status(server, admin, invite["id"]) == "revoked"
    refused = await server.post(
        "/api/v1/auth/register",
        json={
            "email": "dana@example.org",
            "password": DEFAULT_PASSWORD,
            "invite_token": invite["token"],
        },
    )
    assert refused.status_code == 422


async def test_admin_forms_need_the_csrf_token(client, admin, alice, bob, charlie, db_session):
    """Issue 2 Admin: every admin form without a valid CSRF token is 403 and changes nothing."""
    await disable_by_api(client, admin, charlie)
    invite = await invite_by_api(client, admin)
    async with signed_in(client, alice) as browser_of_alice:
        # A real token, but bound to another session.
        foreign = form_csrf_token((await browser_of_alice.get("/settings")).text)
    posts = [
        (f"/admin/users/{bob.id}/disable", {"reason": "Posting spam"}),
        (f"/admin/users/{charlie.id}/enable", {}),
        ("/admin/invites", {"note": "sneaky", "expires_in_days": "3"}),
        (f"/admin/invites/{invite['id']}/revoke", {}),
    ]
    async with signed_in(client, admin) as root:
        for path, fields in posts:
            for token in (None, "", "forged", foreign):
                data = {**fields, **({"csrf_token": token} if token is not None else {})}
                response = await root.post(path, data=data)
                assert response.status_code == 403, (path, token)
        # The session itself still works: the refusals were about the token alone.
        assert (await root.get("/admin")).status_code == 200
    assert not await is_disabled(db_session, bob.id)
    assert await is_disabled(db_session, charlie.id)
    assert await count(db_session, Invite) == 1
    assert await invite_status(client, admin, invite["id"]) == "active"
