"""Reminder pages: the inbox, Settings → Notifications, a habit's reminders and the
admin's view of the delivery ledger. Thin: every rule lives in reminders.service."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from habitus.auth.pages import CsrfChecked, Form, PageAdmin, PageUser
from habitus.core.time import WEEKDAYS, Weekday
from habitus.errors import ValidationFailed
from habitus.habits import queries as habit_queries
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit import flash
from habitus.kit.forms import form_errors
from habitus.kit.templating import WEEKDAY_WORDS, render
from habitus.models import Channel, User
from habitus.reminders import inbox, queries, repository, service
from habitus.reminders.channel_types import CHANNEL_TYPES
from habitus.reminders.schemas import (
    ChannelCreate,
    ChannelUpdate,
    NotificationSettings,
    ReminderCreate,
)

router = APIRouter(route_class=TransactionalRoute, include_in_schema=False)

INBOX_SIZE = 100
DELIVERIES_SHOWN = 50
NONE_YET = "\N{EN DASH}"
NOTIFICATIONS_PAGE = "/settings/notifications"
DAY_NAMES = WEEKDAY_WORDS
# The channel types the page offers, in order, with the label of each and the config key
# the one typed "target" goes to (`channel_types`; web push is added from the browser
# itself, not typed).
FORM_CHANNEL_TYPES = {
    name: (kind.form.label, kind.form.key)
    for name, kind in CHANNEL_TYPES.items()
    if kind.form.key is not None
}
# Where each form's errors go, by the API's field names (`kit.forms`).
_CHANNEL_FIELDS = {
    "type": "channel_type",
    "name": "channel_name",
    "config": "channel_target",
    "config.": "channel_target",
}
_NUDGE_FIELDS = {
    "streak_at_risk.time": "streak_time",
    "daily_digest.time": "digest_time",
    "weekly_summary.time": "weekly_time",
    "weekly_summary.day": "weekly_day",
    "quiet_start": "quiet_start",
    "quiet_end": "quiet_end",
}
_REMINDER_FIELDS = {"time": "time", "days": "days"}


def _redirect(request: Request, to: str, text: str, kind: flash.Kind = "success") -> Response:
    response = RedirectResponse(to, status_code=303)
    flash.show(response, request, text, kind)
    return response


def _days_in_words(days: list[Weekday] | None) -> str:
    if days is None:
        return "the habit's days"
    if len(days) == len(WEEKDAYS):
        return "every day"
    return ", ".join(DAY_NAMES[day][:3] for day in days)


# --- the inbox --------------------------------------------------------------------------------


@router.get("/inbox", response_class=HTMLResponse)
async def inbox_page(request: Request, user: PageUser, session: DbSession) -> Response:
    rows = await service.inbox(session, user, unread=False, after=None, limit=INBOX_SIZE)
    return render(
        request,
        "reminders/inbox.html",
        {
            "items": await inbox.items(session, user, rows[:INBOX_SIZE]),
            "more": len(rows) > INBOX_SIZE,
            "unread": sum(1 for row in rows[:INBOX_SIZE] if row.read_at is None),
        },
    )


@router.post("/inbox/read-all", dependencies=[CsrfChecked])
async def mark_all_read(request: Request, user: PageUser, session: DbSession) -> Response:
    changed = await service.mark_all_read(session, user)
    text = "Nothing was unread." if changed == 0 else "All caught up: everything is read."
    return _redirect(request, "/inbox", text, "info" if changed == 0 else "success")


@router.post("/inbox/{notification_id}/read", dependencies=[CsrfChecked])
async def mark_read(notification_id: uuid.UUID, user: PageUser, session: DbSession) -> Response:
    await service.mark_read(session, user, notification_id)  # 404 when not hers
    return RedirectResponse("/inbox", status_code=303)


@router.post("/inbox/{notification_id}/done", dependencies=[CsrfChecked])
async def check_in_from_inbox(
    request: Request, notification_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    """The item's habit done for today (404 when the item or habit is not hers)."""
    name = await inbox.check_in(session, user, notification_id)
    return _redirect(request, f"/inbox#notification-{notification_id}", f"{name}: done for today.")


# --- Settings → Notifications ---------------------------------------------------------------


def _channel_item(channel: Channel) -> dict[str, Any]:
    config = channel.config or {}
    kind = CHANNEL_TYPES.get(channel.type)
    # The target as typed (a URL, an address); a browser's push endpoint is not shown.
    key = kind.form.key if kind is not None else None
    return {
        "id": channel.id,
        "name": channel.name,
        "type": channel.type,
        "target": (config.get(key) if key else None) or "",
        "enabled": channel.enabled,
        "achievements": channel.achievements,
        "social": channel.social,
        "disabled_reason": channel.disabled_reason,
    }


