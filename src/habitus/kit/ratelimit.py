"""Rate limits with GCRA (the generic cell rate algorithm).

A `Rate` of 5/15minutes allows a burst of 5, then one more every 3 minutes: nobody is
ever locked out for good. One stored number per key (the "theoretical arrival time")
makes it cheap in memory and a single atomic script in Redis, which several processes
share. Time comes from `kit.clock`, so tests can move it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from habitus.kit import clock
from habitus.kit.rates import Rate

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    retry_after: float  # seconds until one more is allowed; 0 when allowed
    remaining: int


class Limiter(Protocol):
    async def hit(self, key: str, rate: Rate, cost: int = 1) -> Decision:
        """Count `cost` events for `key` if the rate allows them."""

    async def peek(self, key: str, rate: Rate) -> Decision:
        """Would one more event be allowed? Counts nothing."""

    async def reset(self, key: str) -> None:
        """Forget `key` (a successful sign-in clears its failures)."""

    async def healthy(self) -> bool:
        """Can the limiter count right now? (Shown by /readyz.)"""

    async def close(self) -> None: ...


# Seconds a stored time may lie beyond a full period (float rounding) before it is taken
# as the mark of a clock that stepped back.
_CLOCK_SLACK = 1.0


def _decide(
    stored_tat: float | None, now: float, rate: Rate, cost: int
) -> tuple[Decision, float | None]:
    """GCRA step: the decision and the new arrival time to store (None: store nothing)."""
    interval = rate.interval
    tolerance = interval * rate.count
    tat = now if stored_tat is None else max(stored_tat, now)
    if tat > now + tolerance + _CLOCK_SLACK:
        # Only a clock that stepped back leaves a time this far ahead; what it counted
        # is meaningless now. Start afresh rather than lock the key out for the step.
        tat = now
    new_tat = tat + interval * cost
    allow_at = new_tat - tolerance
    if allow_at > now + 1e-9:
        return Decision(allowed=False, retry_after=allow_at - now, remaining=0), None
    remaining = math.floor((tolerance - (new_tat - now)) / interval + 1e-9)
    return Decision(allowed=True, retry_after=0.0, remaining=max(0, remaining)), new_tat


class MemoryLimiter:
    """One process's counters. Fine for a single `habitus serve`."""

    _PRUNE_AT = 50_000

    def __init__(self) -> None:
        self._tat: dict[str, float] = {}

    async def hit(self, key: str, rate: Rate, cost: int = 1) -> Decision:
        now = clock.epoch_seconds()
        decision, new_tat = _decide(self._tat.get(key), now, rate, cost)
        if new_tat is not None:
            self._tat[key] = new_tat
            if len(self._tat) > self._PRUNE_AT:
                self._prune(now)
        return decision

    async def peek(self, key: str, rate: Rate) -> Decision:
        decision, _ = _decide(self._tat.get(key), clock.epoch_seconds(), rate, 1)
        return decision

    async def reset(self, key: str) -> None:
        self._tat.pop(key, None)

    async def healthy(self) -> bool:
        return True

    async def close(self) -> None:
        self._tat.clear()

    def _prune(self, now: float) -> None:
        for key in [key for key, tat in self._tat.items() if tat <= now]:
            del self._tat[key]


# KEYS[1]: the counter. ARGV: now, interval, tolerance, cost, apply (1 = count it).
# The same steps as `_decide`, clock-step guard included.
# Floats travel as strings: Redis turns Lua numbers into integers in replies.
_GCRA_SCRIPT = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
if tat > now + tolerance + 1.0 then tat = now end
local new_tat = tat + interval * cost
local allow_at = new_tat - tolerance
if allow_at > now + 1e-9 then
  return {0, tostring(allow_at - now), "0"}
end
if ARGV[5] == "1" then
  local ttl_ms = math.max(1, math.ceil((new_tat - now) * 1000))
  redis.call('SET', KEYS[1], tostring(new_tat), 'PX', ttl_ms)
end
return {1, "0", tostring(math.floor((tolerance - (new_tat - now)) / interval + 1e-9))}
"""


class RedisLimiter:
    """Counters in Redis, shared by every process that points at the same server.

    When Redis cannot be reached the limiter lets requests through (and says so in the
    logs and on /readyz): a rate limit must not take the whole service down with it.
    """

    _WARN_EVERY_SECONDS = 60.0

    def __init__(self, url: str, prefix: str = "habitus:rl:") -> None:
        from redis.asyncio import Redis

        self._redis: Any = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix
        self._script = self._redis.register_script(_GCRA_SCRIPT)
        self._last_warning = float("-inf")

    async def _run(self, key: str, rate: Rate, cost: int, apply: bool) -> Decision:
        from redis.exceptions import RedisError

        try:
            return await self._count(key, rate, cost, apply)
        except (RedisError, OSError) as error:
            if clock.monotonic() - self._last_warning > self._WARN_EVERY_SECONDS:
                self._last_warning = clock.monotonic()
                log.warning("rate_limiter_unavailable", error=repr(error))
            return Decision(allowed=True, retry_after=0.0, remaining=rate.count)

    async def _count(self, key: str, rate: Rate, cost: int, apply: bool) -> Decision:
        allowed, retry_after, remaining = await self._script(
            keys=[self._prefix + key],
            args=[
                repr(clock.epoch_seconds()),
                repr(rate.interval),
                repr(rate.interval * rate.count),
                cost,
                "1" if apply else "0",
            ],
        )
        return Decision(
            allowed=bool(int(allowed)),
            retry_after=float(retry_after),
            remaining=max(0, int(float(remaining))),
        )

    async def hit(self, key: str, rate: Rate, cost: int = 1) -> Decision:
        return await self._run(key, rate, cost, apply=True)

    async def peek(self, key: str, rate: Rate) -> Decision:
        return await self._run(key, rate, 1, apply=False)

    async def reset(self, key: str) -> None:
        from redis.exceptions import RedisError

        try:
            await self._redis.delete(self._prefix + key)
        except (RedisError, OSError) as error:
            log.warning("rate_limiter_unavailable", error=repr(error))

    async def healthy(self) -> bool:
        from redis.exceptions import RedisError

        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        await self._redis.aclose()


def build_limiter(redis_url: str | None, prefix: str = "habitus:rl:") -> Limiter:
    return RedisLimiter(redis_url, prefix) if redis_url else MemoryLimiter()
