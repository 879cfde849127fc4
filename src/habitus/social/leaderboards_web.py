"""The challenge page's leaderboard (D12.4), as a fragment the page loads with htmx
(templates/social/_leaderboard.html), or as a page of its own without JavaScript. Who
may see it is decided as for the API: 404 unless a member (or one who left) or invited,
and for a blocked user."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from habitus.auth.pages import PageUser
from habitus.http.dependencies import DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit.templating import render
from habitus.social import access, challenges, leaderboards

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)


def percent(rate: float | None) -> str:
    return "no days yet" if rate is None else f"{round(rate * 100)}%"


@router.get("/challenges/{challenge_id}/board", response_class=HTMLResponse)
async def board(
    request: Request, challenge_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    challenge = await challenges.visible_challenge(session, user, challenge_id)
    hidden = await access.hidden_from(session, user.id)
    lines = [
        line
        for line in await leaderboards.challenge_board(session, challenge)
        if line.user_id not in hidden
    ]
    mine = next((line for line in lines if line.user_id == user.id), None)
    context = {
        "challenge": challenge,
        "lines": lines,
        "mine": mine,
        "total": len(lines),
        "percent": percent,
    }
    fragment = request.headers.get("HX-Request") == "true"
    template = "social/_leaderboard_rows.html" if fragment else "social/leaderboard.html"
    return render(request, template, context)
