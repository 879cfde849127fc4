"""GCRA rate limits: both backends, the rate syntax, and the 429 answers over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import time_machine

from habitus.kit.ratelimit import Limiter, MemoryLimiter, RedisLimiter, build_limiter
from habitus.kit.rates import Rate
from tests.conftest import REDIS_URL
from tests.fixtures.database import in_ci
from tests.fixtures.personas import make_persona

FIVE_PER_MINUTE = Rate.parse("5/minute")

LimiterFactory = Callable[[], Awaitable[Limiter]]


async def _redis_reachable(url: str) -> bool:
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    redis = Redis.from_url(url, socket_connect_timeout=2)
    try:
        return bool(await redis.ping())
    except (RedisError, OSError):
        return False
    finally:
        await redis.aclose()


async def _require_redis() -> str:
    """Redis is the multi-process shape: a skip on a laptop without it, a failure in CI."""
    if not await _redis_reachable(REDIS_URL):
        message = f"Redis is not reachable at {REDIS_URL}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return REDIS_URL


async def _forget_prefix(url: str, prefix: str) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(url)
    try:
        keys = [key async for key in redis.scan_iter(match=prefix + "*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


@pytest.fixture(params=["memory", "redis"])
async def new_limiter(request: pytest.FixtureRequest) -> AsyncIterator[LimiterFactory]:
    """Limiters of one backend; Redis ones share a prefix unique to this test."""
    url = await _require_redis() if request.param == "redis" else None
    prefix = f"habitus-test:rl:{uuid.uuid4().hex}:"
    made: list[Limiter] = []

    async def factory() -> Limiter:
        limiter: Limiter = RedisLimiter(url, prefix) if url else MemoryLimiter()
        made.append(limiter)
        return limiter

    yield factory
    for limiter in made:
        await limiter.close()
    if url:
        await _forget_prefix(url, prefix)


@pytest.fixture
async def redis_url() -> str:
    return await _require_redis()


# --- the algorithm, on both backends ------------------------------------------------


async def test_burst_then_refusal_then_refill(
    new_limiter: LimiterFactory, frozen_clock: time_machine.Coordinates
):
    """ratelimit.py GCRA: 5/minute allows a burst of 5, the 6th waits 12 s, then one more."""
    limiter = await new_limiter()
    remaining = []
    for _ in range(5):
        decision = await limiter.hit("k", FIVE_PER_MINUTE)
        assert decision.allowed
        assert decision.retry_after == 0
        remaining.append(decision.remaining)
    assert remaining == [4, 3, 2, 1, 0]

    refused = await limiter.hit("k", FIVE_PER_MINUTE)
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(12, abs=0.01)
    assert refused.remaining == 0

    frozen_clock.shift(11)
    still = await limiter.hit("k", FIVE_PER_MINUTE)
    assert not still.allowed
    assert still.retry_after == pytest.approx(1, abs=0.01)

    frozen_clock.shift(1)
    assert (await limiter.hit("k", FIVE_PER_MINUTE)).allowed
    # Exactly one came back: the next one waits a whole interval again.
    again = await limiter.hit("k", FIVE_PER_MINUTE)
    assert not again.allowed
    assert again.retry_after == pytest.approx(12, abs=0.01)


async def test_a_full_period_refills_the_whole_burst(
    new_limiter: LimiterFactory, frozen_clock: time_machine.Coordinates
):
    """ratelimit.py: nobody is locked out for good; after the period the burst is back."""
    limiter = await new_limiter()
    for _ in range(5):
        assert (await limiter.hit("k", FIVE_PER_MINUTE)).allowed
    assert not (await limiter.hit("k", FIVE_PER_MINUTE)).allowed
    frozen_clock.shift(60)
    results = [(await limiter.hit("k", FIVE_PER_MINUTE)).allowed for _ in range(6)]
    assert results == [True] * 5 + [False]


async def test_refused_hits_do_not_count(
    new_limiter: LimiterFactory, frozen_clock: time_machine.Coordinates
):
    """ratelimit.py GCRA: a refused event stores nothing, so hammering does not extend the wait."""
    limiter = await new_limiter()
    for _ in range(5):
        await limiter.hit("k", FIVE_PER_MINUTE)
    for _ in range(50):
        assert not (await limiter.hit("k", FIVE_PER_MINUTE)).allowed
    frozen_clock.shift(12)
    assert (await limiter.hit("k", FIVE_PER_MINUTE)).allowed


async def test_keys_are_independent(
    new_limiter: LimiterFactory, frozen_clock: time_machine.Coordinates
):
    """ratelimit.py: one stored arrival time per key; another key has its own burst."""
    limiter = await new_limiter()
    for _ in range(5):
        await limiter.hit("a", FIVE_PER_MINUTE)
    assert not (await limiter.hit("a", FIVE_PER_MINUTE)).allowed
    assert (await limiter.hit("b", FIVE_PER_MINUTE)).allowed


async def test_cost_counts_several_events(
    new_limiter: LimiterFactory, frozen_clock: time_machine.Coordinates
):
    """ratelimit.py Limiter.hit: `cost` events at once; more than the burst is refused."""
    limiter = await new_limiter()
    decision = await limiter.hit("k", FIVE_PER_MINUTE, cost=3)
    assert decision.allowed
    assert decision.remaining == 2
    refused = await limiter.hit("k", FIVE_PER_MINUTE, cost=3)
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(12, abs=0.01)
    assert (await limiter.hit("k", FIVE_PER_MINUTE, cost=2)).allowed


async def test_peek_counts_nothing(
    new_limiter: LimiterFactory, frozen_clock: time_machine.Coordinates
):
    """ratelimit.py Limiter.peek: would one more be allowed? Counts nothing."""
    limiter = await new_limiter()
    for _ in range(20):
        peeked = await limiter.peek("k", FIVE_PER_MINUTE)
        assert peeked.allowed
        assert peeked.remaining == 4
    for _ in range(4):
        await limiter.hit("k", FIVE_PER_MINUTE)
    for _ in range(10):
        assert (await limiter.peek("k", FIVE_PER_MINUTE)).allowed
    assert (await limiter.hit("k", FIVE_PER_MINUTE)).allowed  # the 5th still fits
    blocked = await limiter.peek("k", FIVE_PER_MINUTE)
    assert not blocked.allowed
    assert blocked.retry_after == pytest.approx(12, abs=0.01)


async def test_reset_forgets(new_limiter: LimiterFactory, frozen_clock: time_machine.Coordinates):
    """ratelimit.py Limiter.reset: a successful sign-in clears its failures."""
    limiter = await new_limiter()
    for _ in range(5):
        await limiter.hit("k", FIVE_PER_MINUTE)
        await limiter.hit("other", FIVE_PER_MINUTE)
    assert not (await limiter.hit("k", FIVE_PER_MINUTE)).allowed
    await limiter.reset("k")
    assert [(await limiter.hit("k", FIVE_PER_MINUTE)).allowed for _ in range(6)] == [True] * 5 + [
        False
    ]
    assert not (await limiter.hit("other", FIVE_PER_MINUTE)).allowed  # only "k" was forgotten
    await limiter.reset("never-seen")  # forgetting an unknown key is harmless


async def test_slow_rate_retry_after(
    new_limiter: LimiterFactory, frozen_clock: time_machine.Coordinates
):
    """ratelimit.py: 5/15minutes refills one every 3 minutes."""
    limiter = await new_limiter()
    rate = Rate.parse("5/15minutes")
    for _ in range(5):
        assert (await limiter.hit("k", rate)).allowed
    refused = await limiter.hit("k", rate)
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(180, abs=0.01)
    frozen_clock.shift(180)
    assert (await limiter.hit("k", rate)).allowed


async def test_two_redis_limiters_share_the_counter(
    redis_url: str, frozen_clock: time_machine.Coordinates
):
    """DESIGN.md Scaling: processes pointing at one Redis share the rate-limit counters."""
    prefix = f"habitus-test:rl:{uuid.uuid4().hex}:"
    first, second = RedisLimiter(redis_url, prefix), RedisLimiter(redis_url, prefix)
    try:
        for limiter in (first, second, first, second, first):
            assert (await limiter.hit("shared", FIVE_PER_MINUTE)).allowed
        refused = await second.hit("shared", FIVE_PER_MINUTE)
        assert not refused.allowed
        assert refused.retry_after == pytest.approx(12, abs=0.01)
        await first.reset("shared")
        assert (await second.hit("shared", FIVE_PER_MINUTE)).allowed
        # Another prefix (another deployment on the same Redis) counts apart.
        other = RedisLimiter(redis_url, prefix + "other:")
        try:
            assert (await other.peek("shared", FIVE_PER_MINUTE)).remaining == 4
        finally:
            await other.close()
    finally:
        await first.close()
        await second.close()
        await _forget_prefix(redis_url, prefix)


async def test_build_limiter_picks_the_backend(redis_url: str):
    """DESIGN.md Scaling: Redis when a URL is set, memory otherwise (a setting apart)."""
    memory = build_limiter(None)
    shared = build_limiter(redis_url, "habitus-test:rl:")
    try:
        assert isinstance(memory, MemoryLimiter)
        assert isinstance(shared, RedisLimiter)
    finally:
        await memory.close()
        await shared.close()


# --- the rate syntax ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "count", "period"),
    [
        ("5/15minutes", 5, 900.0),
        ("600/minute", 600, 60.0),
        ("1/second", 1, 1.0),
        ("20/hour", 20, 3600.0),
        ("3/2days", 3, 172800.0),
        (" 10 / Minutes ", 10, 60.0),
    ],
)
def test_rate_parse_accepts(text: str, count: int, period: float):
    """config.py: rates are written "<count>/<period>", e.g. 5/15minutes or 600/minute."""
    rate = Rate.parse(text)
    assert (rate.count, rate.period_seconds) == (count, period)
    assert rate.interval == pytest.approx(period / count)
    assert Rate.parse(str(rate)) == rate  # the written form reads back the same


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "is not a rate"),
        ("", "is not a rate"),
        ("5", "is not a rate"),
        ("5/fortnight", "is not a rate"),
        ("-1/minute", "is not a rate"),
        ("1.5/minute", "is not a rate"),
        ("0/minute", "at least 1"),
        ("5/0minutes", "at least 1"),
    ],
)
def test_rate_parse_rejects_with_a_clear_message(text: str, message: str):
    """config.py: a malformed rate is refused with a message that says how to write one."""
    with pytest.raises(ValueError, match=message) as caught:
        Rate.parse(text)
    assert repr(text) in str(caught.value)
    if message == "is not a rate":
        assert "5/15minutes" in str(caught.value)  # shows an example of the right form


# --- through HTTP -------------------------------------------------------------------


async def test_ip_limit_answers_429_with_retry_after(make_client, frozen_clock):
    """API.md Conventions: rate limiting answers 429 (problem+json) with Retry-After."""
    client = await make_client(rate_limit_ip="3/minute")
    for _ in range(3):
        response = await client.get("/api/v1/auth/does-not-matter")
        assert response.status_code == 404
    refused = await client.get("/api/v1/me")
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    retry_after = refused.headers["retry-after"]
    assert retry_after.isdigit()
    assert 1 <= int(retry_after) <= 20
    assert int(retry_after) == 20  # 3/minute: one every 20 s
    body = refused.json()
    assert body["status"] == 429
    assert body["title"] == "Too Many Requests"
    assert body["type"].endswith("rate-limited")
    assert "20 seconds" in body["detail"]
    # Pages and health checks are not limited by the API budget.
    assert (await client.get("/healthz")).status_code == 200
    # Time heals: one interval later one more request passes.
    frozen_clock.shift(20)
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_ip_limit_disabled(make_client, frozen_clock):
    """config.py rate_limit_enabled=false turns the limits off."""
    client = await make_client(rate_limit_ip="1/minute", rate_limit_enabled=False)
    statuses = {(await client.get("/api/v1/me")).status_code for _ in range(5)}
    assert statuses == {401}


async def test_ip_limit_covers_sign_in_forms(make_client, frozen_clock):
    """middleware.py: the sign-in and sign-up forms count against the address's budget."""
    client = await make_client(rate_limit_ip="2/minute")
    for _ in range(2):
        response = await client.post("/login", data={"email": "x@example.org", "password": "y"})
        assert response.status_code != 429
    refused = await client.post("/login", data={"email": "x@example.org", "password": "y"})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    # A page view is not an API request and is not limited.
    assert (await client.get("/login")).status_code == 200


