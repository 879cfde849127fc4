"""Today: the habits due today, one-tap check-ins updated in place (HTMX)."""

from __future__ import annotations

from fastapi import APIRouter

from habitus.kit.routing import TransactionalRoute

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)
