"""One client for any OpenAI-compatible Chat Completions server (issue 17).

Ollama, vLLM, llama.cpp's server, OpenRouter, Groq and OpenAI itself all speak the same
protocol, so one client serves them all; it is built on the official `openai` package,
which knows the protocol's bodies and error shapes.

Model-backed features degrade, never break (DESIGN.md, wave 2): every way a call can go
wrong (not configured, refused, slow, rate-limited, down, an empty or unreadable answer)
ends in one exception, `LlmUnavailable`, with a short `reason`, and the caller falls back
to its offline path. Nothing else escapes `chat()` but cancellation.

Why the retry loop is ours and the SDK's is off (`max_retries=0`): the SDK does honour
Retry-After, but up to two minutes per wait, with a timeout that restarts on every attempt
and timeouts themselves retried; a call configured for 30 seconds could then hold a user
for minutes. Here one budget (`llm_timeout_seconds`) bounds the whole call: every attempt
gets what is left of it, a wait that would not fit is not started, and a server asking for
more than `MAX_WAIT_SECONDS` gets no retry at all (coming back earlier only earns another
429).

Structured answers: `json_schema` asks for `response_format` of type `json_schema`. Servers
that do not know it answer 400 (or 422); the call then steps down to `json_object`, then
to no `response_format` (the prompt asks for JSON anyway), and the client remembers the
step that worked so later calls start there. Answers are parsed with `parse_json_answer`,
which copes with fences and prose around the JSON.

Privacy: the messages (user text) are never logged; log lines carry the purpose, the
model, the outcome and the time taken.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import math
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

import httpx
import structlog

from habitus.kit import clock

if TYPE_CHECKING:
    # Only for annotations: config imports kit (rates), so a runtime import would make
    # a cycle between the two packages (tests/test_architecture.py).
    import openai

    from habitus.config import Settings

# The `openai` package is imported where a client is made (issue 22): it took 0.6 s of
# every `habitus` process's start (each CLI command, each web and worker process), and
# most installations never configure a model.

log = structlog.get_logger(__name__)

# The SDK refuses to start without a key; local servers ignore whatever is sent.
PLACEHOLDER_API_KEY: Final = "not-needed"
# The longest wait between two attempts, whatever the server asks for.
MAX_WAIT_SECONDS: Final = 20.0
# The first back-off when the server gives no Retry-After (doubled per retry, jittered).
FIRST_BACKOFF_SECONDS: Final = 0.5

Reason = Literal[
    "not_configured",
    "timeout",
    "rate_limited",
    "server_error",
    "bad_request",
    "network",
    "empty",
    "malformed",
]
REASONS: Final[frozenset[str]] = frozenset(
    {
        "not_configured",
        "timeout",
        "rate_limited",
        "server_error",
        "bad_request",
        "network",
        "empty",
        "malformed",
    }
)

# How a JSON answer is asked for, from the most to the least structured.
FormatMode = Literal["json_schema", "json_object", "none"]
FORMAT_MODES: Final[tuple[FormatMode, ...]] = ("json_schema", "json_object", "none")


class LlmUnavailable(Exception):
    """No usable answer: not configured, network error, timeout, retries exhausted,
    refused, or an empty or unreadable answer. The caller uses its offline path.

    `reason` is one short word: "not_configured", "timeout", "rate_limited",
    "server_error", "bad_request" (the server refused the request: 4xx other than 429),
    "network", "empty" (no content), or "malformed" (a body that is not a completion)."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: str = reason  # one of REASONS
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Answer:
    content: str  # choices[0].message.content
    model: str  # the model that answered, as the response names it
    prompt_tokens: int | None
    completion_tokens: int | None
    seconds: float


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One per `chat()` call, success or failure, for the admin page's counts."""

    purpose: str  # e.g. "coach.classify", "coach.plan", "coach.repair"
    model: str
    ok: bool
    reason: str | None  # LlmUnavailable.reason when not ok
    seconds: float
    prompt_tokens: int | None
    completion_tokens: int | None


Recorder = Callable[[CallRecord], Awaitable[None]]


class _FormatRefused(Exception):
    """The server answered 400/422 to a request that carried `response_format`."""


