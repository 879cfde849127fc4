from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from habitus.models.base import Base, CreatedAtMixin, IdMixin


class ImportRecord(IdMixin, CreatedAtMixin, Base):
    """One imported file: what it was, and what it created. A file is known by its
    SHA-256 per user, so importing the same file again creates nothing.

    The row is written first, as the import's claim on the file (`finished_at` null),
    and completed when the last batch is in; a failed import deletes its claim, and a
    claim a crashed process left unfinished for an hour may be taken over."""

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
    finished_at: Mapped[datetime | None]
