"""D12.1: friend requests and friendships.

Sending a request answers the same whatever happens (no such person, blocked, asked
too recently after a decline): the sender learns nothing about who has an account.
A friendship is two rows, one per side, written and removed together.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.auth.repository import user_by_email
from habitus.context import AppContext
from habitus.errors import NotFound, ValidationFailed
from habitus.events.kinds import FriendAccepted, FriendRequested
from habitus.events.service import publish
from habitus.kit import clock
from habitus.kit.rates import Rate
from habitus.models import FriendRequest, Friendship, Profile, User
from habitus.social import access
from habitus.social.profiles import by_handle, handles_of, name_of

# Per sender: a burst of 20, then one more every 3 minutes (D12.1 request spam).
REQUEST_RATE = Rate(count=20, period_seconds=3600)
# A declined request cannot be sent again for this long (D12.1).
RESEND_AFTER = timedelta(days=30)
NO_REQUEST = "No such request."


async def _target(session: AsyncSession, handle: str | None, email: str | None) -> User | None:
    if handle is not None:
        profile = await by_handle(session, handle.strip().lstrip("@").lower())
        return await session.get(User, profile.user_id) if profile else None
    if email is not None:
        return await user_by_email(session, email)
    return None


async def send_request(
    session: AsyncSession,
    ctx: AppContext,
    sender: User,
    *,
    handle: str | None = None,
    email: str | None = None,
) -> None:
    """Ask someone to be friends. Unknown person, a block either way, or a request
    declined less than 30 days ago: nothing is written and the answer is the same. If
    they had already asked the sender, both asked: they become friends."""
    field = "handle" if handle is not None else "email"
    if handle is None and email is None:
        raise ValidationFailed.field("handle", "give a handle or an email address", "missing")
    await ctx.check_rate(
        f"friend-requests:{sender.id}", REQUEST_RATE, "Too many friend requests; try again later."
    )
    target = await _target(session, handle, email)
    if target is None or target.disabled_at is not None:
        return
    if target.id == sender.id:
        raise ValidationFailed.field(field, "is you: ask someone else", rule="self")
    if await access.blocked_between(session, sender.id, target.id):
        return
    if await access.are_friends(session, sender.id, target.id):
        raise ValidationFailed.field(field, "is already your friend", rule="already_friends")
    theirs = await _request(session, target.id, sender.id)
    if theirs is not None and theirs.status == "pending":
        await _accept(session, theirs, accepter=sender, requester=target)
        return
    now = clock.now()
    mine = await _request(session, sender.id, target.id)
    if mine is None:
        mine = FriendRequest(
            from_user_id=sender.id,
            to_user_id=target.id,
            status="pending",
            via_email=handle is None,
        )
        session.add(mine)
    elif mine.status == "pending":
        return  # already asked: asking again changes nothing
    elif mine.status == "declined" and _recent(mine.decided_at, now):
        return
    else:
        mine.status, mine.decided_at, mine.created_at = "pending", None, now
    await session.flush()
    handle_of = (await handles_of(session, [sender.id])).get(sender.id)
    await publish(
        session,
        target,
        [
            FriendRequested(
                request_id=str(mine.id),
                from_user_id=str(sender.id),
                from_name=name_of(sender, handle_of),
            )
        ],
    )


def _recent(decided_at: datetime | None, now: datetime) -> bool:
    return decided_at is not None and now - decided_at < RESEND_AFTER


async def _request(
    session: AsyncSession, from_id: uuid.UUID, to_id: uuid.UUID
) -> FriendRequest | None:
    return await session.scalar(
        select(FriendRequest).where(
            FriendRequest.from_user_id == from_id, FriendRequest.to_user_id == to_id
        )
    )


async def _incoming(session: AsyncSession, user: User, request_id: uuid.UUID) -> FriendRequest:
    """A pending request to `user`; 404 for anyone else's, a decided one, or a blocked
    sender's."""
    # Locked: two accepts at once must not both write the friendship rows.
    found = await session.get(FriendRequest, request_id, with_for_update=True)
    if (
        found is None
        or found.to_user_id != user.id
        or found.status != "pending"
        or await access.blocked_between(session, user.id, found.from_user_id)
    ):
        raise NotFound(NO_REQUEST)
    return found


async def accept(session: AsyncSession, user: User, request_id: uuid.UUID) -> Friendship:
    request = await _incoming(session, user, request_id)
    requester = await session.get(User, request.from_user_id)
    if requester is None:
        raise NotFound(NO_REQUEST)
    return await _accept(session, request, accepter=user, requester=requester)


