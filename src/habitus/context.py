"""What services need besides the database session, built once per process."""

from __future__ import annotations

from dataclasses import dataclass

from habitus.config import Settings
from habitus.errors import TooManyRequests
from habitus.kit.hashing import Hasher
from habitus.kit.llm import LlmClient
from habitus.kit.ratelimit import Limiter
from habitus.kit.rates import Rate


@dataclass(slots=True)
class AppContext:
    settings: Settings
    hasher: Hasher
    limiter: Limiter
    # The language-model client (kit/llm.py), made on first use by the coach; closed
    # with the app.
    llm: LlmClient | None = None

    async def check_rate(self, key: str, rate: Rate, message: str | None = None) -> None:
        """One hit on `key` against `rate` (what a user may do that others pay for:
        messages, invites, model calls): 429 with Retry-After past it; nothing when rate
        limits are off (HABITUS_RATE_LIMIT_ENABLED)."""
        if not self.settings.rate_limit_enabled:
            return
        decision = await self.limiter.hit(key, rate)
        if not decision.allowed:
            raise TooManyRequests(decision.retry_after, message)

    @classmethod
    def build(cls, settings: Settings, limiter: Limiter) -> AppContext:
        return cls(
            settings=settings,
            hasher=Hasher(
                time_cost=settings.argon2_time_cost,
                memory_kib=settings.argon2_memory_kib,
                parallelism=settings.argon2_parallelism,
            ),
            limiter=limiter,
        )
