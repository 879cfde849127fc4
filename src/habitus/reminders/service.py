"""Use cases of channels, reminders, the inbox and the ledger's admin side. Services
flush; the boundary commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.config import Settings
from habitus.errors import NotFound, ValidationFailed
from habitus.habits import queries as habit_queries
from habitus.kit import clock
from habitus.models import Channel, Delivery, Notification, Reminder, User
from habitus.reminders import messages, repository
from habitus.reminders.channel_types import CHANNEL_TYPES
from habitus.reminders.dispatcher import channel_of_unsubscribe
from habitus.reminders.queries import notification_settings
from habitus.reminders.schedule import contexts_by_habit, next_of
from habitus.reminders.schemas import (
    ChannelCreate,
    ChannelUpdate,
    NotificationSettings,
    ReminderCreate,
    ReminderUpdate,
)

NUDGE_KINDS = ("streak_at_risk", "digest", "weekly_summary")


# --- channels -------------------------------------------------------------------------------
#
# What each channel type's config holds and which rules it keeps (SSRF, the URL cap, the
# Apprise allow-list, email needing SMTP) is `channel_types`: its models check a config
# here, with the server's settings, and parse it again when it is sent.


def _checked_config(
    kind: str, config: dict[str, Any], settings: Settings
) -> tuple[dict[str, Any], str | None, bool]:
    """The config kept for a channel type, its signing secret (a webhook's, generated
    when absent) and events flag; 422 with the field named when it cannot work."""
    checked = CHANNEL_TYPES[kind].checked(config, settings)
    return checked.kept(), checked.signing_secret(), checked.wants_events()


async def create_channel(
    session: AsyncSession, user: User, body: ChannelCreate, settings: Settings
) -> Channel:
    config, secret, events = _checked_config(body.type, body.config, settings)
    channel = Channel(
        user_id=user.id,
        type=body.type,
        name=body.name or CHANNEL_TYPES[body.type].default_name,
        config=config,
        secret=secret,
        events=events,
        achievements=CHANNEL_TYPES[body.type].achievements_by_default
        if body.achievements is None
        else body.achievements,
        social=bool(body.social),
    )
    session.add(channel)
    await session.flush()
    return channel


async def get_channel(session: AsyncSession, user: User, channel_id: uuid.UUID) -> Channel:
    channel = await repository.channel(session, user.id, channel_id)
    if channel is None:
        raise NotFound("No such channel.")
    return channel


async def update_channel(
    session: AsyncSession,
    user: User,
    channel_id: uuid.UUID,
    body: ChannelUpdate,
    settings: Settings,
) -> Channel:
    channel = await get_channel(session, user, channel_id)
    if body.name is not None:
        channel.name = body.name
    if body.config is not None:
        merged = {**channel.config, **body.config}
        if channel.secret is not None and "secret" not in body.config:
            merged["secret"] = channel.secret
        channel.config, channel.secret, channel.events = _checked_config(
            channel.type, merged, settings
        )
    if body.achievements is not None:
        channel.achievements = body.achievements
    if body.social is not None:
        channel.social = body.social
    if body.enabled is not None:
        channel.enabled = body.enabled
        if body.enabled:
            channel.disabled_reason = None  # turned on again: the old reason is history
    await session.flush()
    return channel


async def delete_channel(session: AsyncSession, user: User, channel_id: uuid.UUID) -> None:
    await session.delete(await get_channel(session, user, channel_id))
    await session.flush()


async def test_channel(session: AsyncSession, user: User, channel_id: uuid.UUID) -> uuid.UUID:
    """A test message through the ledger (so it is retried and recorded like any)."""
    channel = await get_channel(session, user, channel_id)
    if not channel.enabled:
        raise ValidationFailed.field(
            "channel_id", "the channel is turned off; turn it on first", "channel_disabled"
        )
    now = clock.now()
    text = messages.channel_test(channel.name)
    delivery_id = uuid.uuid4()
    await repository.add_deliveries(
        session,
        [
            {
                "id": delivery_id,
                "created_at": now,
                "user_id": user.id,
                "channel_id": channel.id,
                "source_key": f"test:{delivery_id}",
                "event": "test",
                "title": text.title,
                "body": text.body,
                "state": "pending",
                "attempts": 0,
                "due_at": now,
                "next_attempt_at": now,
            }
        ],
    )
    return delivery_id


async def unsubscribe_channel(
    session: AsyncSession, settings: Settings, token: str, *, turn_off: bool
) -> Channel | None:
    """The email channel an unsubscribe link names (its signed id is the credential);
    with `turn_off`, the channel is turned off with the reason. None: a bad link."""
    channel_id = channel_of_unsubscribe(settings, token)
    channel = await repository.channel_by_id(session, channel_id) if channel_id else None
    if channel is not None and turn_off:
        await repository.disable_channel(
            session, channel.id, "unsubscribed with the link in an email"
        )
    return channel


# --- reminders ------------------------------------------------------------------------------


async def _check_channel_ids(
    session: AsyncSession, user: User, channel_ids: list[uuid.UUID]
) -> list[str]:
    own = {channel.id for channel in await repository.channels_of(session, user.id)}
    unknown = [str(value) for value in channel_ids if value not in own]
    if unknown:
        raise ValidationFailed.field(
            "channel_ids", f"no such channel: {', '.join(unknown)}", "unknown_channel"
        )
    return [str(value) for value in dict.fromkeys(channel_ids)]


async def _schedule(session: AsyncSession, user: User, reminder: Reminder) -> None:
    habits = []
    if reminder.habit_id is not None:
        # Held until commit: a concurrent delete of the habit (which takes its reminders
        # and schedule versions with it) waits instead of vanishing between our reads.
        habits = [await habit_queries.get_habit(session, user, reminder.habit_id, share_lock=True)]
    contexts = await contexts_by_habit(session, user, habits)
    ctx = contexts.get(reminder.habit_id) if reminder.habit_id else None
    reminder.next_fire_at, reminder.next_local_date = next_of(reminder, user, ctx, clock.now())


async def create_reminder(
    session: AsyncSession, user: User, habit_id: uuid.UUID, body: ReminderCreate
) -> Reminder:
    await habit_queries.get_habit(session, user, habit_id)  # 404 when not hers
    reminder = Reminder(
        user_id=user.id,
        habit_id=habit_id,
        kind="habit",
        time=body.time,
        days=body.days,
        only_if_pending=body.only_if_pending,
        channel_ids=await _check_channel_ids(session, user, body.channel_ids),
        enabled=body.enabled,
    )
    session.add(reminder)
    await _schedule(session, user, reminder)
    await session.flush()
    return reminder


async def habit_reminders(session: AsyncSession, user: User, habit_id: uuid.UUID) -> list[Reminder]:
    await habit_queries.get_habit(session, user, habit_id)
    return await repository.reminders_of_habit(session, user.id, habit_id)


async def get_reminder(
    session: AsyncSession, user: User, reminder_id: uuid.UUID, *, for_update: bool = False
) -> Reminder:
    reminder = await repository.reminder(session, user.id, reminder_id, for_update=for_update)
    if reminder is None or reminder.kind != "habit":
        raise NotFound("No such reminder.")
    return reminder


async def _locked_reminder(session: AsyncSession, user: User, reminder_id: uuid.UUID) -> Reminder:
    """The reminder, held for this write, and its habit share-locked first: locks are taken
    in the order a habit's delete takes them (the habit, then its reminders), so a delete
    of either waits for this write instead of removing the row under it (a lost UPDATE
    was a 500 under the fuzzer's concurrent requests on PostgreSQL)."""
    reminder = await get_reminder(session, user, reminder_id)
    if reminder.habit_id is not None:
        await habit_queries.get_habit(session, user, reminder.habit_id, share_lock=True)
    return await get_reminder(session, user, reminder_id, for_update=True)


async def update_reminder(
    session: AsyncSession, user: User, reminder_id: uuid.UUID, body: ReminderUpdate
) -> Reminder:
    reminder = await _locked_reminder(session, user, reminder_id)
    sent = body.model_fields_set
    if body.time is not None:
        reminder.time = body.time
    if "days" in sent:
        reminder.days = body.days
    if body.only_if_pending is not None:
        reminder.only_if_pending = body.only_if_pending
    if body.channel_ids is not None:
        reminder.channel_ids = await _check_channel_ids(session, user, body.channel_ids)
    if body.enabled is not None:
        reminder.enabled = body.enabled
    await _schedule(session, user, reminder)
    await session.flush()
    return reminder


async def delete_reminder(session: AsyncSession, user: User, reminder_id: uuid.UUID) -> None:
    await session.delete(await _locked_reminder(session, user, reminder_id))
    await session.flush()


# --- user-wide notifications (nudges, quiet hours) -----------------------------------------


async def set_notification_settings(
    session: AsyncSession, user: User, body: NotificationSettings
) -> NotificationSettings:
    if (body.quiet_start is None) != (body.quiet_end is None):
        field = "quiet_end" if body.quiet_end is None else "quiet_start"
        raise ValidationFailed.field(field, "quiet hours need both a start and an end", "pair")
    if body.quiet_start is not None and body.quiet_start == body.quiet_end:
        raise ValidationFailed.field("quiet_end", "must differ from quiet_start", "distinct")
    user.quiet_start, user.quiet_end = body.quiet_start, body.quiet_end
    found = {row.kind: row for row in await repository.reminders_of_user(session, user.id)}
    wanted: dict[str, tuple[bool, str, list[str] | None]] = {
        "streak_at_risk": (body.streak_at_risk.enabled, body.streak_at_risk.time, None),
        "digest": (body.daily_digest.enabled, body.daily_digest.time, None),
        "weekly_summary": (
            body.weekly_summary.enabled,
            body.weekly_summary.time,
            [body.weekly_summary.day],
        ),
    }
    for kind, (enabled, at, days) in wanted.items():
        row = found.get(kind)
        if row is None:
            row = Reminder(user_id=user.id, kind=kind, only_if_pending=True, channel_ids=[])
            session.add(row)
        row.enabled, row.time, row.days = enabled, at, days
        await _schedule(session, user, row)
    await session.flush()
    return await notification_settings(session, user)


# --- the inbox --------------------------------------------------------------------------------


async def inbox(
    session: AsyncSession,
    user: User,
    *,
    unread: bool,
    after: list[Any] | None,
    limit: int,
) -> list[Notification]:
    return await repository.notifications_of(
        session, user.id, unread=unread, after=after, limit=limit
    )


async def mark_read(session: AsyncSession, user: User, notification_id: uuid.UUID) -> None:
    if not await repository.notification_exists(session, user.id, notification_id):
        raise NotFound("No such notification.")
    await repository.mark_read(session, user.id, notification_id, clock.now())


async def mark_all_read(session: AsyncSession, user: User) -> int:
    return await repository.mark_read(session, user.id, None, clock.now())


# --- admin ------------------------------------------------------------------------------------


async def deliveries(
    session: AsyncSession,
    state: str | tuple[str, ...] | None,
    after: list[Any] | None,
    limit: int,
) -> list[Delivery]:
    return await repository.deliveries(session, state, after, limit)


@dataclass(frozen=True, slots=True)
class ChannelFigure:
    type: str
    attempts: int
    succeeded: int
    mean_lateness: float | None  # seconds, over the latest sent deliveries

    @property
    def success_rate(self) -> float | None:
        return self.succeeded / self.attempts if self.attempts else None


# Lateness is averaged over this many of the latest sent deliveries.
LATENESS_SAMPLE = 5000


async def delivery_overview(session: AsyncSession) -> tuple[dict[str, int], list[ChannelFigure]]:
    """Deliveries by state; per channel type the attempts, how many succeeded and the mean
    lateness (sent minus due) of the latest sent deliveries."""
    lateness: dict[str, list[float]] = {}
    for kind, due_at, sent_at in await repository.recent_sent(session, LATENESS_SAMPLE):
        lateness.setdefault(kind, []).append((sent_at - due_at).total_seconds())
    figures = [
        ChannelFigure(
            kind,
            attempts,
            ok,
            sum(lateness[kind]) / len(lateness[kind]) if lateness.get(kind) else None,
        )
        for kind, attempts, ok in await repository.attempts_by_channel_type(session)
    ]
    return await repository.counts_by_state(session), figures


async def replay(session: AsyncSession, delivery_id: uuid.UUID | None) -> int:
    count = await repository.replay(session, delivery_id, clock.now())
    if delivery_id is not None and count == 0:
        raise NotFound("No such dead or failed delivery.")
    return count
