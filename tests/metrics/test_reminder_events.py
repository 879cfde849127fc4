"""Issue 21: the delivery worker records `reminder_sent` for a notification delivered
and `reminder_failed` for one given up on (dead), in the transaction that records the
attempt; a retry still to come is neither (the reminder success rate's two counts)."""

from __future__ import annotations

from sqlalchemy import select

from habitus.models import ProductEvent
from tests.habits.helpers import create_habit, travel
from tests.reminders.conftest import client, run_worker, sink  # noqa: F401 (fixtures)
from tests.reminders.test_engine import EVENING, reminder, webhook


async def kinds_of(app) -> list[tuple[str, str]]:
    async with app.state.sessionmaker() as session:
        rows = await session.scalars(
            select(ProductEvent).where(ProductEvent.kind.in_(["reminder_sent", "reminder_failed"]))
        )
        return sorted((row.kind, row.props["channel"]) for row in rows)


async def test_a_delivery_sent_and_one_given_up_on(client, app, frozen_clock, alice, sink):  # noqa: F811
    """Two reminders to a webhook: the first answered 200 (sent); the second 500 three
    times (the test server's attempts): two retries count nothing, the third is dead."""
    habit = await create_habit(client, alice)
    await webhook(client, alice, sink)
    await reminder(client, alice, habit["id"])
    other = await create_habit(client, alice, name="Walk")
    await reminder(client, alice, other["id"])
    sink.statuses = [200, 500, 500, 500]
    await travel(frozen_clock, client, alice, EVENING)
    await run_worker(app)
    assert len(sink.received) == 4
    assert await kinds_of(app) == [("reminder_failed", "webhook"), ("reminder_sent", "webhook")]
