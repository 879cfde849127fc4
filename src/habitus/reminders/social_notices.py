"""D12 social notices: a friend request, an accepted request, a challenge invite, a move
up a challenge's leaderboard ("You moved to #2 in No sugar"), being overtaken ("Bob
moved past you in No sugar") or chat messages waiting unread for 10 minutes (issue 16,
one per unread stretch: chat/unread_notices) puts a card in the inbox and a delivery
on every enabled channel that opted in (`Channel.social`, off by default).

A durable consumer of the event log like `reward_notices`: its writes and its cursor's
move commit together, so each event makes one card; a delivery's `source_key`
`social:<event id>` is unique per channel, so no replay sends one twice. A
`RankChanged` that is neither a move up nor an overtaking (the check-in answer's rank)
makes nothing. Quiet hours keep the notice to the inbox.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from habitus.events.kinds import (
    ChallengeInvited,
    ChatUnreadWaiting,
    DomainEvent,
    FriendAccepted,
    FriendRequested,
    RankChanged,
)
from habitus.events.service import StoredEvent
from habitus.models import Channel
from habitus.reminders import messages, notices

CONSUMER = "social_notices"
KINDS: tuple[type[DomainEvent], ...] = (
    FriendRequested,
    FriendAccepted,
    ChallengeInvited,
    RankChanged,
    ChatUnreadWaiting,
)
# The inbox's kind of card, which is also the delivery's `event` (a webhook's `event`).
NOTICE_KINDS: dict[type[DomainEvent], str] = {
    FriendRequested: "friend_request",
    FriendAccepted: "friend_accepted",
    ChallengeInvited: "challenge_invite",
    RankChanged: "rank",
    ChatUnreadWaiting: "chat_unread",
}


def text_of(event: DomainEvent) -> messages.Text | None:
    """The notice's words; None: nothing worth telling."""
    if isinstance(event, FriendRequested):
        return messages.Text(
            title=f"Friend request from {event.from_name}",
            body=f"{event.from_name} wants to be your friend. Accept or decline it in Friends.",
        )
    if isinstance(event, FriendAccepted):
        return messages.Text(
            title=f"{event.friend_name} accepted your friend request",
            body=f"You and {event.friend_name} are friends now.",
        )
    if isinstance(event, ChallengeInvited):
        return messages.Text(
            title=f"{event.by_name} invited you to {event.challenge_name}",
            body=f"Join \u201c{event.challenge_name}\u201d from its page to take part.",
        )
    if isinstance(event, ChatUnreadWaiting):
        return chat_unread(event)
    assert isinstance(event, RankChanged)
    if event.overtaken_by is not None:
        return messages.Text(
            title=f"{event.overtaken_by} moved past you in {event.challenge_name}",
            body=f"You are #{event.rank} now. A check-in may win your place back.",
        )
    if event.previous is not None and event.rank < event.previous:
        return messages.Text(
            title=f"You moved to #{event.rank} in {event.challenge_name}",
            body=f"Up from #{event.previous}. Keep it going.",
        )
    return None


def chat_unread(event: ChatUnreadWaiting) -> messages.Text:
    count = f"{event.unread} message{'s' if event.unread != 1 else ''}"
    if event.kind_of_conversation == "direct":
        return messages.Text(
            title=f"{event.title} wrote to you",
            body=f"{count} from {event.title} waiting unread in Chat.",
        )
    return messages.Text(
        title=f"New messages in {event.title}",
        body=f"{count} waiting unread in the {event.title} chat.",
    )


async def notify(session: AsyncSession, found: list[StoredEvent]) -> None:
    """A card per notice and a delivery per opted-in channel (`notices.write`); events
    that make no notice (a rank that did not move) make nothing."""
    await notices.write(
        session,
        [
            notices.Notice(item, NOTICE_KINDS[type(item.event)], text)
            for item in found
            if (text := text_of(item.event)) is not None
        ],
        opt_in=Channel.social,
        source_prefix="social",
    )
