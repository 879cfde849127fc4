"""The domain events: what happened, typed. One frozen dataclass per kind.

A write publishes the events it caused (`events.service.publish`): subscribers registered
in `habitus.wiring` react in the same transaction, then the events are appended to the log
(`events` table), where durable consumers read them later. `kind` is the name stored in
the log (and shown in API answers); the other fields are its payload, serialised in one
place (`events.codec`). A field marked `TRANSIENT` is for the subscribers of the same
transaction only and is not stored (the log's readers do without it).

Add a kind here, give it a stored name that never changes, and subscribe in `wiring.py`.
"""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

# Field metadata: known to the transaction's subscribers, not written to the log.
TRANSIENT = {"transient": True}


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainEvent:
    """Something that happened to a user's data. `habit_id` and `local_date` say what and
    when (a local date, D1.4) where the event is about a habit or a day."""

    kind: ClassVar[str] = ""
    # False: a signal between the subscribers of one transaction, not a fact for the log
    # (it is not written, and the write's answer does not list it).
    logged: ClassVar[bool] = True
    habit_id: uuid.UUID | None = None
    local_date: date | None = None

    @property
    def payload(self) -> dict[str, Any]:
        """The stored payload (JSON values), as the log and API answers carry it."""
        from habitus.events.codec import payload_of  # the codec knows every kind

        return payload_of(self)


# --- habits -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class HabitCreated(DomainEvent):
    kind: ClassVar[str] = "habit_created"
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HabitChanged(DomainEvent):
    """A change to a habit's definition (fields, schedule, archive): what is derived from
    the habit (summaries, reminders' next instants) may have to follow."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HabitUpdated(HabitChanged):
    """A change to a habit's own fields (name, dates, target ...; a new schedule and an
    archive have events of their own). `changed` names them; `history_changed`: the past
    reads differently now (dates, a target), so whatever was computed from it must be
    computed again."""

    kind: ClassVar[str] = "habit_updated"
    changed: tuple[str, ...]
    history_changed: bool = field(default=False, metadata=TRANSIENT)


@dataclass(frozen=True, slots=True, kw_only=True)
class HabitArchived(HabitChanged):
    kind: ClassVar[str] = "habit_archived"


@dataclass(frozen=True, slots=True, kw_only=True)
class HabitUnarchived(HabitChanged):
    kind: ClassVar[str] = "habit_unarchived"


@dataclass(frozen=True, slots=True, kw_only=True)
class HabitDeleted(DomainEvent):
    kind: ClassVar[str] = "habit_deleted"
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleChanged(HabitChanged):
    """A new schedule version in force from `local_date` (D3)."""

    kind: ClassVar[str] = "schedule_changed"
    schedule: dict[str, Any]


# --- days and streaks --------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DayWritten(DomainEvent):
    """A write to one of a habit's days went through (a check-in, an entry set or removed,
    even one that changed nothing): what is derived from its days may have to follow from
    `unit_start`, the first day of the streak unit that holds the day (a week or month
    for periodic habits), whose outcome may change."""

    kind: ClassVar[str] = "day_written"
    logged: ClassVar[bool] = False
    unit_start: date


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryChanged(DomainEvent):
    """A day's entry was set or removed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryLogged(EntryChanged):
    """A check-in, or an entry set (D4). `added`: what a measurable check-in added."""

    kind: ClassVar[str] = "habit_logged"
    status: str
    value: float | None
    source: str
    added: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryRemoved(EntryChanged):
    """An entry undone; `status` and `value` are what it was."""

    kind: ClassVar[str] = "entry_removed"
    status: str
    value: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DayCompleted(DomainEvent):
    """The unit holding `local_date` became done (D5, D6)."""

    kind: ClassVar[str] = "day_completed"
    unit: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StreakExtended(DomainEvent):
    """D7.4. `milestone`: the milestone (7, 21, 30, 100 ...) the streak reached, if any."""

    kind: ClassVar[str] = "streak_extended"
    current: int
    previous: int
    unit: str
    milestone: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StreakBroken(DomainEvent):
    """D7.4: a unit became missed while the streak was above 0."""

    kind: ClassVar[str] = "streak_broken"
    previous: int
    current: int
    unit: str


# --- breaks, settings and re-evaluation -------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakChanged(DomainEvent):
    """A break (D3.2) for `habit_id`, or for every habit when it is None, from
    `local_date` (its first day) to `end_date`."""

    break_id: str
    end_date: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakCreated(BreakChanged):
    kind: ClassVar[str] = "break_created"


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakDeleted(BreakChanged):
    kind: ClassVar[str] = "break_deleted"


@dataclass(frozen=True, slots=True, kw_only=True)
class UserSettingsChanged(DomainEvent):
    """The user changed their profile. `calendar_changed`: the zone, day start or week
    start is another (D1): "today" and the weeks may have moved."""

    kind: ClassVar[str] = "user_settings_changed"
    changed: tuple[str, ...]
    calendar_changed: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class OnboardingFinished(DomainEvent):
    """The first sign-in's questions are answered; `starter_habits` are the names of the
    suggested habits the user kept (the habits feature creates them: daily, from today)."""

    kind: ClassVar[str] = "onboarding_finished"
    starter_habits: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryRewritten(DomainEvent):
    """Habits whose history was walked again (after a break, a calendar change or an
    import): what depends on their required days must follow. `habit_ids` None: all of
    the user's habits; `local_date`: from which day (None: all of it)."""

    kind: ClassVar[str] = "history_rewritten"
    logged: ClassVar[bool] = False
    habit_ids: tuple[uuid.UUID, ...] | None = None


