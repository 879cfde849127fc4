"""The Insights page over HTTP (issue 18, D14): alerts as cards with their action and a
Dismiss form, the 7/30-day rates and the last 8 weeks, "N% likely today" per habit with
its reasons and which model answered, Retrain now; CSRF on both forms, charlie never
sees alice's habits, a signed-out visitor is sent to sign in."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import time_machine
from fastapi import FastAPI
from sqlalchemy import select

from habitus.coach import insights
from habitus.models import AlertDismissal, TrainingState
from tests.coach.test_insights_api import TODAY, get_insights, history_of, job
from tests.conftest import FROZEN_AT
from tests.fixtures.personas import Persona
from tests.fixtures.web import SignedIn as Web
from tests.fixtures.web import signed_in_at

PAGE = "/insights"


def signed_in(client: httpx.AsyncClient, persona: Persona) -> AsyncIterator[Web]:
    return signed_in_at(client, persona, PAGE)


@pytest.fixture
async def web(client: httpx.AsyncClient, alice: Persona) -> AsyncIterator[Web]:
    async for found in signed_in(client, alice):
        yield found


def text_of(page: str) -> str:
    """The page's main content as words (tags dropped, entities decoded)."""
    main = page.split("<main", 1)[1]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def dismiss_path(habit_id: str, kind: str) -> str:
    return f"{PAGE}/alerts/{habit_id}/{kind}/dismiss"


async def test_the_page_shows_rates_weeks_and_the_labelled_baseline(
    frozen_clock: time_machine.Coordinates, client: httpx.AsyncClient, web: Web, alice: Persona
) -> None:
    """D14.2 + issue 18: a 10-day habit done on weekdays only: the last 7 days are 5 of
    7 (71%), the weeks before it started show a dash (not 0%), the prediction is the
    labelled early estimate with its reasons, and the header links to the page."""
    habit = await history_of(client, alice, 10, lambda day: day.weekday() < 5)
    [prediction] = (await get_insights(client, alice))["predictions"]
    page = await web.page()
    words = text_of(page)
    assert "Last 7 days 71%" in words
    assert re.search(r"Weekly average \d+(\.\d)? check-ins a week", words)
    bars = re.findall(r'<li class="ins-bar-item( is-empty)?">', page)
    assert len(bars) == 8
    assert sum(1 for empty in bars if empty) >= 6  # the habit is 10 days old
    assert words.count("\u2013 (nothing was due)") == sum(1 for empty in bars if empty)
    assert f"{round(prediction['probability'] * 100)}% likely today" in words
    assert "Early estimate (your recent weekday rate)" in words
    assert "the model trains after 30 tracked days" in words
    for line in prediction["why"]:
        assert line[:1].upper() + line[1:] in words
    assert f'href="/habits/{habit["id"]}"' in page
    assert '<a href="/insights" class="insights-link" aria-current="page">Insights</a>' in page


async def test_a_trained_model_is_named_with_its_date_and_days(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    web: Web,
    alice: Persona,
) -> None:
    """D14.2: once the worker trained the model, the page says "Your model (trained
    <date>, N days)", not the early estimate; this Saturday is unlikely for a habit done
    only on weekdays, and the page says so as a number below 30%."""
    await history_of(client, alice, 90, lambda day: day.weekday() < 5)
    assert (await client.post("/api/v1/insights/train", headers=alice.headers)).status_code == 202
    assert await insights.train_due(job(app)) == 1
    [prediction] = (await get_insights(client, alice))["predictions"]
    words = text_of(await web.page())
    assert f"Your model (trained 21 Nov 2026, {prediction['samples']} days)" in words
    assert "Early estimate" not in words
    shown = re.search(r"(\d+)% likely today", words)
    assert shown is not None
    assert int(shown[1]) < 30


async def test_alert_cards_have_their_action_and_dismiss_needs_csrf(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    web: Web,
    alice: Persona,
) -> None:
    """D14.3 + issue 18: a habit missed its last 2 days: a card with the message (the
    habit name escaped), its one action as a link and a Dismiss form. Dismiss without
    the CSRF token: 403 and the card stays; with it: back to the page with a flash, the
    card gone; a kind that is no alert: 404."""
    name = "Walk <b>far</b>"
    habit = await history_of(
        client, alice, 12, lambda day: day < TODAY - timedelta(days=2), name=name
    )
    [alert] = [
        a for a in (await get_insights(client, alice))["alerts"] if a["kind"] == "missed_habit"
    ]
    page = await web.page()
    assert "<b>far</b>" not in page
    assert html.escape(alert["message"], quote=False) in page
    assert f'href="{alert["action_url"]}">{alert["action"]}</a>' in page
    path = dismiss_path(habit["id"], "missed_habit")
    assert f'action="{path}"' in page

    forged = await web.client.post(path, data={})
    assert forged.status_code == 403
    assert f'action="{path}"' in await web.page()

    dismissed = await web.post(path)
    assert dismissed.status_code == 303
    assert dismissed.headers["location"] == PAGE
    after = await web.page()
    assert f'action="{path}"' not in after
    assert f"Alert about “{name}” hidden until the end of the week." in html.unescape(after)
    async with app.state.sessionmaker() as session:
        rows = list(await session.scalars(select(AlertDismissal)))
    assert [(str(row.habit_id), row.kind) for row in rows] == [(habit["id"], "missed_habit")]

    assert (await web.post(dismiss_path(habit["id"], "boredom"))).status_code == 404


async def test_retrain_needs_csrf_and_makes_the_user_due(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    web: Web,
    alice: Persona,
) -> None:
    """D14.2 on demand: "Retrain now" without the CSRF token writes nothing (403); with
    it the user is due now (the worker trains) and the page says so."""
    await history_of(client, alice, 5, lambda _day: True)
    forged = await web.client.post(f"{PAGE}/train", data={})
    assert forged.status_code == 403
    async with app.state.sessionmaker() as session:
        state = await session.get(TrainingState, alice.id)
        assert state is None or state.due_at is None

    asked = await web.post(f"{PAGE}/train")
    assert asked.status_code == 303
    assert asked.headers["location"] == PAGE
    async with app.state.sessionmaker() as session:
        state = await session.get(TrainingState, alice.id)
    assert state is not None
    assert state.due_at is not None
    assert state.due_at.replace(tzinfo=FROZEN_AT.tzinfo) == FROZEN_AT
    shown = await web.page()
    assert "Retraining in the background — refresh in a minute." in shown


async def test_charlie_never_sees_alices_habits(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    charlie: Persona,
) -> None:
    """Issue 18 isolation: charlie (no habits) sees the empty state and none of alice's
    habit names; dismissing alice's alert is a 404 and hides nothing."""
    habit = await history_of(
        client, alice, 12, lambda day: day < TODAY - timedelta(days=2), name="Alice's secret"
    )
    async for other in signed_in(client, charlie):
        page = await other.page()
        assert "Alice" not in page
        assert "Nothing to learn from yet" in page
        assert 'href="/habits/new"' in page
        assert "/insights/train" not in page  # nothing to retrain
        refused = await other.post(dismiss_path(habit["id"], "missed_habit"))
        assert refused.status_code == 404
    async with app.state.sessionmaker() as session:
        assert list(await session.scalars(select(AlertDismissal))) == []


async def test_a_signed_out_visitor_is_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    """As every page: no session, no insights; sent to the sign-in page."""
    answer = await client.get(PAGE, headers={"accept": "text/html"})
    assert answer.status_code in (303, 307), answer.text
    assert answer.headers["location"].startswith("/login")
