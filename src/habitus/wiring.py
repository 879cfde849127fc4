"""The composition root: every reaction, consumer, job, port and page extra of the app is
registered here and nowhere else (`habitus.registry` says what each is).

`register_all()` is called by `create_app`, by every CLI command and by the worker; it
fills the registry once per process, whatever was imported before, so the same writes
cause the same reactions from every entry point (tests/test_architecture.py checks it).

To add a reaction to a write: write the handler in the reacting feature (a `reactions.py`:
`async def handler(session, user, event) -> None`), and subscribe it below to the event
class it needs. Subscribers run in the write's transaction, in the order listed, and may
return further events. For work that may wait, or must be retried, add a consumer of the
log instead (`registry.consume`), which the worker runs after the commit.
"""

from __future__ import annotations

from habitus import housekeeping
from habitus.analytics import reactions as analytics
from habitus.auth.settings_port import IMPORT_FORM
from habitus.backups import schedule as backup_schedule
from habitus.breaks import service as breaks_service
from habitus.chat import unread_notices
from habitus.chat import web as chat_web
from habitus.coach import history as coach_history
from habitus.coach import insights
from habitus.coach import jobs as coach_jobs
from habitus.coach import today as coach_today
from habitus.coach.ports import COACH_HABITS
from habitus.events import consumers
from habitus.events.kinds import (
    AccountDeleting,
    BreakChanged,
    CoachTaskDone,
    DayCompleted,
    DayWritten,
    EntryLogged,
    ExportRequested,
    HabitChanged,
    HabitCreated,
    HabitUnarchived,
    HabitUpdated,
    HealthLogged,
    HistoryRewritten,
    OnboardingFinished,
    StreakBroken,
    StreakExtended,
    UserSettingsChanged,
    UserSignedUp,
)
from habitus.gamification import consumers as achievements
from habitus.gamification import freezes
from habitus.gamification import reactions as rewards
from habitus.gamification import web as rewards_web
from habitus.gamification.ports import BREAK_MAKER
from habitus.habits import reactions as habits
from habitus.habits import service as habits_service
from habitus.habits.day_port import DAY_WRITER
from habitus.habits.ports import HABIT_REMINDERS
from habitus.habits.today_rewards_port import TODAY_REWARDS
from habitus.habits.today_tasks_port import TODAY_TASKS
from habitus.health import extraction as health_extraction
from habitus.health.analysis_ports import HABIT_COMPLETION
from habitus.imports import web as imports_web
from habitus.imports.ports import HABIT_WRITER
from habitus.metrics import reactions as product_events
from habitus.metrics import rollup as metrics_rollup
from habitus.metrics import web as metrics_web
from habitus.registry import Registry, registry
from habitus.reminders import (
    event_hooks,
    habit_port,
    insight_notices,
    jobs,
    reward_notices,
    social_notices,
)
from habitus.reminders import queries as reminder_queries
from habitus.reminders import reactions as reminders
from habitus.social import challenges as social_challenges
from habitus.social import rank_reactions
from habitus.social.ports import CHALLENGE_HABITS

_registered: set[int] = set()


def register_all(target: Registry = registry) -> Registry:
    """Fill `target` (the process's registry) once; later calls change nothing."""
    if id(target) in _registered:
        return target
    _register(target)
    _registered.add(id(target))
    return target


def reset(target: Registry = registry) -> None:
    """Empty `target` so `register_all` fills it again (tests of the wiring itself)."""
    target.clear()
    _registered.discard(id(target))


