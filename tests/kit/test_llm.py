"""kit/llm.py against a real HTTP server speaking the Chat Completions protocol
(tests/fixtures/fake_llm.py): answers, retries, timeouts, response_format fallbacks, the
concurrency cap, the call records, and parsing JSON out of a model's text (issue 17)."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
import structlog

from habitus.config import Settings
from habitus.kit import clock
from habitus.kit.llm import (
    MAX_WAIT_SECONDS,
    CallRecord,
    LlmClient,
    LlmUnavailable,
    parse_json_answer,
    retry_after_seconds,
)
from tests.fixtures.fake_llm import (  # noqa: F401  (fixtures are found by name)
    FAKE_MODEL,
    FakeLlm,
    fake_llm_fixture,
    fake_llm_server,
    llm_settings,
    malformed,
    rate_limited,
    reject_response_format,
    server_error,
    slow,
    status,
    text,
)

MESSAGES = [
    {"role": "system", "content": "Classify the goal. Answer JSON."},
    {"role": "user", "content": "I want to read more books"},
]
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"kind": {"type": "string", "enum": ["build", "quit"]}},
    "required": ["kind"],
}

ClientFactory = Callable[..., LlmClient]


@pytest.fixture
async def make_llm(fake_llm: FakeLlm) -> AsyncIterator[ClientFactory]:
    """LlmClient instances pointed at the fake server (settings overridable), closed
    after the test. Back-off without Retry-After is shortened so retries cost little."""
    clients: list[LlmClient] = []

    def factory(
        *, recorder: Any = None, backoff_seconds: float = 0.01, **overrides: Any
    ) -> LlmClient:
        client = LlmClient(
            llm_settings(fake_llm, **overrides),
            recorder=recorder,
            backoff_seconds=backoff_seconds,
        )
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.aclose()


async def _failure(client: LlmClient, **kwargs: Any) -> LlmUnavailable:
    with pytest.raises(LlmUnavailable) as caught:
        await client.chat(MESSAGES, purpose="test", **kwargs)
    return caught.value


# --- answers ------------------------------------------------------------------------------


async def test_an_answer_carries_content_model_and_usage(fake_llm: FakeLlm, make_llm):
    """Issue 17: the content is choices[0].message.content; the model is the one that
    answered (as the response says), with the usage the server reported; the request
    names the configured model and carries the messages unchanged."""
    fake_llm.script(
        text('{"kind": "build"}', model="served-7b", prompt_tokens=17, completion_tokens=5)
    )
    answer = await make_llm().chat(MESSAGES, purpose="coach.classify")

    assert answer.content == '{"kind": "build"}'
    assert answer.model == "served-7b"
    assert (answer.prompt_tokens, answer.completion_tokens) == (17, 5)
    assert answer.seconds > 0
    [request] = fake_llm.chat_requests
    assert request.json["model"] == FAKE_MODEL
    assert request.messages == MESSAGES
    assert "response_format" not in request.json


async def test_the_api_key_is_sent_when_set_and_a_placeholder_otherwise(
    fake_llm: FakeLlm, make_llm
):
    """Issue 17: a hosted server gets its key as a bearer token; a local one, which
    ignores keys, gets a placeholder (the SDK refuses to send none)."""
    await make_llm(llm_api_key="sk-test-123").chat(MESSAGES, purpose="test")
    await make_llm().chat(MESSAGES, purpose="test")

    keys = [request.headers["authorization"] for request in fake_llm.chat_requests]
    assert keys == ["Bearer sk-test-123", "Bearer not-needed"]


async def test_vision_uses_the_vision_model_or_falls_back_to_the_text_model(
    fake_llm: FakeLlm, make_llm
):
    """Issue 17: `vision=True` asks HABITUS_LLM_VISION_MODEL, or the text model when
    no vision model is set."""
    await make_llm(llm_vision_model="eyes-11b").chat(MESSAGES, purpose="health", vision=True)
    await make_llm().chat(MESSAGES, purpose="health", vision=True)
    await make_llm(llm_vision_model="eyes-11b").chat(MESSAGES, purpose="coach")

    models = [request.json["model"] for request in fake_llm.chat_requests]
    assert models == ["eyes-11b", FAKE_MODEL, FAKE_MODEL]


async def test_temperature_and_max_tokens_are_sent_only_when_given(fake_llm: FakeLlm, make_llm):
    """Issue 17: optional sampling settings reach the server as given, and are left
    out otherwise (servers differ in their defaults)."""
    client = make_llm()
    await client.chat(MESSAGES, purpose="test", temperature=0.2, max_tokens=300)
    await client.chat(MESSAGES, purpose="test")

    first, second = fake_llm.chat_requests
    assert (first.json["temperature"], first.json["max_tokens"]) == (0.2, 300)
    assert "temperature" not in second.json
    assert "max_tokens" not in second.json


@pytest.mark.parametrize("content", ["", "   \n"])
async def test_an_empty_answer_is_unavailable(fake_llm: FakeLlm, make_llm, content: str):
    """DESIGN wave 2 (degrade, never break): an answer with no text is no answer."""
    fake_llm.script(text(content))
    assert (await _failure(make_llm())).reason == "empty"


async def test_a_body_that_is_not_json_is_unavailable(fake_llm: FakeLlm, make_llm):
    """Issue 17 (malformed JSON from the server): the caller gets LlmUnavailable, not a
    decoding error from deep inside the SDK."""
    fake_llm.script(malformed())
    assert (await _failure(make_llm())).reason == "malformed"


async def test_json_that_is_not_a_completion_is_unavailable(fake_llm: FakeLlm, make_llm):
    """Issue 17: a 200 whose JSON has no choices is no answer either."""
    fake_llm.script(status(200, {"object": "chat.completion", "choices": []}))
    assert (await _failure(make_llm())).reason == "empty"


# --- retries and timeouts -------------------------------------------------------------------


async def test_429_waits_as_long_as_retry_after_says(fake_llm: FakeLlm, make_llm):
    """Issue 17: retries on 429 honour Retry-After: the second request arrives about
    one second after the first, and the call then succeeds."""
    fake_llm.script(rate_limited(retry_after=1), "after the wait")
    answer = await make_llm(llm_timeout_seconds=5).chat(MESSAGES, purpose="test")

    assert answer.content == "after the wait"
    first, second = fake_llm.chat_requests
    gap = second.at - first.at
    assert 0.95 <= gap < 2.0, gap


async def test_a_retry_after_longer_than_the_budget_fails_at_once(fake_llm: FakeLlm, make_llm):
    """Issue 17: a wait that cannot fit in the call's time budget (or past the cap) is
    not started: the call gives up now instead of sleeping to fail later."""
    fake_llm.script(rate_limited(retry_after=5), "never asked")
    started = time.monotonic()
    failure = await _failure(make_llm(llm_timeout_seconds=4))

    assert failure.reason == "rate_limited"
    assert time.monotonic() - started < 2.5  # far from the 5 s asked for
    assert len(fake_llm.chat_requests) == 1


async def test_a_retry_after_beyond_the_cap_is_not_retried(fake_llm: FakeLlm, make_llm):
    """Issue 17: Retry-After is honoured up to MAX_WAIT_SECONDS; a server asking for
    more is not retried early (that only earns another 429)."""
    fake_llm.script(rate_limited(retry_after=MAX_WAIT_SECONDS + 1), "never asked")
    started = time.monotonic()
    failure = await _failure(make_llm(llm_timeout_seconds=120))

    assert failure.reason == "rate_limited"
    assert time.monotonic() - started < 2.5  # far from the 20 s cap
    assert len(fake_llm.chat_requests) == 1


async def test_500_twice_then_success(fake_llm: FakeLlm, make_llm):
    """Issue 17: 5xx answers are retried (HABITUS_LLM_RETRIES = 2 allows two)."""
    fake_llm.script(server_error(500), server_error(503), "third time")
    answer = await make_llm(llm_retries=2).chat(MESSAGES, purpose="test")

    assert answer.content == "third time"
    assert len(fake_llm.chat_requests) == 3


@pytest.mark.parametrize("retries", [0, 2])
async def test_500_beyond_the_retries_is_a_server_error(fake_llm: FakeLlm, make_llm, retries: int):
    """Issue 17: after 1 + retries failed attempts the call gives up with
    "server_error" (and asks no more)."""
    fake_llm.script(*[server_error() for _ in range(retries + 1)], "too late")
    failure = await _failure(make_llm(llm_retries=retries))

    assert failure.reason == "server_error"
    assert len(fake_llm.chat_requests) == retries + 1
    assert fake_llm.pending == 1


async def test_a_4xx_other_than_429_is_not_retried(fake_llm: FakeLlm, make_llm):
    """Issue 17: the server refusing the request (401, 400 without response_format) is
    "bad_request", asked once: repeating it cannot help."""
    fake_llm.script(status(401), "never asked")
    failure = await _failure(make_llm(llm_retries=2))

    assert failure.reason == "bad_request"
    assert len(fake_llm.chat_requests) == 1


async def test_a_slow_answer_past_the_timeout_is_a_timeout(fake_llm: FakeLlm, make_llm):
    """Issue 17: an answer slower than HABITUS_LLM_TIMEOUT_SECONDS ends the call with
    "timeout" once the budget is spent (not retried into a longer wait)."""
    fake_llm.script(slow(5), slow(5), slow(5))
    started = time.monotonic()
    failure = await _failure(make_llm(llm_timeout_seconds=0.5, llm_retries=2))
    elapsed = time.monotonic() - started

    assert failure.reason == "timeout"
    assert 0.45 <= elapsed < 2.5, elapsed  # not 3 x 0.5 s, nor the 5 s answer
    assert len(fake_llm.chat_requests) == 1


async def test_an_unreachable_server_is_a_network_failure(make_llm):
    """Issue 17: nobody listening at the base URL is "network" (loopback only)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_llm(llm_base_url=f"http://127.0.0.1:{port}/v1")
    assert (await _failure(client)).reason == "network"