async def test_user_limit_is_per_user(make_client, frozen_clock):
    """API.md Conventions: a per-user 429 with Retry-After; another user is unaffected."""
    client = await make_client(rate_limit_user="2/minute")
    alice = await make_persona(client, "alice@example.org")
    bob = await make_persona(client, "bob@example.org")
    for _ in range(2):
        assert (await client.get("/api/v1/me", headers=alice.headers)).status_code == 200
    refused = await client.get("/api/v1/me", headers=alice.headers)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"].isdigit()
    assert int(refused.headers["retry-after"]) == 30
    assert refused.json()["status"] == 429
    # Bob has his own budget.
    for _ in range(2):
        assert (await client.get("/api/v1/me", headers=bob.headers)).status_code == 200
    frozen_clock.shift(30)
    assert (await client.get("/api/v1/me", headers=alice.headers)).status_code == 200


async def test_clock_stepping_back_does_not_lock_out(
    new_limiter: LimiterFactory, frozen_clock: time_machine.Coordinates
):
    """ratelimit.py: nobody is ever locked out for good, even when the clock steps back."""
    limiter = await new_limiter()
    for _ in range(5):
        await limiter.hit("k", FIVE_PER_MINUTE)
    # Half a second back (rounding, a slewing clock): still counted, a little longer to wait.
    frozen_clock.shift(-0.5)
    nudged = await limiter.hit("k", FIVE_PER_MINUTE)
    assert not nudged.allowed
    assert nudged.retry_after == pytest.approx(12.5, abs=0.01)
    # An hour back: what was counted is meaningless; no hour-long lock-out.
    frozen_clock.shift(-3600)
    assert [(await limiter.hit("k", FIVE_PER_MINUTE)).allowed for _ in range(6)] == [True] * 5 + [
        False
    ]


