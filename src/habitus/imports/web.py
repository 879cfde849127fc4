"""Import from the web app (issue 13): Settings → Your data → Import.

A plain multipart form post, answered with a result page (works without JavaScript);
`static/js/account.js` sends the same form with XMLHttpRequest to show the upload's
progress and puts the page's result section into Settings. The file goes through
exactly what POST /api/v1/import does: the same size limit (counted as the body
arrives), the same parse-time budget, the same service, so the same file twice imports
nothing and a double submit cannot import twice (the second is "already imported" or
"being imported right now"). CSRF is checked after the body is read within its limit,
and each import counts against the user's API rate limit, as an API import does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from habitus import db
from habitus.auth.pages import MaybePageUser, PageUser
from habitus.errors import AppError, PayloadTooLarge, TooManyRequests, ValidationFailed
from habitus.http.dependencies import Context, client_address
from habitus.http.routing import TransactionalRoute
from habitus.imports import api, service
from habitus.imports.destination import Destination
from habitus.kit import csrf
from habitus.kit.templating import render

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

PATH = "/settings/import"
# The choices of the form's "File type", in the words of the apps that make the files.
FORMAT_WORDS: dict[str, str] = {
    "loop_db": "Loop Habit Tracker backup (.db)",
    "loop_csv": "Loop Habit Tracker CSV export (.zip)",
    "habitbull_csv": "HabitBull CSV (.csv)",
    "habitus_json": "Habitus export (.json)",
}
ACCEPTED_FILES = ".db,.zip,.csv,.json"


def size_words(limit: int) -> str:
    """ "20 MB": how the page states the import limit."""
    megabytes = limit / (1024 * 1024)
    if megabytes >= 1:
        return f"{megabytes:g} MB"
    return f"{limit // 1024} KB"


def form_context(ctx_limit: int) -> dict[str, object]:
    """What the Settings page's import form shows."""
    return {
        "import_formats": list(FORMAT_WORDS.items()),
        "import_accept": ACCEPTED_FILES,
        "import_max_bytes": ctx_limit,
        "import_limit_words": size_words(ctx_limit),
    }


@dataclass(slots=True)
class Outcome:
    """The result page's words: a headline, the counts, and the notes of the report."""

    ok: bool
    headline: str
    counts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def _success(result: service.ImportResult) -> Outcome:
    what = FORMAT_WORDS.get(result.format, result.format)
    if result.already_imported:
        return Outcome(
            ok=True,
            headline=f"Nothing new: this file was imported before ({what}).",
            notes=result.report,
        )
    return Outcome(
        ok=True,
        headline=f"Imported your {what}.",
        counts=[
            _plural(result.habits_created, "new habit", "new habits"),
            f"{_plural(result.entries_created, 'day', 'days')} of history added",
            *(
                [f"{_plural(result.entries_skipped, 'day', 'days')} skipped (see below)"]
                if result.entries_skipped
                else []
            ),
        ],
        notes=result.report,
    )


# The API's words for its own fields, said to a person using the form.
_PLAIN: dict[tuple[str, str], str] = {
    ("file", "required"): "Choose a file to import.",
    ("file", "not_empty"): "The file is empty: choose the file your app exported.",
    (
        "file",
        "multipart",
    ): "The file did not arrive as a form upload; reload the page and try again.",
    ("format", "required"): (
        "Habitus could not tell what kind of file this is: choose it under “File type”."
    ),
    ("format", "one_of"): "Choose a file type from the list.",
}


def _failure(error: AppError, limit: int) -> Outcome:
    if isinstance(error, PayloadTooLarge):
        return Outcome(
            ok=False,
            headline=f"The file is larger than the import limit of {size_words(limit)}.",
        )
    if isinstance(error, ValidationFailed) and error.errors:
        notes = []
        for problem in error.errors:
            plain = _PLAIN.get((problem.field, problem.rule))
            notes.append(plain or f"The file could not be imported: {problem.message}.")
        return Outcome(ok=False, headline=notes[0], notes=notes[1:])
    return Outcome(ok=False, headline=error.message)


async def _rate_limited(request: Request, user_id: uuid.UUID, ctx: Context) -> None:
    """The limits an API import meets: the user's (API requests) and the address's."""
    settings = ctx.settings
    if not settings.rate_limit_enabled:
        return
    for key, rate in (
        (f"user:{user_id}", settings.rate_limit_user),
        (f"ip:{client_address(request)}", settings.rate_limit_ip),
    ):
        decision = await ctx.limiter.hit(key, rate)
        if not decision.allowed:
            raise TooManyRequests(decision.retry_after)


def _page(
    request: Request, outcome: Outcome, status_code: int, headers: dict[str, str] | None = None
) -> Response:
    return render(
        request,
        "account/import_result.html",
        {"outcome": outcome},
        status_code=status_code,
        headers=headers,
    )


@router.post(PATH, response_class=HTMLResponse)
@db.prepares_before_writing
async def import_upload(
    request: Request, user: PageUser, _principal: MaybePageUser, ctx: Context
) -> Response:
    limit = ctx.settings.import_max_bytes
    try:
        # The body first, counted within the limit; then the form's CSRF token, read
        # from that body (a forged post is refused before the file is looked at).
        await api.read_body(request, limit)
        await csrf.verified_form(request)
        await _rate_limited(request, user.id, ctx)
        data, fmt = await api.read_upload(request, limit)
        destination = Destination(request.app.state.sessionmaker, request.app.state.writer_queue)
        result = await service.import_file(
            destination,
            user.id,
            data=data,
            fmt=fmt,
            parse_seconds=ctx.settings.import_parse_seconds,
        )
    except AppError as error:
        if error.status_code in (401, 403):
            raise  # signed out, or a forged post: answered as everywhere else
        return _page(request, _failure(error, limit), error.status_code, error.headers)
    return _page(request, _success(result), 200)
