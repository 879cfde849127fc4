"""Holding back password guessers (issue 11, item 9), after the OWASP Authentication Cheat
Sheet ("Account Lockout") and its advice to throttle rather than lock accounts.

Three counters of failed password checks, kept by the rate limiter (`kit.ratelimit`):

- one account from one client address (`login_failures_per_account`), and one client
  address on any account (`login_failures_per_ip`): past either, the answer is 429 with
  Retry-After before any password is checked. A guesser at one address runs out quickly.
- one account from every address together (`login_slowdown_after`): never refused. Past
  it, each answer for that account comes later: 0.25 s, then twice as long per further
  failure, at most `login_slowdown_max_seconds`. A refusal here was a lockout anyone could
  cause (five wrong passwords from anywhere kept the owner out); a few seconds' wait costs
  the owner little and a guesser who has many addresses a lot.

Callers wait (`slow_down`) before the password is checked, whatever its outcome, so an
answer's speed never tells a right guess from a wrong one; and before reading the user,
so a waiting request holds no database connection, no lock and no writer turn.
"""

from __future__ import annotations

import asyncio

from habitus.context import AppContext
from habitus.errors import TooManyRequests
from habitus.kit.rates import Rate

SLOWDOWN_FIRST_SECONDS = 0.25
# Failures the account counter keeps beyond its allowance: enough for the doubling wait
# to reach any allowed cap (0.25 s * 2**7 = 32 s > the 30 s maximum of the setting).
_SLOWDOWN_HEADROOM = 8


def _pair_key(email_key: str, ip: str) -> str:
    return f"login:pair:{ip}:{email_key}"


def _ip_key(ip: str) -> str:
    return "login:ip:" + ip


def _account_key(email_key: str) -> str:
    return "login:slow:" + email_key


def _account_rate(allowance: Rate) -> Rate:
    """The allowance's pace with room to count the failures beyond it: the wait grows
    with them and drains as the allowance does, one failure per interval."""
    count = allowance.count + _SLOWDOWN_HEADROOM
    return Rate(count=count, period_seconds=allowance.interval * count)


def slowdown_seconds(failures: int, *, allowance: int, cap: float) -> float:
    """How long an attempt on an account waits when `failures` recent failures are held
    against it: nothing within the allowance, then 0.25 s doubling per failure, capped."""
    beyond = failures - allowance + 1
    if beyond <= 0 or cap <= 0:
        return 0.0
    return float(min(cap, SLOWDOWN_FIRST_SECONDS * 2 ** (beyond - 1)))


async def refuse_if_throttled(ctx: AppContext, email_key: str, ip: str) -> None:
    """429 (`TooManyRequests`, with the wait) when this address has failed too often on
    this account, or on any account. Counts nothing."""
    settings = ctx.settings
    if not settings.rate_limit_enabled:
        return
    for key, rate in (
        (_pair_key(email_key, ip), settings.login_failures_per_account),
        (_ip_key(ip), settings.login_failures_per_ip),
    ):
        decision = await ctx.limiter.peek(key, rate)
        if not decision.allowed:
            raise TooManyRequests(
                decision.retry_after,
                message="Too many failed sign-in attempts; try again in "
                f"{minutes(decision.retry_after)}.",
            )


async def account_wait(ctx: AppContext, email_key: str) -> float:
    """Seconds an attempt on this account waits now (see `slowdown_seconds`)."""
    settings = ctx.settings
    if not settings.rate_limit_enabled:
        return 0.0
    rate = _account_rate(settings.login_slowdown_after)
    decision = await ctx.limiter.peek(_account_key(email_key), rate)
    held = rate.count if not decision.allowed else rate.count - 1 - decision.remaining
    return slowdown_seconds(
        held,
        allowance=settings.login_slowdown_after.count,
        cap=settings.login_slowdown_max_seconds,
    )


async def slow_down(ctx: AppContext, email_key: str) -> None:
    """Wait as long as the account's recent failures ask (often not at all)."""
    seconds = await account_wait(ctx, email_key)
    if seconds > 0:
        await asyncio.sleep(seconds)


async def count_failure(ctx: AppContext, email_key: str, ip: str) -> None:
    """A wrong password (or an unknown address) for `email_key` from `ip`."""
    settings = ctx.settings
    if not settings.rate_limit_enabled:
        return
    await ctx.limiter.hit(_pair_key(email_key, ip), settings.login_failures_per_account)
    await ctx.limiter.hit(_ip_key(ip), settings.login_failures_per_ip)
    await ctx.limiter.hit(_account_key(email_key), _account_rate(settings.login_slowdown_after))


async def forget_failures(ctx: AppContext, email_key: str, ip: str | None = None) -> None:
    """The owner proved the password (or reset it): the account's failures, and this
    address's on it, are forgotten. The address's failures on other accounts stay."""
    await ctx.limiter.reset(_account_key(email_key))
    if ip is not None:
        await ctx.limiter.reset(_pair_key(email_key, ip))


def minutes(seconds: float) -> str:
    """A wait in whole minutes, for messages ("try again in 3 minutes")."""
    count = max(1, int((seconds + 59) // 60))
    return "1 minute" if count == 1 else f"{count} minutes"
