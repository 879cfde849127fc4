"""Home, and the API documentation pages served from our own static files."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from habitus.auth.pages import MaybePageUser
from habitus.http.routing import TransactionalRoute
from habitus.kit.templating import render

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, principal: MaybePageUser) -> Response:
    # Signed in, the app starts on Today; signed out, on the welcome page.
    if principal is not None and principal.via == "cookie":
        return RedirectResponse("/today", status_code=303)
    return render(request, "pages/home.html")


@router.get("/docs", response_class=HTMLResponse)
async def swagger_ui(request: Request) -> Response:
    return render(request, "pages/swagger.html")


@router.get("/redoc", response_class=HTMLResponse)
async def redoc(request: Request) -> Response:
    return render(request, "pages/redoc.html")
