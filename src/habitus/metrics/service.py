"""GET /admin/metrics: the figures of a window, read from the daily rollup only (at most
the window plus 30 days of `metric_days` rows, whatever the number of users).

docs/METRICS.md defines each figure; in short, for the window `first`..`last`:
- `dau`, `wau`, `mau`: as of `last`; `dau_mau`: dau / mau;
- `retention`: each week (Monday) whose sign-ups fall in the window: `users` signed up,
  `d1`/`d7`/`d30` the share of them active on day 1/7/30 after their sign-up day, over
  those whose day has come (None while none has);
- `reminder_success_rate`: reminders sent / (sent + given up on), over the window;
- `logs_per_user_day`: check-ins / active user-days, over the window;
- `nps`: % promoters (9-10) - % detractors (0-6) of the window's answers, rounded;
- `days`: the per-day series the charts draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.errors import FieldError, ValidationFailed
from habitus.metrics.rollup import RETURN_OFFSETS
from habitus.models import MetricDay

MAX_WINDOW_DAYS = 366
DEFAULT_WINDOW_DAYS = 30


@dataclass(frozen=True, slots=True)
class Window:
    first: date
    last: date


def window_of(first: date | None, last: date | None, today: date) -> Window:
    """The asked window (default: the 30 days ending today), or a 422 naming the field."""
    last = last or today
    first = first or last - timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    errors = []
    if first > last:
        errors.append(FieldError("from", "must not be after `to`", rule="range", location="query"))
    elif (last - first).days + 1 > MAX_WINDOW_DAYS:
        errors.append(
            FieldError(
                "from",
                f"is more than {MAX_WINDOW_DAYS} days before `to`",
                rule="range",
                location="query",
            )
        )
    if last > today:
        errors.append(FieldError("to", "must not be in the future", rule="range", location="query"))
    if errors:
        raise ValidationFailed(errors)
    return Window(first, last)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def metrics_for(session: AsyncSession, window: Window, today: date) -> dict[str, Any]:
    rows = {
        row.day: row.data
        for row in await session.scalars(
            select(MetricDay).where(
                MetricDay.day >= window.first,
                MetricDay.day <= window.last + timedelta(days=max(RETURN_OFFSETS)),
            )
        )
    }
    in_window = [
        window.first + timedelta(days=n) for n in range((window.last - window.first).days + 1)
    ]
    last = rows.get(window.last, {})

    def total(name: str) -> int:
        return sum(int(rows.get(day, {}).get(name, 0)) for day in in_window)

    sent, failed = total("reminders_sent"), total("reminders_failed")
    promoters, detractors = total("nps_promoters"), total("nps_detractors")
    answers = promoters + total("nps_passives") + detractors
    return {
        "from": window.first,
        "to": window.last,
        "dau": int(last.get("dau", 0)),
        "wau": int(last.get("wau", 0)),
        "mau": int(last.get("mau", 0)),
        "dau_mau": _share(int(last.get("dau", 0)), int(last.get("mau", 0))),
        "retention": _retention(rows, in_window, today),
        "reminder_success_rate": _share(sent, sent + failed),
        "logs_per_user_day": _share(total("logs"), total("dau")),
        "nps": round(100 * (promoters - detractors) / answers) if answers else None,
        "nps_responses": answers,
        "days": [
            {
                "day": day,
                "dau": int(rows.get(day, {}).get("dau", 0)),
                "wau": int(rows.get(day, {}).get("wau", 0)),
                "mau": int(rows.get(day, {}).get("mau", 0)),
                "signups": int(rows.get(day, {}).get("signups", 0)),
                "logs": int(rows.get(day, {}).get("logs", 0)),
                "avg_streak": rows.get(day, {}).get("avg_streak"),
            }
            for day in in_window
        ],
    }


def _retention(
    rows: dict[date, dict[str, Any]], in_window: list[date], today: date
) -> list[dict[str, Any]]:
    """Weekly cohorts of the window's sign-up days: day N's returns are counted on the
    rollup of sign-up day + N (`back_dN`), over the cohort days whose day N has come."""
    weeks: dict[date, dict[str, int]] = {}
    for day in in_window:
        signups = int(rows.get(day, {}).get("signups", 0))
        if not signups:
            continue
        week = weeks.setdefault(monday_of(day), {"users": 0})
        week["users"] += signups
        for offset in RETURN_OFFSETS:
            later = day + timedelta(days=offset)
            if later > today:
                continue
            week[f"seen{offset}"] = week.get(f"seen{offset}", 0) + signups
            week[f"back{offset}"] = week.get(f"back{offset}", 0) + int(
                rows.get(later, {}).get(f"back_d{offset}", 0)
            )
    return [
        {
            "cohort_week": week,
            "users": counts["users"],
            **{
                f"d{offset}": _share(counts.get(f"back{offset}", 0), counts.get(f"seen{offset}", 0))
                for offset in RETURN_OFFSETS
            },
        }
        for week, counts in sorted(weeks.items())
    ]
