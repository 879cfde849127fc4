"""What event notices (rewards, social) write, once their words are known: a card in the
inbox per event, and a delivery per enabled channel that opted in to that family of
notices. Called by the durable consumers `reward_notices` and `social_notices`, in the
consumer's transaction (with its cursor's move, so each event makes one card); a
delivery's `source_key` `<prefix>:<event id>` is unique per channel, so no replay sends
one twice. A disabled user, or quiet hours, keep the notice to the inbox."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from habitus.events.service import StoredEvent
from habitus.kit import clock
from habitus.models import Channel, User
from habitus.reminders import messages, repository
from habitus.reminders.firing import in_quiet_hours


@dataclass(frozen=True, slots=True)
class Notice:
    item: StoredEvent
    kind: str  # the card's kind, and the delivery's (a webhook's) `event`
    text: messages.Text
    habit_name: str | None = None


async def _opted_in(
    session: AsyncSession, user_ids: set[uuid.UUID], opt_in: InstrumentedAttribute[bool]
) -> dict[uuid.UUID, list[Channel]]:
    found: dict[uuid.UUID, list[Channel]] = {}
    for channel in await session.scalars(
        select(Channel)
        .where(Channel.user_id.in_(user_ids), opt_in.is_(True), Channel.enabled.is_(True))
        .order_by(Channel.created_at, Channel.id)
    ):
        found.setdefault(channel.user_id, []).append(channel)
    return found


async def write(
    session: AsyncSession,
    notices: Sequence[Notice],
    *,
    opt_in: InstrumentedAttribute[bool] | None,
    source_prefix: str,
) -> None:
    """`opt_in` None: the inbox only (no channel is woken)."""
    if not notices:
        return
    now = clock.now()
    user_ids = {notice.item.user_id for notice in notices}
    users = {
        user.id: user for user in await session.scalars(select(User).where(User.id.in_(user_ids)))
    }
    channels = await _opted_in(session, user_ids, opt_in) if opt_in is not None else {}
    cards: list[dict[str, Any]] = []
    deliveries: list[dict[str, Any]] = []
    for notice in notices:
        item, text = notice.item, notice.text
        user = users.get(item.user_id)
        if user is None:
            continue  # the account is gone: its log went with it
        card_id = uuid.uuid4()
        cards.append(
            {
                "id": card_id,
                "user_id": user.id,
                "kind": notice.kind,
                "title": text.title[:200],
                "body": text.body,
                "habit_id": item.event.habit_id,
                "local_date": item.event.local_date,
                "created_at": now,
                "read_at": None,
            }
        )
        if user.disabled_at is not None or in_quiet_hours(user, item.created_at):
            continue
        for channel in channels.get(user.id, []):
            deliveries.append(
                {
                    "id": uuid.uuid4(),
                    "created_at": now,
                    "user_id": user.id,
                    "channel_id": channel.id,
                    "notification_id": card_id,
                    "source_key": f"{source_prefix}:{item.id}",
                    "event": notice.kind,
                    "title": text.title[:200],
                    "body": text.body,
                    "habit_id": item.event.habit_id,
                    "habit_name": notice.habit_name,
                    "local_date": item.event.local_date,
                    "state": "pending",
                    "attempts": 0,
                    "due_at": item.created_at,
                    "next_attempt_at": now,
                }
            )
    await repository.add_notifications(session, cards)
    await repository.add_deliveries(session, deliveries)
