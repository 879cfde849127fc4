"""D12.2: share links, read-only pages of one habit that anyone with the link may open.

The link is the permission: it works whatever the habit's visibility, until it is
revoked, the habit is deleted (the row goes with it) or its owner is disabled. Only a
SHA-256 of the token is stored, so a stolen database cannot rebuild a link; the URL is
shown once, when it is made. What a link shows is picked field by field here
(`PublicShare`): the habit's name, its streaks and which days were done, nothing else
(no notes, no amounts, no other habit, no email; the owner's name only when their
profile is public).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.analytics import queries as analytics
from habitus.context import AppContext
from habitus.errors import NotFound
from habitus.habits import repository as habits_repository
from habitus.habits.evaluation import evaluate, today_of
from habitus.kit import clock
from habitus.kit.pagination import after_time_id
from habitus.kit.rates import Rate
from habitus.metrics import recording as product_events
from habitus.models import Habit, Profile, Share, User
from habitus.social.access import blocked_between

# Making links is cheap for us and for a spammer: a person needs a few an hour at most.
CREATE_RATE = Rate.parse("20/hour")
TOKEN_BYTES = 32
# The public page's year: the same 53 weeks the owner's own habit page shows.
HEATMAP_DAYS = 371


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class NewShare:
    share: Share
    token: str  # shown once: only its hash is kept


async def create(
    session: AsyncSession, ctx: AppContext, user: User, habit_id: uuid.UUID
) -> NewShare:
    """A new link to one of the user's habits (404 for anyone else's)."""
    habit = await habits_repository.habit_of(session, user.id, habit_id)
    if habit is None:
        raise NotFound("No such habit.")
    await ctx.check_rate(
        f"shares:create:{user.id}",
        CREATE_RATE,
        "Too many share links made in a short time; try again later.",
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    share = Share(user_id=user.id, habit_id=habit.id, token_hash=hash_token(token))
    session.add(share)
    await session.flush()
    await product_events.record(session, product_events.SHARE_CREATED, user.id)
    return NewShare(share, token)


@dataclass(frozen=True, slots=True)
class ShareRow:
    share: Share
    habit_name: str


async def list_of(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    limit: int,
    after: list[Any] | None = None,
    habit_id: uuid.UUID | None = None,
    active_only: bool = False,
) -> list[ShareRow]:
    """The user's links, newest first, `limit + 1` rows (the extra one says "more")."""
    query = (
        select(Share, Habit.name)
        .join(Habit, Habit.id == Share.habit_id)
        .where(Share.user_id == user_id)
        .order_by(Share.created_at.desc(), Share.id.desc())
        .limit(limit + 1)
    )
    if (later := after_time_id(Share, after)) is not None:
        query = query.where(later)
    if habit_id is not None:
        query = query.where(Share.habit_id == habit_id)
    if active_only:
        query = query.where(Share.revoked_at.is_(None))
    rows = await session.execute(query)
    return [ShareRow(share, name) for share, name in rows.all()]


async def revoke(session: AsyncSession, user_id: uuid.UUID, share_id: uuid.UUID) -> Share:
    """Ends a link for good (revoking twice is fine); 404 for another user's link."""
    share = await session.scalar(
        select(Share).where(Share.id == share_id, Share.user_id == user_id)
    )
    if share is None:
        raise NotFound("No such share link.")
    if share.revoked_at is None:
        share.revoked_at = clock.now()
        await session.flush()
    return share


# --- the public page ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublicDay:
    day: date
    done: bool
    required: bool


@dataclass(frozen=True, slots=True)
class PublicShare:
    """Everything a share link shows, and nothing else."""

    name: str
    current_streak: int
    longest_streak: int
    streak_unit: str
    today: date
    week_start: str
    days: list[PublicDay]
    # Only when the owner's profile is public (D12.2: nothing private shows).
    owner_name: str | None
    owner_handle: str | None


async def _live_share(session: AsyncSession, token: str) -> tuple[Share, Habit, User] | None:
    if not token or len(token) > 100:
        return None
    row = (
        await session.execute(
            select(Share, Habit, User)
            .join(Habit, Habit.id == Share.habit_id)
            .join(User, User.id == Share.user_id)
            .where(
                Share.token_hash == hash_token(token),
                Share.revoked_at.is_(None),
                User.disabled_at.is_(None),
            )
        )
    ).first()
    return (row[0], row[1], row[2]) if row is not None else None


async def public_view(
    session: AsyncSession,
    ctx: AppContext,
    token: str,
    *,
    viewer_id: uuid.UUID | None = None,
) -> PublicShare:
    """What the link shows; 404 once revoked, for an unknown token, a deleted habit, a
    disabled owner, or a signed-in viewer blocked either way (D12.1)."""
    found = await _live_share(session, token)
    blocked = (
        found is not None
        and viewer_id is not None
        and viewer_id != found[2].id
        and await blocked_between(session, viewer_id, found[2].id)
    )
    if found is None or blocked:
        raise NotFound("This share link does not exist or was revoked.")
    _, habit, owner = found
    today = today_of(owner)
    [evaluated] = await evaluate(session, owner, [habit], today)
    first = today - timedelta(days=HEATMAP_DAYS - 1)
    heat = await analytics.heatmap(
        session,
        owner,
        first,
        today,
        habit_id=habit.id,
        threshold=ctx.settings.summary_threshold_days,
    )
    profile = await session.get(Profile, owner.id)
    public_profile = profile is not None and profile.public
    now = evaluated.now
    return PublicShare(
        name=habit.name,
        current_streak=now.current.length,
        longest_streak=now.longest.length,
        streak_unit=now.unit,
        today=today,
        week_start=owner.week_start,
        days=[PublicDay(day.day, day.done > 0, day.required > 0) for day in heat.days],
        owner_name=(owner.display_name or None) if public_profile else None,
        owner_handle=profile.handle if profile is not None and public_profile else None,
    )


# --- the account's data ------------------------------------------------------------------------


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def export_of(session: AsyncSession, user_id: uuid.UUID) -> dict[str, Any]:
    """The user's own share links for the account export: never the token (only its
    hash is kept, and even that stays home). Deleting the account deletes them (the
    rows cascade from users and from habits)."""
    rows = await session.scalars(
        select(Share).where(Share.user_id == user_id).order_by(Share.created_at, Share.id)
    )
    return {
        "shares": [
            {
                "id": str(share.id),
                "habit_id": str(share.habit_id),
                "created_at": _stamp(share.created_at),
                "revoked_at": _stamp(share.revoked_at),
            }
            for share in rows
        ]
    }
