"""The in-app Net Promoter Score question (issue 21; docs/METRICS.md "NPS").

Asked once the account is 14 days old, as a card on Today until answered or dismissed;
after either, not again for 90 days (`survey_states`). An answer is a 0..10 score and an
optional comment, at most a few a day per user (rate limited).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.context import AppContext
from habitus.errors import TooManyRequests
from habitus.kit import clock
from habitus.kit.rates import Rate
from habitus.models import NpsResponse, SurveyState, User

ASK_AFTER = timedelta(days=14)
QUIET_FOR = timedelta(days=90)
ANSWER_RATE = Rate(count=5, period_seconds=86400.0)


def _closed_at(state: SurveyState | None) -> datetime | None:
    if state is None:
        return None
    moments = [moment for moment in (state.dismissed_at, state.answered_at) if moment]
    return max(moments) if moments else None


async def should_ask(session: AsyncSession, user: User, now: datetime | None = None) -> bool:
    """True when Today shows the question: 14 days after sign-up, and 90 days after the
    last dismissal or answer, if any."""
    now = now or clock.now()
    if now - user.created_at < ASK_AFTER:
        return False  # no query for a new account
    closed = _closed_at(await session.get(SurveyState, user.id))
    return closed is None or now - closed >= QUIET_FOR


async def _state(session: AsyncSession, user: User) -> SurveyState:
    await db.start_writing(session)
    state = await session.get(SurveyState, user.id)
    if state is None:
        state = SurveyState(user_id=user.id)
        session.add(state)
    return state


async def answer(
    session: AsyncSession, ctx: AppContext, user: User, score: int, comment: str | None
) -> NpsResponse:
    """Record an answer (the score is checked by the caller's input model: 0..10)."""
    if ctx.settings.rate_limit_enabled:
        decision = await ctx.limiter.hit(f"nps:user:{user.id}", ANSWER_RATE)
        if not decision.allowed:
            raise TooManyRequests(decision.retry_after, "Thanks, we have your answer already.")
    now = clock.now()
    state = await _state(session, user)
    state.answered_at = now
    state.prompted_at = state.prompted_at or now
    response = NpsResponse(user_id=user.id, score=score, comment=(comment or "").strip() or None)
    session.add(response)
    await session.flush()
    return response


async def dismiss(session: AsyncSession, user: User) -> None:
    state = await _state(session, user)
    now = clock.now()
    state.dismissed_at = now
    state.prompted_at = state.prompted_at or now
    await session.flush()
