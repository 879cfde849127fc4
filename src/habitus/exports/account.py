"""GET /me/export: everything stored about an account, as one JSON document
(docs/EXPORT.md describes the format; `format_version` names it).

Every table that holds a user's rows is either exported (EXPORTED: where it goes in the
document) or left out on purpose (NOT_EXPORTED: why). tests/exports/test_account.py
walks the model metadata and fails on a user's table listed in neither.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from habitus.auth import access_tokens, oidc
from habitus.auth import repository as auth_repository
from habitus.auth.dependencies import Principal
from habitus.auth.schemas import SessionOut, UserOut
from habitus.chat import export as chat_export
from habitus.coach import export as coach_export
from habitus.config import Settings
from habitus.core.rewards import tenths_to_gems
from habitus.exports import repository
from habitus.exports.schemas import (
    AccountExportHead,
    CalendarFeedOut,
    ExportAchievement,
    ExportBreak,
    ExportEntry,
    ExportHabit,
    ExportRewards,
)
from habitus.gamification import repository as rewards_repository
from habitus.gamification.presenters import ledger_row_out
from habitus.habits import repository as habits_repository
from habitus.habits.export import export_habits
from habitus.health import export as health_export
from habitus.kit import clock
from habitus.metrics import export as nps_export
from habitus.reminders import queries as reminder_queries
from habitus.reminders import repository as reminders_repository
from habitus.reminders.presenters import channel_out, notification_out, reminder_out
from habitus.social import challenges, people_export, shares

# table -> where its rows are in the document
EXPORTED: dict[str, str] = {
    "users": "user",
    "auth_sessions": "sessions",
    "habits": "habits",
    "habit_schedules": "habits[].schedules",
    "entries": "entries",
    "breaks": "breaks",
    "calendar_feeds": "calendar_feeds",
    "channels": "channels",
    "reminders": "reminders",
    "notifications": "notifications",
    "achievements_earned": "achievements",
    "reward_ledger": "rewards.ledger",
    # Issue 15 (D12): the user's own social data; of other users, ids and handles only.
    "profiles": "social.profile",
    "friendships": "social.friends",
    "friend_requests": "social.friend_requests_sent",
    "blocks": "social.blocks",
    "shares": "social.shares",
    "challenges": "social.challenges_owned",
    "challenge_members": "social.challenge_memberships",
    "challenge_invites": "social.challenge_invites",
    "chat_messages": "social.chat_messages",
    # Issue 17 (D13).
    "coach_plans": "coach",
    "coach_tasks": "coach[].tasks",
    # Issue 19 (D15): health data is personal data, exported in full.
    "health_logs": "health.logs",
    "health_goals": "health.goal",
    "health_settings": "health.settings",
    # Issue 20: names, scopes and dates of access tokens (never their hashes), and the
    # single sign-on identities linked to the account.
    "personal_access_tokens": "access_tokens",
    "oidc_identities": "sign_ins",
    # Issue 21: the user's own NPS answers (score, comment, when).
    "nps_responses": "surveys.nps",
}

# table -> why its rows are not in the document
NOT_EXPORTED: dict[str, str] = {
    "refresh_tokens": "secrets (hashes of sign-in credentials); each sign-in is in `sessions`",
    "password_reset_tokens": "secrets (hashes of single-use reset links), short-lived",
    "password_reset_notices": "secrets (sealed reset links waiting for an administrator), "
    "short-lived",
    "idempotency_keys": "a 24-hour replay cache of API answers, whose data is exported "
    "where it belongs",
    "invites": "the server's record of invitations: the administrators', naming other people",
    "events": "derived: the log of what each write caused (streaks extended, days "
    "completed), recomputed from entries",
    "habit_states": "derived: a kept walk of each habit's history, recomputed from entries",
    "habit_day_summaries": "derived: per-day summaries, rebuilt from entries "
    "(habitus rebuild-summaries)",
    "habit_month_summaries": "derived: per-month summaries, rebuilt from entries "
    "(habitus rebuild-summaries)",
    "deliveries": "the delivery ledger: each notification's sending to a channel; what "
    "was said is in `notifications`",
    "delivery_attempts": "the delivery ledger's record of each try (status, latency, error)",
    "reminder_occurrences": "the ledger of reminders fired (one per reminder and date); "
    "what they said is in `notifications`",
    "reward_states": "derived bookkeeping of the daily claim (last claim, streak, cycle "
    "day) and freezes held; `rewards` in the document says the same",
    "chat_members": "bookkeeping of each conversation (membership, the read marker); the "
    "messages the user sent are in `social.chat_messages`",
    "chat_message_hides": 'the messages hidden for the user alone ("delete for me"), '
    "which are other people's words",
    "import_records": "this server's bookkeeping of imported files (so a file is not "
    "imported twice); what they created is in habits and entries",
    # Issue 18 (D14).
    "prediction_models": "derived: a model's coefficients, retrained from entries",
    "training_states": "bookkeeping of when to retrain and when to check alerts next",
    "alert_notices": "which alerts went to the inbox this week; the cards are in `notifications`",
    "alert_dismissals": "alert cards hidden until the end of their week (short-lived)",
    # Issue 19 (D15.2): values read from a photo are proposals until confirmed (the
    # confirmed ones are a log, in `health.logs`); both go within 24 hours.
    "health_extractions": "short-lived: values proposed from a photo until the user "
    "confirms them (what was confirmed is in `health.logs`)",
    "health_photos": "short-lived: the encrypted photo of an extraction, deleted on "
    "confirmation or after 24 hours",
    # Issue 20.
    "verification_codes": "secrets (hashes of one-time codes), gone within 15 minutes; "
    "the address they confirm is in `user`",
    # Issue 20: a passkey is a credential of this server (its public key means nothing
    # elsewhere); names and dates are at GET /me/passkeys.
    "passkeys": "credentials of this server (WebAuthn public keys), of no use elsewhere; "
    "their names and dates are listed at GET /me/passkeys",
    "webauthn_challenges": "short-lived: a passkey ceremony's challenge, spent when "
    "answered, gone after 5 minutes",
    # Issue 21 (docs/METRICS.md).
    "product_events": "the operator's counts of actions whose data is exported where it "
    "belongs (habits, entries, shares); kept HABITUS_PRODUCT_EVENTS_DAYS days",
    "activity_days": "derived: the days the user did anything, for the operator's active "
    "user counts (the actions themselves are in the document)",
    "survey_states": "bookkeeping of when the NPS question was dismissed or answered "
    "(the answers are in `surveys.nps`)",
    # Issue 21 (plans/billing.py): only with Stripe billing on.
    "subscriptions": "the payment provider's ids for the account (customer, subscription) "
    "and the subscription's last status; invoices and receipts are Stripe's",
}


# Entries per chunk of the streamed document: large enough that pydantic-core does the
# work in bulk, small enough to keep memory flat.
ENTRY_CHUNK_ROWS = 2000
_ENTRIES = TypeAdapter(list[ExportEntry])


async def export_head(session: AsyncSession, principal: Principal, settings: Settings) -> bytes:
    """The document without its entries, as JSON (read in the request's transaction)."""
    user = principal.user
    sessions = await auth_repository.sessions_of(session, user.id)
    habits, breaks = await export_habits(session, user)
    feeds = await repository.feeds_of(session, user.id)
    channels = await reminders_repository.channels_of(session, user.id)
    reminders = await reminders_repository.reminders_of_user(session, user.id)
    inbox = await reminders_repository.all_notifications_of(session, user.id)
    head = AccountExportHead(
        exported_at=clock.now(),
        user=UserOut.model_validate(user),
        sessions=[SessionOut.model_validate(row) for row in sessions],
        habits=[ExportHabit.model_validate(habit) for habit in habits],
        breaks=[ExportBreak.model_validate(pause) for pause in breaks],
        calendar_feeds=[CalendarFeedOut.model_validate(feed) for feed in feeds],
        channels=[channel_out(channel) for channel in channels],
        reminders=[reminder_out(reminder) for reminder in reminders],
        notification_settings=await reminder_queries.notification_settings(session, user),
        notifications=[notification_out(row) for row in inbox],
        achievements=[
            ExportAchievement(
                id=row.achievement_id, earned_at=row.earned_at, local_date=row.local_date
            )
            for row in await rewards_repository.achievements_of(session, user.id)
        ],
        rewards=await _rewards(session, user.id),
        social={
            **await people_export.export_of(session, user.id),
            **await shares.export_of(session, user.id),
            **await challenges.export_of(session, user.id),
            **await chat_export.export_of(session, settings, user.id),
        },
        coach=await coach_export.export_of(session, user.id),
        health=await health_export.export_of(session, user.id),
        access_tokens=await access_tokens.export_of(session, user.id),
        sign_ins=await oidc.export_of(session, user.id),
        surveys=await nps_export.export_of(session, user.id),
    )
    return head.model_dump_json().encode()


async def _rewards(session: AsyncSession, user_id: uuid.UUID) -> ExportRewards:
    balances = await rewards_repository.balances(session, user_id)
    state = await rewards_repository.state_of(session, user_id)
    return ExportRewards(
        coins=balances["coins"],
        gems=tenths_to_gems(balances["gems"]),
        daily_streak=state.daily_streak if state else 0,
        cycle_day=state.cycle_day if state else 0,
        last_claim=state.last_claim if state else None,
        freezes=state.freezes if state else 0,
        ledger=[
            ledger_row_out(row) for row in await rewards_repository.ledger_of(session, user_id)
        ],
    )


async def document(
    head: bytes, maker: async_sessionmaker[AsyncSession], user_id: uuid.UUID
) -> AsyncIterator[bytes]:
    """`head` with `"entries": [...]` appended, the entries streamed from a session of
    its own (the request's has ended when the body is sent) in chunks: constant memory
    whatever the history, one JSON document (`AccountExport`) in the end."""
    yield head[:-1] + b',"entries":['
    separator = b""
    async with maker() as session:
        result = await session.stream(
            habits_repository.export_entries(user_id).execution_options(yield_per=ENTRY_CHUNK_ROWS)
        )
        async for rows in result.partitions(ENTRY_CHUNK_ROWS):
            chunk = _ENTRIES.dump_json(_ENTRIES.validate_python(rows, from_attributes=True))
            yield separator + chunk[1:-1]  # the items, without the list's brackets
            separator = b","
    yield b"]}"
