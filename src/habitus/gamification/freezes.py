"""D11.3: held streak freezes, spent by the worker at the end of each user's local day.

Every minute the worker looks at the users who hold a freeze. For each, the local day
that ended last (D1: their zone and day-start hour) is taken once, by a conditional
UPDATE of their state row (`repository.claim_freeze_check`): two workers never both
spend for the same day. A habit qualifies when its streak was at least 3 units with the
day still to come and the day's end broke it (the unit ending that day was missed); the
first such habit in the user's order gets a one-day break with reason "streak freeze",
so D7 carries the streak across it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.breaks.schemas import BreakIn
from habitus.core.rewards import FreezeCandidate, habit_to_freeze
from habitus.events.kinds import FreezeSpent
from habitus.events.service import publish
from habitus.gamification import repository
from habitus.gamification.ports import BREAK_MAKER
from habitus.habits import repository as habits_repository
from habitus.habits.evaluation import evaluate, today_of
from habitus.models import User
from habitus.registry import JobContext, registry

FREEZE_REASON = "streak freeze"
INTERVAL_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Spent:
    habit_id: uuid.UUID
    day: date
    streak: int


async def spend_for(session: AsyncSession, user: User, day: date) -> Spent | None:
    """D11.3 for the end of local day `day`: spend one held freeze on the first habit whose
    streak of 3 or more that day's end broke. None when nothing qualified (or the day
    was checked already)."""
    await db.start_writing(session)
    if not await repository.claim_freeze_check(session, user.id, day):
        return None
    habits = await habits_repository.habits_of(session, user.id, archived=False)
    if not habits:
        return None
    # As the day stood (its own unit still open), and as the next day finds it.
    during = {item.ctx.habit.id: item.now for item in await evaluate(session, user, habits, day)}
    after = {
        item.ctx.habit.id: item.now
        for item in await evaluate(session, user, habits, day + timedelta(days=1))
    }
    candidates = []
    for habit in habits:
        before, then = during.get(habit.id), after.get(habit.id)
        if before is None or then is None:
            continue
        broken = then.current.length == 0 or (
            then.current.first is not None and then.current.first > day
        )
        candidates.append(FreezeCandidate(habit.id, habit.position, before.current.length, broken))
    chosen = habit_to_freeze(candidates)
    if chosen is None:
        return None
    state = await repository.locked_state(session, user.id)
    if state.freezes <= 0 or state.last_freeze_on == day:
        return None
    state.freezes -= 1
    state.last_freeze_on = day
    habit_id = chosen.habit_id
    assert isinstance(habit_id, uuid.UUID)
    habit = next(h for h in habits if h.id == habit_id)
    await registry.port(BREAK_MAKER).create_break(
        session,
        user,
        BreakIn(start_date=day, end_date=day, habit_id=habit_id, reason=FREEZE_REASON),
    )
    await publish(
        session,
        user,
        [
            FreezeSpent(
                habit_id=habit_id,
                local_date=day,
                streak=chosen.current_streak,
                habit_name=habit.name,
                unit=during[habit_id].unit,
            )
        ],
    )
    return Spent(habit_id, day, chosen.current_streak)


async def run(ctx: JobContext) -> int:
    """The worker's step: every user holding a freeze, for the local day that ended last."""
    async with db.job_transaction(ctx.maker) as session:
        holders = [row.user_id for row in await repository.users_with_freezes(session)]
    spent = 0
    for user_id in holders:
        async with db.job_transaction(ctx.maker) as session:
            user = await session.get(User, user_id)
            if user is None or user.disabled_at is not None:
                continue
            if await spend_for(session, user, today_of(user) - timedelta(days=1)):
                spent += 1
    return spent