async def test_an_unreachable_redis_lets_requests_through():
    """DESIGN.md Scaling: Redis is optional; when it is down the limiter fails open (and
    says so) instead of answering 500 to every request."""
    limiter = RedisLimiter("redis://127.0.0.1:1/0", prefix=f"habitus-test:{uuid.uuid4().hex}:")
    try:
        for _ in range(FIVE_PER_MINUTE.count + 3):
            assert (await limiter.hit("user:x", FIVE_PER_MINUTE)).allowed
        assert (await limiter.peek("user:x", FIVE_PER_MINUTE)).allowed
        await limiter.reset("user:x")
        assert await limiter.healthy() is False
    finally:
        await limiter.close()


async def test_readyz_reports_an_unreachable_rate_limiter(make_client):
    """Issue 2 /readyz: with HABITUS_REDIS_URL set, readiness shows the limiter's state
    without failing (requests still flow when Redis is down). Issue 11 item 13: and says
    "degraded" rather than "ready" meanwhile."""
    server = await make_client(redis_url="redis://127.0.0.1:1/0")
    response = await server.get("/readyz")
    assert response.status_code == 200
    assert response.json()["rate_limiter"] == "unreachable"
    assert response.json()["status"] == "degraded"
    assert (await server.get("/api/v1/me")).status_code == 401  # not a 500