def _register(target: Registry) -> None:
    # In the write's transaction. Habits first: what they walk again is published in turn
    # (HistoryRewritten), to which summaries and reminders react.
    target.on(BreakChanged, habits.break_changed)
    target.on(UserSettingsChanged, habits.settings_changed)
    target.on(OnboardingFinished, habits.onboarding_finished)
    target.on(DayWritten, analytics.day_written)
    target.on(HabitChanged, analytics.habit_changed)
    target.on(HistoryRewritten, analytics.history_rewritten)
    target.on(HabitChanged, reminders.habit_changed)
    target.on(HistoryRewritten, reminders.history_rewritten)
    # D12.4: after the summaries (which it reads), a challenge habit's write re-ranks.
    target.on(DayWritten, rank_reactions.day_written)
    # Rewards (D10, D11): coins, milestones and badges, announced in the write's answer.
    target.on(DayCompleted, rewards.day_completed)
    target.on(StreakExtended, rewards.streak_extended)
    target.on(CoachTaskDone, rewards.coach_task_done)
    target.on(HabitCreated, rewards.habits_changed)
    target.on(HabitUnarchived, rewards.habits_changed)
    target.on(HabitUpdated, rewards.habits_changed)
    target.on(HealthLogged, rewards.health_logged)
    # D12.3: challenges an account owns are handed on before it goes.
    target.on(AccountDeleting, social_challenges.account_deleting)
    # Issue 21: the operator's product events, written with the action they count.
    target.on(UserSignedUp, product_events.user_signed_up)
    target.on(ExportRequested, product_events.export_requested)
    target.on(HabitCreated, product_events.habit_created)
    target.on(EntryLogged, product_events.habit_logged)
    target.on(StreakExtended, product_events.streak_extended)
    target.on(StreakBroken, product_events.streak_broken)

    # After the commit, in the worker, from the log.
    target.consume(event_hooks.CONSUMER, event_hooks.forward, kinds=event_hooks.KINDS)
    target.consume(achievements.CONSUMER, achievements.decide, kinds=achievements.KINDS)
    target.consume(reward_notices.CONSUMER, reward_notices.notify, kinds=reward_notices.KINDS)
    target.consume(social_notices.CONSUMER, social_notices.notify, kinds=social_notices.KINDS)
    target.consume(insight_notices.CONSUMER, insight_notices.notify, kinds=insight_notices.KINDS)
    # D14.2: every DayCompleted counts toward the next training (20), once.
    target.consume(insights.CONSUMER, insights.count_completions, kinds=(DayCompleted,))

    # The worker's steps, each in a loop of its own.
    target.job("reminders.fire", jobs.fire)
    target.job(
        "events.consumers", consumers.run_all, pause_after_work=consumers.PAUSE_AFTER_WORK_SECONDS
    )
    target.job("reminders.deliver", jobs.deliver)
    target.job("rewards.freezes", freezes.run, every_seconds=freezes.INTERVAL_SECONDS)
    target.job(
        "chat.unread_notices", unread_notices.run, every_seconds=unread_notices.INTERVAL_SECONDS
    )
    target.job("insights.train", insights.train_due, every_seconds=insights.INTERVAL_SECONDS)
    target.job("insights.alerts", insights.check_alerts, every_seconds=300.0)
    target.job("coach.take_over", coach_jobs.take_over, every_seconds=coach_jobs.INTERVAL_SECONDS)
    target.job("housekeeping", housekeeping.run, every_seconds=housekeeping.INTERVAL_SECONDS)
    # Issue 21: the daily rollup GET /admin/metrics reads (today's row, partial, too).
    target.job("metrics.rollup", metrics_rollup.run, every_seconds=metrics_rollup.INTERVAL_SECONDS)
    # D15.2: a photo waiting for confirmation is deleted after 24 hours.
    target.job(
        "health.expire_extractions",
        health_extraction.run_expiry,
        every_seconds=health_extraction.EXPIRY_INTERVAL_SECONDS,
    )
    # Issue 22: scheduled backups with retention (off unless HABITUS_BACKUP_INTERVAL_HOURS).
    target.job(
        "backups.scheduled", backup_schedule.run, every_seconds=backup_schedule.CHECK_SECONDS
    )

    # Commands one feature offers another.
    target.provide(HABIT_WRITER, habits_service)
    target.provide(HABIT_REMINDERS, habit_port)
    target.provide(BREAK_MAKER, breaks_service)
    target.provide(DAY_WRITER, habits_service)
    target.provide(IMPORT_FORM, imports_web.form_context)
    target.provide(TODAY_REWARDS, rewards_web)
    target.provide(CHALLENGE_HABITS, habits_service)
    target.provide(COACH_HABITS, habits_service)
    target.provide(TODAY_TASKS, coach_today)
    target.provide(HABIT_COMPLETION, coach_history)

    # What every signed-in page shows besides its content.
    target.page_extra("unread_count", reminder_queries.unread_count_extra)
    target.page_extra("chat_unread", chat_web.unread_extra)
    target.page_extra("nps_survey", metrics_web.nps_extra)
