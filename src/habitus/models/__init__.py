"""Every ORM table, one module each. Importing this package registers them all."""

from habitus.models.auth_session import AuthSession
from habitus.models.base import Base
from habitus.models.calendar_feed import CalendarFeed
from habitus.models.channel import Channel
from habitus.models.chat import ChatMember, Conversation, Message, MessageHide
from habitus.models.coach import (
    AlertDismissal,
    AlertNotice,
    CoachPlan,
    CoachTask,
    ModelCall,
    PredictionModel,
    TrainingState,
)
from habitus.models.delivery import Delivery, DeliveryAttempt
from habitus.models.entry import Entry
from habitus.models.event import Event, EventCursor
from habitus.models.habit import Habit
from habitus.models.habit_break import HabitBreak
from habitus.models.habit_schedule import HabitSchedule
from habitus.models.habit_state import HabitStateRow
from habitus.models.health import (
    HealthExtraction,
    HealthGoal,
    HealthLog,
    HealthPhoto,
    HealthSettings,
)
from habitus.models.idempotency_key import IdempotencyKey
from habitus.models.identity import (
    OidcIdentity,
    OidcLogin,
    Passkey,
    PersonalAccessToken,
    VerificationCode,
    WebAuthnChallenge,
)
from habitus.models.import_record import ImportRecord
from habitus.models.invite import Invite
from habitus.models.notification import Notification, ReminderOccurrence
from habitus.models.password_reset import PasswordResetToken
from habitus.models.password_reset_notice import PasswordResetNotice
from habitus.models.product import (
    ActivityDay,
    BillingEvent,
    MetricDay,
    NpsResponse,
    ProductEvent,
    Subscription,
    SurveyState,
)
from habitus.models.refresh_token import RefreshToken
from habitus.models.reminder import Reminder
from habitus.models.reward import AchievementEarned, RewardLedgerRow, RewardState
from habitus.models.social import (
    Block,
    Challenge,
    ChallengeHabit,
    ChallengeInvite,
    ChallengeMember,
    FriendRequest,
    Friendship,
    Profile,
    Share,
)
from habitus.models.summary import HabitDaySummary, HabitMonthSummary
from habitus.models.user import User

__all__ = [
    "AchievementEarned",
    "ActivityDay",
    "AlertDismissal",
    "AlertNotice",
    "AuthSession",
    "Base",
    "BillingEvent",
    "Block",
    "CalendarFeed",
    "Challenge",
    "ChallengeHabit",
    "ChallengeInvite",
    "ChallengeMember",
    "Channel",
    "ChatMember",
    "CoachPlan",
    "CoachTask",
    "Conversation",
    "Delivery",
    "DeliveryAttempt",
    "Entry",
    "Event",
    "EventCursor",
    "FriendRequest",
    "Friendship",
    "Habit",
    "HabitBreak",
    "HabitDaySummary",
    "HabitMonthSummary",
    "HabitSchedule",
    "HabitStateRow",
    "HealthExtraction",
    "HealthGoal",
    "HealthLog",
    "HealthPhoto",
    "HealthSettings",
    "IdempotencyKey",
    "ImportRecord",
    "Invite",
    "Message",
    "MessageHide",
    "MetricDay",
    "ModelCall",
    "Notification",
    "NpsResponse",
    "OidcIdentity",
    "OidcLogin",
    "Passkey",
    "PasswordResetNotice",
    "PasswordResetToken",
    "PersonalAccessToken",
    "PredictionModel",
    "ProductEvent",
    "Profile",
    "RefreshToken",
    "Reminder",
    "ReminderOccurrence",
    "RewardLedgerRow",
    "RewardState",
    "Share",
    "Subscription",
    "SurveyState",
    "TrainingState",
    "User",
    "VerificationCode",
    "WebAuthnChallenge",
]
