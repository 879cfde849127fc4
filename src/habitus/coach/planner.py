"""Who answers the coach (issue 17, D13.1/D13.4): the configured model, checked against
`plan_rules`, with ONE repair request on a bad answer, else the offline planner. Every
answer says which (`source`: "llm" or "offline") and, offline, why (`reason`).

Nothing here touches the database: the service calls these before it takes the writer
turn (a model may take many seconds) and stores the result after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import structlog

from habitus.coach import offline, plan_rules, prompts
from habitus.coach.plan_rules import Answer, DraftPlan, Kind
from habitus.kit import llm

log = structlog.get_logger(__name__)

Source = Literal["llm", "offline"]


@dataclass(frozen=True, slots=True)
class Classified:
    kind: Kind
    questions: tuple[str, ...]
    source: Source
    reason: str | None = None  # why offline


@dataclass(frozen=True, slots=True)
class Planned:
    draft: DraftPlan
    source: Source
    model: str | None = None
    reason: str | None = None  # why offline


class NoMoreTasks(Exception):
    """The offline library has no task left that the plan does not hold already."""


class _Unusable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def _checked(
    client: llm.LlmClient,
    messages: list[dict[str, str]],
    *,
    purpose: str,
    schema: dict[str, Any],
    problems_of: Any,
) -> tuple[Any, str]:
    """The parsed answer that passes `problems_of`, after at most one repair request."""
    answer = await client.chat(messages, purpose=purpose, json_schema=schema, temperature=0.4)
    raw, problems = _parse(answer.content, problems_of)
    if not problems:
        return raw, answer.model
    repaired = await client.chat(
        prompts.repair(messages, answer.content, problems),
        purpose=f"{purpose}.repair",
        json_schema=schema,
        temperature=0.2,
    )
    raw, problems = _parse(repaired.content, problems_of)
    if problems:
        log.info("coach.answer_unusable", purpose=purpose, problems=len(problems))
        raise _Unusable("invalid_answer")
    return raw, repaired.model


def _parse(content: str, problems_of: Any) -> tuple[Any, list[str]]:
    try:
        raw = llm.parse_json_answer(content)
    except ValueError:
        return None, ["the answer is not JSON"]
    found: list[str] = problems_of(raw)
    return raw, found


async def classify(client: llm.LlmClient, goal: str) -> Classified:
    """D13.1: build or quit, and 3-5 questions."""
    reason: str
    if client.configured:
        try:
            raw, _model = await _checked(
                client,
                prompts.classify(goal),
                purpose="coach.classify",
                schema=plan_rules.classification_json_schema(),
                problems_of=plan_rules.classification_problems,
            )
            questions = tuple(plan_rules.clean_text(item) for item in raw["questions"])
            return Classified(raw["kind"], questions, "llm")
        except llm.LlmUnavailable as failure:
            reason = failure.reason
        except _Unusable as failure:
            reason = failure.reason
    else:
        reason = "not_configured"
    found = offline.classify(goal)
    return Classified(found.kind, found.questions, "offline", reason)


async def plan(
    client: llm.LlmClient, goal: str, kind: Kind, answers: Sequence[Answer], days: int
) -> Planned:
    """D13.2/D13.4: a checked plan from the model, else the offline planner's."""
    reason: str
    if client.configured:
        try:
            raw, model = await _checked(
                client,
                prompts.plan(goal, kind, answers, days),
                purpose="coach.plan",
                schema=plan_rules.plan_json_schema(days),
                problems_of=lambda raw: plan_rules.plan_problems(raw, days),
            )
            return Planned(plan_rules.draft_from(raw, days, kind), "llm", model)
        except llm.LlmUnavailable as failure:
            reason = failure.reason
        except _Unusable as failure:
            reason = failure.reason
    else:
        reason = "not_configured"
    return Planned(offline.plan(goal, kind, answers, days), "offline", None, reason)


@dataclass(frozen=True, slots=True)
class NewTasks:
    texts: tuple[str, ...]
    source: Source
    reason: str | None = None


def _day_problems(raw: object, count: int, taken: set[str]) -> list[str]:
    if not isinstance(raw, dict) or not isinstance(raw.get("tasks"), list):
        return ['the answer must be {"tasks": [...]}']
    tasks = raw["tasks"]
    problems: list[str] = []
    if len(tasks) != count:
        problems.append(f"there are {len(tasks)} tasks instead of {count}")
    seen = set(taken)
    for position, task in enumerate(tasks, start=1):
        if not isinstance(task, str) or not plan_rules.clean_text(task):
            problems.append(f"task {position} is empty")
            continue
        if len(plan_rules.clean_text(task)) > plan_rules.MAX_TASK_CHARS:
            problems.append(f"task {position} is longer than {plan_rules.MAX_TASK_CHARS}")
        key = plan_rules.normalise_task(task)
        if key in seen:
            problems.append(f"task {position} repeats a task of the plan")
        seen.add(key)
    return problems


