"""D14.3 alerts in the inbox: each `AlertRaised` (coach/insights.notify_alerts, which
keeps them to one per habit per week and none during a break) becomes one card of kind
`alert`, written by this durable consumer with its cursor's move. Inbox only: an
alert is advice to read when you look, not a reason to wake a phone."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.events.kinds import AlertRaised, DomainEvent
from habitus.events.service import StoredEvent
from habitus.reminders import messages, notices

CONSUMER = "insight_notices"
KINDS: tuple[type[DomainEvent], ...] = (AlertRaised,)


def text_of(event: AlertRaised) -> messages.Text:
    return messages.Text(title=event.message, body=f"{event.action} (see Insights).")


async def notify(session: AsyncSession, found: list[StoredEvent]) -> None:
    await notices.write(
        session,
        [
            notices.Notice(item, "alert", text_of(item.event))
            for item in found
            if isinstance(item.event, AlertRaised)
        ],
        opt_in=None,
        source_prefix="alert",
    )
