"""Issue 22: a check-in claims its Idempotency-Key together with its answer, in one
statement at the end (`idempotent(required=True, at_end=True)`); what API.md
"Idempotency" promises must hold all the same."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from habitus.kit import clock
from habitus.models import Entry, IdempotencyKey
from tests.fixtures.database import backend
from tests.habits.helpers import API, check_in, count, create_habit
from tests.habits.test_queries import counting


async def _water(client, persona) -> str:  # type: ignore[no-untyped-def]
    habit = await create_habit(
        client,
        persona,
        name="Water",
        kind="measurable",
        target={"value": 8, "unit": "glasses", "direction": "at_least"},
    )
    habit_id: str = habit["id"]
    return habit_id


async def _values(db_session) -> list[float | None]:  # type: ignore[no-untyped-def]
    db_session.expire_all()
    return list(await db_session.scalars(select(Entry.value)))


async def test_the_key_and_the_answer_are_one_statement(client, app, alice, db_session):
    """Issue 22: one INSERT stores the key with the answer (it was an INSERT, then an
    UPDATE), and the stored answer is the one given."""
    habit_id = await _water(client, alice)
    with counting(app) as every:
        response = await check_in(client, alice, habit_id, key="once", value=2)
    statements = [statement for statement in every if "idempotency_keys" in statement]
    assert response.status_code == 201, response.text
    assert len(statements) == 1
    assert statements[0].lstrip().upper().startswith("INSERT")
    row = await db_session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == "once"))
    assert row is not None
    assert row.response_status == 201
    assert row.response_body == response.content


async def test_a_retry_replays_the_first_answer_and_counts_once(client, alice, db_session):
    """API.md Idempotency: the same key and body again: the first answer, byte for byte,
    and the value is added once (the retry's own writes are rolled back)."""
    habit_id = await _water(client, alice)
    first = await check_in(client, alice, habit_id, key="retry", value=3)
    again = await check_in(client, alice, habit_id, key="retry", value=3)
    assert first.status_code == again.status_code == 201
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert await _values(db_session) == [3.0]


async def test_concurrent_identical_check_ins_count_once(client, alice, db_session):
    """API.md Idempotency: 10 identical check-ins at once with one key add the value once."""
    habit_id = await _water(client, alice)
    answers = await asyncio.gather(
        *(check_in(client, alice, habit_id, key="stampede", value=1) for _ in range(10))
    )
    assert [answer.status_code for answer in answers] == [201] * 10, [a.text for a in answers]
    assert len({answer.content for answer in answers}) == 1
    replayed = [answer.headers.get("idempotent-replayed") for answer in answers]
    assert replayed.count(None) == 1
    assert await _values(db_session) == [1.0]
    assert await count(db_session, IdempotencyKey) == 1


async def test_same_key_other_body_is_422_and_adds_nothing(client, alice, db_session):
    """API.md Idempotency: a key used with another body is 422; the second value is not
    added (the handler ran, then rolled back)."""
    habit_id = await _water(client, alice)
    assert (await check_in(client, alice, habit_id, key="k", value=1)).status_code == 201
    other = await check_in(client, alice, habit_id, key="k", value=5)
    assert other.status_code == 422
    assert other.json()["errors"][0]["rule"] == "idempotency_key_reused"
    assert await _values(db_session) == [1.0]


async def test_a_retry_after_the_habit_is_gone_still_gets_the_first_answer(
    client, alice, db_session
):
    """API.md Idempotency: the handler of a retry fails (the habit was deleted since), but
    its key was committed: the stored answer, as an up-front claim would have given."""
    habit_id = await _water(client, alice)
    first = await check_in(client, alice, habit_id, key="before-delete", value=1)
    assert first.status_code == 201
    deleted = await client.delete(f"{API}/habits/{habit_id}", headers=alice.headers)
    assert deleted.status_code == 204
    again = await check_in(client, alice, habit_id, key="before-delete", value=1)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    unknown = await check_in(client, alice, habit_id, key="never-used", value=1)
    assert unknown.status_code == 404


async def test_a_failed_check_in_leaves_its_key_free(client, alice, db_session):
    """idempotency.py: a refused request (422) stores nothing; the key runs again."""
    habit = await create_habit(client, alice)  # yes/no: a value is refused
    refused = await check_in(client, alice, habit["id"], key="free", value=2)
    assert refused.status_code == 422
    assert await count(db_session, IdempotencyKey) == 0
    accepted = await check_in(client, alice, habit["id"], key="free")
    assert accepted.status_code == 201
    assert "idempotent-replayed" not in accepted.headers


@pytest.mark.skipif(backend() != "postgresql", reason="needs PostgreSQL row locks")
async def test_a_key_still_in_flight_is_409_and_adds_nothing(
    make_client, frozen_clock, alice, engine, db_session
):
    """API.md Idempotency: the key's first request has not committed: the claim waits for
    it, past HABITUS_LOCK_TIMEOUT_SECONDS it is 409, and nothing of this one is kept."""
    client = await make_client(lock_timeout_seconds=0.5)
    habit_id = await _water(client, alice)
    now = clock.now()
    async with engine.connect() as holder:
        await holder.begin()
        await holder.execute(
            IdempotencyKey.__table__.insert().values(
                id=uuid.uuid4(),
                user_id=alice.id,
                key="busy",
                request_hash="another request's",
                created_at=now,
                expires_at=now + timedelta(hours=24),
            )
        )
        response = await check_in(client, alice, habit_id, key="busy", value=1)
        await holder.rollback()
    assert response.status_code == 409, response.text
    assert "Idempotency-Key" in response.json()["detail"]
    assert await _values(db_session) == []
