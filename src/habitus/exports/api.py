"""JSON API: /api/v1/export/* (CSV, iCalendar, the private calendar feed) and
/api/v1/me/export (the whole account as JSON)."""

from __future__ import annotations

import uuid
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from habitus.auth.dependencies import CurrentPrincipal, CurrentUser, idempotent
from habitus.events.kinds import ExportRequested
from habitus.events.service import publish
from habitus.exports import account, service
from habitus.exports.schemas import AccountExport, CalendarFeedCreated, CalendarFeedOut
from habitus.habits.evaluation import today_of
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, COMMON_PROBLEMS, problems
from habitus.kit.validation import QueryDate
from habitus.plans.dependencies import Plans
from habitus.plans.limits import check_exports

router = APIRouter(route_class=TransactionalRoute)
TAGS: list[str | Enum] = ["export"]

FromDate = Annotated[
    QueryDate | None, Query(alias="from", description="Local date, inclusive (default: the first).")
]
ToDate = Annotated[
    QueryDate | None, Query(alias="to", description="Local date, inclusive (default: the last).")
]
HabitFilter = Annotated[uuid.UUID | None, Query(description="Only this habit.")]
CategoryFilter = Annotated[
    str | None,
    Query(max_length=60, description="Only habits of this category (empty: those without)."),
]
Kind = Annotated[
    service.CalendarKind,
    Query(
        description="`done`: one all-day event per completed day. `schedule`: each habit's "
        "schedule as recurring events."
    ),
]
NO_STORE = {"Cache-Control": "private, no-store"}

CSV_EXAMPLE = (
    "habit_id,habit_name,date,status,value,note,logged_at\r\n"
    '7b0c3f5e-2f0a-4d5e-9a51-0c9f3c2b1a11,Read,2026-11-20,done,,"30 pages, then slept",'
    "2026-11-20T21:04:11Z\r\n"
)
ICS_EXAMPLE = (
    "BEGIN:VCALENDAR\r\nPRODID:-//Habitus//Habitus 0.1.0//EN\r\nVERSION:2.0\r\n"
    "BEGIN:VEVENT\r\nUID:7b0c3f5e-2f0a-4d5e-9a51-0c9f3c2b1a11-20261120@habitus\r\n"
    "DTSTAMP:20261120T210411Z\r\nDTSTART;VALUE=DATE:20261120\r\n"
    "DTEND;VALUE=DATE:20261121\r\nSUMMARY:\u2713 Read\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _content(media_type: str, example: str, description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": description,
            "content": {media_type: {"schema": {"type": "string"}, "example": example}},
        }
    }


class CSVResponse(StreamingResponse):
    media_type = "text/csv"


class ICSResponse(StreamingResponse):
    media_type = "text/calendar"


def _attachment(filename: str, *, inline: bool = False) -> dict[str, str]:
    kind = "inline" if inline else "attachment"
    return {"Content-Disposition": f'{kind}; filename="{filename}"', **NO_STORE}


@router.get(
    "/export/entries.csv",
    tags=TAGS,
    response_class=CSVResponse,
    responses={
        **_content("text/csv", CSV_EXAMPLE, "The entries as CSV (docs/EXPORT.md)."),
        **AUTHENTICATED_PROBLEMS,
        **problems(404),
    },
)
async def entries_csv(
    request: Request,
    user: CurrentUser,
    session: DbSession,
    limits: Plans,
    first: FromDate = None,
    last: ToDate = None,
    habit_id: HabitFilter = None,
    category: CategoryFilter = None,
) -> CSVResponse:
    """Every entry from `from` to `to` (default: all of them) as CSV with the header
    `habit_id,habit_name,date,status,value,note,logged_at`, oldest first, streamed.
    A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed
    with `'` so that spreadsheets do not run it as a formula. Part of Pro when plans
    are on (403 `plan-limit`, `exports`)."""
    service.check_range(first, last)
    check_exports(user, limits)
    await service.habits_for(session, user, habit_id, archived=None)  # 404 if not hers
    # Counted with the request (product metrics), committed before the body streams.
    await publish(session, user, [ExportRequested(format="csv")])
    today = today_of(user)
    return CSVResponse(
        service.entries_csv(
            request.app.state.sessionmaker, user.id, first, last, habit_id, category
        ),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(f"habitus-entries-{today.isoformat()}.csv"),
    )