class LlmClient:
    """Calls one configured server. One instance per process (it holds the concurrency
    cap and the remembered `response_format` step); close it with `aclose()`."""

    def __init__(
        self,
        settings: Settings,
        *,
        recorder: Recorder | None = None,
        http_client: httpx.AsyncClient | None = None,
        backoff_seconds: float = FIRST_BACKOFF_SECONDS,
    ) -> None:
        self._settings = settings
        self._recorder = recorder
        self._backoff_seconds = backoff_seconds
        self._slots = asyncio.Semaphore(settings.llm_max_concurrency)
        # Index into FORMAT_MODES where structured calls start: moves down once a
        # server has shown it cannot do better, never up.
        self._format_start = 0
        # A caller's HTTP client stays the caller's to close.
        self._owns_http_client = http_client is None
        self._sdk: openai.AsyncOpenAI | None = None
        if self.configured:
            import openai  # on first use: see the note at the imports

            self._sdk = openai.AsyncOpenAI(
                api_key=settings.llm_api_key or PLACEHOLDER_API_KEY,
                base_url=(settings.llm_base_url or "").strip(),
                max_retries=0,
                timeout=settings.llm_timeout_seconds,
                # The SDK takes the `httpx` package's client too (it checks at run time);
                # its annotation names only its own fork's.
                http_client=http_client,  # type: ignore[arg-type]
            )

    @property
    def configured(self) -> bool:
        """A base URL and a model are set; otherwise every call is "not_configured"."""
        return bool((self._settings.llm_base_url or "").strip()) and bool(
            (self._settings.llm_model or "").strip()
        )

    @property
    def format_mode(self) -> FormatMode:
        """Where the next structured call starts (after the server refused better ones)."""
        return FORMAT_MODES[self._format_start]

    def model_for(self, *, vision: bool = False) -> str:
        text_model = (self._settings.llm_model or "").strip()
        if vision:
            return (self._settings.llm_vision_model or "").strip() or text_model
        return text_model

    async def chat(
        self,
        messages: list[dict[str, Any]],
        *,
        purpose: str,
        json_schema: dict[str, Any] | None = None,
        schema_name: str = "answer",
        vision: bool = False,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> Answer:
        """The model's answer to `messages`, or `LlmUnavailable`.

        The whole call, retries and waits included, takes at most `llm_timeout_seconds`
        once it holds one of the `llm_max_concurrency` slots. The recorder hears of it
        once, whatever the outcome."""
        model = self.model_for(vision=vision)
        started = clock.monotonic()
        try:
            if self._sdk is None:
                raise LlmUnavailable("not_configured")
            async with self._slots:
                deadline = clock.monotonic() + self._settings.llm_timeout_seconds
                completion = await self._complete(
                    messages,
                    model=model,
                    json_schema=json_schema,
                    schema_name=schema_name,
                    temperature=temperature,
                    max_tokens=max_tokens,
                    deadline=deadline,
                )
            answer = _answer_from(completion, model, clock.monotonic() - started)
        except LlmUnavailable as failure:
            seconds = clock.monotonic() - started
            log.info(
                "llm.call",
                purpose=purpose,
                model=model,
                ok=False,
                reason=failure.reason,
                seconds=round(seconds, 3),
            )
            await self._record(
                CallRecord(purpose, model, False, failure.reason, seconds, None, None)
            )
            raise
        log.info(
            "llm.call",
            purpose=purpose,
            model=answer.model,
            ok=True,
            seconds=round(answer.seconds, 3),
            prompt_tokens=answer.prompt_tokens,
            completion_tokens=answer.completion_tokens,
        )
        await self._record(
            CallRecord(
                purpose,
                answer.model,
                True,
                None,
                answer.seconds,
                answer.prompt_tokens,
                answer.completion_tokens,
            )
        )
        return answer

    async def aclose(self) -> None:
        if self._sdk is not None and self._owns_http_client:
            await self._sdk.close()

    async def _complete(
        self,
        messages: list[dict[str, Any]],
        *,
        model: str,
        json_schema: dict[str, Any] | None,
        schema_name: str,
        temperature: float | None,
        max_tokens: int | None,
        deadline: float,
    ) -> object:
        params: dict[str, Any] = {"model": model, "messages": messages}
        if temperature is not None:
            params["temperature"] = temperature
        if max_tokens is not None:
            params["max_tokens"] = max_tokens
        if json_schema is None:
            return await self._with_retries(params, deadline)
        start = self._format_start
        for index in range(start, len(FORMAT_MODES)):
            mode = FORMAT_MODES[index]
            attempt = dict(params)
            response_format = _response_format(mode, json_schema, schema_name)
            if response_format is not None:
                attempt["response_format"] = response_format
            try:
                completion = await self._with_retries(attempt, deadline)
            except _FormatRefused:
                log.info("llm.response_format_refused", model=model, mode=mode)
                continue
            # Only a mode that worked is remembered: a 400 for another cause (a prompt
            # too long, say) must not cost every later call its structured output.
            self._format_start = index
            return completion
        # Unreachable: the last mode sends no response_format, so it is never refused
        # as a format; kept so the type checker sees every path end.
        raise LlmUnavailable("bad_request")

    async def _with_retries(self, params: dict[str, Any], deadline: float) -> object:
        """One request, repeated on 429 and 5xx up to `llm_retries` times while the
        budget lasts."""
        assert self._sdk is not None
        import openai  # loaded with the client above

        retries = self._settings.llm_retries
        for attempt in range(retries + 1):
            remaining = deadline - clock.monotonic()
            if remaining <= 0:
                raise LlmUnavailable("timeout")
            try:
                # asyncio.timeout bounds the whole exchange; the SDK's own timeout alone
                # is per read, so a server trickling bytes could outlast it.
                async with asyncio.timeout(remaining):
                    return await self._sdk.chat.completions.create(**params, timeout=remaining)
            except (TimeoutError, openai.APITimeoutError) as error:
                raise LlmUnavailable("timeout") from error
            except openai.APIConnectionError as error:
                raise LlmUnavailable("network", type(error.__cause__).__name__) from error
            except openai.APIStatusError as error:
                status = error.status_code
                if status in (400, 422) and "response_format" in params:
                    raise _FormatRefused from error
                if status != 429 and status < 500:
                    raise LlmUnavailable("bad_request", f"HTTP {status}") from error
                reason: Reason = "rate_limited" if status == 429 else "server_error"
                if attempt == retries:
                    raise LlmUnavailable(reason, f"HTTP {status}") from error
                wait = self._wait_before_retry(error.response.headers, attempt)
                if wait is None or clock.monotonic() + wait >= deadline:
                    # Retry-After beyond the cap or the budget: give up now rather than
                    # sleep and fail anyway.
                    raise LlmUnavailable(reason, f"HTTP {status}") from error
                log.info("llm.retry", status=status, wait=round(wait, 3))
                await asyncio.sleep(wait)
            except openai.APIResponseValidationError as error:
                raise LlmUnavailable("malformed") from error
            except ValueError as error:  # a 200 whose body is not JSON
                raise LlmUnavailable("malformed", type(error).__name__) from error
            except openai.OpenAIError as error:
                raise LlmUnavailable("server_error", type(error).__name__) from error
        raise AssertionError("the loop returns or raises")  # pragma: no cover

    def _wait_before_retry(self, headers: Mapping[str, str], attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None when the server asks for
        longer than MAX_WAIT_SECONDS."""
        asked = retry_after_seconds(headers)
        if asked is not None:
            return asked if asked <= MAX_WAIT_SECONDS else None
        backoff = self._backoff_seconds * (2.0**attempt) * (1 - 0.25 * random.random())
        return min(backoff, MAX_WAIT_SECONDS)

    async def _record(self, record: CallRecord) -> None:
        if self._recorder is None:
            return
        try:
            await self._recorder(record)
        except Exception:
            # Counting calls must never cost the caller its answer.
            log.exception("llm.recorder_failed", purpose=record.purpose)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The wait a response asks for: `retry-after-ms`, or `Retry-After` in seconds or as
    an HTTP date. None when absent or unreadable; never negative."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        seconds = _finite(milliseconds)
        if seconds is not None:
            return max(seconds / 1000, 0.0)
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _finite(value)
    if seconds is not None:
        return max(seconds, 0.0)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - clock.now()).total_seconds(), 0.0)


def _finite(text: str) -> float | None:
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _response_format(
    mode: FormatMode, json_schema: dict[str, Any], schema_name: str
) -> dict[str, Any] | None:
    if mode == "json_schema":
        # strict False: servers that enforce strict mode demand shapes (every property
        # required, no extra keys) that ordinary schemas do not meet.
        return {
            "type": "json_schema",
            "json_schema": {"name": schema_name, "schema": json_schema, "strict": False},
        }
    if mode == "json_object":
        return {"type": "json_object"}
    return None


def _answer_from(completion: object, requested_model: str, seconds: float) -> Answer:
    # The SDK does not validate bodies: a server may send JSON that is no completion
    # at all (or text, which the SDK hands back as a str).
    from openai.types.chat import ChatCompletion  # loaded with the client

    if not isinstance(completion, ChatCompletion):
        raise LlmUnavailable("malformed", type(completion).__name__)
    try:
        choices = completion.choices
        if not choices:
            raise LlmUnavailable("empty", "no choices")
        content = choices[0].message.content
        usage = completion.usage
        prompt_tokens = _count(getattr(usage, "prompt_tokens", None))
        completion_tokens = _count(getattr(usage, "completion_tokens", None))
        model = getattr(completion, "model", None)
    except (AttributeError, IndexError, TypeError) as error:
        raise LlmUnavailable("malformed", type(error).__name__) from error
    if not isinstance(content, str) or not content.strip():
        raise LlmUnavailable("empty")
    return Answer(
        content=content,
        model=model if isinstance(model, str) and model else requested_model,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        seconds=seconds,
    )


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\n?(.*?)```", re.DOTALL)
_DECODER = json.JSONDecoder()


def parse_json_answer(content: str) -> Any:
    """Defensive JSON from a model's text: plain JSON, JSON inside ``` fences, or the
    first balanced {...} / [...] in prose. Only an object or an array counts (a model
    that answers "42" or "true" has not answered the question). Raises ValueError when
    there is none."""
    text = content.strip()
    found = _whole(text)
    if found is not None:
        return found[0]
    for block in _FENCE.findall(text):
        found = _whole(block.strip())
        if found is not None:
            return found[0]
    # raw_decode from each opening bracket reads exactly one balanced value (strings
    # holding brackets included) and ignores what follows it.
    for match in re.finditer(r"[\[{]", text):
        try:
            value, _ = _DECODER.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict | list):
            return value
    raise ValueError("the answer holds no JSON object or array")


def _whole(text: str) -> tuple[Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return (value,) if isinstance(value, dict | list) else None
