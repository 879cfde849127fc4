from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from habitus.core.time import Weekday
from habitus.kit import clock
from habitus.models.base import Base, CreatedAtMixin, IdMixin

Theme = Literal["light", "dark", "system"]
DayPart = Literal["morning", "evening"]
THEMES: tuple[Theme, ...] = get_args(Theme)
DAY_PARTS: tuple[DayPart, ...] = get_args(DayPart)


class User(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("day_start_hour BETWEEN 0 AND 6", name="day_start_hour_range"),
        CheckConstraint("theme IN ('light', 'dark', 'system')", name="theme_known"),
        CheckConstraint("day_part IN ('morning', 'evening')", name="day_part_known"),
        CheckConstraint("plan IN ('free', 'pro')", name="plan_known"),
        Index("ix_users_created_at_id", "created_at", "id"),
        CheckConstraint("email_key IS NOT NULL OR phone IS NOT NULL", name="email_or_phone"),
    )

    # As typed at sign-up (for display); `email_key` is the lower-cased form that
    # makes addresses unique case-insensitively on SQLite and PostgreSQL alike. A user
    # who signed up with a phone number (issue 20) may have no address: every user has
    # one or the other (the check constraint).
    email: Mapped[str | None] = mapped_column(String(320))
    email_key: Mapped[str | None] = mapped_column(String(320), unique=True)
    # E.164 ("+4915112345678"), verified by a code at sign-up (issue 20).
    phone: Mapped[str | None] = mapped_column(String(16), unique=True)
    # Issue 21: "free" or "pro"; only limits anything with HABITUS_PLANS=on.
    plan: Mapped[str] = mapped_column(String(4), default="free", server_default="free")
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    day_start_hour: Mapped[int] = mapped_column(default=0)
    week_start: Mapped[Weekday] = mapped_column(String(3), default="mon")
    is_admin: Mapped[bool] = mapped_column(default=False)
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    last_login_at: Mapped[datetime | None]
    # Web preferences: the colour theme, and whether the user is a morning or an
    # evening person (onboarding suggests habits from it; None: not said).
    theme: Mapped[Theme] = mapped_column(String(6), default="system", server_default="system")
    day_part: Mapped[DayPart | None] = mapped_column(String(7))
    # Quiet hours ("HH:MM" local, both or neither): between them only the inbox gets
    # notifications (a window may wrap midnight: 22:00 to 07:00).
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    # Set when the user finished (or skipped) onboarding; None sends a web sign-in there.
    onboarded_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None
