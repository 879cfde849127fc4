"""D10.3 and D11.3 as notices: an earned achievement or a spent streak freeze puts a card
in the inbox and a delivery on every enabled channel that opted in (`Channel.achievements`).

A durable consumer of the event log (run by the worker, registered in `habitus.wiring`);
what it writes, once per event, is `notices.write`'s business (`source_key`
`reward:<event id>`).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.core.achievements import BY_ID
from habitus.events.kinds import AchievementUnlocked, DomainEvent, FreezeSpent
from habitus.events.service import StoredEvent
from habitus.models import Channel
from habitus.reminders import messages, notices

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


async def notify(session: AsyncSession, found: list[StoredEvent]) -> None:
    """A card per event and a delivery per opted-in channel (`notices.write`)."""
    await notices.write(
        session,
        [
            notices.Notice(
                item,
                NOTICE_KINDS[type(item.event)],
                text_of(item.event),
                item.event.habit_name if isinstance(item.event, FreezeSpent) else None,
            )
            for item in found
        ],
        opt_in=Channel.achievements,
        source_prefix="reward",
    )
