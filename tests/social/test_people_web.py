"""Issue 15 people on the web: the Profile page (form, previews), someone's profile page
and the Friends page (find, accept/decline, unfriend, block, unblock) (DOMAIN D12.1,
D12.2). Every POST checks CSRF; the clock is frozen (tests/social/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import Block, Friendship, Profile
from tests.fixtures.personas import Persona
from tests.fixtures.web import browser, form_csrf_token, web_login
from tests.habits.helpers import create_habit
from tests.social.people_factories import (
    friends_with,
    request_friend,
    request_row,
    set_visibility,
    with_handle,
)


@dataclass
class Web:
    client: httpx.AsyncClient
    token: str

    async def post(self, path: str, **data: str) -> httpx.Response:
        return await self.client.post(path, data={"csrf_token": self.token, **data})

    async def page(self, path: str, status: int = 200) -> str:
        response = await self.client.get(path)
        assert response.status_code == status, response.text
        return response.text


OpenAs = Callable[[Persona], Awaitable[Web]]


@pytest.fixture
async def signed_in(client: httpx.AsyncClient) -> AsyncIterator[OpenAs]:
    """Opens a browser signed in as the persona, on the Profile page."""

    async def open_as(persona: Persona) -> Web:
        other = await stack.enter_async_context(browser(client))
        await web_login(other, persona.email, persona.password)
        page = await other.get("/profile")
        return Web(other, form_csrf_token(page.text))

    async with AsyncExitStack() as stack:
        yield open_as


async def test_profile_form_saves_and_shows_errors_next_to_the_field(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    signed_in: OpenAs,
    db_session: AsyncSession,
) -> None:
    """D12: the Profile page saves handle, bio and the public toggle; a bad or taken
    handle re-renders the form (422) with the error in words next to the field."""
    web = await signed_in(alice)
    await with_handle(app, bob, "bob")
    first = await web.page("/profile")
    assert "Choose a handle and save to preview" in first
    taken = await web.post("/profile", handle="bob", bio="")
    assert taken.status_code == 422
    assert 'id="handle-error"' in taken.text
    assert "taken by someone else" in taken.text
    bad = await web.post("/profile", handle="A!", bio="")
    assert bad.status_code == 422
    assert "lowercase letters, digits or _" in bad.text
    saved = await web.post("/profile", handle="alice", bio="Hello", public="on")
    assert saved.status_code == 303
    row = await db_session.get(Profile, alice.id)
    assert row is not None
    assert (row.handle, row.bio, row.public) == ("alice", "Hello", True)
    page = await web.page("/profile")
    assert "View as a friend" in page
    assert "View as the public" in page
    refused = await web.client.post("/profile", data={"handle": "mallory"})
    assert refused.status_code == 403


async def test_previews_show_what_a_friend_and_the_public_see(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, signed_in: OpenAs
) -> None:
    """D12.2: "View as the public" shows public habits only, "View as a friend" friends'
    ones too; a private habit's name shows in neither."""
    await with_handle(app, alice, "alice")
    for name, visibility in (
        ("Secret diary", "private"),
        ("Stretch", "friends"),
        ("Run", "public"),
    ):
        made = await create_habit(client, alice, name=name)
        await set_visibility(app, made["id"], visibility)
    web = await signed_in(alice)
    public = await web.page("/profile/preview?audience=public")
    assert "Run" in public
    assert "Stretch" not in public
    assert "Secret diary" not in public
    assert "only your friends can open it" in public
    friend = await web.page("/profile/preview?audience=friend")
    assert "Run" in friend
    assert "Stretch" in friend
    assert "Secret diary" not in friend


async def test_someone_elses_profile_page_is_404_unless_allowed(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    charlie: Persona,
    signed_in: OpenAs,
) -> None:
    """D12.1: /people/{handle} is 404 for charlie (not a friend, not public) and shows
    for bob (a friend)."""
    await with_handle(app, alice, "alice")
    await friends_with(app, alice, bob)
    as_charlie = await signed_in(charlie)
    await as_charlie.page("/people/alice", status=404)
    as_bob = await signed_in(bob)
    assert "@alice" in await as_bob.page("/people/alice")


async def test_friends_page_finds_accepts_unfriends_blocks_and_unblocks(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    charlie: Persona,
    signed_in: OpenAs,
    db_session: AsyncSession,
) -> None:
    """D12.1 on the Friends page: finding someone answers the same words whether or not
    they exist; the recipient accepts; then unfriend, block and unblock."""
    await with_handle(app, bob, "bob")
    as_alice = await signed_in(alice)
    known = await as_alice.post("/friends/find", who="@bob")
    unknown = await as_alice.post("/friends/find", who="nobody@example.org")
    assert known.status_code == unknown.status_code == 303
    known_page = await as_alice.page("/friends")
    assert "Request sent. If that person has an account" in known_page
    as_bob = await signed_in(bob)
    page = await as_bob.page("/friends")
    assert "Accept Alice" in page
    row = await request_row(app, alice, bob)
    assert row is not None
    # charlie cannot accept it (404), and a post without the CSRF token is refused.
    as_charlie = await signed_in(charlie)
    assert (await as_charlie.post(f"/friends/requests/{row.id}/accept")).status_code == 404
    assert (await as_bob.client.post(f"/friends/requests/{row.id}/accept")).status_code == 403
    assert (await as_bob.post(f"/friends/requests/{row.id}/accept")).status_code == 303
    assert "Unfriend Alice" in await as_bob.page("/friends")
    assert (await as_bob.post(f"/friends/{alice.id}/unfriend")).status_code == 303
    count = select(func.count()).select_from(Friendship)
    assert await db_session.scalar(count) == 0
    await friends_with(app, alice, bob)
    assert (await as_bob.post(f"/friends/{alice.id}/block")).status_code == 303
    assert await db_session.scalar(count) == 0
    page = await as_bob.page("/friends")
    assert "Unblock Alice" in page
    assert (await as_bob.post(f"/blocks/{alice.id}/unblock")).status_code == 303
    assert await db_session.scalar(select(func.count()).select_from(Block)) == 0


async def test_declining_on_the_friends_page(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, bob: Persona, signed_in: OpenAs
) -> None:
    """D12.1: Decline removes the request from Bob's list."""
    await request_friend(app, alice, bob.email)
    row = await request_row(app, alice, bob)
    assert row is not None
    as_bob = await signed_in(bob)
    assert (await as_bob.post(f"/friends/requests/{row.id}/decline")).status_code == 303
    assert "No requests waiting." in await as_bob.page("/friends")
