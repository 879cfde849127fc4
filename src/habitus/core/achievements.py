"""D10: the fifteen achievements, each a pure condition over a user's facts.

The facts are gathered in one pass by the gamification feature (a bounded number of
queries whatever the history's length) and handed here; nothing in this module reads a
database. Each achievement measures one number of the facts against its target: earned
when the number reaches it, and the same number is the progress shown for the others
("4 of 7 days").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Category = Literal["streaks", "consistency", "milestones", "explorer", "health"]
CATEGORIES: tuple[Category, ...] = ("streaks", "consistency", "milestones", "explorer", "health")

# D10.1 month_80: a finished month counts with at least this many required units ...
MONTH_MIN_REQUIRED = 20
# ... and a pooled completion rate (D8.1) of at least this, in percent.
MONTH_RATE_PERCENT = 80
# D10.1 comeback: a done unit right after at least this many missed units in a row.
COMEBACK_AFTER_MISSED = 3


@dataclass(frozen=True, slots=True)
class Facts:
    """What the conditions look at. Every field is a count (or a best value) that only the
    facts decide; defaults are a user with nothing yet."""

    # D7.2: the longest current streak among the user's habits, in units.
    best_current_streak: int = 0
    # The longest run of perfect days (D10.1 perfect_day) in a row, and whether there was one.
    perfect_days_in_a_row: int = 0
    # Best pooled completion rate, in whole percent, over finished calendar months with
    # at least MONTH_MIN_REQUIRED required units; 0 when no month qualifies.
    best_month_percent: int = 0
    # Complete (done) days, all habits together.
    done_days: int = 0
    active_habits: int = 0
    active_categories: int = 0
    # The longest run of missed units some habit ended with a done unit: COMEBACK_AFTER_MISSED
    # or more earns `comeback`.
    comeback_after: int = 0
    # Health logs (D15): how many, on how many different local dates, and whether a weight
    # reached the user's goal.
    health_logs: int = 0
    health_log_days: int = 0
    weight_goal_reached: bool = False


@dataclass(frozen=True, slots=True)
class Achievement:
    id: str
    category: Category
    title: str
    description: str
    target: int
    measure: Callable[[Facts], int]

    def progress(self, facts: Facts) -> int:
        """How far the facts go towards the target, capped at it."""
        return max(0, min(self.target, self.measure(facts)))

    def earned(self, facts: Facts) -> bool:
        return self.measure(facts) >= self.target


def _achievement(
    id: str,
    category: Category,
    title: str,
    description: str,
    target: int,
    measure: Callable[[Facts], int],
) -> Achievement:
    return Achievement(id, category, title, description, target, measure)


ACHIEVEMENTS: tuple[Achievement, ...] = (
    _achievement(
        "streak_7",
        "streaks",
        "One week strong",
        "Any habit's streak reaches 7.",
        7,
        lambda f: f.best_current_streak,
    ),
    _achievement(
        "streak_21",
        "streaks",
        "Three weeks in",
        "Any habit's streak reaches 21.",
        21,
        lambda f: f.best_current_streak,
    ),
    _achievement(
        "streak_100",
        "streaks",
        "A hundred in a row",
        "Any habit's streak reaches 100.",
        100,
        lambda f: f.best_current_streak,
    ),
    _achievement(
        "perfect_day",
        "consistency",
        "Perfect day",
        "Every habit due on a day, done.",
        1,
        lambda f: f.perfect_days_in_a_row,
    ),
    _achievement(
        "perfect_week",
        "consistency",
        "Perfect week",
        "Seven perfect days in a row.",
        7,
        lambda f: f.perfect_days_in_a_row,
    ),
    _achievement(
        "month_80",
        "consistency",
        "Solid month",
        f"A finished month with at least {MONTH_MIN_REQUIRED} due days and "
        f"{MONTH_RATE_PERCENT}% of them done.",
        MONTH_RATE_PERCENT,
        lambda f: f.best_month_percent,
    ),
    _achievement(
        "first_checkin",
        "milestones",
        "First step",
        "Your first completed day.",
        1,
        lambda f: f.done_days,
    ),
    _achievement(
        "checkins_100",
        "milestones",
        "A hundred days done",
        "100 completed days, all habits together.",
        100,
        lambda f: f.done_days,
    ),
    _achievement(
        "checkins_1000",
        "milestones",
        "A thousand days done",
        "1,000 completed days, all habits together.",
        1000,
        lambda f: f.done_days,
    ),
    _achievement(
        "habits_3",
        "explorer",
        "Three at once",
        "Three active habits at the same time.",
        3,
        lambda f: f.active_habits,
    ),
    _achievement(
        "categories_3",
        "explorer",
        "Well rounded",
        "Active habits in three different categories.",
        3,
        lambda f: f.active_categories,
    ),
    _achievement(
        "comeback",
        "explorer",
        "Comeback",
        f"Done again right after {COMEBACK_AFTER_MISSED} or more missed in a row.",
        COMEBACK_AFTER_MISSED,
        lambda f: f.comeback_after,
    ),
    _achievement(
        "first_metric",
        "health",
        "First measurement",
        "Your first health log.",
        1,
        lambda f: f.health_logs,
    ),
    _achievement(
        "metrics_30",
        "health",
        "Thirty days measured",
        "Health logs on 30 different days.",
        30,
        lambda f: f.health_log_days,
    ),
    _achievement(
        "weight_goal",
        "health",
        "Goal weight",
        "A logged weight at or past your weight goal.",
        1,
        lambda f: int(f.weight_goal_reached),
    ),
)

BY_ID: Mapping[str, Achievement] = {achievement.id: achievement for achievement in ACHIEVEMENTS}


def newly_earned(facts: Facts, earned: Iterable[str]) -> list[Achievement]:
    """D10.1/D10.2: the achievements the facts earn that are not earned yet, in table order.
    What is earned stays earned: nothing here takes one back."""
    have = set(earned)
    return [a for a in ACHIEVEMENTS if a.id not in have and a.earned(facts)]


# --- the facts' harder parts, pure --------------------------------------------------------


def perfect_days(days: Iterable[tuple[date, bool, bool]]) -> set[date]:
    """D10.1 perfect_day over (date, required, done) rows of every habit: the dates on
    which at least one habit was required and every required habit was done."""
    required: dict[date, bool] = {}
    for day, is_required, is_done in days:
        if not is_required:
            continue
        required[day] = required.get(day, True) and is_done
    return {day for day, all_done in required.items() if all_done}


def longest_run_of_days(days: Iterable[date]) -> int:
    """The longest run of consecutive dates among `days`."""
    ordered = sorted(set(days))
    longest = run = 0
    previous: date | None = None
    for day in ordered:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    return longest


def longest_comeback(outcomes: Sequence[bool]) -> int:
    """D10.1 comeback over one habit's unit outcomes in order (True done, False missed;
    units neither done nor missed left out): the longest run of missed units that a done
    unit ended. 0 when no done unit followed a miss."""
    best = missed = 0
    for done in outcomes:
        if done:
            best = max(best, missed)
            missed = 0
        else:
            missed += 1
    return best


def month_percent(required: int, done: int) -> int:
    """D10.1 month_80 for one finished month: its pooled rate in whole percent (rounded
    down, so 79.9% is not 80%), or 0 below MONTH_MIN_REQUIRED required units."""
    if required < MONTH_MIN_REQUIRED or required <= 0:
        return 0
    return done * 100 // required
