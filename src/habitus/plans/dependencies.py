"""What routes ask for to hand the plan limits to a service: `limits: Plans`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from habitus.http.dependencies import Context
from habitus.plans.limits import PlanLimits, limits_of


async def plan_limits(ctx: Context) -> PlanLimits:
    return limits_of(ctx.settings)


Plans = Annotated[PlanLimits, Depends(plan_limits)]
