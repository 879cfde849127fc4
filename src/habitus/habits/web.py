"""Habits: the list with filters and order, create, edit, archive, restore, delete."""

from __future__ import annotations

from fastapi import APIRouter

from habitus.kit.routing import TransactionalRoute

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)
