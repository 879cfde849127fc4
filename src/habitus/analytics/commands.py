"""What `habitus rebuild-summaries` does: recompute every summary row from raw entries
and report each row that differed (a repair tool)."""

from __future__ import annotations

from dataclasses import dataclass

from habitus import db
from habitus.analytics import repository, service
from habitus.analytics.service import Difference
from habitus.config import Settings


@dataclass(frozen=True, slots=True)
class Rebuilt:
    users: int
    habits: int
    differences: list[tuple[str, Difference]]  # (user email, difference)


async def rebuild(settings: Settings, *, email: str | None = None) -> Rebuilt:
    """Every user's (or one user's) summaries again, in one transaction. ValueError
    when `email` names nobody. The schema must be migrated already."""
    engine = db.create_engine(settings.database_url)
    try:
        async with db.job_transaction(db.create_sessionmaker(engine)) as session:
            users = await repository.users_to_rebuild(session, email)
            if email is not None and not users:
                raise ValueError(f"no user with the email {email!r}")
            differences: list[tuple[str, Difference]] = []
            habits = 0
            for user in users:
                found = await service.rebuild_user(session, user)
                habits += await repository.habit_count(session, user.id)
                differences.extend((user.email, difference) for difference in found)
            return Rebuilt(len(users), habits, differences)
    finally:
        await engine.dispose()
