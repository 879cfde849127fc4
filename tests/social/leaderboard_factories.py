"""Big leaderboards for the tests and the bench (bench/leaderboard_bench.py): a challenge
with `members` accounts, each with the challenge's daily habit and a done/missed pattern
of entries, written in bulk (a handful of INSERTs), then summaries kept current through
analytics as each member's own write would."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.analytics.service import keep_current
from habitus.kit import clock
from habitus.models import (
    Challenge,
    ChallengeHabit,
    ChallengeMember,
    Entry,
    Habit,
    HabitSchedule,
    User,
)

DAILY = {"type": "daily"}


@dataclass(frozen=True, slots=True)
class Seeded:
    challenge_id: uuid.UUID
    user_ids: list[uuid.UUID]
    habit_ids: list[uuid.UUID]


def _done(member: int, day: int) -> bool:
    """A spread of rates: member n skips every (n % 7 + 2)-th day."""
    return day % (member % 7 + 2) != 0


async def seed_challenge(
    session: AsyncSession,
    *,
    members: int,
    days: int,
    today: date,
    summaries: bool = True,
    zones: tuple[str, ...] = ("UTC",),
) -> Seeded:
    """A challenge started `days - 1` days before `today` (each member checked in on
    the pattern of `_done`), lasting `days + 30` days."""
    start = today - timedelta(days=days - 1)
    now = clock.now()
    challenge = Challenge(name="No sugar", start_date=start, days=days + 30)
    session.add(challenge)
    await session.flush()
    session.add(
        ChallengeHabit(challenge_id=challenge.id, position=0, name="No sugar", schedule=DAILY)
    )
    user_ids = [uuid.uuid4() for _ in range(members)]
    habit_ids = [uuid.uuid4() for _ in range(members)]
    tag = uuid.uuid4().hex[:8]
    await session.execute(
        insert(User),
        [
            {
                "id": user_id,
                "email": f"member{n}-{tag}@example.test",
                "email_key": f"member{n}-{tag}@example.test",
                "password_hash": "!",
                "display_name": f"Member {n}",
                "timezone": zones[n % len(zones)],
                "created_at": now,
            }
            for n, user_id in enumerate(user_ids)
        ],
    )
    await session.execute(
        insert(Habit),
        [
            {
                "id": habit_id,
                "user_id": user_id,
                "name": "No sugar",
                "kind": "boolean",
                "polarity": "build",
                "direction": "at_least",
                "start_date": start,
                "end_date": start + timedelta(days=days + 29),
                "challenge_id": challenge.id,
                "created_at": now,
            }
            for user_id, habit_id in zip(user_ids, habit_ids, strict=True)
        ],
    )
    await session.execute(
        insert(HabitSchedule),
        [
            {
                "id": uuid.uuid4(),
                "habit_id": habit_id,
                "user_id": user_id,
                "effective_from": start,
                "schedule": DAILY,
            }
            for user_id, habit_id in zip(user_ids, habit_ids, strict=True)
        ],
    )
    entries = [
        {
            "id": uuid.uuid4(),
            "habit_id": habit_id,
            "user_id": user_id,
            "local_date": start + timedelta(days=day),
            "status": "done",
            "logged_at": now,
            "logged_tz": "UTC",
            "source": "api",
            "created_at": now,
        }
        for n, (user_id, habit_id) in enumerate(zip(user_ids, habit_ids, strict=True))
        for day in range(days)
        if _done(n, day)
    ]
    for chunk in range(0, len(entries), 5000):
        await session.execute(insert(Entry), entries[chunk : chunk + 5000])
    await session.execute(
        insert(ChallengeMember),
        [
            {
                "challenge_id": challenge.id,
                "user_id": user_id,
                "joined_at": now - timedelta(days=days) + timedelta(seconds=n),
            }
            for n, user_id in enumerate(user_ids)
        ],
    )
    if summaries:
        await session.flush()
        for user_id, habit_id in zip(user_ids, habit_ids, strict=True):
            user = await session.get(User, user_id)
            habit = await session.get(Habit, habit_id)
            assert user is not None
            assert habit is not None
            await keep_current(session, user, habit)
    return Seeded(challenge.id, user_ids, habit_ids)
