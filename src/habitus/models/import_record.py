from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from habitus.models.base import Base, CreatedAtMixin, IdMixin


class ImportRecord(IdMixin, CreatedAtMixin, Base):
    """One imported file: what it was, and what it created. A file is known by its
    SHA-256 per user, so importing the same file again creates nothing."""

    __tablename__ = "import_records"
    __table_args__ = (UniqueConstraint("user_id", "sha256"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    format: Mapped[str] = mapped_column(String(16))  # loop_db | loop_csv | habitus_json | ...
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    habits_created: Mapped[int]
    entries_created: Mapped[int]
    entries_skipped: Mapped[int]
    report: Mapped[list[Any]] = mapped_column(JSON, default=list)
