"""JSON API: /api/v1/me/profile, /profiles, /friends and /blocks (DOMAIN D12.1)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response, status

from habitus.auth.dependencies import CurrentUser, idempotent
from habitus.errors import FieldError, ValidationFailed
from habitus.http.dependencies import Context, DbSession
from habitus.http.routing import TransactionalRoute
from habitus.kit.pagination import Page, Pagination, page_of
from habitus.kit.responses import AUTHENTICATED_PROBLEMS, problems
from habitus.models import Profile
from habitus.social import blocks, friends, profiles
from habitus.social.people_schemas import (
    AchievementOnProfile,
    BlockIn,
    BlockOut,
    FriendOut,
    FriendRequestIn,
    FriendRequestOut,
    FriendRequestsOut,
    HabitOnProfile,
    PersonOut,
    ProfileIn,
    ProfileOut,
    PublicProfileOut,
    RequestSentOut,
)

router = APIRouter(route_class=TransactionalRoute, responses=AUTHENTICATED_PROBLEMS)


def _profile_out(found: Profile | None) -> ProfileOut:
    if found is None:
        return ProfileOut(handle=None, bio=None, public=False)
    return ProfileOut(handle=found.handle, bio=found.bio, public=found.public)


@router.get("/me/profile", tags=["people"])
async def get_my_profile(user: CurrentUser, session: DbSession) -> ProfileOut:
    """Your handle, bio and whether the profile is public (all empty until you choose a
    handle)."""
    return _profile_out(await profiles.profile_of(session, user.id))


@router.patch("/me/profile", tags=["people"], responses=problems(422))
async def patch_my_profile(user: CurrentUser, session: DbSession, body: ProfileIn) -> ProfileOut:
    """Change the fields sent. The handle is 3 to 30 of `[a-z0-9_]` and unique (422 with
    rule `pattern` or `taken`); the first change must choose one."""
    sent = body.model_fields_set
    if "handle" in sent and body.handle is None:
        raise ValidationFailed([FieldError("handle", "cannot be removed", rule="missing")])
    changes: dict[str, object] = {}
    if "bio" in sent:
        changes["bio"] = body.bio
    found = await profiles.update_profile(
        session, user.id, handle=body.handle, public=body.public, **changes
    )
    return _profile_out(found)


@router.get("/profiles/{handle}", tags=["people"], responses=problems(404))
async def get_profile(handle: str, user: CurrentUser, session: DbSession) -> PublicProfileOut:
    """A profile with the habits you may see and their streaks (D12.2), and its earned
    achievements; 404 unless it is public, a friend's or yours, and whenever either of
    you blocked the other."""
    view = await profiles.view_by_handle(session, user.id, handle)
    return PublicProfileOut(
        handle=view.handle,
        display_name=view.display_name,
        bio=view.bio,
        habits=[
            HabitOnProfile(
                id=item.id,
                name=item.name,
                visibility=item.visibility,
                current_streak=item.current_streak,
                longest_streak=item.longest_streak,
            )
            for item in view.habits
        ],
        achievements=[AchievementOnProfile(id=a.id, title=a.title) for a in view.achievements],
    )


@router.post(
    "/friends/requests",
    tags=["people"],
    status_code=status.HTTP_201_CREATED,
    responses=problems(422, 429),
    dependencies=[idempotent()],
)
async def send_friend_request(
    user: CurrentUser, session: DbSession, ctx: Context, body: FriendRequestIn
) -> RequestSentOut:
    """Ask someone by handle or email. The answer is the same whether or not they have
    an account (D12.1); rate-limited per user; a declined request cannot be sent again
    for 30 days. If they had asked you already, you become friends."""
    await friends.send_request(
        session, ctx, user, handle=body.handle, email=str(body.email) if body.email else None
    )
    return RequestSentOut()


def _person(person: friends.Person) -> PersonOut:
    return PersonOut(id=person.id, handle=person.handle, display_name=person.display_name)


def _request_out(view: friends.RequestView) -> FriendRequestOut:
    return FriendRequestOut(id=view.id, user=_person(view.user), created_at=view.created_at)


@router.get("/friends/requests", tags=["people"])
async def list_friend_requests(user: CurrentUser, session: DbSession) -> FriendRequestsOut:
    """Pending requests to you and from you, newest first."""
    incoming, outgoing = await friends.pending_requests(session, user.id)
    return FriendRequestsOut(
        incoming=[_request_out(v) for v in incoming], outgoing=[_request_out(v) for v in outgoing]
    )


@router.post(
    "/friends/requests/{request_id}/accept",
    tags=["people"],
    responses=problems(404),
    dependencies=[idempotent()],
)
async def accept_friend_request(
    request_id: uuid.UUID, user: CurrentUser, session: DbSession
) -> FriendOut:
    """Accept a request to you: you are friends (404 for anyone else's request)."""
    made = await friends.accept(session, user, request_id)
    person = (await friends.friends_of(session, user.id, only=made.friend_id))[0]
    return FriendOut(user=_person(person.user), since=person.since)


@router.post(
    "/friends/requests/{request_id}/decline",
    tags=["people"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(404),
    dependencies=[idempotent()],
)
async def decline_friend_request(
    request_id: uuid.UUID, user: CurrentUser, session: DbSession
) -> Response:
    """Decline a request to you; the sender cannot ask again for 30 days."""
    await friends.decline(session, user, request_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _friend_key(view: friends.FriendView) -> list[object]:
    return [view.since.isoformat(), str(view.user.id)]


def _after(raw: list[object] | None) -> tuple[datetime, uuid.UUID] | None:
    if raw is None:
        return None
    try:
        stamp, friend_id = raw
        return datetime.fromisoformat(str(stamp)), uuid.UUID(str(friend_id))
    except (ValueError, TypeError) as error:
        raise ValidationFailed.field(
            "cursor", "is not a cursor this server issued", "cursor_format"
        ) from error


@router.get("/friends", tags=["people"])
async def list_friends(user: CurrentUser, session: DbSession, page: Pagination) -> Page[FriendOut]:
    """Your friends, newest friendship first."""
    rows = await friends.friends_of(
        session, user.id, limit=page.limit + 1, after=_after(page.after)
    )
    result = page_of(rows, page.limit, _friend_key)
    return Page(
        items=[FriendOut(user=_person(v.user), since=v.since) for v in result.items],
        next_cursor=result.next_cursor,
    )


@router.delete(
    "/friends/{user_id}",
    tags=["people"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(404),
)
async def unfriend(
    user_id: Annotated[str, Path(description="The friend's user id (a UUID).")],
    user: CurrentUser,
    session: DbSession,
) -> Response:
    """End a friendship (both sides)."""
    if user_id == "requests":
        # /friends/requests is a resource of its own (GET, POST), not a user id here.
        raise HTTPException(status.HTTP_405_METHOD_NOT_ALLOWED, headers={"Allow": "GET, POST"})
    try:
        friend_id = uuid.UUID(user_id)
    except ValueError:
        raise ValidationFailed.field(
            "user_id", "is not a user id (a UUID)", "uuid_parsing"
        ) from None
    await friends.unfriend(session, user, friend_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/blocks",
    tags=["people"],
    status_code=status.HTTP_201_CREATED,
    responses=problems(404, 422),
    dependencies=[idempotent()],
)
async def block_user(user: CurrentUser, session: DbSession, body: BlockIn) -> BlockOut:
    """Block someone: ends the friendship and pending requests both ways and hides you
    from each other everywhere (D12.1)."""
    made = await blocks.block(session, user, body.user_id)
    return BlockOut(user_id=made.blocked_id, created_at=made.created_at)


@router.delete(
    "/blocks/{user_id}",
    tags=["people"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(404),
)
async def unblock_user(user_id: uuid.UUID, user: CurrentUser, session: DbSession) -> Response:
    """Lift your block (a friendship it ended stays ended)."""
    await blocks.unblock(session, user, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
