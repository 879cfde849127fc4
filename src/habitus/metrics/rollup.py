"""The daily rollup: one `metric_days` row per UTC day, the only thing GET /admin/metrics
reads (docs/METRICS.md defines every figure).

A day's row counts, with bounded queries over that day (or the 30 days before it):
- `dau`, `wau`, `mau`: distinct users with an activity day on the day, in the 7 days,
  in the 30 days ending with it;
- `signups`: accounts made that day (users.created_at, UTC);
- `back_d1`, `back_d7`, `back_d30`: of the accounts made 1, 7, 30 days before, how many
  were active on the day (retention cohorts are sums of these);
- `logs`, `reminders_sent`, `reminders_failed`: product events of that day;
- `nps_promoters`, `nps_passives`, `nps_detractors`: NPS answers given that day;
- `avg_streak`: the average current streak of live habits, for today's row only (a
  snapshot: the past cannot be read back), kept once the day is over.

Finished days are computed once; today's row is recomputed on every pass (partial).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.kit import clock
from habitus.metrics import recording
from habitus.models import ActivityDay, HabitStateRow, MetricDay, NpsResponse, ProductEvent, User
from habitus.registry import JobContext

# A pass computes at most this many days (a fresh server catches up over a few passes).
DAYS_PER_PASS = 62
# A server with no rollup yet starts this many days back.
FIRST_BACKFILL_DAYS = 45
INTERVAL_SECONDS = 600.0
RETURN_OFFSETS = (1, 7, 30)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


async def _distinct_active(session: AsyncSession, first: date, last: date) -> int:
    return int(
        await session.scalar(
            select(func.count(func.distinct(ActivityDay.user_id))).where(
                ActivityDay.day >= first, ActivityDay.day <= last
            )
        )
        or 0
    )


async def compute_day(session: AsyncSession, day: date) -> dict[str, Any]:
    """The rollup of `day` (see the module's docstring), as a dict."""
    start, end = day_bounds(day)
    data: dict[str, Any] = {
        "dau": await _distinct_active(session, day, day),
        "wau": await _distinct_active(session, day - timedelta(days=6), day),
        "mau": await _distinct_active(session, day - timedelta(days=29), day),
    }
    data["signups"] = int(
        await session.scalar(
            select(func.count()).where(User.created_at >= start, User.created_at < end)
        )
        or 0
    )
    for offset in RETURN_OFFSETS:
        cohort_start, cohort_end = day_bounds(day - timedelta(days=offset))
        data[f"back_d{offset}"] = int(
            await session.scalar(
                select(func.count())
                .select_from(User)
                .join(ActivityDay, and_(ActivityDay.user_id == User.id, ActivityDay.day == day))
                .where(User.created_at >= cohort_start, User.created_at < cohort_end)
            )
            or 0
        )
    counts: dict[str, int] = dict(
        (
            await session.execute(
                select(ProductEvent.kind, func.count())
                .where(
                    ProductEvent.kind.in_(
                        [
                            recording.HABIT_LOGGED,
                            recording.REMINDER_SENT,
                            recording.REMINDER_FAILED,
                        ]
                    ),
                    ProductEvent.occurred_at >= start,
                    ProductEvent.occurred_at < end,
                )
                .group_by(ProductEvent.kind)
            )
        ).all()
    )
    data["logs"] = int(counts.get(recording.HABIT_LOGGED, 0))
    data["reminders_sent"] = int(counts.get(recording.REMINDER_SENT, 0))
    data["reminders_failed"] = int(counts.get(recording.REMINDER_FAILED, 0))
    scores = (
        await session.execute(
            select(NpsResponse.score, func.count())
            .where(NpsResponse.created_at >= start, NpsResponse.created_at < end)
            .group_by(NpsResponse.score)
        )
    ).all()
    promoters = passives = detractors = 0
    for score, count in scores:
        if score >= 9:
            promoters += count
        elif score >= 7:
            passives += count
        else:
            detractors += count
    data.update(nps_promoters=promoters, nps_passives=passives, nps_detractors=detractors)
    return data


async def average_current_streak(session: AsyncSession, today: date) -> float | None:
    """The average current streak of habits whose streak is alive (its last unit ended
    yesterday or later), over all users: the kept walks, one row a habit."""
    value = await session.scalar(
        select(func.avg(HabitStateRow.current_length)).where(
            HabitStateRow.current_length > 0,
            HabitStateRow.current_last >= today - timedelta(days=1),
        )
    )
    return round(float(value), 2) if value is not None else None


async def store_day(session: AsyncSession, day: date, today: date) -> dict[str, Any]:
    data = await compute_day(session, day)
    existing = await session.get(MetricDay, day, populate_existing=True)
    if day == today:
        data["avg_streak"] = await average_current_streak(session, today)
    elif existing is not None and "avg_streak" in existing.data:
        data["avg_streak"] = existing.data["avg_streak"]  # the snapshot taken that day
    data["partial"] = day >= today
    await db.start_writing(session)
    if existing is None:
        session.add(MetricDay(day=day, data=data, computed_at=clock.now()))
    else:
        existing.data = data
        existing.computed_at = clock.now()
    await session.flush()
    return data


async def days_due(session: AsyncSession, today: date) -> list[date]:
    """The days a pass computes: from the last partial (or missing) day through today,
    at most DAYS_PER_PASS of them. Days are computed in order, so only the latest row
    before today can still be partial (computed before its day ended)."""
    latest = await session.scalar(
        select(MetricDay).where(MetricDay.day < today).order_by(MetricDay.day.desc()).limit(1)
    )
    if latest is None:
        first = today - timedelta(days=FIRST_BACKFILL_DAYS)
    elif latest.computed_at >= day_bounds(latest.day)[1]:
        first = latest.day + timedelta(days=1)
    else:
        first = latest.day
    count = (today - first).days + 1
    return [first + timedelta(days=n) for n in range(min(count, DAYS_PER_PASS))]


async def run_pass(session: AsyncSession) -> int:
    today = clock.now().date()
    done = 0
    for day in await days_due(session, today):
        await store_day(session, day, today)
        done += 1
    return done


async def run(ctx: JobContext) -> int:
    """The worker's job: bring the rollup up to now."""
    async with db.job_transaction(ctx.maker) as session:
        await run_pass(session)
    return 0  # nothing to hurry for: the next pass is INTERVAL_SECONDS away