# --- rewards (D10, D11) ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AchievementUnlocked(DomainEvent):
    """D10: an achievement earned (once per user, D10.1); `habit_id`/`local_date`: the
    write that earned it, when there was one."""

    kind: ClassVar[str] = "achievement_unlocked"
    achievement: str
    title: str
    category: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CoinsAwarded(DomainEvent):
    """D11.1: coins paid for a cause (a habit's date, a coach task)."""

    kind: ClassVar[str] = "coins_awarded"
    amount: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GemsClaimed(DomainEvent):
    """D11.2: the day's claim; `amount_tenths` in tenths of a gem."""

    kind: ClassVar[str] = "gems_claimed"
    amount_tenths: int
    cycle_day: int
    daily_streak: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FreezeBought(DomainEvent):
    """D11.3: a streak freeze bought; `freezes`: how many are held now."""

    kind: ClassVar[str] = "freeze_bought"
    freezes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FreezeSpent(DomainEvent):
    """D11.3: a held freeze made `local_date` a one-day break for `habit_id`, whose streak
    of `streak` units survives."""

    kind: ClassVar[str] = "freeze_spent"
    streak: int
    habit_name: str
    unit: str


# --- social (D12) ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class FriendRequested(DomainEvent):
    """D12.1: the user (the event's owner) received a friend request from `from_user_id`."""

    kind: ClassVar[str] = "friend_requested"
    request_id: str
    from_user_id: str
    from_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FriendAccepted(DomainEvent):
    """D12.1: `friend_id` accepted the user's request: they are friends now."""

    kind: ClassVar[str] = "friend_accepted"
    friend_id: str
    friend_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChallengeInvited(DomainEvent):
    """D12.3: the user was invited to a challenge by `by_name`."""

    kind: ClassVar[str] = "challenge_invited"
    challenge_id: str
    challenge_name: str
    by_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RankChanged(DomainEvent):
    """D12.4: the user's rank in a challenge's leaderboard after a write: `rank` now,
    `previous` before (None: not ranked yet). `overtaken_by`: set on the event of a
    member another member moved past."""

    kind: ClassVar[str] = "rank_changed"
    challenge_id: str
    challenge_name: str
    rank: int
    previous: int | None = None
    overtaken_by: str | None = None
    # The user's completion rate in the challenge after the write (None: no unit yet).
    rate: float | None = None


# --- chat (issue 16) -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageSent(DomainEvent):
    """The user (the event's owner) sent message `message_id` in `conversation_id`: what
    waits unread for the other members (the unread notifier) starts here. No body: the
    log keeps no plaintext."""

    kind: ClassVar[str] = "message_sent"
    conversation_id: str
    message_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatUnreadWaiting(DomainEvent):
    """Messages have waited unread for the user (the event's owner) in `conversation_id`
    for 10 minutes: one per unread stretch, not per message (chat/unread_notices).
    `title`: the other person's name, or the challenge's; `unread`: how many wait."""

    kind: ClassVar[str] = "chat_unread_waiting"
    conversation_id: str
    title: str
    kind_of_conversation: str  # "direct" or "challenge"
    unread: int


# --- coach (issue 17) -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CoachTaskDone(DomainEvent):
    """D13.3: the user completed coach task `task_id` (of the plan's habit, on
    `local_date`): D11.1 pays one coin, keyed by the task, so undo and redo pay once."""

    kind: ClassVar[str] = "coach_task_done"
    task_id: str
    plan_id: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRaised(DomainEvent):
    """D14.3: an alert about habit `habit_id` for the inbox (at most one per habit per
    week, never during a break: coach/insights.notify_alerts decides)."""

    kind: ClassVar[str] = "alert_raised"
    alert: str  # missed_habit | low_consistency | at_risk | suggestion
    message: str
    action: str


# --- health (issue 19) -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthLogged(DomainEvent):
    """D15.1: a health log was made or changed (`created` False: a PATCH), on its local
    date `local_date`. No values: the log keeps no body measurement (what reacts reads
    the health tables); `has_weight` says whether the log holds a weight (D10
    weight_goal may follow)."""

    kind: ClassVar[str] = "health_logged"
    log_id: str
    has_weight: bool
    created: bool = True


# --- accounts ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class UserSignedUp(DomainEvent):
    """A new account (issue 21); `source`: where the person came from (a `?ref=` or
    `utm_source` on the sign-up page or API), None: nowhere said."""

    kind: ClassVar[str] = "user_signed_up"
    # A signal for the subscribers (the product events count it), not a fact for the log.
    logged: ClassVar[bool] = False
    source: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportRequested(DomainEvent):
    """The user asked for a copy of their data (issue 21): `format` is csv, ics, json
    (the analytics page's figures) or account (the whole account, GET /me/export)."""

    kind: ClassVar[str] = "export_requested"
    # A signal for the product events, not a fact about the user's data.
    logged: ClassVar[bool] = False
    format: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountDeleting(DomainEvent):
    """The user's account is about to be deleted (in the same transaction): what others
    share with it (a challenge it owns) must be handed on first."""

    kind: ClassVar[str] = "account_deleting"
    logged: ClassVar[bool] = False


def all_kinds() -> dict[str, type[DomainEvent]]:
    """Every stored kind and its class (the codec's table)."""
    found: dict[str, type[DomainEvent]] = {}
    pending: list[type[DomainEvent]] = [DomainEvent]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        # `dataclass(slots=True)` replaces the class it decorates; the replaced one stays a
        # subclass until it is collected. The class its module binds is the real one.
        bound = getattr(sys.modules.get(cls.__module__), cls.__qualname__, None)
        if not cls.kind or bound is not cls:
            continue
        if cls.kind in found and found[cls.kind] is not cls:
            raise RuntimeError(f"two event classes store the kind {cls.kind!r}")
        found[cls.kind] = cls
    return found
