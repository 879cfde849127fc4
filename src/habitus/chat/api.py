"""JSON API of chat: /api/v1/conversations, /api/v1/messages (API.md "Chat").
The WebSocket endpoint (`send` over a socket) calls the same `service.send`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import JSONResponse

from habitus.auth.dependencies import CurrentUser, idempotent
from habitus.chat import service
from habitus.chat.schemas import ConversationIn, ConversationOut, MessageIn, MessageOut, ReadIn
from habitus.context import AppContext
from habitus.errors import FieldError, ValidationFailed
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Page,
    Pagination,
    decode_cursor,
    encode_cursor,
    page_of,
    parse_int_id_key,
)
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, problems
from habitus.models import Message

router = APIRouter(route_class=TransactionalRoute, responses=AUTHENTICATED_PROBLEMS)


def message_out(ctx: AppContext, message: Message) -> MessageOut:
    return MessageOut(
        id=message.id,
        conversation_id=message.conversation_id,
        sender_id=message.sender_id,
        body=service.body_of(ctx, message),
        client_id=message.client_id,
        created_at=message.created_at,
    )


def _summary_out(ctx: AppContext, summary: service.Summary) -> ConversationOut:
    return ConversationOut(
        id=summary.id,
        kind="direct" if summary.kind == "direct" else "challenge",
        title=summary.title,
        unread=summary.unread,
        last_message=message_out(ctx, summary.last_message) if summary.last_message else None,
    )


@router.get("/conversations", tags=["chat"], responses=problems(422))
async def list_conversations(
    user: CurrentUser, session: DbSession, ctx: Context, paging: Pagination
) -> Page[ConversationOut]:
    """My direct conversations and my challenges' conversations, most recently active
    first, with what is unread and the last message; `limit` and `cursor` page it."""
    found = await service.summaries(session, user)
    after = parse_int_id_key(paging.after)
    if after is not None:
        place = (after[0], str(after[1]))
        found = [item for item in found if service.activity_key(item) < place]
    page = page_of(found, paging.limit, lambda item: list(service.activity_key(item)))
    return Page(
        items=[_summary_out(ctx, item) for item in page.items], next_cursor=page.next_cursor
    )


@router.post(
    "/conversations",
    tags=["chat"],
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": ConversationOut}, **problems(404, 422)},
    dependencies=[idempotent()],
)
async def open_conversation(
    body: ConversationIn, user: CurrentUser, session: DbSession, ctx: Context
) -> JSONResponse:
    """The direct conversation with a friend: 201 when made now, 200 with the existing
    one. Anyone who is not a friend (or is blocked either way): 404."""
    found, created = await service.open_direct(session, user, body.user_id)
    summary = await service.summaries(session, user)
    item = next(entry for entry in summary if entry.id == found.id)
    return JSONResponse(
        _summary_out(ctx, item).model_dump(mode="json"),
        status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


def _before(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    value = decode_cursor(cursor)
    if len(value) != 1 or not isinstance(value[0], int) or isinstance(value[0], bool):
        raise ValidationFailed(
            [
                FieldError(
                    "cursor",
                    "is not a cursor this server issued; use next_cursor from the previous page",
                    rule="cursor_format",
                    location="query",
                )
            ]
        )
    return value[0]


@router.get("/conversations/{conversation_id}/messages", tags=["chat"], responses=problems(404))
async def list_messages(
    conversation_id: uuid.UUID,
    user: CurrentUser,
    session: DbSession,
    ctx: Context,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Page[MessageOut]:
    """Messages, newest first, without those I deleted for myself. Members only (404)."""
    found = await service.messages(
        session, user, conversation_id, before=_before(cursor), limit=limit
    )
    next_cursor = (
        encode_cursor([found.messages[-1].id]) if found.has_more and found.messages else None
    )
    return Page(items=[message_out(ctx, item) for item in found.messages], next_cursor=next_cursor)


@router.post(
    "/conversations/{conversation_id}/messages",
    tags=["chat"],
    status_code=status.HTTP_201_CREATED,
    responses=problems(403, 404, 422, 429),
    dependencies=[idempotent()],
)
async def send_message(
    conversation_id: uuid.UUID, body: MessageIn, user: CurrentUser, session: DbSession, ctx: Context
) -> MessageOut:
    """Send a message (1-4000 characters); stored encrypted. A resend with the same
    `client_id` answers the stored message. Too many in a short time: 429."""
    message, _members = await service.send(
        session, ctx, user, conversation_id, body.body, body.client_id
    )
    return message_out(ctx, message)


@router.post(
    "/conversations/{conversation_id}/read",
    tags=["chat"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(404, 422),
    dependencies=[idempotent()],
)
async def mark_read(
    conversation_id: uuid.UUID, body: ReadIn, user: CurrentUser, session: DbSession
) -> Response:
    """Move my read marker to `message_id` (it never moves back)."""
    await service.mark_read(session, user, conversation_id, body.message_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/messages/{message_id}",
    tags=["chat"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(404),
)
async def delete_for_me(message_id: int, user: CurrentUser, session: DbSession) -> Response:
    """Delete a message for me only: the other members still see it."""
    await service.hide(session, user, message_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