def _day_schema(count: int) -> dict[str, Any]:
    task = {"type": "string", "minLength": 1, "maxLength": plan_rules.MAX_TASK_CHARS}
    return {
        "type": "object",
        "properties": {
            "tasks": {"type": "array", "items": task, "minItems": count, "maxItems": count}
        },
        "required": ["tasks"],
        "additionalProperties": False,
    }


def offline_pool(
    goal: str, kind: Kind, answers: Sequence[Answer], taken: set[str]
) -> list[tuple[int, str]]:
    """Tasks the offline library offers for the goal that the plan does not hold yet,
    as (tier, text), easiest first (every curated task and numbered variant)."""
    pool: list[tuple[int, str]] = []
    for task in offline.task_pool(goal, kind, answers):
        if plan_rules.normalise_task(task.text) not in taken:
            pool.append((task.tier if task.tier is not None else 0, task.text))
    return pool


async def new_day(
    client: llm.LlmClient,
    goal: str,
    kind: Kind,
    answers: Sequence[Answer],
    *,
    day: int,
    current: Sequence[str],
    elsewhere: Sequence[str],
    easier: bool,
) -> NewTasks:
    """Replacements for `current` (a day's tasks not done yet): "too hard" asks for
    easier ones. None may repeat a task of the plan (`elsewhere` and `current`)."""
    count = len(current)
    taken = {plan_rules.normalise_task(text) for text in [*current, *elsewhere]}
    reason: str
    if client.configured:
        try:
            raw, _model = await _checked(
                client,
                prompts.one_day(goal, kind, answers, day, current, elsewhere, easier=easier),
                purpose="coach.day",
                schema=_day_schema(count),
                problems_of=lambda raw: _day_problems(raw, count, taken),
            )
            return NewTasks(tuple(plan_rules.clean_text(text) for text in raw["tasks"]), "llm")
        except llm.LlmUnavailable as failure:
            reason = failure.reason
        except _Unusable as failure:
            reason = failure.reason
    else:
        reason = "not_configured"
    pool = offline_pool(goal, kind, answers, taken)
    # Easier: the lowest tiers first; harder: the highest (sorted is stable: ramp order).
    pool.sort(key=lambda item: item[0] if easier else -item[0])
    if len(pool) < count:
        raise NoMoreTasks()
    return NewTasks(tuple(text for _tier, text in pool[:count]), "offline", reason)


async def new_days(
    client: llm.LlmClient,
    goal: str,
    kind: Kind,
    answers: Sequence[Answer],
    *,
    days: int,
    kept: Sequence[str],
    replaced: Sequence[str],
) -> Planned:
    """A fresh plan of `days` days for the rest of a plan: none of its tasks equal to
    one `kept` (the days before); the `replaced` ones (what it replaces) only when the
    offline library has nothing else left."""
    taken = {plan_rules.normalise_task(text) for text in kept}

    def problems_of(raw: object) -> list[str]:
        found = plan_rules.plan_problems(raw, days)
        if found or not isinstance(raw, dict):
            return found
        return [
            f"day {index} repeats a task from before it"
            for index, entry in enumerate(raw["days"], start=1)
            for task in entry["tasks"]
            if plan_rules.normalise_task(task) in taken
        ]

    reason: str
    if client.configured:
        try:
            raw, model = await _checked(
                client,
                prompts.rest_of_plan(goal, kind, answers, days, kept),
                purpose="coach.rest",
                schema=plan_rules.plan_json_schema(days),
                problems_of=problems_of,
            )
            return Planned(plan_rules.draft_from(raw, days, kind), "llm", model)
        except llm.LlmUnavailable as failure:
            reason = failure.reason
        except _Unusable as failure:
            reason = failure.reason
    else:
        reason = "not_configured"
    needed = days * plan_rules.TASKS_PER_DAY
    pool = offline_pool(goal, kind, answers, taken)
    old = {plan_rules.normalise_task(text) for text in replaced}
    fresh = [item for item in pool if plan_rules.normalise_task(item[1]) not in old]
    # Both lists keep the ramp's order (easiest first): deal the fresh ones out when
    # there are enough, else the whole pool.
    texts = [text for _tier, text in (fresh if len(fresh) >= needed else pool)[:needed]]
    if len(texts) < needed:
        raise NoMoreTasks()
    grouped = tuple((texts[i], texts[i + 1], texts[i + 2]) for i in range(0, needed, 3))
    name = offline.plan(goal, kind, answers, plan_rules.MIN_DAYS).habit_name
    return Planned(DraftPlan(kind=kind, days=grouped, habit_name=name), "offline", None, reason)
