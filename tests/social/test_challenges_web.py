"""D12.3 challenge pages over HTTP: strangers get 404, posts need the CSRF token, the
create form names what is wrong (422) and writes nothing, the join link is shown once
in the page (never in a URL). The clock is frozen at Sat 2026-11-21 12:00 UTC."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.kit.rates import Rate
from habitus.models import Challenge, Habit
from habitus.social import challenges
from tests.fixtures.personas import Persona
from tests.fixtures.web import SignedIn as Web
from tests.fixtures.web import signed_in_at
from tests.habits.helpers import count
from tests.social.challenge_factories import befriend, make_challenge


def signed_in(client: httpx.AsyncClient, persona: Persona) -> AsyncIterator[Web]:
    return signed_in_at(client, persona, "/challenges")


async def test_strangers_get_404_and_posts_need_csrf(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona, db_session: AsyncSession
) -> None:
    """D12.3: only members and invitees see a challenge's page; a post without the CSRF
    token is refused and changes nothing."""
    made = await make_challenge(client, alice)
    async for web in signed_in(client, charlie):
        assert (await web.client.get(f"/challenges/{made['id']}")).status_code == 404
        assert (await web.post(f"/challenges/{made['id']}/join")).status_code == 404
        assert (await web.post(f"/challenges/{made['id']}/end")).status_code == 404
    async for web in signed_in(client, alice):
        page = await web.client.get(f"/challenges/{made['id']}")
        assert page.status_code == 200
        assert "30 days left" in page.text
        forged = await web.client.post(f"/challenges/{made['id']}/end", data={})
        assert forged.status_code == 403
        stored = await db_session.get(Challenge, uuid.UUID(made["id"]))
        assert stored is not None
        assert stored.ended_at is None
        await db_session.commit()


async def test_the_form_names_the_field_and_writes_nothing(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """D12.3: 1..366 days and at least one habit; the form keeps what was typed."""
    async for web in signed_in(client, alice):
        answer = await web.post(
            "/challenges",
            {"name": "Spring", "start_date": "2026-11-21", "days": "400", "habit_0_name": ""},
        )
        assert answer.status_code == 422
        assert "Length: enter a number of days from 1 to 366." in answer.text
        assert "Habits: give the challenge at least one habit" in answer.text
        assert 'value="Spring"' in answer.text
        assert await count(db_session, Challenge) == 0
        made = await web.post(
            "/challenges",
            {
                "name": "Spring",
                "start_date": "2026-11-21",
                "days": "10",
                "habit_0_name": "Walk",
                "habit_0_schedule": "weekdays",
            },
        )
        assert made.status_code == 303
        assert re.fullmatch(r"/challenges/[0-9a-f-]{36}", made.headers["location"])
        assert await count(db_session, Habit, Habit.challenge_id.is_not(None)) == 1


async def test_the_join_link_shows_once_in_the_page(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """D12.3: the join link is answered in the page itself, not in a redirect's URL."""
    made = await make_challenge(client, alice)
    async for web in signed_in(client, alice):
        answer = await web.post(f"/challenges/{made['id']}/link")
        assert answer.status_code == 200
        assert "location" not in answer.headers
        found = re.search(r'id="challenge-link-url"[^>]*value="([^"]+)"', answer.text)
        assert found is not None
        assert f"/challenges/{made['id']}?token=" in found.group(1)
        again = await web.client.get(f"/challenges/{made['id']}")
        assert "challenge-link-url" not in again.text


async def test_the_page_keeps_the_invite_rate_limit(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """D12.3: invites reach others' inboxes; the page's invite and join-link forms count
    against the same limit as the API (it lives in the service), with a plain message."""
    monkeypatch.setattr(challenges, "INVITE_RATE", Rate(count=1, period_seconds=3600.0))
    made = await make_challenge(client, alice)
    await befriend(app, alice, bob)
    async for web in signed_in(client, alice):
        first = await web.post(f"/challenges/{made['id']}/invite", {"user_ids": str(bob.id)})
        assert "Invited 1 friend." in await web.flash(first)
        second = await web.post(f"/challenges/{made['id']}/link")
        assert "Too many requests" in await web.flash(second)
