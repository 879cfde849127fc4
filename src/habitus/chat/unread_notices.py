"""Issue 16: when messages wait unread for 10 minutes, tell the reader once: one notice
per unread *stretch*, not per message. A worker step (registered in `habitus.wiring`)
looks at the conversations with a message of the last day that is at least 10 minutes
old; for each member who has such a message unread and has read up to what they were
last told about (`ChatMember.noticed_message_id`), it records a `ChatUnreadWaiting`
event, which the notices consumer turns into an inbox card and a delivery on the
channels that opted in to social notices.

Two workers may run this at once: the marker moves by compare-and-set (an UPDATE that
names the value it read), and only the worker whose UPDATE hit the row records the
event, so each stretch makes one notice.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.chat import repository
from habitus.events import service as events
from habitus.events.kinds import ChatUnreadWaiting
from habitus.kit import clock
from habitus.models import ChatMember, Conversation, Message, User
from habitus.registry import JobContext
from habitus.social.access import hidden_from
from habitus.social.profiles import handles_of, name_of

WAIT = timedelta(minutes=10)
# Older messages are not worth a "waiting" notice (and bound the work of each pass).
LOOK_BACK = timedelta(days=1)
INTERVAL_SECONDS = 60.0


async def _due_conversations(session: AsyncSession, now: datetime) -> list[Conversation]:
    active = (
        select(Message.conversation_id)
        .where(Message.created_at >= now - LOOK_BACK, Message.created_at <= now - WAIT)
        .distinct()
    )
    return list(await session.scalars(select(Conversation).where(Conversation.id.in_(active))))


async def _readers(session: AsyncSession, conversation: Conversation) -> list[uuid.UUID]:
    if conversation.kind == "direct":
        return await repository.direct_members(session, conversation.id)
    assert conversation.challenge_id is not None
    return await repository.challenge_members(session, conversation.challenge_id)


async def _title_for(
    session: AsyncSession, conversation: Conversation, reader: uuid.UUID, members: list[uuid.UUID]
) -> str:
    if conversation.kind == "challenge":
        challenge = await repository.challenge(session, conversation.id)
        return challenge.name if challenge is not None else "a challenge"
    other_id = next((member for member in members if member != reader), None)
    other = await session.get(User, other_id) if other_id is not None else None
    if other is None:
        return "a friend"
    return name_of(other, (await handles_of(session, [other.id])).get(other.id))


async def _notice_one(
    session: AsyncSession,
    conversation: Conversation,
    reader: User,
    members: list[uuid.UUID],
    now: datetime,
    newest: int,
) -> bool:
    """Record the notice for one reader of one conversation if a stretch is due
    (`newest`: the conversation's newest message, what the marker moves to)."""
    if reader.disabled_at is not None:
        return False
    reader_id = reader.id
    hidden = await hidden_from(session, reader_id)
    if conversation.kind == "direct" and hidden & set(members):
        return False  # a block closes the conversation
    row = await repository.member_row(session, conversation.id, reader_id)
    read_up_to = row.last_read_message_id if row is not None else None
    noticed = row.noticed_message_id if row is not None else None
    if noticed is not None and (read_up_to or 0) < noticed:
        return False  # told already; nothing more until they have read
    since = None
    if conversation.kind == "challenge":
        since = await repository.challenge_joined_at(session, conversation.id, reader_id)
    waiting = await repository.unread_count(
        session, conversation.id, reader_id, hidden, read_up_to, since, until=now - WAIT
    )
    if waiting == 0:
        return False
    if row is None:
        # A challenge's member who never opened its chat: their marker starts here (a
        # second worker's identical row is no conflict).
        insert = db.insert_for(db.dialect_of(session))
        await session.execute(
            insert(ChatMember)
            .values(conversation_id=conversation.id, user_id=reader_id, joined_at=now)
            .on_conflict_do_nothing()
        )
    moved = await session.execute(
        update(ChatMember)
        .where(
            ChatMember.conversation_id == conversation.id,
            ChatMember.user_id == reader_id,
            ChatMember.noticed_message_id.is_(None)
            if noticed is None
            else ChatMember.noticed_message_id == noticed,
        )
        .values(noticed_message_id=newest)
        .execution_options(synchronize_session=False)
    )
    if db.rowcount(moved) != 1:
        return False  # another worker told them
    unread = await repository.unread_count(
        session, conversation.id, reader_id, hidden, read_up_to, since
    )
    title = await _title_for(session, conversation, reader_id, members)
    await events.publish(
        session,
        reader,
        [
            ChatUnreadWaiting(
                conversation_id=str(conversation.id),
                title=title,
                kind_of_conversation=conversation.kind,
                unread=unread,
            )
        ],
    )
    return True


async def run(ctx: JobContext) -> int:
    """The worker's step: how many notices it recorded."""
    now = clock.now()
    async with db.job_transaction(ctx.maker) as session:
        due = [item.id for item in await _due_conversations(session, now)]
    told = 0
    for conversation_id in due:
        async with db.job_transaction(ctx.maker) as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None:
                continue
            members = await _readers(session, conversation)
            # Once per conversation, not per reader; the readers in one statement.
            newest = await session.scalar(
                select(func.max(Message.id)).where(Message.conversation_id == conversation.id)
            )
            if newest is None:
                continue
            readers = await session.scalars(select(User).where(User.id.in_(members)))
            for reader in readers.all():
                if await _notice_one(session, conversation, reader, members, now, newest):
                    told += 1
    return told
