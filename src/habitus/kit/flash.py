"""One-shot messages carried across a redirect in a signed cookie ("Invite created")."""

from __future__ import annotations

from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from habitus.kit import signing

COOKIE = "habitus_flash"
_PURPOSE = "flash"
Kind = Literal["info", "success", "error"]


def _key(request: Request) -> str:
    key: str = request.app.state.settings.signing_key
    return key


def show(
    response: Response,
    request: Request,
    text: str,
    kind: Kind = "info",
    extra: dict[str, str] | None = None,
) -> None:
    """Show `text` on the next page this browser renders; `extra` carries values that
    page shows once (a new invite link)."""
    response.set_cookie(
        COOKIE,
        signing.pack(_key(request), _PURPOSE, {"kind": kind, "text": text, "extra": extra or {}}),
        max_age=300,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.https,
        path="/",
    )


def redirect(request: Request, path: str, text: str, kind: Kind = "success") -> Response:
    """A form's answer: back to `path` (303), showing `text` there."""
    response = RedirectResponse(path, status_code=303)
    show(response, request, text, kind)
    return response


def pop(request: Request) -> dict[str, Any] | None:
    """The pending message, if any; the response clears it (see `clear_if_shown`)."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    request.state.flash_consumed = True
    data = signing.unpack(_key(request), _PURPOSE, raw)
    if data is None:
        return None
    extra = data.get("extra")
    return {
        "kind": str(data.get("kind", "info")),
        "text": str(data.get("text", "")),
        "extra": {str(k): str(v) for k, v in extra.items()} if isinstance(extra, dict) else {},
    }


def clear_if_shown(request: Request, response: Response) -> None:
    if getattr(request.state, "flash_consumed", False) and COOKIE not in _cookies_set(response):
        response.delete_cookie(COOKIE, path="/")


def _cookies_set(response: Response) -> set[str]:
    names = set()
    for name, value in response.raw_headers:
        if name == b"set-cookie":
            names.add(value.split(b"=", 1)[0].decode())
    return names
