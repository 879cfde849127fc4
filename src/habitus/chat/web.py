"""Chat pages (issue 16): /chat (my conversations, start one with a friend) and
/chat/{id} (history newest first, paged by cursor, and a send form).

Every form is a plain POST checked for CSRF and answered with a redirect, so the pages
work without JavaScript; static/js/chat.js adds the live WebSocket on top. Bodies are
rendered by Jinja's autoescape, never marked safe. The rules live in `service`.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.auth.pages import CsrfChecked, PageUser
from habitus.chat import service
from habitus.chat.api import message_out
from habitus.errors import AppError, ValidationFailed
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import flash
from habitus.kit.pagination import decode_cursor, encode_cursor
from habitus.kit.templating import render
from habitus.models import User
from habitus.social import friends
from habitus.social.profiles import handles_of, name_of

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

CHAT_PAGE = "/chat"
PAGE_SIZE = 30


async def unread_extra(session: AsyncSession, user: User) -> dict[str, Any]:
    """The header's chat badge (a page extra, registered in `habitus.wiring`)."""
    return {"chat_unread": await service.unread_total(session, user)}


@router.get(CHAT_PAGE, response_class=HTMLResponse)
async def chat_page(request: Request, user: PageUser, session: DbSession, ctx: Context) -> Response:
    """My conversations (unread count, last message) and my friends to start one with."""
    found = await service.summaries(session, user)
    previews = {
        item.id: service.body_of(ctx, item.last_message) for item in found if item.last_message
    }
    return render(
        request,
        "chat/index.html",
        {
            "conversations": found,
            "previews": previews,
            "friends": await friends.friends_of(session, user.id),
        },
    )


@router.post(f"{CHAT_PAGE}/start", dependencies=[CsrfChecked])
async def start(request: Request, user: PageUser, session: DbSession) -> Response:
    """Open (or reopen) the direct conversation with the chosen friend."""
    raw = str((await request.form()).get("friend_id", ""))
    try:
        friend_id = uuid.UUID(raw)
    except ValueError:
        return flash.redirect(request, CHAT_PAGE, "Choose a friend to write to.", "error")
    found, _created = await service.open_direct(session, user, friend_id)  # 404: no friend
    return RedirectResponse(f"{CHAT_PAGE}/{found.id}", status_code=303)


def _before(cursor: str | None) -> int | None:
    """The page's `before` cursor; one this server did not issue starts from the newest."""
    if not cursor:
        return None
    try:
        value = decode_cursor(cursor)
    except AppError:
        return None
    if len(value) != 1 or not isinstance(value[0], int) or isinstance(value[0], bool):
        return None
    return value[0]


async def _names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    handles = await handles_of(session, ids)
    names: dict[uuid.UUID, str] = {}
    for user_id in ids:
        person = await session.get(User, user_id)
        names[user_id] = name_of(person, handles.get(user_id)) if person else "Someone"
    return names


async def _mark_seen(
    request: Request, user_id: uuid.UUID, conversation_id: uuid.UUID, message_id: int
) -> None:
    """The read marker, set on view: a GET holds no writer turn, so it is written in a
    short transaction of its own."""
    state = request.app.state
    async with db.write_transaction(state.sessionmaker, state.writer_queue) as writing:
        reader = await writing.get(User, user_id)
        if reader is not None:
            await service.mark_read(writing, reader, conversation_id, message_id)


@router.get(f"{CHAT_PAGE}/{{conversation_id}}", response_class=HTMLResponse)
async def conversation_page(
    request: Request,
    conversation_id: uuid.UUID,
    user: PageUser,
    session: DbSession,
    ctx: Context,
    cursor: str | None = None,
) -> Response:
    """History newest first, `cursor` pages to earlier messages. Members only (404)."""
    found = await service.access(session, user.id, conversation_id)
    page = await service.messages(
        session, user, conversation_id, before=_before(cursor), limit=PAGE_SIZE
    )
    items = [message_out(ctx, message) for message in page.messages]
    names = await _names(session, {item.sender_id for item in items} | set(found.member_ids))
    title = found.title or next(
        (names[member] for member in found.member_ids if member != user.id), "Conversation"
    )
    if items and cursor is None:
        await _mark_seen(request, user.id, found.id, items[0].id)
    earlier = encode_cursor([items[-1].id]) if page.has_more and items else None
    return render(
        request,
        "chat/conversation.html",
        {
            "conversation_id": found.id,
            "kind": found.kind,
            "title": title,
            "messages": items,
            "names": {str(key): value for key, value in names.items()},
            "me": str(user.id),
            "earlier": earlier,
            "paged": cursor is not None,
            "max_body": service.MAX_BODY,
        },
    )


@router.post(f"{CHAT_PAGE}/{{conversation_id}}/send", dependencies=[CsrfChecked])
async def send(
    request: Request, conversation_id: uuid.UUID, user: PageUser, session: DbSession, ctx: Context
) -> Response:
    """The form's send (no JavaScript): stored, then back to the conversation."""
    form = await request.form()
    body = str(form.get("body", ""))
    client_id = str(form.get("client_id", "")) or None
    here = f"{CHAT_PAGE}/{conversation_id}"
    try:
        await service.send(session, ctx, user, conversation_id, body, client_id)
    except ValidationFailed as failed:
        return flash.redirect(request, here, failed.message, "error")
    return RedirectResponse(here, status_code=303)


@router.post(
    f"{CHAT_PAGE}/{{conversation_id}}/messages/{{message_id}}/delete", dependencies=[CsrfChecked]
)
async def delete_for_me(
    request: Request,
    conversation_id: uuid.UUID,
    message_id: int,
    user: PageUser,
    session: DbSession,
) -> Response:
    """Delete for me: the others still see it."""
    await service.hide(session, user, message_id)
    return flash.redirect(request, f"{CHAT_PAGE}/{conversation_id}", "Message deleted for you.")
