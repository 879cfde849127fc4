"""JSON API: /api/v1/achievements and /api/v1/rewards."""

from __future__ import annotations

from fastapi import APIRouter, status

from habitus.auth.dependencies import CurrentUser, idempotent
from habitus.core.rewards import tenths_to_gems
from habitus.gamification import service
from habitus.gamification.presenters import ledger_row_out
from habitus.gamification.schemas import (
    AchievementOut,
    AchievementsOut,
    ClaimOut,
    FreezesOut,
    LedgerRowOut,
    Progress,
    RewardsOut,
)
from habitus.http.dependencies import DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit.pagination import Page, Pagination, page_of, time_id_key
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, problems

router = APIRouter(route_class=TransactionalRoute, responses=AUTHENTICATED_PROBLEMS)


@router.get("/achievements", tags=["rewards"])
async def list_achievements(user: CurrentUser, session: DbSession) -> AchievementsOut:
    """All fifteen achievements (DOMAIN D10), earned ones with the date, the others with
    their progress."""
    views = await service.achievements(session, user)
    return AchievementsOut(
        items=[
            AchievementOut(
                id=view.achievement.id,
                category=view.achievement.category,
                title=view.achievement.title,
                description=view.achievement.description,
                earned_at=view.earned_at,
                progress=Progress(current=view.current, target=view.achievement.target),
            )
            for view in views
        ]
    )


@router.get("/rewards", tags=["rewards"])
async def get_rewards(user: CurrentUser, session: DbSession) -> RewardsOut:
    """Coins, gems, the daily claim's streak and cycle day, and freezes held (D11)."""
    found = await service.summary(session, user)
    return RewardsOut(
        coins=found.coins,
        gems=tenths_to_gems(found.gems_tenths),
        daily_streak=found.daily_streak,
        cycle_day=found.cycle_day,
        claimed_today=found.claimed_today,
        next_claim_gems=tenths_to_gems(found.next_claim_tenths),
        freezes=found.freezes,
    )


@router.post(
    "/rewards/claim", tags=["rewards"], responses=problems(409), dependencies=[idempotent()]
)
async def claim(user: CurrentUser, session: DbSession) -> ClaimOut:
    """Today's gems (D11.2), once per local day: 409 on a second claim."""
    claimed = await service.claim(session, user)
    return ClaimOut(
        gems_awarded=tenths_to_gems(claimed.gems_tenths_awarded),
        cycle_day=claimed.cycle_day,
        daily_streak=claimed.daily_streak,
        gems=tenths_to_gems(claimed.gems_tenths),
    )


@router.post(
    "/rewards/freezes",
    tags=["rewards"],
    status_code=status.HTTP_201_CREATED,
    responses=problems(409),
    dependencies=[idempotent()],
)
async def buy_freeze(user: CurrentUser, session: DbSession) -> FreezesOut:
    """A streak freeze for 5 gems (D11.3); 409 with the reason when gems are short or 2
    are held."""
    bought = await service.buy_freeze(session, user)
    return FreezesOut(freezes=bought.freezes, gems=tenths_to_gems(bought.gems_tenths))


@router.get("/rewards/ledger", tags=["rewards"])
async def ledger(user: CurrentUser, session: DbSession, page: Pagination) -> Page[LedgerRowOut]:
    """Every coin and gem, newest first, with its reason (D11.4)."""
    rows = await service.ledger(session, user, limit=page.limit, after=page.after)
    result = page_of(rows, page.limit, lambda row: time_id_key(row.created_at, row.id))
    return Page(items=[ledger_row_out(row) for row in result.items], next_cursor=result.next_cursor)
