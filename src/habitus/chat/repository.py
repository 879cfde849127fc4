"""Chat queries. Every read that returns messages is already limited to what the asking
user may see: their conversations, without the messages they hid, without senders a
block hides from them."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, exists, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.kit import clock
from habitus.models import (
    Block,
    ChallengeMember,
    ChatMember,
    Conversation,
    Friendship,
    Message,
    MessageHide,
    User,
)
from habitus.models.social import Challenge


def direct_key(one: uuid.UUID, other: uuid.UUID) -> str:
    """The same text for a pair whoever asks: the smaller id first."""
    first, second = sorted((str(one), str(other)))
    return f"{first}:{second}"


async def direct_between(
    session: AsyncSession, one: uuid.UUID, other: uuid.UUID
) -> Conversation | None:
    return await session.scalar(
        select(Conversation).where(Conversation.direct_key == direct_key(one, other))
    )


async def member_row(
    session: AsyncSession, conversation_id: uuid.UUID, user_id: uuid.UUID
) -> ChatMember | None:
    return await session.get(ChatMember, (conversation_id, user_id))


async def direct_members(session: AsyncSession, conversation_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(ChatMember.user_id).where(
            ChatMember.conversation_id == conversation_id, ChatMember.left_at.is_(None)
        )
    )
    return list(rows)


@dataclass(frozen=True, slots=True)
class DirectMember:
    """A current member of a direct conversation, as seen by one reader."""

    user_id: uuid.UUID
    blocked: bool  # a block between them and the reader, either way
    friend: bool  # the reader's friend (always False for the reader themselves)


async def direct_standing(
    session: AsyncSession, conversation_id: uuid.UUID, reader_id: uuid.UUID
) -> list[DirectMember]:
    """The conversation's current members with their block and friendship to the reader,
    in ONE statement (every message sent asks it)."""
    member = ChatMember.user_id
    blocked = exists().where(
        or_(
            and_(Block.blocker_id == reader_id, Block.blocked_id == member),
            and_(Block.blocker_id == member, Block.blocked_id == reader_id),
        )
    )
    friend = exists().where(Friendship.user_id == reader_id, Friendship.friend_id == member)
    rows = await session.execute(
        select(member, blocked, friend).where(
            ChatMember.conversation_id == conversation_id, ChatMember.left_at.is_(None)
        )
    )
    return [
        DirectMember(user_id, bool(is_blocked), bool(is_friend))
        for user_id, is_blocked, is_friend in rows.all()
    ]


async def is_challenge_member(
    session: AsyncSession, challenge_id: uuid.UUID, user_id: uuid.UUID
) -> bool:
    found = await session.scalar(
        select(ChallengeMember.user_id).where(
            ChallengeMember.challenge_id == challenge_id,
            ChallengeMember.user_id == user_id,
            ChallengeMember.left_at.is_(None),
        )
    )
    return found is not None


async def challenge_members(session: AsyncSession, challenge_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(ChallengeMember.user_id).where(
            ChallengeMember.challenge_id == challenge_id, ChallengeMember.left_at.is_(None)
        )
    )
    return list(rows)


async def challenge(session: AsyncSession, challenge_id: uuid.UUID) -> Challenge | None:
    return await session.get(Challenge, challenge_id)


async def my_challenges(session: AsyncSession, user_id: uuid.UUID) -> list[Challenge]:
    rows = await session.scalars(
        select(Challenge)
        .join(ChallengeMember, ChallengeMember.challenge_id == Challenge.id)
        .where(ChallengeMember.user_id == user_id, ChallengeMember.left_at.is_(None))
    )
    return list(rows)


@dataclass(frozen=True, slots=True)
class DirectRow:
    conversation: Conversation
    other: User


async def my_direct(session: AsyncSession, user_id: uuid.UUID) -> list[DirectRow]:
    """The user's direct conversations and who is on the other side."""
    mine = select(ChatMember.conversation_id).where(
        ChatMember.user_id == user_id, ChatMember.left_at.is_(None)
    )
    other_member = ChatMember.__table__.alias("other_member")
    rows = await session.execute(
        select(Conversation, User)
        .join(other_member, other_member.c.conversation_id == Conversation.id)
        .join(User, User.id == other_member.c.user_id)
        .where(
            Conversation.kind == "direct",
            Conversation.id.in_(mine),
            other_member.c.user_id != user_id,
        )
    )
    return [DirectRow(conversation, other) for conversation, other in rows.all()]


def visible_messages(
    conversation_id: uuid.UUID, user_id: uuid.UUID, hidden_senders: Collection[uuid.UUID]
) -> Select[Message]:
    """The conversation's messages `user_id` may see, newest first."""
    hidden_by_me = select(MessageHide.message_id).where(MessageHide.user_id == user_id)
    query = select(Message).where(
        Message.conversation_id == conversation_id, Message.id.not_in(hidden_by_me)
    )
    if hidden_senders:
        query = query.where(Message.sender_id.not_in(list(hidden_senders)))
    return query.order_by(Message.id.desc())


