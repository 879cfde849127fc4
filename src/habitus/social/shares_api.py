"""JSON API of share links: /api/v1/habits/{id}/shares, /api/v1/shares (D12.2).

The public side (GET /s/{token}, HTML or JSON) lives in `shares_web`: it is a page
anyone may open, outside /api/v1 and its sign-in."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status

from habitus.auth.dependencies import CurrentUser, idempotent
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit.pagination import Page, Pagination, page_of, time_id_key
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, problems
from habitus.social import shares
from habitus.social.shares_schemas import ShareCreatedOut, ShareOut

router = APIRouter(route_class=TransactionalRoute, responses=AUTHENTICATED_PROBLEMS)


def share_url(request: Request, token: str) -> str:
    """The link as the person who asked for it reaches this server."""
    return f"{str(request.base_url).rstrip('/')}/s/{token}"


@router.post(
    "/habits/{habit_id}/shares",
    tags=["sharing"],
    status_code=status.HTTP_201_CREATED,
    responses=problems(404, 429),
    dependencies=[idempotent()],
)
async def create_share(
    habit_id: uuid.UUID, request: Request, user: CurrentUser, session: DbSession, ctx: Context
) -> ShareCreatedOut:
    """A read-only link to one habit: its name, streaks and year heatmap, never notes or
    other habits (D12.2). Anyone with the link may open it, whatever the habit's
    visibility. The URL is shown only in this answer; a few links an hour at most."""
    made = await shares.create(session, ctx, user, habit_id)
    return ShareCreatedOut(id=made.share.id, url=share_url(request, made.token))


@router.get("/shares", tags=["sharing"])
async def list_shares(user: CurrentUser, session: DbSession, page: Pagination) -> Page[ShareOut]:
    """My share links, newest first, revoked ones too (with `revoked_at`)."""
    rows = await shares.list_of(session, user.id, limit=page.limit, after=page.after)
    result = page_of(rows, page.limit, lambda row: time_id_key(row.share.created_at, row.share.id))
    return Page(
        items=[
            ShareOut(
                id=row.share.id,
                habit_id=row.share.habit_id,
                habit_name=row.habit_name,
                created_at=row.share.created_at,
                revoked_at=row.share.revoked_at,
            )
            for row in result.items
        ],
        next_cursor=result.next_cursor,
    )


@router.delete(
    "/shares/{share_id}",
    tags=["sharing"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(404),
)
async def revoke_share(share_id: uuid.UUID, user: CurrentUser, session: DbSession) -> Response:
    """Revoke a link: it answers 404 from now on."""
    await shares.revoke(session, user.id, share_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
