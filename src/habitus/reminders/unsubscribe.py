"""The one-click unsubscribe link of every email (RFC 8058): `GET` shows a page with a
button, `POST` (the button, or the mail provider's one-click request) turns the email
channel off. The signed channel id in the URL is the credential, so no sign-in and no
CSRF token is needed (a mail provider posts it from its own servers)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from habitus.http.dependencies import DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit.templating import render
from habitus.models import Channel
from habitus.reminders import service

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe_page(request: Request, token: str, session: DbSession) -> Response:
    channel = await service.unsubscribe_channel(
        session, request.app.state.settings, token, turn_off=False
    )
    return _page(request, token, channel, done=False)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
async def unsubscribe(request: Request, token: str, session: DbSession) -> Response:
    channel = await service.unsubscribe_channel(
        session, request.app.state.settings, token, turn_off=True
    )
    return _page(request, token, channel, done=channel is not None)


def _page(request: Request, token: str, channel: Channel | None, *, done: bool) -> Response:
    address = channel.config.get("address") if channel is not None else None
    return render(
        request,
        "notify/unsubscribe.html",
        {"token": token, "address": address, "done": done},
        status_code=200 if address else 404,
    )