async def _accept(
    session: AsyncSession, request: FriendRequest, *, accepter: User, requester: User
) -> Friendship:
    now = clock.now()
    request.status, request.decided_at = "accepted", now
    # A request the accepter had sent the other way is answered too.
    await session.execute(
        delete(FriendRequest).where(
            FriendRequest.from_user_id == accepter.id,
            FriendRequest.to_user_id == requester.id,
            FriendRequest.status == "pending",
        )
    )
    mine = Friendship(user_id=accepter.id, friend_id=requester.id, since=now)
    session.add_all([mine, Friendship(user_id=requester.id, friend_id=accepter.id, since=now)])
    await session.flush()
    handle = (await handles_of(session, [accepter.id])).get(accepter.id)
    await publish(
        session,
        requester,
        [FriendAccepted(friend_id=str(accepter.id), friend_name=name_of(accepter, handle))],
    )
    return mine


async def decline(session: AsyncSession, user: User, request_id: uuid.UUID) -> None:
    request = await _incoming(session, user, request_id)
    request.status, request.decided_at = "declined", clock.now()


@dataclass(frozen=True, slots=True)
class Person:
    id: uuid.UUID
    handle: str | None
    display_name: str | None


@dataclass(frozen=True, slots=True)
class RequestView:
    id: uuid.UUID
    user: Person
    created_at: datetime


async def pending_requests(
    session: AsyncSession, user_id: uuid.UUID
) -> tuple[list[RequestView], list[RequestView]]:
    """(incoming, outgoing) open requests, newest first, blocked people left out."""
    rows = await session.execute(
        select(FriendRequest, User.display_name, Profile.handle)
        .join(User, User.id == FriendRequest.from_user_id)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(FriendRequest.to_user_id == user_id, FriendRequest.status == "pending")
        .order_by(FriendRequest.created_at.desc(), FriendRequest.id.desc())
    )
    hidden = await access.hidden_from(session, user_id)
    incoming = [
        RequestView(row.id, Person(row.from_user_id, handle, name), row.created_at)
        for row, name, handle in rows.all()
        if row.from_user_id not in hidden
    ]
    rows = await session.execute(
        select(FriendRequest, User.display_name, Profile.handle)
        .join(User, User.id == FriendRequest.to_user_id)
        .outerjoin(Profile, Profile.user_id == User.id)
        # A declined request still looks open to its sender: a decline is not announced.
        .where(
            FriendRequest.from_user_id == user_id,
            FriendRequest.status != "accepted",
            # Sent to an email address: not listed, whether or not it has an account.
            FriendRequest.via_email.is_(False),
        )
        .order_by(FriendRequest.created_at.desc(), FriendRequest.id.desc())
    )
    outgoing = [
        RequestView(row.id, Person(row.to_user_id, handle, name), row.created_at)
        for row, name, handle in rows.all()
        if row.to_user_id not in hidden
    ]
    return incoming, outgoing


@dataclass(frozen=True, slots=True)
class FriendView:
    user: Person
    since: datetime


async def friends_of(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    limit: int | None = None,
    after: tuple[datetime, uuid.UUID] | None = None,
    only: uuid.UUID | None = None,
) -> list[FriendView]:
    """The user's friends, newest friendship first (since, then id); `only`: that one."""
    query = (
        select(Friendship.friend_id, Friendship.since, User.display_name, Profile.handle)
        .join(User, User.id == Friendship.friend_id)
        .outerjoin(Profile, Profile.user_id == Friendship.friend_id)
        .where(Friendship.user_id == user_id)
        .order_by(Friendship.since.desc(), Friendship.friend_id.desc())
    )
    if after is not None:
        since, friend_id = after
        query = query.where(
            or_(
                Friendship.since < since,
                and_(Friendship.since == since, Friendship.friend_id < friend_id),
            )
        )
    if only is not None:
        query = query.where(Friendship.friend_id == only)
    if limit is not None:
        query = query.limit(limit)
    rows = await session.execute(query)
    return [
        FriendView(Person(friend_id, handle, name), since)
        for friend_id, since, name, handle in rows.all()
    ]


async def end_friendship(session: AsyncSession, one: uuid.UUID, other: uuid.UUID) -> int:
    """Remove both rows; how many there were."""
    result = await session.execute(
        delete(Friendship).where(
            or_(
                and_(Friendship.user_id == one, Friendship.friend_id == other),
                and_(Friendship.user_id == other, Friendship.friend_id == one),
            )
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def unfriend(session: AsyncSession, user: User, friend_id: uuid.UUID) -> None:
    if not await end_friendship(session, user.id, friend_id):
        raise NotFound("No such friend.")


async def people(session: AsyncSession, ids: list[uuid.UUID]) -> list[Person]:
    """Each user's id, handle and name, in the order given (one query)."""
    if not ids:
        return []
    rows = await session.execute(
        select(User.id, User.display_name, Profile.handle)
        .outerjoin(Profile, Profile.user_id == User.id)
        .where(User.id.in_(ids))
    )
    found = {user_id: Person(user_id, handle, name) for user_id, name, handle in rows.all()}
    return [found[user_id] for user_id in ids if user_id in found]
