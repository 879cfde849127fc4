"""Static files: pre-compressed copies and cache headers.

`scripts/build-assets.mjs` writes `<file>.br` and `<file>.gz` next to each script and
stylesheet. This handler answers with the smallest copy the browser accepts, only while
that copy is at least as new as the file (a file edited after the build is served as is,
never an old compressed one), and says so (`Content-Encoding`, `Vary: Accept-Encoding`).

Pages link static files as `/static/<path>?v=<content hash>` (kit.templating.static_url):
such a URL never changes content, so browsers may keep it for a year without asking
again. A URL without the version (a hand-typed one, or an old page) must be revalidated.
"""

from __future__ import annotations

import mimetypes
import os
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Best first: brotli is ~15% smaller than gzip on our scripts.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
COMPRESSIBLE = frozenset({".js", ".css", ".html", ".svg", ".json", ".map", ".txt"})


def accepted_encodings(header: str) -> set[str]:
    """Codings the browser accepts (`q=0` means refused), e.g. {"br", "gzip"}."""
    accepted = set()
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        quality = params.strip().removeprefix("q=") if params.strip().startswith("q=") else "1"
        try:
            refused = float(quality) == 0
        except ValueError:
            refused = False
        if name and not refused:
            accepted.add(name.strip().lower())
    return accepted


class CompressedStaticFiles(StaticFiles):
    """StaticFiles that serves `.br`/`.gz` copies and sets `Cache-Control`."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        path = os.fspath(full_path)
        request_headers = Headers(scope=scope)
        headers = {"Cache-Control": _cache_control(scope)}
        served_path, served_stat = path, stat_result
        if os.path.splitext(path)[1] in COMPRESSIBLE:
            headers["Vary"] = "Accept-Encoding"
            accepted = accepted_encodings(request_headers.get("accept-encoding", ""))
            for coding, suffix in ENCODINGS:
                copy = _fresh_copy(path + suffix, stat_result) if coding in accepted else None
                if copy is not None:
                    served_path, served_stat = path + suffix, copy
                    headers["Content-Encoding"] = coding
                    break
        media_type, _ = mimetypes.guess_type(path)
        response = FileResponse(
            served_path,
            status_code=status_code,
            stat_result=served_stat,
            headers=headers,
            media_type=media_type or "application/octet-stream",
        )
        if self.is_not_modified(response.headers, request_headers):
            return _not_modified(response)
        return response


def _fresh_copy(path: str, original: os.stat_result) -> os.stat_result | None:
    try:
        copy = os.stat(path)
    except OSError:
        return None
    return copy if copy.st_mtime >= original.st_mtime else None


def _cache_control(scope: Scope) -> str:
    query: bytes = scope.get("query_string", b"")
    versioned = any(part.startswith(b"v=") and len(part) > 2 for part in query.split(b"&"))
    return IMMUTABLE if versioned else REVALIDATE


def _not_modified(response: Response) -> Response:
    # A 304 repeats the validators and caching headers of the 200 it stands for.
    keep = ("cache-control", "content-location", "date", "etag", "expires", "vary")
    headers: dict[str, Any] = {k: v for k, v in response.headers.items() if k in keep}
    return Response(status_code=304, headers=headers)
