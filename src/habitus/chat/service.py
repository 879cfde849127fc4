"""Chat rules (issue 16).

- Only members read or write. A direct conversation's members are its two friends; a
  challenge's are the challenge's current members, so leaving the challenge leaves its
  chat. Anyone else gets 404, as if it did not exist.
- A block (either way) closes the direct conversation for both: 404 on every read and
  write, the same answer a stranger gets (a block hides two people everywhere). In a
  challenge's conversation, messages from someone the reader blocked (or was blocked by)
  are left out of what the reader sees.
- A challenge's conversation has the challenge's id and is made on first use (the first
  message or read marker): listing never writes.
- Bodies are 1..4000 characters, stored encrypted (`keys`); a resend with the same
  `client_id` returns the stored message instead of a second one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.chat import keys, repository
from habitus.context import AppContext
from habitus.errors import FieldError, Forbidden, NotFound, ValidationFailed
from habitus.events import service as events
from habitus.events.kinds import MessageSent
from habitus.kit import clock
from habitus.models import ChatMember, Conversation, Message, MessageHide, User
from habitus.social.access import are_friends, blocked_between, hidden_from
from habitus.social.profiles import handles_of, name_of

MAX_BODY = 4000
MAX_CLIENT_ID = 64
NOT_FOUND = "No such conversation."


@dataclass(frozen=True, slots=True)
class Access:
    """A conversation as one member reaches it. `conversation` None: a challenge's
    conversation nobody has used yet (its id is the challenge's)."""

    id: uuid.UUID
    kind: str
    conversation: Conversation | None
    title: str
    member_ids: list[uuid.UUID]
    hidden_senders: set[uuid.UUID]
    # Direct: the reader is still friends with the other member (else read-only).
    writable: bool = True


async def _direct_access(
    session: AsyncSession, user_id: uuid.UUID, conversation: Conversation
) -> Access:
    standing = await repository.direct_standing(session, conversation.id, user_id)
    members = [member.user_id for member in standing]
    if user_id not in members:
        raise NotFound(NOT_FOUND)
    others = [member for member in standing if member.user_id != user_id]
    if any(member.blocked for member in others):
        raise NotFound(NOT_FOUND)
    friends = all(member.friend for member in others)
    return Access(conversation.id, "direct", conversation, "", members, set(), friends)


async def access(session: AsyncSession, user_id: uuid.UUID, conversation_id: uuid.UUID) -> Access:
    """The conversation if `user_id` may read it, else NotFound."""
    conversation = await session.get(Conversation, conversation_id)
    if conversation is not None and conversation.kind == "direct":
        return await _direct_access(session, user_id, conversation)
    # A challenge's conversation shares the challenge's id, used or not.
    challenge = await repository.challenge(session, conversation_id)
    if challenge is None or not await repository.is_challenge_member(
        session, challenge.id, user_id
    ):
        raise NotFound(NOT_FOUND)
    return Access(
        challenge.id,
        "challenge",
        conversation,
        challenge.name,
        await repository.challenge_members(session, challenge.id),
        await hidden_from(session, user_id),
    )


async def _materialise(session: AsyncSession, found: Access) -> Conversation:
    """The row of a challenge's conversation, made on first use."""
    if found.conversation is not None:
        return found.conversation
    conversation = Conversation(id=found.id, kind="challenge", challenge_id=found.id)
    try:
        async with session.begin_nested():
            session.add(conversation)
            await session.flush()
    except IntegrityError:
        # Someone else's first message made it at the same moment.
        existing = await session.get(Conversation, found.id)
        if existing is None:
            raise
        return existing
    return conversation


async def open_direct(
    session: AsyncSession, user: User, friend_id: uuid.UUID
) -> tuple[Access, bool]:
    """The direct conversation with a friend: (it, True) when made now. Someone who is
    not a friend (or is blocked either way) gets 404, as if unknown."""
    if friend_id == user.id or not await are_friends(session, user.id, friend_id):
        raise NotFound("No such friend.")
    if await blocked_between(session, user.id, friend_id):
        raise NotFound("No such friend.")
    existing = await repository.direct_between(session, user.id, friend_id)
    if existing is not None:
        for member_id in (user.id, friend_id):
            row = await repository.member_row(session, existing.id, member_id)
            if row is not None and row.left_at is not None:
                await db.start_writing(session)
                row.left_at = None
        return await _direct_access(session, user.id, existing), False
    await db.start_writing(session)
    conversation = Conversation(kind="direct", direct_key=repository.direct_key(user.id, friend_id))
    session.add(conversation)
    await session.flush()
    session.add_all(
        [
            ChatMember(conversation_id=conversation.id, user_id=user.id),
            ChatMember(conversation_id=conversation.id, user_id=friend_id),
        ]
    )
    await session.flush()
    return await _direct_access(session, user.id, conversation), True


def check_body(body: object) -> str:
    """1..4000 characters, not only blanks (what WebSocket frames and REST share)."""
    if not isinstance(body, str) or not body.strip():
        raise ValidationFailed(
            [FieldError("body", "must not be empty", rule="required")], "The message is empty."
        )
    if len(body) > MAX_BODY:
        raise ValidationFailed(
            [FieldError("body", f"must be at most {MAX_BODY} characters long", rule="max_length")],
            f"The message is longer than {MAX_BODY} characters.",
        )
    return body


def _check_client_id(client_id: object) -> str | None:
    if client_id is None:
        return None
    if not isinstance(client_id, str) or not 1 <= len(client_id) <= MAX_CLIENT_ID:
        raise ValidationFailed(
            [
                FieldError(
                    "client_id",
                    f"must be text of 1 to {MAX_CLIENT_ID} characters",
                    rule="client_id_format",
                )
            ]
        )
    return client_id


async def send(
    session: AsyncSession,
    ctx: AppContext,
    user: User,
    conversation_id: uuid.UUID,
    body: object,
    client_id: object = None,
) -> tuple[Message, list[uuid.UUID]]:
    """Store a message (written first; the caller publishes it to `member_ids` after
    the commit). A `client_id` already used by this sender returns that message."""
    text = check_body(body)
    dedupe = _check_client_id(client_id)
    found = await access(session, user.id, conversation_id)
    if not found.writable:
        raise Forbidden("You are no longer friends; this conversation is read-only.")
    if dedupe is not None:
        earlier = await repository.by_client_id(session, user.id, dedupe)
        if earlier is not None:
            return _resent(earlier, found), found.member_ids
    await ctx.check_rate(
        f"chat:send:{user.id}",
        ctx.settings.chat_rate,
        "Too many messages in a short time; wait a moment.",
    )
    await db.start_writing(session)
    conversation = await _materialise(session, found)
    message = Message(
        conversation_id=conversation.id,
        sender_id=user.id,
        body_encrypted=keys.encrypt(ctx.settings, text),
        client_id=dedupe,
    )
    try:
        async with session.begin_nested():
            session.add(message)
            await session.flush()
    except IntegrityError:
        # The same client_id, sent twice at once: the other send stored it first.
        if dedupe is None:
            raise
        earlier = await repository.by_client_id(session, user.id, dedupe)
        if earlier is None:
            raise
        return _resent(earlier, found), found.member_ids
    await _mark_read(session, conversation.id, user.id, message)
    await events.publish(
        session, user, [MessageSent(conversation_id=str(conversation.id), message_id=message.id)]
    )
    return message, found.member_ids


def _resent(earlier: Message, found: Access) -> Message:
    """A resend answers the stored message; a client_id the sender already used for a
    message of another conversation is refused (it names one message, not two)."""
    if earlier.conversation_id != found.id:
        raise ValidationFailed(
            [
                FieldError(
                    "client_id",
                    "is already the id of another message of yours; use a new one",
                    rule="client_id_used",
                )
            ]
        )
    return earlier


async def _mark_read(
    session: AsyncSession, conversation_id: uuid.UUID, user_id: uuid.UUID, message: Message
) -> None:
    if await repository.move_read_marker(session, conversation_id, user_id, message.id):
        return
    row = await repository.member_row(session, conversation_id, user_id)
    if row is None:  # a challenge's member writing or reading for the first time
        session.add(
            ChatMember(
                conversation_id=conversation_id,
                user_id=user_id,
                last_read_message_id=message.id,
                last_read_at=clock.now(),
            )
        )
        await session.flush()


async def mark_read(
    session: AsyncSession, user: User, conversation_id: uuid.UUID, message_id: int
) -> None:
    """Move the user's read marker to `message_id` (never backwards)."""
    found = await access(session, user.id, conversation_id)
    message = await session.get(Message, message_id)
    if message is None or message.conversation_id != found.id:
        raise ValidationFailed(
            [FieldError("message_id", "is not a message of this conversation", rule="exists")]
        )
    await db.start_writing(session)
    conversation = await _materialise(session, found)
    await _mark_read(session, conversation.id, user.id, message)


async def hide(session: AsyncSession, user: User, message_id: int) -> None:
    """ "Delete for me": the user stops seeing it; the other members still do."""
    message = await session.get(Message, message_id)
    if message is None:
        raise NotFound("No such message.")
    found = await access(session, user.id, message.conversation_id)
    if message.sender_id in found.hidden_senders:
        raise NotFound("No such message.")
    if await session.get(MessageHide, (user.id, message.id)) is not None:
        return
    await db.start_writing(session)
    session.add(MessageHide(user_id=user.id, message_id=message.id))
    await session.flush()


@dataclass(frozen=True, slots=True)
class MessagePage:
    messages: list[Message]
    has_more: bool


async def messages(
    session: AsyncSession, user: User, conversation_id: uuid.UUID, *, before: int | None, limit: int
) -> MessagePage:
    found = await access(session, user.id, conversation_id)
    if found.conversation is None:
        return MessagePage([], False)
    rows = await repository.page_of_messages(
        session, found.id, user.id, found.hidden_senders, before=before, limit=limit + 1
    )
    return MessagePage(rows[:limit], len(rows) > limit)


@dataclass(frozen=True, slots=True)
class Summary:
    id: uuid.UUID
    kind: str
    title: str
    unread: int
    last_message: Message | None


async def _summary(session: AsyncSession, user_id: uuid.UUID, found: Access) -> Summary:
    if found.conversation is None:
        return Summary(found.id, found.kind, found.title, 0, None)
    marker = await repository.member_row(session, found.id, user_id)
    after = marker.last_read_message_id if marker is not None else None
    since = None
    if found.kind == "challenge":
        since = await repository.challenge_joined_at(session, found.id, user_id)
    unread = await repository.unread_count(
        session, found.id, user_id, found.hidden_senders, after, since
    )
    return Summary(
        found.id,
        found.kind,
        found.title,
        unread,
        await repository.last_message(session, found.id, user_id, found.hidden_senders),
    )


async def unread_total(session: AsyncSession, user: User) -> int:
    """Unread messages over all the user's conversations (the header badge; one query)."""
    return await repository.unread_total(session, user.id)


async def summaries(session: AsyncSession, user: User) -> list[Summary]:
    """The user's conversations, the most recently active first (never used ones last)."""
    hidden = await hidden_from(session, user.id)
    found: list[Summary] = []
    direct = await repository.my_direct(session, user.id)
    handles = await handles_of(session, [row.other.id for row in direct])
    for row in direct:
        if row.other.id in hidden:
            continue  # a block closes it
        title = name_of(row.other, handles.get(row.other.id))
        members = [user.id, row.other.id]
        access_row = Access(row.conversation.id, "direct", row.conversation, title, members, set())
        found.append(await _summary(session, user.id, access_row))
    for challenge in await repository.my_challenges(session, user.id):
        conversation = await session.get(Conversation, challenge.id)
        access_row = Access(challenge.id, "challenge", conversation, challenge.name, [], hidden)
        found.append(await _summary(session, user.id, access_row))
    found.sort(key=activity_key, reverse=True)
    return found


def activity_key(item: Summary) -> tuple[int, str]:
    """The list's order, newest activity first: the last message's id (0: none yet), then
    the conversation's id, so the order is total and a cursor can name a place in it."""
    return (item.last_message.id if item.last_message else 0, str(item.id))


def body_of(ctx: AppContext, message: Message) -> str:
    return keys.decrypt(ctx.settings, message.body_encrypted)
