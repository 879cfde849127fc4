"""DELETE /me (API.md "Auth and account"): a user's product events, activity days, NPS
answers and survey state go with the account; the daily rollup (counts only) stays."""

from __future__ import annotations

from sqlalchemy import func, select

from habitus import db
from habitus.metrics import rollup
from habitus.models import ActivityDay, MetricDay, NpsResponse, ProductEvent, SurveyState
from tests.fixtures.personas import DEFAULT_PASSWORD


async def counts(app, user_id) -> dict[str, int]:
    async with app.state.sessionmaker() as session:
        return {
            model.__tablename__: int(
                await session.scalar(
                    select(func.count()).select_from(model).where(model.user_id == user_id)
                )
                or 0
            )
            for model in (ProductEvent, ActivityDay, NpsResponse, SurveyState)
        }


async def test_a_deleted_user_leaves_no_metrics_rows(client, app, frozen_clock, alice, bob):
    """Issue 21: alice's rows in product_events, activity_days, nps_responses and
    survey_states go; bob's stay; metric_days keeps its counts."""
    for persona in (alice, bob):
        answered = await client.post(
            "/api/v1/surveys/nps", json={"score": 8}, headers=persona.headers
        )
        assert answered.status_code == 201
    async with db.job_transaction(app.state.sessionmaker) as session:
        await rollup.run_pass(session)
    expected = {"product_events": 1, "activity_days": 1, "nps_responses": 1, "survey_states": 1}
    assert await counts(app, alice.id) == expected
    deleted = await client.request(
        "DELETE", "/api/v1/me", json={"password": DEFAULT_PASSWORD}, headers=alice.headers
    )
    assert deleted.status_code == 204, deleted.text
    assert set((await counts(app, alice.id)).values()) == {0}
    assert await counts(app, bob.id) == expected
    async with app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(MetricDay)) > 0