@pytest.mark.parametrize(
    ("base_url", "model"), [(None, FAKE_MODEL), ("use-fake", None), ("use-fake", "  ")]
)
async def test_not_configured_sends_nothing(
    fake_llm: FakeLlm, make_llm, base_url: str | None, model: str | None
):
    """DESIGN wave 2: without a base URL and a model the client says "not_configured"
    at once and no request leaves."""
    client = make_llm(
        llm_base_url=fake_llm.base_url if base_url == "use-fake" else None, llm_model=model
    )
    assert not client.configured
    assert (await _failure(client)).reason == "not_configured"
    assert fake_llm.requests == []


# --- structured answers -----------------------------------------------------------------------


async def test_json_schema_is_asked_for_when_the_server_accepts_it(fake_llm: FakeLlm, make_llm):
    """Issue 17: with a schema the request carries response_format json_schema (name,
    schema, strict false)."""
    fake_llm.script('{"kind": "quit"}')
    answer = await make_llm().chat(
        MESSAGES, purpose="coach.classify", json_schema=SCHEMA, schema_name="classification"
    )

    assert parse_json_answer(answer.content) == {"kind": "quit"}
    [request] = fake_llm.chat_requests
    assert request.response_format == {
        "type": "json_schema",
        "json_schema": {"name": "classification", "schema": SCHEMA, "strict": False},
    }


