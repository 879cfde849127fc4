"""D12.4 in the transaction of a check-in: a write to a challenge habit's day re-ranks the
challenge and answers the writer's rank (`RankChanged`, which the check-in answer turns
into `leaderboards`). Members the writer moved past get a `RankChanged` of their own
(`overtaken_by`), written to their log for the notices consumer. Each member's
`last_rank` keeps the rank they were last told, so "moved up" compares with that."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.events.kinds import DayWritten, DomainEvent, RankChanged
from habitus.events.service import record
from habitus.models import Challenge, ChallengeMember, Habit, User
from habitus.social import leaderboards, profiles


async def day_written(session: AsyncSession, user: User, event: DayWritten) -> list[DomainEvent]:
    # The writer holds the habit in the session already: no query.
    habit = None if event.habit_id is None else await session.get(Habit, event.habit_id)
    if habit is None or habit.challenge_id is None:
        return []
    challenge = await session.get(Challenge, habit.challenge_id)
    if challenge is None:
        return []
    lines = await leaderboards.challenge_board(session, challenge)
    mine = next((line for line in lines if line.user_id == user.id), None)
    if mine is None:
        return []  # the writer left the challenge: their habit no longer counts
    rows = await session.execute(
        select(ChallengeMember.user_id, ChallengeMember.last_rank).where(
            ChallengeMember.challenge_id == challenge.id, ChallengeMember.left_at.is_(None)
        )
    )
    # Not dict(rows): a Result has .keys(), so dict() would read it as a mapping.
    before: dict[uuid.UUID, int | None] = {row[0]: row[1] for row in rows}
    now = {line.user_id: line.rank for line in lines}
    changed = [
        {"challenge_id": challenge.id, "user_id": user_id, "last_rank": rank}
        for user_id, rank in now.items()
        if before.get(user_id) != rank
    ]
    if changed:
        # One bulk UPDATE by primary key, whatever the number of members.
        await session.execute(update(ChallengeMember), changed)
    previous = before.get(user.id)
    writer_name = profiles.name_of(user, mine.handle)
    if previous is not None and mine.rank < previous:
        # Whoever stood at or above the writer's new place and below their old one.
        for line in lines:
            old = before.get(line.user_id)
            if (
                line.user_id != user.id
                and old is not None
                and mine.rank <= old < previous
                and line.rank > old
            ):
                await record(
                    session,
                    line.user_id,
                    [
                        RankChanged(
                            challenge_id=str(challenge.id),
                            challenge_name=challenge.name,
                            rank=line.rank,
                            previous=old,
                            overtaken_by=writer_name,
                            rate=line.rate,
                        )
                    ],
                )
    return [
        RankChanged(
            habit_id=habit.id,
            local_date=event.local_date,
            challenge_id=str(challenge.id),
            challenge_name=challenge.name,
            rank=mine.rank,
            previous=previous,
            rate=mine.rate,
        )
    ]