def _settings_values(current: NotificationSettings) -> dict[str, Any]:
    return {
        "streak_enabled": current.streak_at_risk.enabled,
        "streak_time": current.streak_at_risk.time,
        "digest_enabled": current.daily_digest.enabled,
        "digest_time": current.daily_digest.time,
        "weekly_enabled": current.weekly_summary.enabled,
        "weekly_time": current.weekly_summary.time,
        "weekly_day": current.weekly_summary.day,
        "quiet_start": current.quiet_start or "",
        "quiet_end": current.quiet_end or "",
    }


async def _notifications_page(
    request: Request,
    session: DbSession,
    user: User,
    *,
    channel_values: dict[str, str] | None = None,
    nudge_values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    channels = await repository.channels_of(session, user.id)
    if nudge_values is None:
        nudge_values = _settings_values(await queries.notification_settings(session, user))
    context = {
        "channels": [_channel_item(channel) for channel in channels],
        "channel_types": FORM_CHANNEL_TYPES,
        "channel_values": channel_values or {"type": "webhook", "name": "", "target": ""},
        "nudges": nudge_values,
        "day_names": DAY_NAMES,
        "errors": errors or {},
    }
    return render(request, "reminders/notifications.html", context, status_code=status_code)


@router.get(NOTIFICATIONS_PAGE, response_class=HTMLResponse)
async def notifications_page(request: Request, user: PageUser, session: DbSession) -> Response:
    return await _notifications_page(request, session, user)


@router.post(f"{NOTIFICATIONS_PAGE}/channels", response_class=HTMLResponse)
async def add_channel(
    request: Request, user: PageUser, form: Form, session: DbSession, ctx: Context
) -> Response:
    values = {name: form.get(name, "").strip() for name in ("type", "name", "target")}
    errors: dict[str, str] = {}
    kind = values["type"]
    if kind not in FORM_CHANNEL_TYPES:
        errors["channel_type"] = "choose a webhook, an Apprise URL or an email address"
    else:
        try:
            body = ChannelCreate.model_validate(
                {
                    "type": kind,
                    "name": values["name"] or None,
                    "config": {FORM_CHANNEL_TYPES[kind][1]: values["target"]},
                }
            )
            channel = await service.create_channel(session, user, body, ctx.settings)
        except (ValidationError, ValidationFailed) as error:
            errors = form_errors(error, _CHANNEL_FIELDS)
        else:
            response = RedirectResponse(NOTIFICATIONS_PAGE, status_code=303)
            if channel.secret is not None:
                flash.show(
                    response,
                    request,
                    f"Added {channel.name}. Copy its signing secret now: it is shown only once.",
                    "success",
                    extra={"secret": channel.secret, "secret_channel": channel.name},
                )
            else:
                flash.show(response, request, f"Added {channel.name}.", "success")
            return response
    return await _notifications_page(
        request, session, user, channel_values=values, errors=errors, status_code=422
    )


@router.post(f"{NOTIFICATIONS_PAGE}/channels/{{channel_id}}/test", dependencies=[CsrfChecked])
async def test_channel(
    request: Request, channel_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    channel = await service.get_channel(session, user, channel_id)  # 404 when not hers
    try:
        await service.test_channel(session, user, channel_id)
    except ValidationFailed as error:
        return _redirect(request, NOTIFICATIONS_PAGE, error.errors[0].message.capitalize(), "error")
    return _redirect(
        request, NOTIFICATIONS_PAGE, f"A test message is on its way to {channel.name}.", "info"
    )


@router.post(f"{NOTIFICATIONS_PAGE}/channels/{{channel_id}}/enabled", response_class=HTMLResponse)
async def switch_channel(
    request: Request,
    channel_id: uuid.UUID,
    user: PageUser,
    form: Form,
    session: DbSession,
    ctx: Context,
) -> Response:
    enabled = form.get("enabled") == "true"
    channel = await service.update_channel(
        session, user, channel_id, ChannelUpdate(enabled=enabled), ctx.settings
    )
    return _redirect(
        request, NOTIFICATIONS_PAGE, f"{channel.name} is {'on' if enabled else 'off'}."
    )


@router.post(
    f"{NOTIFICATIONS_PAGE}/channels/{{channel_id}}/achievements", response_class=HTMLResponse
)
async def switch_achievements(
    request: Request,
    channel_id: uuid.UUID,
    user: PageUser,
    form: Form,
    session: DbSession,
    ctx: Context,
) -> Response:
    """The channel's opt-in to achievement and streak-freeze notices (D10.3, D11.3): a
    checkbox, so absent means off."""
    wanted = form.get("achievements") == "on"
    channel = await service.update_channel(
        session, user, channel_id, ChannelUpdate(achievements=wanted), ctx.settings
    )
    verb = "gets" if wanted else "no longer gets"
    return _redirect(
        request, NOTIFICATIONS_PAGE, f"{channel.name} {verb} achievements and streak freezes."
    )


@router.post(f"{NOTIFICATIONS_PAGE}/channels/{{channel_id}}/social", response_class=HTMLResponse)
async def switch_social(
    request: Request,
    channel_id: uuid.UUID,
    user: PageUser,
    form: Form,
    session: DbSession,
    ctx: Context,
) -> Response:
    """The channel's opt-in to social notices (D12: friend requests, challenge invites,
    ranks): a checkbox, so absent means off."""
    wanted = form.get("social") == "on"
    channel = await service.update_channel(
        session, user, channel_id, ChannelUpdate(social=wanted), ctx.settings
    )
    verb = "gets" if wanted else "no longer gets"
    return _redirect(request, NOTIFICATIONS_PAGE, f"{channel.name} {verb} friends and challenges.")


@router.post(f"{NOTIFICATIONS_PAGE}/channels/{{channel_id}}/delete", dependencies=[CsrfChecked])
async def remove_channel(
    request: Request, channel_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    channel = await service.get_channel(session, user, channel_id)
    name = channel.name
    await service.delete_channel(session, user, channel_id)
    return _redirect(request, NOTIFICATIONS_PAGE, f"Removed {name}.")


@router.post(f"{NOTIFICATIONS_PAGE}/nudges", response_class=HTMLResponse)
async def save_nudges(request: Request, user: PageUser, form: Form, session: DbSession) -> Response:
    values: dict[str, Any] = {
        name: form.get(name, "").strip()
        for name in ("streak_time", "digest_time", "weekly_time", "weekly_day")
    }
    for name in ("streak_enabled", "digest_enabled", "weekly_enabled"):
        values[name] = bool(form.get(name))
    values["quiet_start"] = form.get("quiet_start", "").strip()
    values["quiet_end"] = form.get("quiet_end", "").strip()
    errors: dict[str, str] = {}
    try:
        body = NotificationSettings.model_validate(
            {
                "streak_at_risk": {
                    "enabled": values["streak_enabled"],
                    "time": values["streak_time"],
                },
                "daily_digest": {
                    "enabled": values["digest_enabled"],
                    "time": values["digest_time"],
                },
                "weekly_summary": {
                    "enabled": values["weekly_enabled"],
                    "time": values["weekly_time"],
                    "day": values["weekly_day"],
                },
                "quiet_start": values["quiet_start"] or None,
                "quiet_end": values["quiet_end"] or None,
            }
        )
        await service.set_notification_settings(session, user, body)
    except (ValidationError, ValidationFailed) as error:
        errors = form_errors(error, _NUDGE_FIELDS)
    else:
        return _redirect(request, NOTIFICATIONS_PAGE, "Notification settings saved.")
    return await _notifications_page(
        request, session, user, nudge_values=values, errors=errors, status_code=422
    )


# --- a habit's reminders ----------------------------------------------------------------------


async def _habit_reminders_page(
    request: Request,
    session: DbSession,
    user: User,
    habit_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    habit = await habit_queries.get_habit(session, user, habit_id)  # 404 when not hers
    reminders = await service.habit_reminders(session, user, habit_id)
    context = {
        "habit": {"id": habit.id, "name": habit.name},
        "reminders": [
            {
                "id": reminder.id,
                "time": reminder.time,
                "days": _days_in_words(reminder.days),
                "only_if_pending": reminder.only_if_pending,
                "enabled": reminder.enabled,
            }
            for reminder in sorted(reminders, key=lambda row: row.time)
        ],
        "values": values or {"time": "", "days": [], "only_if_pending": True},
        "day_names": DAY_NAMES,
        "errors": errors or {},
    }
    return render(request, "reminders/habit.html", context, status_code=status_code)


@router.get("/habits/{habit_id}/reminders", response_class=HTMLResponse)
async def habit_reminders_page(
    request: Request, habit_id: uuid.UUID, user: PageUser, session: DbSession
) -> Response:
    return await _habit_reminders_page(request, session, user, habit_id)


@router.post("/habits/{habit_id}/reminders", response_class=HTMLResponse)
async def add_habit_reminder(
    request: Request, habit_id: uuid.UUID, user: PageUser, form: Form, session: DbSession
) -> Response:
    await habit_queries.get_habit(session, user, habit_id)  # 404 before reading the form
    days = [day for day in WEEKDAYS if form.get(f"day_{day}")]
    values = {
        "time": form.get("time", "").strip(),
        "days": days,
        "only_if_pending": bool(form.get("only_if_pending")),
    }
    errors: dict[str, str] = {}
    try:
        body = ReminderCreate(
            time=values["time"],  # type: ignore[arg-type]  # a str, pydantic checks it
            days=days or None,
            only_if_pending=bool(values["only_if_pending"]),
        )
        reminder = await service.create_reminder(session, user, habit_id, body)
    except (ValidationError, ValidationFailed) as error:
        errors = form_errors(error, _REMINDER_FIELDS)
    else:
        return _redirect(
            request,
            f"/habits/{habit_id}/reminders",
            f"Reminder added: {reminder.time} on {_days_in_words(reminder.days)}.",
        )
    return await _habit_reminders_page(
        request, session, user, habit_id, values=values, errors=errors, status_code=422
    )


@router.post("/habits/{habit_id}/reminders/{reminder_id}/delete", dependencies=[CsrfChecked])
async def delete_habit_reminder(
    request: Request,
    habit_id: uuid.UUID,
    reminder_id: uuid.UUID,
    user: PageUser,
    session: DbSession,
) -> Response:
    reminder = await service.get_reminder(session, user, reminder_id)  # 404 when not hers
    if reminder.habit_id != habit_id:
        return _redirect(request, f"/habits/{habit_id}/reminders", "No such reminder.", "error")
    await service.delete_reminder(session, user, reminder_id)
    return _redirect(request, f"/habits/{habit_id}/reminders", "Reminder deleted.")


# --- admin: the delivery ledger ---------------------------------------------------------------


# The admin page's filter: what each choice lists, and its words.
DELIVERY_FILTERS: dict[str, tuple[str | tuple[str, ...] | None, str]] = {
    "problems": (("failed", "dead"), "Failed or dead"),
    "failed": ("failed", "Failed (will retry)"),
    "dead": ("dead", "Dead (gave up)"),
    "all": (None, "All"),
}


@router.get("/admin/deliveries", response_class=HTMLResponse)
async def deliveries_page(
    request: Request, admin: PageAdmin, session: DbSession, state: str = "problems"
) -> Response:
    del admin  # the dependency is the check
    if state not in DELIVERY_FILTERS:
        state = "problems"  # an unknown filter (a stale link) shows the default
    states, figures = await service.delivery_overview(session)
    rows = await service.deliveries(session, DELIVERY_FILTERS[state][0], None, DELIVERIES_SHOWN)
    channels = await repository.channels_by_id(session, {row.channel_id for row in rows})
    return render(
        request,
        "admin/deliveries.html",
        {
            "states": states,
            "channels": [
                {
                    "type": figure.type,
                    "attempts": figure.attempts,
                    "succeeded": figure.succeeded,
                    "success_rate": NONE_YET
                    if figure.success_rate is None
                    else f"{figure.success_rate:.0%}",
                    "lateness": NONE_YET
                    if figure.mean_lateness is None
                    else f"{figure.mean_lateness:.1f} s",
                }
                for figure in figures
            ],
            "filters": [(value, words) for value, (_states, words) in DELIVERY_FILTERS.items()],
            "state": state,
            "rows": [
                {"row": row, "channel": channels.get(row.channel_id)}
                for row in rows[:DELIVERIES_SHOWN]
            ],
            "more": len(rows) > DELIVERIES_SHOWN,
            "dead_count": states.get("dead", 0),
        },
    )


@router.post("/admin/deliveries/replay", dependencies=[CsrfChecked])
async def replay_all(request: Request, admin: PageAdmin, session: DbSession) -> Response:
    del admin
    count = await service.replay(session, None)
    return _redirect(
        request,
        "/admin/deliveries",
        f"Queued {count} deliver{'y' if count == 1 else 'ies'} again.",
    )


@router.post("/admin/deliveries/{delivery_id}/replay", dependencies=[CsrfChecked])
async def replay_one(
    request: Request, delivery_id: uuid.UUID, admin: PageAdmin, session: DbSession
) -> Response:
    del admin
    await service.replay(session, delivery_id)  # 404 when not dead or failed
    return _redirect(request, "/admin/deliveries", "Queued that delivery again.")
