"""Issue 21: the product events, written in the same transaction as the action they
count (from the event mechanism), and the activity day of the user who acted."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from habitus import db
from habitus.events.kinds import HabitCreated
from habitus.events.service import publish
from habitus.metrics import recording
from habitus.models import ActivityDay, ProductEvent, User

TODAY = date(2026, 11, 21)  # the frozen clock's day


async def rows(app, kind: str | None = None) -> list[ProductEvent]:
    async with app.state.sessionmaker() as session:
        query = select(ProductEvent).order_by(ProductEvent.occurred_at)
        if kind is not None:
            query = query.where(ProductEvent.kind == kind)
        return list(await session.scalars(query))


async def active_days(app, user_id: uuid.UUID) -> list[date]:
    async with app.state.sessionmaker() as session:
        return list(
            await session.scalars(select(ActivityDay.day).where(ActivityDay.user_id == user_id))
        )


async def test_a_sign_up_records_its_source(client, app, frozen_clock):
    """Issue 21: `user_signed_up` carries the acquisition source of `ref` (the API body;
    the web form carries `?ref=`/`utm_source` in a hidden field), "direct" without."""
    for email, extra in (("ref@example.org", {"ref": "newsletter"}), ("plain@example.org", {})):
        response = await client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": "correct horse battery", **extra},
        )
        assert response.status_code == 201, response.text
    found = {str(row.user_id): row.props["source"] for row in await rows(app, "user_signed_up")}
    assert sorted(found.values()) == ["direct", "newsletter"]
    user_id = uuid.UUID(next(key for key, value in found.items() if value == "newsletter"))
    assert await active_days(app, user_id) == [TODAY]


async def test_the_register_page_carries_ref_into_the_form(client, frozen_clock):
    """Issue 21: /register?utm_source=... puts the source in the sign-up form."""
    page = await client.get("/register", params={"utm_source": "mastodon"})
    assert page.status_code == 200
    assert 'name="ref" value="mastodon"' in page.text


async def test_habit_created_and_logged_with_the_idempotency_key(client, app, frozen_clock, alice):
    """Issue 21: `habit_created` (category, schedule type) and `habit_logged` (the
    request's Idempotency-Key) and the streak's `streak_extended`."""
    created = await client.post(
        "/api/v1/habits",
        json={
            "name": "Run",
            "category": "Fitness",
            "schedule": {"type": "times_per_period", "times": 3, "period": "week"},
        },
        headers=alice.headers,
    )
    assert created.status_code == 201, created.text
    [made] = await rows(app, "habit_created")
    assert made.user_id == alice.id
    assert made.props["category"] == "Fitness"
    assert made.props["schedule"] == "times_per_period"
    logged = await client.post(
        f"/api/v1/habits/{created.json()['id']}/checkins",
        json={},
        headers={**alice.headers, "Idempotency-Key": "check-in-21"},
    )
    assert logged.status_code == 201, logged.text
    [check_in] = await rows(app, "habit_logged")
    assert check_in.props["idempotency_key"] == "check-in-21"
    [extended] = await rows(app, "streak_extended")
    assert extended.props["current"] == 1
    assert await active_days(app, alice.id) == [TODAY]


async def test_a_rolled_back_action_leaves_no_product_event(app, frozen_clock, alice):
    """Issue 21: the rows are written with the action's session: rolled back with it,
    committed with it."""
    maker = app.state.sessionmaker
    async with maker() as session:
        user = await session.get(User, alice.id)
        await publish(session, user, [HabitCreated(name="Ghost")])
        written = select(ProductEvent).where(ProductEvent.kind == "habit_created")
        assert len(list(await session.scalars(written))) == 1  # written...
        await session.rollback()  # ...and gone with the action
    assert await rows(app, "habit_created") == []
    async with db.job_transaction(maker) as session:
        user = await session.get(User, alice.id)
        await publish(session, user, [HabitCreated(name="Real")])
    assert [row.user_id for row in await rows(app, "habit_created")] == [alice.id]


async def test_reminder_outcomes_are_counted_and_do_not_make_an_active_day(
    app, frozen_clock, alice
):
    """Issue 21: `reminder_sent` / `reminder_failed` (the delivery worker's outcomes)
    are the server's doing, not the user's: no activity day."""
    before = await active_days(app, alice.id)  # her sign-up's day
    async with db.job_transaction(app.state.sessionmaker) as session:
        await recording.record_many(
            session,
            [
                (recording.REMINDER_SENT, alice.id, {"channel": "email"}),
                (recording.REMINDER_FAILED, alice.id, {"channel": "webhook"}),
            ],
        )
    assert [row.props["channel"] for row in await rows(app, "reminder_sent")] == ["email"]
    assert [row.props["channel"] for row in await rows(app, "reminder_failed")] == ["webhook"]
    assert await active_days(app, alice.id) == before


async def test_activity_day_is_one_row_however_many_actions(app, frozen_clock, alice):
    """Issue 21: the activity day is upserted (ON CONFLICT DO NOTHING): one row a day."""
    async with db.job_transaction(app.state.sessionmaker) as session:
        for _ in range(3):
            await recording.record(session, recording.SHARE_CREATED, alice.id)
    assert len(await active_days(app, alice.id)) == 1
    assert len(await rows(app, "share_created")) == 3


async def test_housekeeping_sweeps_events_past_the_retention(app, frozen_clock, alice):
    """Issue 21: product events older than HABITUS_PRODUCT_EVENTS_DAYS (400) go; younger
    ones, and activity days, stay."""
    from datetime import timedelta

    from habitus import housekeeping
    from habitus.kit import clock

    now = clock.now()
    async with db.job_transaction(app.state.sessionmaker) as session:
        for age in (401, 399):
            session.add(
                ProductEvent(
                    kind="habit_logged",
                    user_id=alice.id,
                    occurred_at=now - timedelta(days=age),
                    props={"age": age},
                )
            )
    async with db.job_transaction(app.state.sessionmaker) as session:
        removed = await housekeeping.sweep_product_events(
            session, app.state.settings.product_events_days
        )
    assert removed == 1
    assert [row.props["age"] for row in await rows(app, "habit_logged")] == [399]
    assert await active_days(app, alice.id) == [TODAY]


async def test_each_export_is_counted_with_its_format(client, app, frozen_clock, alice):
    """Issue 21: `export_requested` names the format (entries CSV, calendar ICS, the
    analytics page's JSON, the whole account), counts as an activity day, and a refused
    export (a 422 on the dates) leaves none."""
    from tests.fixtures.web import web_login

    for path in ("/api/v1/export/entries.csv", "/api/v1/export/calendar.ics", "/api/v1/me/export"):
        response = await client.get(path, headers=alice.headers)
        assert response.status_code == 200, (path, response.text)
    refused = await client.get(
        "/api/v1/export/entries.csv",
        params={"from": "2026-11-20", "to": "2026-11-01"},
        headers=alice.headers,
    )
    assert refused.status_code == 422
    await web_login(client, alice.email, alice.password)
    page_json = await client.get("/analytics/export.json", params={"days": "30"})
    assert page_json.status_code == 200, page_json.text
    found = await rows(app, "export_requested")
    assert sorted(row.props["format"] for row in found) == ["account", "csv", "ics", "json"]
    assert {row.user_id for row in found} == {alice.id}
    assert await active_days(app, alice.id) == [TODAY]
