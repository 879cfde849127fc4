"""The habit page (streaks, score, calendar, heatmap, history) and the History month."""

from __future__ import annotations

from fastapi import APIRouter

from habitus.kit.routing import TransactionalRoute

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)
