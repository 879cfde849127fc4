"""The in-app NPS question (issue 21; API.md "Product metrics and plans"): asked on
Today once the account is 14 days old, not again for 90 days after an answer or a
dismissal; POST /surveys/nps; the web form posts the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from habitus.models import NpsResponse, SurveyState
from tests.conftest import FROZEN_AT
from tests.fixtures.personas import login
from tests.fixtures.web import signed_in_at

CARD = 'id="nps-card"'


async def move(frozen_clock, client, persona, when: datetime) -> None:
    frozen_clock.move_to(when)
    persona.access_token = (await login(client, persona.email, persona.password))["access_token"]


async def answers(app) -> list[NpsResponse]:
    async with app.state.sessionmaker() as session:
        return list(await session.scalars(select(NpsResponse).order_by(NpsResponse.created_at)))


async def test_the_card_shows_from_day_14(client, frozen_clock, alice):
    """Issue 21: asked once after 14 days of use (the account's age), not before."""
    frozen_clock.move_to(FROZEN_AT + timedelta(days=13, hours=23))
    async for web in signed_in_at(client, alice, "/today"):
        assert CARD not in await web.page()
    frozen_clock.move_to(FROZEN_AT + timedelta(days=14))
    async for web in signed_in_at(client, alice, "/today"):
        assert CARD in await web.page()


async def test_an_answer_over_the_api_quiets_the_card_for_90_days(client, app, frozen_clock, alice):
    """Issue 21: POST /surveys/nps -> 201; the card is not shown again for 90 days."""
    answered_at = FROZEN_AT + timedelta(days=20)
    await move(frozen_clock, client, alice, answered_at)
    response = await client.post(
        "/api/v1/surveys/nps", json={"score": 9, "comment": "Lovely"}, headers=alice.headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["score"] == 9
    [row] = await answers(app)
    assert (row.user_id, row.score, row.comment) == (alice.id, 9, "Lovely")
    frozen_clock.move_to(answered_at + timedelta(days=89))
    async for web in signed_in_at(client, alice, "/today"):
        assert CARD not in await web.page()
    frozen_clock.move_to(answered_at + timedelta(days=90))
    async for web in signed_in_at(client, alice, "/today"):
        assert CARD in await web.page()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"score": 11}, "score"),
        ({"score": -1}, "score"),
        ({"score": "nine"}, "score"),
        ({}, "score"),
        ({"score": 5, "comment": "x" * 1001}, "comment"),
    ],
)
async def test_a_bad_answer_is_422_naming_the_field(client, app, frozen_clock, alice, body, field):
    """API.md: the score is 0..10 (422 naming `score`); nothing is written."""
    response = await client.post("/api/v1/surveys/nps", json=body, headers=alice.headers)
    assert response.status_code == 422, response.text
    assert field in {error["field"] for error in response.json()["errors"]}
    assert await answers(app) == []


async def test_answers_are_rate_limited(client, app, frozen_clock, alice):
    """Issue 21: at most 5 answers a day per user; the 6th is 429."""
    for score in range(5):
        response = await client.post(
            "/api/v1/surveys/nps", json={"score": score}, headers=alice.headers
        )
        assert response.status_code == 201, response.text
    response = await client.post("/api/v1/surveys/nps", json={"score": 10}, headers=alice.headers)
    assert response.status_code == 429
    assert len(await answers(app)) == 5


async def test_the_web_form_answers_and_dismisses(client, app, frozen_clock, alice, bob):
    """Issue 21: the card's form posts the same answer; "Not now" dismisses it, and it
    stays away for 90 days."""
    day_14 = FROZEN_AT + timedelta(days=14)
    frozen_clock.move_to(day_14)
    async for web in signed_in_at(client, alice, "/today"):
        sent = await web.post("/surveys/nps", {"score": "10", "comment": "Keep going"})
        assert "Thank you" in await web.flash(sent)
        assert CARD not in await web.page()
    async for web in signed_in_at(client, bob, "/today"):
        bad = await web.post("/surveys/nps", {"score": ""})
        assert "0 to 10" in await web.flash(bad)
        assert CARD in await web.page()  # no answer: still asked
        dismissed = await web.post("/surveys/nps/dismiss")
        assert dismissed.status_code == 303
        assert CARD not in await web.page()
    assert [(row.user_id, row.score) for row in await answers(app)] == [(alice.id, 10)]
    async with app.state.sessionmaker() as session:
        state = await session.get(SurveyState, bob.id)
        assert state is not None
        assert state.dismissed_at == day_14
        assert state.answered_at is None
    frozen_clock.move_to(day_14 + timedelta(days=90))
    async for web in signed_in_at(client, bob, "/today"):
        assert CARD in await web.page()


async def test_the_answers_are_in_the_account_export(client, frozen_clock, alice):
    """Issue 21 / docs/EXPORT.md: the user's own NPS answers are exported (surveys.nps)."""
    await client.post(
        "/api/v1/surveys/nps", json={"score": 7, "comment": "Fine"}, headers=alice.headers
    )
    document = (await client.get("/api/v1/me/export", headers=alice.headers)).json()
    assert document["surveys"]["nps"] == [
        {
            "score": 7,
            "comment": "Fine",
            "created_at": FROZEN_AT.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        }
    ]
