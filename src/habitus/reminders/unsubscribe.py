"""The one-click unsubscribe link of every email (RFC 8058): `GET` shows a page with a
button, `POST` (the button, or the mail provider's one-click request) turns the email
channel off. The signed channel id in the URL is the credential, so no sign-in and no
CSRF token is needed (a mail provider posts it from its own servers)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from habitus.auth.dependencies import DbSession
from habitus.kit.routing import TransactionalRoute
from habitus.kit.templating import render
from habitus.reminders import repository, service
from habitus.reminders.dispatcher import channel_of_unsubscribe

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe_page(request: Request, token: str, session: DbSession) -> Response:
    channel_id = channel_of_unsubscribe(request.app.state.settings, token)
    channel = await repository.channel_by_id(session, channel_id) if channel_id else None
    address = channel.config.get("address") if channel is not None else None
    return render(
        request,
        "notify/unsubscribe.html",
        {"token": token, "address": address, "done": False},
        status_code=200 if address else 404,
    )


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe(request: Request, token: str, session: DbSession) -> Response:
    channel_id = channel_of_unsubscribe(request.app.state.settings, token)
    channel = await service.unsubscribe(session, channel_id) if channel_id else None
    address = channel.config.get("address") if channel is not None else None
    return render(
        request,
        "notify/unsubscribe.html",
        {"token": token, "address": address, "done": channel is not None},
        status_code=200 if channel is not None else 404,
    )
