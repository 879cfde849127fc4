"""POST /api/v1/health/analysis (API.md "Health metrics", issue 19): the answer's shape,
`days` 7..365 (a 422 naming it), the per-user rate limit (429), isolation (the analysis
reads only the caller's data), the model path recorded for the admin without text."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import time_machine
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import ModelCall
from tests.conftest import FROZEN_AT, AppFactory
from tests.fixtures import fake_llm as fake
from tests.fixtures.personas import Persona, create_persona

API = "/api/v1"
TODAY = FROZEN_AT.date()


async def log(client: httpx.AsyncClient, persona: Persona, **body: Any) -> None:
    response = await client.post(f"{API}/health/metrics", json=body, headers=persona.headers)
    assert response.status_code == 201, response.text


async def analysis(
    client: httpx.AsyncClient, persona: Persona, days: object = None
) -> httpx.Response:
    query = "" if days is None else f"?days={days}"
    return await client.post(f"{API}/health/analysis{query}", headers=persona.headers)


async def test_an_offline_analysis_of_the_last_90_days(
    frozen_clock: time_machine.Coordinates, client: httpx.AsyncClient, alice: Persona
) -> None:
    """API.md: 200 {summary, findings, source}; without a model the offline analyser
    answers and says why (`reason`); the window is the last 90 days up to today."""
    for day, weight in (("2026-10-01", 84), ("2026-10-20", 82.5), ("2026-11-15", 80.4)):
        await log(client, alice, date=day, weight_kg=weight)
    response = await analysis(client, alice)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"] == "offline"
    assert body["reason"] == "not_configured"
    assert body["days"] == 90
    assert body["to"] == TODAY.isoformat()
    assert body["from"] == "2026-08-24"
    assert "3 health readings on 3 days" in body["summary"]
    [trend] = [item for item in body["findings"] if item["kind"] == "trend"]
    assert trend["field"] == "weight_kg"
    assert trend["direction"] == "down"
    assert trend["first"] == {"date": "2026-10-01", "value": 84.0}


@pytest.mark.parametrize("days", [6, 366, 0, "ninety"])
async def test_days_outside_7_to_365_is_a_422_naming_days(
    client: httpx.AsyncClient, alice: Persona, days: object
) -> None:
    """Issue 19: `days` is 7..365; anything else is a 422 naming it."""
    response = await analysis(client, alice, days)
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["days"]


async def test_the_edges_7_and_365_are_fine(client: httpx.AsyncClient, alice: Persona) -> None:
    """Issue 19: 7 and 365 are inside the range."""
    for days in (7, 365):
        response = await analysis(client, alice, days)
        assert response.status_code == 200, response.text
        assert response.json()["days"] == days


async def test_asking_too_often_is_a_429(make_client: AppFactory) -> None:
    """Issue 19: the analysis is rate-limited per user (HABITUS_HEALTH_ANALYSIS_RATE);
    another user still may."""
    client = await make_client(health_analysis_rate="2/hour")
    app: FastAPI = client._transport.app  # type: ignore[attr-defined]
    alice = await create_persona(app, "alice@example.org")
    bob = await create_persona(app, "bob@example.org")
    assert (await analysis(client, alice)).status_code == 200
    assert (await analysis(client, alice)).status_code == 200
    refused = await analysis(client, alice)
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    assert (await analysis(client, bob)).status_code == 200


async def test_the_analysis_reads_only_the_callers_data(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    alice: Persona,
    charlie: Persona,
) -> None:
    """Isolation: charlie's analysis knows nothing of alice's logs or goal."""
    for day, weight in (("2026-11-01", 91.3), ("2026-11-02", 97.9), ("2026-11-10", 90.1)):
        await log(client, alice, date=day, weight_kg=weight)
    goal = {"weight_kg": 85, "direction": "lose"}
    assert (await client.put(f"{API}/health/goals", json=goal, headers=alice.headers)).is_success
    hers = (await analysis(client, alice)).json()
    assert any(item["kind"] == "warning" for item in hers["findings"])  # the 97.9 jump
    theirs = (await analysis(client, charlie)).json()
    assert theirs["findings"] == []
    assert theirs["summary"].startswith("No health logs")
    assert "91.3" not in json.dumps(theirs)


async def test_unauthenticated_is_a_401(client: httpx.AsyncClient) -> None:
    """API.md: every health endpoint needs a signed-in user."""
    assert (await client.post(f"{API}/health/analysis")).status_code == 401


async def test_a_configured_model_answers_and_the_call_is_counted(
    frozen_clock: time_machine.Coordinates,
    make_client: AppFactory,
    fake_llm: fake.FakeLlm,
    db_session: AsyncSession,
) -> None:
    """Issue 19: with a model configured the model's checked answer is the analysis
    (`source: "model"`); only the caller's series is sent, and the call is counted for
    the admin (purpose, model; no text)."""
    client = await make_client(**fake.llm_overrides(fake_llm))
    app: FastAPI = client._transport.app  # type: ignore[attr-defined]
    alice = await create_persona(app, "alice@example.org", display_name="Alice")
    charlie = await create_persona(app, "charlie@example.org")
    await log(client, alice, date="2026-11-01", weight_kg=80.2)
    await log(client, charlie, date="2026-11-01", weight_kg=66.6)
    answer = {"summary": "Only one reading so far.", "findings": []}
    fake_llm.script(fake.text(json.dumps(answer)))
    response = await analysis(client, alice, 30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["source"], body["summary"], body["model"]) == (
        "model",
        "Only one reading so far.",
        fake.FAKE_MODEL,
    )
    [request] = fake_llm.chat_requests
    sent = json.dumps(request.json)
    assert json.loads(fake.user_text(request))["series"] == {"weight_kg": [["2026-11-01", 80.2]]}
    assert "66.6" not in sent
    assert alice.email not in sent
    assert "Alice" not in sent
    calls = list(await db_session.scalars(select(ModelCall)))
    assert [(call.purpose, call.ok) for call in calls] == [("health.analysis", True)]


async def test_a_failing_model_still_answers_offline(
    frozen_clock: time_machine.Coordinates,
    make_client: AppFactory,
    fake_llm: fake.FakeLlm,
) -> None:
    """DESIGN wave 2: a 500 from the model is an offline answer saying so, never a 500."""
    client = await make_client(**fake.llm_overrides(fake_llm, llm_retries=0))
    app: FastAPI = client._transport.app  # type: ignore[attr-defined]
    alice = await create_persona(app, "alice@example.org")
    fake_llm.script(fake.server_error(500))
    response = await analysis(client, alice)
    assert response.status_code == 200, response.text
    assert (response.json()["source"], response.json()["reason"]) == ("offline", "server_error")
