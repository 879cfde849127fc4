"""The installable app: web manifest and service worker, served from the site root."""

from __future__ import annotations

from fastapi import APIRouter

from habitus.kit.routing import TransactionalRoute

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)