@router.get(
    "/export/calendar.ics",
    tags=TAGS,
    response_class=ICSResponse,
    responses={
        **_content("text/calendar", ICS_EXAMPLE, "An iCalendar (RFC 5545) document."),
        **AUTHENTICATED_PROBLEMS,
        **problems(404),
    },
)
async def calendar_ics(
    user: CurrentUser,
    session: DbSession,
    limits: Plans,
    kind: Kind = "done",
    habit_id: HabitFilter = None,
    first: FromDate = None,
    last: ToDate = None,
    category: CategoryFilter = None,
) -> ICSResponse:
    """Completed days as all-day events (`✓ Read`; the UID is stable per habit and date,
    so importing again updates instead of duplicating), or with `kind=schedule` the
    habits' schedules as recurring events. `from`/`to` and `category` limit the
    completed days. Part of Pro when plans are on (403 `plan-limit`, `exports`)."""
    check_exports(user, limits)
    document = await service.calendar(session, user, kind, habit_id, first, last, category)
    await publish(session, user, [ExportRequested(format="ics")])
    name = "habitus-schedules.ics" if kind == "schedule" else "habitus.ics"
    return ICSResponse(
        document.chunks(),
        media_type="text/calendar; charset=utf-8",
        headers=_attachment(name),
    )


@router.post(
    "/export/calendar-feed",
    tags=TAGS,
    status_code=status.HTTP_201_CREATED,
    responses=AUTHENTICATED_PROBLEMS,
    dependencies=[idempotent()],
)
async def create_calendar_feed(
    response: Response, user: CurrentUser, session: DbSession, ctx: Context
) -> CalendarFeedCreated:
    """Create your private calendar feed, or rotate it: a new URL, and the old one stops
    working at once. The URL is shown in this answer only (the server keeps a hash of
    its token). With an `Idempotency-Key`, a retry replays this answer (same URL)."""
    issued = await service.issue_feed(session, user)
    url = service.feed_url(ctx.settings.base_url, issued.token)
    response.headers.update(NO_STORE)
    return CalendarFeedCreated(
        id=issued.feed.id,
        created_at=issued.feed.created_at,
        rotated_at=issued.feed.rotated_at,
        url=url,
        schedule_url=url + "?kind=schedule",
    )


@router.get(
    "/export/calendar-feed", tags=TAGS, responses={**AUTHENTICATED_PROBLEMS, **problems(404)}
)
async def get_calendar_feed(user: CurrentUser, session: DbSession) -> CalendarFeedOut:
    """Whether you have a calendar feed, and since when (never its URL)."""
    return CalendarFeedOut.model_validate(await service.get_feed(session, user))


@router.delete(
    "/export/calendar-feed",
    tags=TAGS,
    status_code=status.HTTP_204_NO_CONTENT,
    responses=AUTHENTICATED_PROBLEMS,
)
async def delete_calendar_feed(user: CurrentUser, session: DbSession) -> Response:
    """Revoke the calendar feed: its URL answers 404 from now on."""
    await service.revoke_feed(session, user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/export/feed/{token}.ics",
    tags=TAGS,
    response_class=ICSResponse,
    responses={
        **_content("text/calendar", ICS_EXAMPLE, "The feed's iCalendar document."),
        **COMMON_PROBLEMS,
        **problems(404),
    },
)
async def calendar_feed(
    token: Annotated[str, Path(description="The feed's secret token (from POST).")],
    session: DbSession,
    kind: Kind = "done",
) -> ICSResponse:
    """The private calendar feed for calendar apps: no sign-in, the token in the URL is
    the credential. Unknown or revoked: 404."""
    user = await service.user_of_token(session, token)
    document = await service.calendar(session, user, kind)
    return ICSResponse(
        document.chunks(),
        media_type="text/calendar; charset=utf-8",
        headers=_attachment("habitus.ics", inline=True),
    )


class JSONDocument(StreamingResponse):
    media_type = "application/json"


@router.get(
    "/me/export",
    tags=["account"],
    response_model=AccountExport,
    responses=AUTHENTICATED_PROBLEMS,
)
async def export_me(
    request: Request, principal: CurrentPrincipal, session: DbSession
) -> JSONDocument:
    """Everything stored about the account as one JSON document (docs/EXPORT.md):
    profile and settings, sign-ins, habits with every schedule version, entries, breaks
    and the calendar feed (without its token). No secrets. Streamed: the entries follow
    the rest, read in chunks."""
    head = await account.export_head(session, principal, request.app.state.ctx.settings)
    await publish(session, principal.user, [ExportRequested(format="account")])
    today = today_of(principal.user)
    return JSONDocument(
        account.document(head, request.app.state.sessionmaker, principal.user.id),
        headers=_attachment(f"habitus-export-{today.isoformat()}.json", inline=True),
    )
