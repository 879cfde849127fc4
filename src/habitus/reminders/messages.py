"""The words of each notification: what a reminder, the streak-at-risk nudge, the daily
digest and the weekly summary say. Pure functions of what the firing found."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Text:
    title: str
    body: str


@dataclass(frozen=True, slots=True)
class HabitLine:
    name: str
    streak: int
    unit: str  # day, week or month
    done: int = 0
    missed: int = 0


def _streak(streak: int, unit: str) -> str:
    return f"{streak}-{unit} streak"


def habit_reminder(name: str, streak: int, unit: str, polarity: str = "build") -> Text:
    """A habit's reminder, worded by its polarity: "Time for Read." asks to do something;
    a quit habit ("No alcohol") asks to keep not doing it, so it is never "Time for"."""
    if polarity == "quit":
        title = f"Stay on track: {name}"
        body = f"Check in: {name} \N{EN DASH} still clean today?"
        if streak > 0:
            body += f" Keep your {_streak(streak, unit)} going."
        return Text(title=title, body=body)
    body = f"Time for {name}."
    if streak > 0:
        body += f" Keep your {_streak(streak, unit)} going."
    return Text(title=name, body=body)


def _day_end(day_start_hour: int) -> str:
    return "midnight" if day_start_hour == 0 else f"{day_start_hour:02d}:00"


def streak_at_risk(lines: Sequence[HabitLine], day_start_hour: int) -> Text:
    """Issue 6: "Read 20 min: 12-day streak ends at midnight"."""
    end = _day_end(day_start_hour)
    body = "\n".join(
        f"{line.name}: {_streak(line.streak, line.unit)} ends at {end}" for line in lines
    )
    if len(lines) == 1:
        return Text(title=f"{lines[0].name}: streak at risk", body=body)
    return Text(title=f"{len(lines)} streaks at risk", body=body)


def digest(names: Sequence[str], day: date, staying_clean: Sequence[str] = ()) -> Text:
    """What is left to do today; habits to quit are not "to do" and are named apart."""
    count = len(names)
    title = f"{count} habit left today" if count == 1 else f"{count} habits left today"
    body = f"Still to do on {day:%A %d %B}:\n" + "\n".join(f"• {name}" for name in names)
    if staying_clean:
        body += "\n\nStay on track:\n" + "\n".join(f"• {name}" for name in staying_clean)
    return Text(title=title, body=body)


def weekly_summary(lines: Sequence[HabitLine], first: date, last: date) -> Text:
    done = sum(line.done for line in lines)
    missed = sum(line.missed for line in lines)
    total = done + missed
    rate = f"{round(100 * done / total)}%" if total else "nothing was due"
    title = f"Your week: {rate}" + (f" ({done} of {total})" if total else "")
    rows = []
    for line in lines:
        units = line.done + line.missed
        share = f"{line.done} of {units} ({round(100 * line.done / units)}%)" if units else "-"
        rows.append(f"{line.name}: {share}, {_streak(line.streak, line.unit)}")
    body = f"{first:%d %b} to {last:%d %b}\n" + "\n".join(rows)
    return Text(title=title, body=body)


def channel_test(channel_name: str) -> Text:
    return Text(
        title="Test from Habitus",
        body=f"If you can read this, the channel \u201c{channel_name}\u201d works.",
    )


def channel_disabled(channel_name: str, reason: str) -> Text:
    return Text(
        title=f"Channel \u201c{channel_name}\u201d was turned off",
        body=f"Habitus stopped sending to it: {reason}. Fix it in Settings and turn it on again.",
    )


def achievement_unlocked(title: str, description: str) -> Text:
    """D10.3: "Achievement unlocked: First step", saying what it was for."""
    return Text(
        title=f"Achievement unlocked: {title}",
        body=f"You earned \u201c{title}\u201d. {description}",
    )


def freeze_spent(habit_name: str, streak: int, unit: str) -> Text:
    """D11.3: "Your freeze kept your 12-day Reading streak"."""
    return Text(
        title=f"Streak freeze used: {habit_name}",
        body=f"Your freeze kept your {streak}-{unit} {habit_name} streak.",
    )