async def test_refused_response_formats_step_down_and_the_working_one_is_remembered(
    fake_llm: FakeLlm, make_llm
):
    """Issue 17: a server that refuses response_format (400) is asked again with
    json_object, then with none; the next call starts with what worked."""
    fake_llm.refused_formats = {"json_schema", "json_object"}
    fake_llm.script('{"kind": "build"}', '{"kind": "quit"}')
    client = make_llm()
    first = await client.chat(MESSAGES, purpose="coach.plan", json_schema=SCHEMA)
    second = await client.chat(MESSAGES, purpose="coach.plan", json_schema=SCHEMA)

    assert (first.content, second.content) == ('{"kind": "build"}', '{"kind": "quit"}')
    kinds = [(request.response_format or {}).get("type") for request in fake_llm.chat_requests]
    assert kinds == ["json_schema", "json_object", None, None]
    assert client.format_mode == "none"


async def test_json_object_is_kept_when_only_json_schema_is_refused(fake_llm: FakeLlm, make_llm):
    """Issue 17: a server that knows json_object but not json_schema (a scripted 400 the
    first time) keeps getting json_object, never plain text."""
    fake_llm.script(reject_response_format(), '{"kind": "build"}', '{"kind": "quit"}')
    client = make_llm()
    await client.chat(MESSAGES, purpose="coach.plan", json_schema=SCHEMA)
    await client.chat(MESSAGES, purpose="coach.plan", json_schema=SCHEMA)

    kinds = [(request.response_format or {}).get("type") for request in fake_llm.chat_requests]
    assert kinds == ["json_schema", "json_object", "json_object"]
    assert client.format_mode == "json_object"


