"""JSON API of API.md "Reminders, channels and notifications": /channels, habit
reminders, /reminders, /notifications, the user-wide notification settings and the
admin's delivery ledger."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from habitus.auth.dependencies import AdminUser, CurrentUser, idempotent
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit.pagination import Page, Pagination, page_of, time_id_key
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, problems, rounded_ratio
from habitus.reminders import queries, repository, service
from habitus.reminders.presenters import channel_out, delivery_out, notification_out, reminder_out
from habitus.reminders.schemas import (
    ChannelCreate,
    ChannelCreated,
    ChannelFigures,
    ChannelOut,
    ChannelUpdate,
    DeliveryOut,
    DeliveryOverview,
    NotificationOut,
    NotificationSettings,
    ReminderCreate,
    ReminderOut,
    ReminderUpdate,
)
from habitus.reminders.vapid import load_or_create_vapid

router = APIRouter(route_class=TransactionalRoute, responses=AUTHENTICATED_PROBLEMS)
NO_CONTENT = status.HTTP_204_NO_CONTENT


# --- channels -------------------------------------------------------------------------------


@router.post(
    "/channels",
    tags=["notifications"],
    status_code=status.HTTP_201_CREATED,
    dependencies=[idempotent()],
)
async def create_channel(
    body: ChannelCreate, user: CurrentUser, session: DbSession, ctx: Context
) -> ChannelCreated:
    """A place notifications go. A webhook's signing secret is generated when absent and
    shown in this answer only. Webhook and Apprise targets on private addresses are
    refused unless the server allows them."""
    channel = await service.create_channel(session, user, body, ctx.settings)
    return ChannelCreated(**channel_out(channel).model_dump(), secret=channel.secret)


@router.get("/channels", tags=["notifications"])
async def list_channels(user: CurrentUser, session: DbSession) -> Page[ChannelOut]:
    rows = await repository.channels_of(session, user.id)
    return Page(items=[channel_out(row) for row in rows], next_cursor=None)


@router.patch("/channels/{channel_id}", tags=["notifications"], responses=problems(404))
async def update_channel(
    channel_id: uuid.UUID,
    body: ChannelUpdate,
    user: CurrentUser,
    session: DbSession,
    ctx: Context,
) -> ChannelOut:
    """Rename, reconfigure, or turn a channel on or off (turning it on clears the reason
    it was turned off)."""
    return channel_out(await service.update_channel(session, user, channel_id, body, ctx.settings))


@router.delete(
    "/channels/{channel_id}",
    tags=["notifications"],
    status_code=NO_CONTENT,
    responses=problems(404),
)
async def delete_channel(channel_id: uuid.UUID, user: CurrentUser, session: DbSession) -> Response:
    await service.delete_channel(session, user, channel_id)
    return Response(status_code=NO_CONTENT)


@router.post(
    "/channels/{channel_id}/test",
    tags=["notifications"],
    status_code=status.HTTP_202_ACCEPTED,
    responses=problems(404),
    dependencies=[idempotent()],
)
async def test_channel(
    channel_id: uuid.UUID, user: CurrentUser, session: DbSession
) -> dict[str, uuid.UUID]:
    """A test message, delivered through the ledger like any other (retried, recorded)."""
    return {"delivery_id": await service.test_channel(session, user, channel_id)}


@router.get("/push/public-key", tags=["notifications"])
async def push_public_key(_user: CurrentUser, ctx: Context) -> dict[str, str]:
    """The server's VAPID public key (base64url), the `applicationServerKey` a browser
    subscribes with before adding a `webpush` channel."""
    return {"public_key": load_or_create_vapid(ctx.settings.data_dir).public_key_b64}


# --- reminders ------------------------------------------------------------------------------


@router.post(
    "/habits/{habit_id}/reminders",
    tags=["reminders"],
    status_code=status.HTTP_201_CREATED,
    dependencies=[idempotent()],
    responses=problems(404),
)
async def create_reminder(
    habit_id: uuid.UUID, body: ReminderCreate, user: CurrentUser, session: DbSession
) -> ReminderOut:
    """A reminder at a local time (D9.1) on the habit's required days or the weekdays
    given; with `only_if_pending` (default) nothing is sent once the day is done or not
    required (D9.3). `next_fire_at` is the next instant, in UTC (D9.2)."""
    return reminder_out(await service.create_reminder(session, user, habit_id, body))


@router.get("/habits/{habit_id}/reminders", tags=["reminders"], responses=problems(404))
async def list_reminders(
    habit_id: uuid.UUID, user: CurrentUser, session: DbSession
) -> dict[str, list[ReminderOut]]:
    rows = await service.habit_reminders(session, user, habit_id)
    return {"items": [reminder_out(row) for row in rows]}


@router.patch("/reminders/{reminder_id}", tags=["reminders"], responses=problems(404))
async def update_reminder(
    reminder_id: uuid.UUID, body: ReminderUpdate, user: CurrentUser, session: DbSession
) -> ReminderOut:
    return reminder_out(await service.update_reminder(session, user, reminder_id, body))


@router.delete(
    "/reminders/{reminder_id}",
    tags=["reminders"],
    status_code=NO_CONTENT,
    responses=problems(404),
)
async def delete_reminder(
    reminder_id: uuid.UUID, user: CurrentUser, session: DbSession
) -> Response:
    await service.delete_reminder(session, user, reminder_id)
    return Response(status_code=NO_CONTENT)


@router.get("/me/notification-settings", tags=["notifications"])
async def get_notification_settings(user: CurrentUser, session: DbSession) -> NotificationSettings:
    """The opt-in streak-at-risk nudge, daily digest and weekly summary, and quiet
    hours."""
    return await queries.notification_settings(session, user)


@router.put("/me/notification-settings", tags=["notifications"])
async def put_notification_settings(
    body: NotificationSettings, user: CurrentUser, session: DbSession
) -> NotificationSettings:
    return await service.set_notification_settings(session, user, body)


# --- the inbox --------------------------------------------------------------------------------


@router.get("/notifications", tags=["notifications"])
async def list_notifications(
    user: CurrentUser,
    session: DbSession,
    page: Pagination,
    response: Response,
    unread: Annotated[bool, Query(description="Only unread ones.")] = False,
) -> Page[NotificationOut]:
    """Newest first. The `X-Unread-Count` header carries the unread count."""
    rows = await service.inbox(session, user, unread=unread, after=page.after, limit=page.limit)
    result = page_of(rows, page.limit, lambda row: time_id_key(row.created_at, row.id))
    response.headers["X-Unread-Count"] = str(await queries.unread_count(session, user))
    return Page(
        items=[notification_out(row) for row in result.items], next_cursor=result.next_cursor
    )


@router.get("/notifications/unread-count", tags=["notifications"])
async def unread_count(user: CurrentUser, session: DbSession) -> dict[str, int]:
    return {"unread": await queries.unread_count(session, user)}


@router.post(
    "/notifications/read-all",
    tags=["notifications"],
    status_code=NO_CONTENT,
    dependencies=[idempotent()],
)
async def read_all(user: CurrentUser, session: DbSession) -> Response:
    await service.mark_all_read(session, user)
    return Response(status_code=NO_CONTENT)


@router.post(
    "/notifications/{notification_id}/read",
    tags=["notifications"],
    status_code=NO_CONTENT,
    responses=problems(404),
    dependencies=[idempotent()],
)
async def read_one(notification_id: uuid.UUID, user: CurrentUser, session: DbSession) -> Response:
    await service.mark_read(session, user, notification_id)
    return Response(status_code=NO_CONTENT)


# --- admin: the ledger ------------------------------------------------------------------------


@router.get("/admin/deliveries", tags=["admin"])
async def list_deliveries(
    _admin: AdminUser,
    session: DbSession,
    page: Pagination,
    state: Annotated[
        Literal["pending", "sending", "sent", "failed", "dead"] | None,
        Query(description="Only this state (`dead`: the dead-letter list)."),
    ] = None,
) -> Page[DeliveryOut]:
    rows = await service.deliveries(session, state, page.after, page.limit)
    result = page_of(rows, page.limit, lambda row: time_id_key(row.created_at, row.id))
    return Page(items=[delivery_out(row) for row in result.items], next_cursor=result.next_cursor)


@router.get("/admin/deliveries/overview", tags=["admin"])
async def deliveries_overview(_admin: AdminUser, session: DbSession) -> DeliveryOverview:
    """Deliveries by state, and per channel type the success rate of attempts and the
    mean lateness (sent minus due) of sent deliveries."""
    states, figures = await service.delivery_overview(session)
    return DeliveryOverview(
        states=states,
        channels=[
            ChannelFigures(
                type=figure.type,
                attempts=figure.attempts,
                succeeded=figure.succeeded,
                success_rate=rounded_ratio(figure.success_rate),
                mean_lateness_seconds=None
                if figure.mean_lateness is None
                else round(figure.mean_lateness, 3),
            )
            for figure in figures
        ],
    )


@router.post(
    "/admin/deliveries/{delivery_id}/retry",
    tags=["admin"],
    status_code=status.HTTP_202_ACCEPTED,
    responses=problems(404),
    dependencies=[idempotent()],
)
async def retry_delivery(
    delivery_id: uuid.UUID, _admin: AdminUser, session: DbSession
) -> dict[str, int]:
    """Replay a dead (or failed) delivery now, its attempts counted afresh."""
    return {"replayed": await service.replay(session, delivery_id)}


@router.post(
    "/admin/deliveries/retry-dead",
    tags=["admin"],
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[idempotent()],
)
async def retry_dead(_admin: AdminUser, session: DbSession) -> dict[str, int]:
    """Replay every dead delivery."""
    return {"replayed": await service.replay(session, None)}
