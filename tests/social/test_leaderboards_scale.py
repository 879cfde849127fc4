"""D12.4 at scale: a challenge's leaderboard costs the same number of SQL statements with
20 members as with 200 (summaries and raw days of every member's habit read at once),
and agrees with each member's own pattern of days."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import httpx
import time_machine
from fastapi import FastAPI
from sqlalchemy import event

from habitus import db
from habitus.models import ChallengeMember
from tests.fixtures.personas import Persona
from tests.habits.test_queries import without_sign_in
from tests.social.challenge_factories import API
from tests.social.leaderboard_factories import _done, seed_challenge

TODAY = date(2026, 11, 21)


@contextmanager
def counting(app: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def seeded_board(
    client: httpx.AsyncClient, app: FastAPI, viewer: Persona, members: int, **options: Any
) -> tuple[list[Any], list[str], list[Any]]:
    async with db.write_transaction(app.state.sessionmaker, app.state.writer_queue) as session:
        seeded = await seed_challenge(session, members=members, days=20, today=TODAY, **options)
        session.add(ChallengeMember(challenge_id=seeded.challenge_id, user_id=viewer.id))
    with counting(app) as statements:
        response = await client.get(
            f"{API}/challenges/{seeded.challenge_id}/leaderboard", headers=viewer.headers
        )
    assert response.status_code == 200, response.text
    # The sign-in read comes and goes with the process's sign-in cache (issue 22).
    return response.json()["items"], without_sign_in(statements), seeded.user_ids


async def test_statements_do_not_grow_with_members(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
) -> None:
    """D12.4: 20 members or 200, with summaries (the usual case) and without (every day
    from raw entries), members in three zones: the same statements."""
    zones = ("UTC", "America/Los_Angeles", "Pacific/Kiritimati")
    small, few, _ = await seeded_board(client, app, alice, 20, zones=zones)
    large, many, _ = await seeded_board(client, app, alice, 200, zones=zones)
    raw, raw_statements, _ = await seeded_board(
        client, app, alice, 200, zones=zones, summaries=False
    )
    assert len(small) == 21
    assert len(large) == len(raw) == 201
    assert len(many) == len(few), many
    assert len(raw_statements) <= len(few)
    assert len(few) <= 12, few
    # Summaries or raw entries: the same board.
    assert [(i["rate"], i["done"], i["missed"]) for i in large] == [
        (i["rate"], i["done"], i["missed"]) for i in raw
    ]


async def test_the_board_follows_each_members_days(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
) -> None:
    """D8.1 per member: member n missed every (n % 7 + 2)-th of the 20 days; today counts
    when done, and is pending (not counted) otherwise. D12.4: the board lists them by
    rate, then done, then join order; alice, with no habit, comes last with rate null."""
    items, _, user_ids = await seeded_board(client, app, alice, 14)
    expected = []
    for n, user_id in enumerate(user_ids):
        done = sum(1 for day in range(20) if _done(n, day))
        missed = sum(1 for day in range(19) if not _done(n, day))
        expected.append((str(user_id), done, missed, n))
    expected.sort(key=lambda row: (-row[1] / (row[1] + row[2]), -row[1], row[3]))
    assert [(i["user"]["id"], i["done"], i["missed"]) for i in items[:-1]] == [
        row[:3] for row in expected
    ]
    assert [i["rank"] for i in items] == list(range(1, 16))
    assert (items[-1]["user"]["id"], items[-1]["rate"]) == (str(alice.id), None)
