"""JSON API: GET /api/v1/challenges/{id}/leaderboard and GET /api/v1/leaderboard/friends
(API.md "Challenges and leaderboards", DOMAIN D12.4)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.auth.dependencies import CurrentUser
from habitus.http.dependencies import DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, problems
from habitus.models import User
from habitus.social import access, challenges, leaderboards

router = APIRouter(route_class=TransactionalRoute, responses=AUTHENTICATED_PROBLEMS)


class LeaderboardUser(BaseModel):
    id: uuid.UUID
    handle: str | None
    display_name: str | None


class LeaderboardItem(BaseModel):
    rank: int
    user: LeaderboardUser
    rate: float | None
    done: int
    missed: int


class LeaderboardOut(BaseModel):
    items: list[LeaderboardItem]


async def answer(
    session: AsyncSession, user: User, lines: list[leaderboards.Line]
) -> LeaderboardOut:
    """The lines the viewer may see: whoever a block stands between is left out (D12.1);
    the ranks stay those of the whole board."""
    hidden = await access.hidden_from(session, user.id)
    return LeaderboardOut(
        items=[
            LeaderboardItem(
                rank=line.rank,
                user=LeaderboardUser(
                    id=line.user_id, handle=line.handle, display_name=line.display_name
                ),
                rate=line.rate,
                done=line.done,
                missed=line.missed,
            )
            for line in lines
            if line.user_id not in hidden
        ]
    )


@router.get("/challenges/{challenge_id}/leaderboard", tags=["challenges"], responses=problems(404))
async def challenge_leaderboard(
    challenge_id: uuid.UUID, user: CurrentUser, session: DbSession
) -> LeaderboardOut:
    """D12.4: members by completion rate over the challenge's habits up to each one's
    today, then done units, then join order; no required unit yet: last, rate null.
    404 unless a member (or one who left) or invited, and for a
    blocked user."""
    challenge = await challenges.visible_challenge(session, user, challenge_id)
    return await answer(session, user, await leaderboards.challenge_board(session, challenge))


@router.get("/leaderboard/friends", tags=["challenges"])
async def friends_leaderboard(
    user: CurrentUser,
    session: DbSession,
    window: Annotated[
        Literal["7d", "30d"], Query(description="The last 7 or 30 days (each in their own zone).")
    ] = "7d",
) -> LeaderboardOut:
    """D12.4 over the habits shared with friends (visibility friends or public) of the
    user and their friends."""
    days = leaderboards.WINDOWS[window]
    return await answer(session, user, await leaderboards.friends_board(session, user, days))
