"""What services need besides the database session, built once per process."""

from __future__ import annotations

from dataclasses import dataclass

from habitus.config import Settings
from habitus.kit.hashing import Hasher
from habitus.kit.llm import LlmClient
from habitus.kit.ratelimit import Limiter


@dataclass(slots=True)
class AppContext:
    settings: Settings
    hasher: Hasher
    limiter: Limiter
    # The language-model client (kit/llm.py), made on first use by the coach; closed
    # with the app.
    llm: LlmClient | None = None

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
