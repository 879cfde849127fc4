"""D13.2/D13.4: what a plan (and a classification) must look like, checked in one place.

A model's answer is untrusted JSON: it may have the wrong number of days, two tasks on a
day, a task of 300 characters or the same task twice with different capitals. The LLM
path and the offline planner share these checks so that "valid" means one thing; the
problems are plain sentences, because they go back to the model in the repair request
(D13.4) and into logs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

TASKS_PER_DAY = 3
MAX_TASK_CHARS = 120
MIN_DAYS = 7
MAX_DAYS = 66
DEFAULT_DAYS = 21
MIN_QUESTIONS = 3
MAX_QUESTIONS = 5
MAX_QUESTION_CHARS = 200
MAX_HABIT_NAME_CHARS = 60

Kind = Literal["build", "quit"]
KINDS: tuple[Kind, ...] = ("build", "quit")

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Answer:
    """One of the user's answers to a coach question (D13.1)."""

    question: str
    answer: str


@dataclass(frozen=True, slots=True)
class DraftPlan:
    """A checked plan, before it is stored: `days[i]` holds the 3 tasks of day i + 1."""

    kind: Kind
    days: tuple[tuple[str, str, str], ...]
    habit_name: str


class PlanInvalid(ValueError):
    """A model's plan failed the D13.4 checks; `problems` says why, one sentence each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def clean_text(text: str) -> str:
    """Trimmed, with every run of whitespace (newlines and tabs too) made one space."""
    return _SPACES.sub(" ", text).strip()


def normalise_task(text: str) -> str:
    """The form two tasks are compared in (D13.2 "no two alike"): case-folded, whitespace
    collapsed, trailing punctuation dropped, so "Walk 10 min." and "walk  10 MIN" match."""
    folded = clean_text(text).casefold()
    end = len(folded)
    while end > 0 and (
        unicodedata.category(folded[end - 1]).startswith("P") or folded[end - 1].isspace()
    ):
        end -= 1
    return folded[:end]


def _check_days(days: int) -> None:
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(f"a plan has {MIN_DAYS}..{MAX_DAYS} days, not {days}")


def _habit_name_problems(raw: dict[Any, Any]) -> list[str]:
    if "habit_name" not in raw:
        return ["habit_name is missing"]
    name = raw["habit_name"]
    if not isinstance(name, str) or not name.strip():
        return ["habit_name must be a non-empty string"]
    if len(name.strip()) > MAX_HABIT_NAME_CHARS:
        return [f"habit_name is longer than {MAX_HABIT_NAME_CHARS} characters"]
    return []


def _day_tasks(entry: object) -> list[object] | None:
    """The task list of one day entry, or None when the entry has no list of tasks."""
    if isinstance(entry, dict) and isinstance(entry.get("tasks"), list):
        tasks: list[object] = entry["tasks"]
        return tasks
    return None


def plan_problems(raw: object, days: int) -> list[str]:
    """What is wrong with a model's parsed JSON answer for a `days`-day plan (empty: fine).

    Expected: {"habit_name": str, "days": [{"day": 1, "tasks": [str, str, str]}, ...]}.
    "day" may be missing; days are taken in order of position.
    """
    _check_days(days)
    if not isinstance(raw, dict):
        return ["the answer is not a JSON object"]
    problems = _habit_name_problems(raw)
    entries = raw.get("days")
    if not isinstance(entries, list):
        return [*problems, "days must be a list of day objects"]
    if len(entries) != days:
        problems.append(f"the plan has {len(entries)} days instead of {days}")
    seen: dict[str, str] = {}
    for index, entry in enumerate(entries, start=1):
        tasks = _day_tasks(entry)
        if tasks is None:
            problems.append(f"day {index} has no list of tasks")
            continue
        if len(tasks) != TASKS_PER_DAY:
            problems.append(f"day {index} has {len(tasks)} tasks instead of {TASKS_PER_DAY}")
        for position, task in enumerate(tasks, start=1):
            where = f"day {index} task {position}"
            if not isinstance(task, str):
                problems.append(f"{where} is not a string")
                continue
            text = clean_text(task)
            if not text:
                problems.append(f"{where} is empty")
                continue
            if len(text) > MAX_TASK_CHARS:
                problems.append(f"{where} is longer than {MAX_TASK_CHARS} characters")
            key = normalise_task(text)
            if key in seen:
                problems.append(f"{where} repeats {seen[key]}")
            else:
                seen[key] = where
    return problems


def draft_from(raw: object, days: int, kind: Kind) -> DraftPlan:
    """The checked plan from a model's parsed JSON answer; PlanInvalid when it fails."""
    problems = plan_problems(raw, days)
    if problems:
        raise PlanInvalid(problems)
    assert isinstance(raw, dict)  # plan_problems said so
    plan_days: list[tuple[str, str, str]] = []
    for entry in raw["days"]:
        first, second, third = (clean_text(task) for task in entry["tasks"])
        plan_days.append((first, second, third))
    return DraftPlan(kind=kind, days=tuple(plan_days), habit_name=clean_text(raw["habit_name"]))


