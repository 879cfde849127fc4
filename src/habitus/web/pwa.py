"""The installable app: web manifest and service worker, served from the site root.

The worker lives at `/sw.js` so its scope is the whole site. Its code is the static
file `static/sw.js`; this route puts in front of it the app shell to cache, named
by the same content-hashed URLs the pages link to, and a version made of those
hashes: a new stylesheet or script is a new worker, which drops the old caches.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from habitus.auth.pages import MaybePageUser
from habitus.http.routing import TransactionalRoute
from habitus.kit.templating import STATIC_DIR, render, static_url

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

THEME_COLOR = "#0f766e"
BACKGROUND_COLOR = "#f6f7f9"
OFFLINE_PAGE = "/offline"
# The app shell: what a page needs to draw itself with no network.
SHELL_FILES = (
    "dist/app.css",
    "js/app.js",
    "js/today.js",
    "js/offline.js",
    "vendor/htmx/htmx.min.js",
    "vendor/confetti/confetti.browser.js",
    "favicon.svg",
    "icons/icon-192.png",
    "icons/icon-512.png",
)


def manifest() -> dict[str, Any]:
    return {
        "name": "Habitus",
        "short_name": "Habitus",
        "description": "Build habits that last: today's habits, streaks and scores.",
        "id": "/today",
        "start_url": "/today",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "categories": ["productivity", "health", "lifestyle"],
        "icons": [
            {"src": static_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static_url("icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
            {"src": static_url("favicon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }


@lru_cache(maxsize=1)
def worker_source() -> str:
    """`static/sw.js` with its configuration in front (computed once per process)."""
    shell = [static_url(path) for path in SHELL_FILES]
    version = hashlib.sha256("\n".join(shell).encode()).hexdigest()[:12]
    config = {"version": version, "shell": shell, "offline": OFFLINE_PAGE}
    code = (STATIC_DIR / "sw.js").read_text(encoding="utf-8")
    return f"self.HABITUS_SW = {json.dumps(config)};\n{code}"


@router.get("/manifest.webmanifest")
async def web_manifest() -> Response:
    return JSONResponse(
        manifest(),
        media_type="application/manifest+json",
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/sw.js")
async def service_worker() -> Response:
    return Response(
        worker_source(),
        media_type="text/javascript",
        # Browsers check for a new worker on navigation; never let a cache hide one.
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@router.get(OFFLINE_PAGE, response_class=HTMLResponse)
async def offline_page(request: Request, _principal: MaybePageUser) -> Response:
    """What the worker shows for a page it has no copy of while the network is down."""
    return render(request, "today/offline.html")
