"""`habitus train --user EMAIL` (issue 18, D14.2): retrain one user's model now, with
a progress display, outside the worker."""

from __future__ import annotations

from dataclasses import dataclass

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from habitus import db
from habitus.coach import insights
from habitus.config import Settings
from habitus.models import User


@dataclass(frozen=True, slots=True)
class Trained:
    found: bool
    model: str  # "logistic" or "baseline" (too little data)
    samples: int


async def train(settings: Settings, email: str, *, show: bool = True) -> Trained:
    engine = db.create_engine(settings.database_url)
    maker = db.create_sessionmaker(engine)
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            disable=not show,
            transient=True,
        ) as progress:
            step = progress.add_task("Reading the history", total=2)
            async with db.job_transaction(maker) as session:
                user = await session.scalar(
                    select(User).where(User.email_key == email.strip().lower())
                )
                if user is None:
                    return Trained(False, "baseline", 0)
                progress.update(step, description="Training", advance=1)
                model = await insights.train_user(session, user)
                progress.update(step, description="Stored", advance=1)
        if model is None:
            return Trained(True, "baseline", 0)
        return Trained(True, "logistic", model.samples)
    finally:
        await engine.dispose()
