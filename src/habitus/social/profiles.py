"""D12: profiles (a unique handle, a bio, public or not) and what a viewer may see of one.

Who sees a profile: its owner, their friends, and anyone when it is public; a block
hides it both ways (404, as if it did not exist). Habits shown follow each habit's own
visibility (D12.2): public ones for anyone, friends' ones too for friends, all for the
owner.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.core.achievements import BY_ID
from habitus.errors import FieldError, NotFound, ValidationFailed
from habitus.gamification.repository import achievements_of
from habitus.habits import evaluation
from habitus.habits import repository as habits
from habitus.models import Profile, User
from habitus.social import access

HANDLE = re.compile(r"[a-z0-9_]{3,30}")
BIO_MAX = 300
Audience = Literal["me", "friend", "public"]
# Habit visibilities each audience sees (D12.2).
SEES: dict[Audience, frozenset[str]] = {
    "me": frozenset({"private", "friends", "public"}),
    "friend": frozenset({"friends", "public"}),
    "public": frozenset({"public"}),
}
NOT_FOUND = "No such profile."


async def profile_of(session: AsyncSession, user_id: uuid.UUID) -> Profile | None:
    return await session.get(Profile, user_id)


async def by_handle(session: AsyncSession, handle: str) -> Profile | None:
    return await session.scalar(select(Profile).where(Profile.handle == handle))


async def handles_of(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each user's handle (users without a profile are left out): one query."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(Profile.user_id, Profile.handle).where(Profile.user_id.in_(wanted))
    )
    return dict(rows.all())


def name_of(user: User, handle: str | None) -> str:
    """How a person is called to others: their name, else their handle."""
    return user.display_name or (f"@{handle}" if handle else "Someone")


def _check(handle: str | None, bio: str | None) -> list[FieldError]:
    errors = []
    if handle is not None and not HANDLE.fullmatch(handle):
        errors.append(
            FieldError(
                "handle",
                "must be 3 to 30 characters: lowercase letters, digits or _",
                rule="pattern",
            )
        )
    if bio is not None and len(bio) > BIO_MAX:
        errors.append(
            FieldError("bio", f"must be at most {BIO_MAX} characters", rule="string_too_long")
        )
    return errors


_UNSET: object = object()


async def update_profile(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    handle: str | None = None,
    bio: object = _UNSET,
    public: bool | None = None,
) -> Profile:
    """Change what was given; the first change must choose a handle. A taken handle is
    a 422 naming `handle` (rule `taken`), checked again by the unique index on a race."""
    bio_text = None if bio is _UNSET else (str(bio).strip() if bio is not None else None)
    errors = _check(handle, bio_text)
    profile = await profile_of(session, user_id)
    if profile is None and handle is None and not errors:
        errors.append(FieldError("handle", "choose a handle first", rule="missing"))
    if handle is not None and not errors:
        owner = await session.scalar(select(Profile.user_id).where(Profile.handle == handle))
        if owner is not None and owner != user_id:
            errors.append(_taken())
    if errors:
        raise ValidationFailed(errors)
    if profile is None:
        profile = Profile(user_id=user_id, handle=handle, public=False)
        session.add(profile)
    if handle is not None:
        profile.handle = handle
    if bio is not _UNSET:
        profile.bio = bio_text or None
    if public is not None:
        profile.public = public
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:  # another account took it between check and write
        raise ValidationFailed([_taken()]) from error
    return profile


def _taken() -> FieldError:
    return FieldError("handle", "is taken by someone else; choose another", rule="taken")


@dataclass(frozen=True, slots=True)
class HabitShown:
    id: uuid.UUID
    name: str
    visibility: str
    current_streak: int
    longest_streak: int


@dataclass(frozen=True, slots=True)
class AchievementShown:
    id: str
    title: str


@dataclass(frozen=True, slots=True)
class ProfileView:
    user_id: uuid.UUID
    handle: str
    display_name: str | None
    bio: str | None
    public: bool
    audience: Audience
    habits: list[HabitShown]
    achievements: list[AchievementShown]


async def audience_of(session: AsyncSession, viewer_id: uuid.UUID, profile: Profile) -> Audience:
    """What `viewer_id` is to the profile's owner; 404 when they may not see it."""
    owner = profile.user_id
    if viewer_id == owner:
        return "me"
    if await access.blocked_between(session, viewer_id, owner):
        raise NotFound(NOT_FOUND)
    if await access.are_friends(session, viewer_id, owner):
        return "friend"
    if profile.public:
        return "public"
    raise NotFound(NOT_FOUND)


async def view_of(session: AsyncSession, profile: Profile, audience: Audience) -> ProfileView:
    """The profile as `audience` sees it: its visible, active habits with their current
    and longest streaks, and the owner's earned achievements."""
    owner = await session.get(User, profile.user_id)
    if owner is None:
        raise NotFound(NOT_FOUND)
    seen = [h for h in await habits.habits_of(session, owner.id) if h.visibility in SEES[audience]]
    evaluated = await evaluation.evaluate(session, owner, seen, evaluation.today_of(owner))
    earned = await achievements_of(session, owner.id)
    return ProfileView(
        user_id=owner.id,
        handle=profile.handle,
        display_name=owner.display_name,
        bio=profile.bio,
        public=profile.public,
        audience=audience,
        habits=[
            HabitShown(
                id=item.ctx.habit.id,
                name=item.ctx.habit.name,
                visibility=item.ctx.habit.visibility,
                current_streak=item.now.current.length,
                longest_streak=item.now.longest.length,
            )
            for item in evaluated
        ],
        achievements=[
            AchievementShown(row.achievement_id, BY_ID[row.achievement_id].title)
            for row in earned
            if row.achievement_id in BY_ID
        ],
    )


async def view_by_handle(session: AsyncSession, viewer_id: uuid.UUID, handle: str) -> ProfileView:
    profile = await by_handle(session, handle)
    if profile is None:
        raise NotFound(NOT_FOUND)
    return await view_of(session, profile, await audience_of(session, viewer_id, profile))
