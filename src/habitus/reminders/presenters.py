"""Shaping channels, reminders, notifications and deliveries into answers (the API and
the account export share them)."""

from __future__ import annotations

import uuid

from habitus.models import Channel, Delivery, Notification, Reminder
from habitus.reminders.schemas import ChannelOut, DeliveryOut, NotificationOut, ReminderOut


def channel_out(channel: Channel) -> ChannelOut:
    return ChannelOut(
        id=channel.id,
        type=channel.type,
        name=channel.name,
        config=channel.config,
        enabled=channel.enabled,
        achievements=channel.achievements,
        social=channel.social,
        disabled_reason=channel.disabled_reason,
        created_at=channel.created_at,
    )


def reminder_out(reminder: Reminder) -> ReminderOut:
    return ReminderOut(
        id=reminder.id,
        habit_id=reminder.habit_id,
        kind=reminder.kind,
        time=reminder.time,
        days=reminder.days,
        only_if_pending=reminder.only_if_pending,
        channel_ids=[uuid.UUID(str(value)) for value in reminder.channel_ids],
        enabled=reminder.enabled,
        next_fire_at=reminder.next_fire_at,
    )


def notification_out(row: Notification) -> NotificationOut:
    return NotificationOut(
        id=row.id,
        kind=row.kind,
        title=row.title,
        body=row.body,
        habit_id=row.habit_id,
        date=row.local_date,
        created_at=row.created_at,
        read_at=row.read_at,
    )


def delivery_out(row: Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=row.id,
        channel_id=row.channel_id,
        user_id=row.user_id,
        event=row.event,
        state=row.state,
        attempts=row.attempts,
        last_error=row.last_error,
        due_at=row.due_at,
        sent_at=row.sent_at,
    )
