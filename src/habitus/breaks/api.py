"""JSON API: /api/v1/breaks."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from habitus.auth.dependencies import CurrentUser, idempotent
from habitus.breaks import service
from habitus.breaks.schemas import BreakIn, BreakOut
from habitus.http.dependencies import DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit.pagination import Page, Pagination, page_of, time_id_key
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, problems

router = APIRouter(
    prefix="/breaks",
    tags=["breaks"],
    route_class=TransactionalRoute,
    responses=AUTHENTICATED_PROBLEMS,
)


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[idempotent()])
async def create_break(body: BreakIn, user: CurrentUser, session: DbSession) -> BreakOut:
    """A break (vacation, illness) for one habit (`habit_id`) or all of them: its days
    are not required, so streaks survive it and rates leave it out."""
    return BreakOut.model_validate(await service.create_break(session, user, body))


@router.get("")
async def list_breaks(user: CurrentUser, session: DbSession, page: Pagination) -> Page[BreakOut]:
    rows = await service.list_breaks(session, user, limit=page.limit, after=page.after)
    result = page_of(rows, page.limit, lambda row: time_id_key(row.created_at, row.id))
    return Page(
        items=[BreakOut.model_validate(row) for row in result.items],
        next_cursor=result.next_cursor,
    )


@router.delete("/{break_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404))
async def delete_break(break_id: uuid.UUID, user: CurrentUser, session: DbSession) -> Response:
    await service.delete_break(session, user, break_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