def plan_json_schema(days: int) -> dict[str, Any]:
    """The JSON schema of a `days`-day plan, sent as `response_format` where supported.

    Every property is required and no others are allowed, as strict structured-output
    servers demand; the uniqueness rule cannot be said in a schema, so plan_problems
    checks it after.
    """
    _check_days(days)
    task = {"type": "string", "minLength": 1, "maxLength": MAX_TASK_CHARS}
    day = {
        "type": "object",
        "properties": {
            "day": {"type": "integer", "minimum": 1, "maximum": days},
            "tasks": {
                "type": "array",
                "items": task,
                "minItems": TASKS_PER_DAY,
                "maxItems": TASKS_PER_DAY,
            },
        },
        "required": ["day", "tasks"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "habit_name": {"type": "string", "minLength": 1, "maxLength": MAX_HABIT_NAME_CHARS},
            "days": {"type": "array", "items": day, "minItems": days, "maxItems": days},
        },
        "required": ["habit_name", "days"],
        "additionalProperties": False,
    }


def classification_problems(raw: object) -> list[str]:
    """What is wrong with a model's classification (D13.1): {"kind": "build"|"quit",
    "questions": [3..5 distinct strings of at most 200 characters]}."""
    if not isinstance(raw, dict):
        return ["the answer is not a JSON object"]
    problems: list[str] = []
    if raw.get("kind") not in KINDS:
        problems.append('kind must be "build" or "quit"')
    questions = raw.get("questions")
    if not isinstance(questions, list):
        return [*problems, "questions must be a list of strings"]
    if not MIN_QUESTIONS <= len(questions) <= MAX_QUESTIONS:
        problems.append(
            f"there are {len(questions)} questions instead of {MIN_QUESTIONS}..{MAX_QUESTIONS}"
        )
    seen: set[str] = set()
    for position, question in enumerate(questions, start=1):
        if not isinstance(question, str) or not question.strip():
            problems.append(f"question {position} is not a non-empty string")
            continue
        if len(clean_text(question)) > MAX_QUESTION_CHARS:
            problems.append(f"question {position} is longer than {MAX_QUESTION_CHARS} characters")
        key = normalise_task(question)
        if key in seen:
            problems.append(f"question {position} repeats an earlier question")
        seen.add(key)
    return problems


def classification_json_schema() -> dict[str, Any]:
    """The JSON schema of a classification, sent as `response_format` where supported."""
    question = {"type": "string", "minLength": 1, "maxLength": MAX_QUESTION_CHARS}
    return {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "enum": list(KINDS)},
            "questions": {
                "type": "array",
                "items": question,
                "minItems": MIN_QUESTIONS,
                "maxItems": MAX_QUESTIONS,
            },
        },
        "required": ["kind", "questions"],
        "additionalProperties": False,
    }