async def page_of_messages(
    session: AsyncSession,
    conversation_id: uuid.UUID,
    user_id: uuid.UUID,
    hidden_senders: Collection[uuid.UUID],
    *,
    before: int | None,
    limit: int,
) -> list[Message]:
    query = visible_messages(conversation_id, user_id, hidden_senders)
    if before is not None:
        query = query.where(Message.id < before)
    return list(await session.scalars(query.limit(limit)))


async def last_message(
    session: AsyncSession,
    conversation_id: uuid.UUID,
    user_id: uuid.UUID,
    hidden_senders: Collection[uuid.UUID],
) -> Message | None:
    query = visible_messages(conversation_id, user_id, hidden_senders).limit(1)
    found: Message | None = await session.scalar(query)
    return found


async def unread_count(
    session: AsyncSession,
    conversation_id: uuid.UUID,
    user_id: uuid.UUID,
    hidden_senders: Collection[uuid.UUID],
    after: int | None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Others' visible messages after the user's read marker (and, in a challenge's
    conversation, since the user joined; sent by `until`, when given)."""
    query = visible_messages(conversation_id, user_id, hidden_senders).where(
        Message.sender_id != user_id
    )
    if after is not None:
        query = query.where(Message.id > after)
    if since is not None:
        query = query.where(Message.created_at >= since)
    if until is not None:
        query = query.where(Message.created_at <= until)
    counted = query.order_by(None).with_only_columns(func.count(Message.id))
    return int(await session.scalar(counted) or 0)


async def move_read_marker(
    session: AsyncSession, conversation_id: uuid.UUID, user_id: uuid.UUID, message_id: int
) -> bool:
    """Move an existing marker forward to `message_id` in one UPDATE (never back).
    False: the user has no marker row yet (or it is already at or past it)."""
    moved = await session.execute(
        update(ChatMember)
        .where(
            ChatMember.conversation_id == conversation_id,
            ChatMember.user_id == user_id,
            or_(
                ChatMember.last_read_message_id.is_(None),
                ChatMember.last_read_message_id < message_id,
            ),
        )
        .values(last_read_message_id=message_id, last_read_at=clock.now())
    )
    return db.rowcount(moved) == 1


async def challenge_joined_at(
    session: AsyncSession, challenge_id: uuid.UUID, user_id: uuid.UUID
) -> datetime | None:
    """When the member (last) joined: what was said before is history, not unread."""
    found: datetime | None = await session.scalar(
        select(ChallengeMember.joined_at).where(
            ChallengeMember.challenge_id == challenge_id, ChallengeMember.user_id == user_id
        )
    )
    return found


async def unread_total(session: AsyncSession, user_id: uuid.UUID) -> int:
    """The header badge: every unread message over all the user's conversations, in ONE
    statement (it runs on every page). The same rules as `unread_count`: others' messages
    after the read marker, not hidden by the user, not from someone a block hides, and in a
    challenge's conversation only what was said since the user joined."""
    marker = ChatMember.__table__.alias("marker")
    membership = ChallengeMember.__table__.alias("membership")
    blocked = select(Block.blocked_id).where(Block.blocker_id == user_id)
    blocker = select(Block.blocker_id).where(Block.blocked_id == user_id)
    hidden_by_me = select(MessageHide.message_id).where(MessageHide.user_id == user_id)
    is_direct_member = and_(
        Conversation.kind == "direct", marker.c.user_id.is_not(None), marker.c.left_at.is_(None)
    )
    is_challenge_member = and_(
        Conversation.kind == "challenge",
        membership.c.user_id.is_not(None),
        membership.c.left_at.is_(None),
        Message.created_at >= membership.c.joined_at,
    )
    query = (
        select(func.count(Message.id))
        .select_from(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .outerjoin(
            marker,
            and_(marker.c.conversation_id == Conversation.id, marker.c.user_id == user_id),
        )
        .outerjoin(
            membership,
            and_(
                membership.c.challenge_id == Conversation.challenge_id,
                membership.c.user_id == user_id,
            ),
        )
        .where(
            Message.sender_id != user_id,
            or_(is_direct_member, is_challenge_member),
            Message.id > func.coalesce(marker.c.last_read_message_id, literal(0)),
            Message.id.not_in(hidden_by_me),
            Message.sender_id.not_in(blocked),
            Message.sender_id.not_in(blocker),
        )
    )
    return int(await session.scalar(query) or 0)


async def by_client_id(
    session: AsyncSession, sender_id: uuid.UUID, client_id: str
) -> Message | None:
    return await session.scalar(
        select(Message).where(Message.sender_id == sender_id, Message.client_id == client_id)
    )


async def sent_by(session: AsyncSession, sender_id: uuid.UUID) -> list[Message]:
    rows = await session.scalars(
        select(Message).where(Message.sender_id == sender_id).order_by(Message.id)
    )
    return list(rows)