async def test_a_400_for_another_cause_does_not_lose_the_structured_mode(
    fake_llm: FakeLlm, make_llm
):
    """Issue 17: only a mode that worked is remembered: when every step is refused
    (the 400 was about something else), the call is "bad_request" and the next call
    still starts with json_schema."""
    fake_llm.script(status(400), status(400), status(400), '{"kind": "build"}')
    client = make_llm()
    assert (await _failure(client, json_schema=SCHEMA)).reason == "bad_request"
    await client.chat(MESSAGES, purpose="test", json_schema=SCHEMA)

    kinds = [(request.response_format or {}).get("type") for request in fake_llm.chat_requests]
    assert kinds == ["json_schema", "json_object", None, "json_schema"]


# --- concurrency ---------------------------------------------------------------------------


@pytest.mark.parametrize("cap", [1, 2])
async def test_no_more_calls_in_flight_than_the_cap(fake_llm: FakeLlm, make_llm, cap: int):
    """Issue 17: HABITUS_LLM_MAX_CONCURRENCY bounds the requests in flight at the server
    (and reaches it: the calls do overlap up to the cap). The time budget starts once a
    call holds a slot, so waiting in line is no timeout."""
    fake_llm.script(*[slow(0.15, f"answer {index}") for index in range(5)])
    client = make_llm(llm_max_concurrency=cap, llm_timeout_seconds=0.5)
    answers = await asyncio.gather(*(client.chat(MESSAGES, purpose="test") for _ in range(5)))

    assert sorted(answer.content for answer in answers) == [f"answer {i}" for i in range(5)]
    assert fake_llm.max_in_flight == cap


# --- records and logs ----------------------------------------------------------------------


async def test_the_recorder_hears_of_every_call_once(fake_llm: FakeLlm, make_llm):
    """Issue 17 (admin page: model calls per day and their failures): one record per
    call, successes with their usage, failures with their reason."""
    records: list[CallRecord] = []

    async def recorder(record: CallRecord) -> None:
        records.append(record)

    fake_llm.script(
        text("fine", prompt_tokens=9, completion_tokens=2),
        server_error(),
        server_error(),
    )
    client = make_llm(recorder=recorder, llm_retries=1)
    await client.chat(MESSAGES, purpose="coach.classify")
    await _failure(client)
    await _failure(make_llm(recorder=recorder, llm_base_url=None))

    assert [(r.purpose, r.ok, r.reason) for r in records] == [
        ("coach.classify", True, None),
        ("test", False, "server_error"),
        ("test", False, "not_configured"),
    ]
    assert (records[0].model, records[0].prompt_tokens, records[0].completion_tokens) == (
        FAKE_MODEL,
        9,
        2,
    )
    assert all(record.seconds >= 0 for record in records)


async def test_a_failing_recorder_does_not_break_the_call(fake_llm: FakeLlm, make_llm):
    """DESIGN wave 2 (degrade, never break): counting calls is secondary; the answer
    still comes back when the recorder raises."""

    async def recorder(record: CallRecord) -> None:
        raise RuntimeError("the counts table is gone")

    fake_llm.script("still here")
    answer = await make_llm(recorder=recorder).chat(MESSAGES, purpose="test")
    assert answer.content == "still here"


