"""Friends, blocks, profiles, share links and challenges (DOMAIN D12).

Friendship is mutual and stored both ways (a row per side), so "my friends" is one
indexed lookup. A block is one-sided in storage and hides both ways in every query.
Share links store a hash of their token: the URL is shown once and cannot be read back.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import JSON, Float, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from habitus.kit import clock
from habitus.models.base import Base, CreatedAtMixin, IdMixin

RequestStatus = Literal["pending", "accepted", "declined"]


class Profile(Base):
    """D12: the public face of an account: a unique handle (`[a-z0-9_]`, 3-30), a bio,
    and whether anyone may see it (private by default, Strava-style)."""

    __tablename__ = "profiles"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    handle: Mapped[str] = mapped_column(String(30), unique=True)
    bio: Mapped[str | None] = mapped_column(String(300))
    public: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class FriendRequest(IdMixin, CreatedAtMixin, Base):
    """D12.1: a request from one user to another. A declined one stays (with
    `decided_at`) so the same request cannot be sent again for 30 days."""

    __tablename__ = "friend_requests"
    __table_args__ = (
        UniqueConstraint("from_user_id", "to_user_id"),
        Index("ix_friend_requests_to_user_id_status", "to_user_id", "status"),
    )

    from_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    to_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[RequestStatus] = mapped_column(String(10), default="pending")
    decided_at: Mapped[datetime | None]
    # Sent to an email address: never listed to its sender (nor exported), so the sender
    # cannot tell whether the address has an account (a request to an unknown address
    # writes nothing, and this one looks the same).
    via_email: Mapped[bool] = mapped_column(default=False, server_default=false())


class Friendship(Base):
    """D12.1: one row per side of a friendship."""

    __tablename__ = "friendships"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    friend_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    since: Mapped[datetime] = mapped_column(default=clock.now)


class Block(Base):
    """D12.1: `blocker_id` blocked `blocked_id`; hides each from the other everywhere."""

    __tablename__ = "blocks"

    blocker_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Share(IdMixin, CreatedAtMixin, Base):
    """D12.2: an unguessable, revocable link to a read-only page of one habit."""

    __tablename__ = "shares"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    habit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("habits.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None]


class Challenge(IdMixin, CreatedAtMixin, Base):
    """D12.3: a group challenge; its window is [start_date, start_date + days - 1].
    `owner_id` None: the owner left the server and nobody was left to take it over."""

    __tablename__ = "challenges"

    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(String(2000))
    start_date: Mapped[date]
    days: Mapped[int]
    ended_at: Mapped[datetime | None]
    # A join link's token, hashed; None: no link (invites only).
    join_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)


class ChallengeHabit(IdMixin, Base):
    """D12.3: a habit template of a challenge, made into a habit in each member's account."""

    __tablename__ = "challenge_habits"
    __table_args__ = (UniqueConstraint("challenge_id", "position"),)

    challenge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="boolean")
    schedule: Mapped[dict[str, Any]] = mapped_column(JSON)
    target_value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(40))
    direction: Mapped[str] = mapped_column(String(8), default="at_least")


class ChallengeMember(Base):
    """D12.3: who is in a challenge, since when (D12.4 breaks ties by join order)."""

    __tablename__ = "challenge_members"
    __table_args__ = (Index("ix_challenge_members_user_id", "user_id"),)

    challenge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    joined_at: Mapped[datetime] = mapped_column(default=clock.now)
    # Left, or removed by the owner: the member's challenge habits are archived.
    left_at: Mapped[datetime | None]
    # The last rank the member was told about (an inbox notice when it improves).
    last_rank: Mapped[int | None]


class ChallengeInvite(Base):
    """D12.3: a friend invited to a challenge (they may see it and join)."""

    __tablename__ = "challenge_invites"

    challenge_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    invited_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
