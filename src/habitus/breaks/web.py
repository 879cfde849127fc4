"""Breaks: plan days off for all habits or one."""

from __future__ import annotations

from fastapi import APIRouter

from habitus.kit.routing import TransactionalRoute

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)