async def test_user_text_never_reaches_the_logs(
    fake_llm: FakeLlm, make_llm, caplog: pytest.LogCaptureFixture
):
    """Issue 17 (privacy): log lines name the purpose, model, outcome and time; the
    prompt's text is never among them, on success or failure."""
    marker = "my-secret-goal-8c1f"
    messages = [{"role": "user", "content": f"I want to {marker}"}]
    fake_llm.script("ok", server_error(), server_error(), server_error())
    client = make_llm()
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as captured:
        await client.chat(messages, purpose="coach.plan")
        with pytest.raises(LlmUnavailable):
            await client.chat(messages, purpose="coach.plan")

    logged = caplog.text + "\n".join(str(event) for event in captured)
    assert "llm.call" in logged  # the capture works: the call was logged
    assert "coach.plan" in logged
    assert marker not in logged


# --- reading answers --------------------------------------------------------------------------


def test_parse_json_answer_reads_plain_fenced_and_embedded_json():
    """Issue 17 (parse defensively): JSON alone, in ```json fences, or inside prose
    (braces within strings do not end it early)."""
    assert parse_json_answer(' {"days": 21} ') == {"days": 21}
    assert parse_json_answer('Here it is:\n```json\n{"kind": "quit"}\n```\nGood luck!') == {
        "kind": "quit"
    }
    assert parse_json_answer("```\n[1, 2, 3]\n```") == [1, 2, 3]
    prose = 'Sure! The plan is {"tasks": ["read {one} page", "b"]} - enjoy.'
    assert parse_json_answer(prose) == {"tasks": ["read {one} page", "b"]}
    assert parse_json_answer("Note [not json] then [4, 5]") == [4, 5]


@pytest.mark.parametrize(
    "garbage", ["", "I cannot help with that.", "{broken: json", "42", '"just a string"']
)
def test_parse_json_answer_refuses_what_holds_no_object_or_array(garbage: str):
    """Issue 17: no JSON object or array in the answer is a ValueError (the caller
    asks for a repair, then uses the offline planner, D13.4)."""
    with pytest.raises(ValueError, match="JSON"):
        parse_json_answer(garbage)


def test_retry_after_reads_seconds_milliseconds_and_dates():
    """Issue 17: Retry-After in seconds or as an HTTP date, and retry-after-ms, as the
    servers send them; unreadable values are ignored."""
    in_two_seconds = format_datetime(clock.now() + timedelta(seconds=2), usegmt=True)
    assert retry_after_seconds(httpx.Headers({"Retry-After": "1.5"})) == 1.5
    assert retry_after_seconds(httpx.Headers({"retry-after-ms": "250"})) == 0.25
    assert 0.5 < (retry_after_seconds(httpx.Headers({"Retry-After": in_two_seconds})) or 0) <= 2
    assert retry_after_seconds(httpx.Headers({"Retry-After": "soon"})) is None
    assert retry_after_seconds(httpx.Headers({})) is None


# --- the fake server itself --------------------------------------------------------------------


async def test_the_fake_server_lists_its_models(fake_llm: FakeLlm):
    """Issue 17 (tests speak the real protocol): GET /v1/models answers as servers do."""
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{fake_llm.base_url}/models")
    assert response.status_code == 200
    assert FAKE_MODEL in [model["id"] for model in response.json()["data"]]


def test_llm_settings_point_at_the_fake(fake_llm: FakeLlm):
    """The helper's settings name the fake server and its model."""
    settings = llm_settings(fake_llm, llm_retries=0)
    assert isinstance(settings, Settings)
    assert (settings.llm_base_url, settings.llm_model, settings.llm_retries) == (
        fake_llm.base_url,
        FAKE_MODEL,
        0,
    )


async def test_a_callers_http_client_is_used_and_left_open(fake_llm: FakeLlm):
    """Issue 17: an `httpx.AsyncClient` handed in carries the requests (its headers
    reach the server) and stays open after the LLM client closes: it is the caller's."""
    async with httpx.AsyncClient(headers={"x-habitus-test": "mine"}) as http:
        client = LlmClient(llm_settings(fake_llm), http_client=http)
        answer = await client.chat(MESSAGES, purpose="test")
        await client.aclose()
        assert not http.is_closed
    assert answer.content
    [request] = fake_llm.chat_requests
    assert request.headers.get("x-habitus-test") == "mine"
