"""D10.3 and D11.3 as notices: an earned achievement or a spent streak freeze puts a card
in the inbox and a delivery on every enabled channel that opted in (`Channel.achievements`).

A durable consumer of the event log (run by the worker, registered in `habitus.wiring`):
its handler's writes and its cursor's move commit together, so each event makes one card;
a delivery's `source_key` `reward:<event id>` is unique per channel as well, so no
replay can send one twice. Quiet hours keep the notice to the inbox, as for reminders.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.core.achievements import BY_ID
from habitus.events.kinds import AchievementUnlocked, DomainEvent, FreezeSpent
from habitus.events.service import StoredEvent
from habitus.kit import clock
from habitus.models import Channel, User
from habitus.reminders import messages, repository
from habitus.reminders.firing import in_quiet_hours

CONSUMER = "reward_notices"
KINDS: tuple[type[DomainEvent], ...] = (AchievementUnlocked, FreezeSpent)
# The inbox's kind of card, which is also the delivery's `event` (a webhook's `event`).
NOTICE_KINDS: dict[type[DomainEvent], str] = {
    AchievementUnlocked: "achievement",
    FreezeSpent: "freeze",
}


def text_of(event: DomainEvent) -> messages.Text:
    if isinstance(event, FreezeSpent):
        return messages.freeze_spent(event.habit_name, event.streak, event.unit)
    assert isinstance(event, AchievementUnlocked)
    known = BY_ID.get(event.achievement)
    description = known.description if known is not None else "a new achievement."
    return messages.achievement_unlocked(event.title, description)


async def _opted_in(
    session: AsyncSession, user_ids: set[uuid.UUID]
) -> dict[uuid.UUID, list[Channel]]:
    found: dict[uuid.UUID, list[Channel]] = {}
    for channel in await session.scalars(
        select(Channel)
        .where(
            Channel.user_id.in_(user_ids),
            Channel.achievements.is_(True),
            Channel.enabled.is_(True),
        )
        .order_by(Channel.created_at, Channel.id)
    ):
        found.setdefault(channel.user_id, []).append(channel)
    return found


async def notify(session: AsyncSession, found: list[StoredEvent]) -> None:
    """A card per event and a delivery per opted-in channel (in the consumer's
    transaction, with its cursor's move)."""
    now = clock.now()
    user_ids = {item.user_id for item in found}
    users = {
        user.id: user for user in await session.scalars(select(User).where(User.id.in_(user_ids)))
    }
    channels = await _opted_in(session, user_ids)
    cards: list[dict[str, Any]] = []
    deliveries: list[dict[str, Any]] = []
    for item in found:
        user = users.get(item.user_id)
        if user is None:
            continue  # the account is gone: its log went with it
        event = item.event
        kind = NOTICE_KINDS[type(event)]
        text = text_of(event)
        card_id = uuid.uuid4()
        cards.append(
            {
                "id": card_id,
                "user_id": user.id,
                "kind": kind,
                "title": text.title[:200],
                "body": text.body,
                "habit_id": event.habit_id,
                "local_date": event.local_date,
                "created_at": now,
                "read_at": None,
            }
        )
        if user.disabled_at is not None or in_quiet_hours(user, item.created_at):
            continue
        habit_name = event.habit_name if isinstance(event, FreezeSpent) else None
        for channel in channels.get(user.id, []):
            deliveries.append(
                {
                    "id": uuid.uuid4(),
                    "created_at": now,
                    "user_id": user.id,
                    "channel_id": channel.id,
                    "notification_id": card_id,
                    "source_key": f"reward:{item.id}",
                    "event": kind,
                    "title": text.title[:200],
                    "body": text.body,
                    "habit_id": event.habit_id,
                    "habit_name": habit_name,
                    "local_date": event.local_date,
                    "state": "pending",
                    "attempts": 0,
                    "due_at": item.created_at,
                    "next_attempt_at": now,
                }
            )
    await repository.add_notifications(session, cards)
    await repository.add_deliveries(session, deliveries)
