"""D13.2 / D13.4: the checks every plan and classification must pass, whoever wrote them.

The plans here are hand-built model answers, each broken in one way, so every check is
seen to catch its problem and only that problem.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from habitus.coach.plan_rules import (
    MAX_DAYS,
    MAX_TASK_CHARS,
    MIN_DAYS,
    DraftPlan,
    PlanInvalid,
    classification_json_schema,
    classification_problems,
    draft_from,
    normalise_task,
    plan_json_schema,
    plan_problems,
)

DAYS = 7


def good_plan(days: int = DAYS) -> dict[str, Any]:
    """A valid model answer: every task names its day and position, so all differ."""
    return {
        "habit_name": "Read every day",
        "days": [
            {"day": day, "tasks": [f"Read chapter {day}.{position}" for position in (1, 2, 3)]}
            for day in range(1, days + 1)
        ],
    }


def test_a_good_plan_has_no_problems_and_becomes_a_draft():
    """D13.4: a plan of the right shape passes and keeps its tasks in day order."""
    raw = good_plan()
    assert plan_problems(raw, DAYS) == []
    draft = draft_from(raw, DAYS, "build")
    assert isinstance(draft, DraftPlan)
    assert draft.kind == "build"
    assert draft.habit_name == "Read every day"
    assert len(draft.days) == DAYS
    assert draft.days[3] == ("Read chapter 4.1", "Read chapter 4.2", "Read chapter 4.3")


def test_day_numbers_may_be_missing_and_position_decides():
    """D13.4: "day" is optional; days are taken in the order they come."""
    raw = good_plan()
    for entry in raw["days"]:
        del entry["day"]
    raw["days"].reverse()
    draft = draft_from(raw, DAYS, "quit")
    assert draft.days[0][0] == "Read chapter 7.1"


def test_tasks_are_trimmed_and_whitespace_collapsed():
    """D13.2: what is stored is the clean text, not the model's stray spaces."""
    raw = good_plan()
    raw["days"][0]["tasks"][0] = "  Read   chapter\n one  "
    raw["habit_name"] = "  Read daily "
    draft = draft_from(raw, DAYS, "build")
    assert draft.days[0][0] == "Read chapter one"
    assert draft.habit_name == "Read daily"


@pytest.mark.parametrize("count", [DAYS - 1, DAYS + 1, 0])
def test_wrong_number_of_days(count: int):
    """D13.4: the day count must be exactly the plan's length."""
    raw = good_plan(DAYS)
    raw["days"] = good_plan(max(count, 1))["days"][:count]
    problems = plan_problems(raw, DAYS)
    assert problems == [f"the plan has {count} days instead of {DAYS}"]


def test_two_tasks_on_a_day():
    """D13.2: exactly 3 tasks a day; the problem names the day."""
    raw = good_plan()
    raw["days"][3]["tasks"].pop()
    assert plan_problems(raw, DAYS) == ["day 4 has 2 tasks instead of 3"]


def test_four_tasks_on_a_day():
    """D13.2: a fourth task is as wrong as a missing one."""
    raw = good_plan()
    raw["days"][0]["tasks"].append("Read one more chapter")
    assert plan_problems(raw, DAYS) == ["day 1 has 4 tasks instead of 3"]


@pytest.mark.parametrize("empty", ["", "   ", "\n\t"])
def test_empty_task(empty: str):
    """D13.2: a task must say something once trimmed."""
    raw = good_plan()
    raw["days"][2]["tasks"][1] = empty
    assert plan_problems(raw, DAYS) == ["day 3 task 2 is empty"]


def test_task_not_a_string():
    """D13.4: a model may answer a number or an object where a task belongs."""
    raw = good_plan()
    raw["days"][2]["tasks"][0] = {"text": "Read"}
    assert plan_problems(raw, DAYS) == ["day 3 task 1 is not a string"]


def test_task_too_long_but_exactly_the_limit_is_fine():
    """D13.2: at most 120 characters; 120 passes, 121 does not."""
    raw = good_plan()
    raw["days"][5]["tasks"][2] = "x" * MAX_TASK_CHARS
    assert plan_problems(raw, DAYS) == []
    raw["days"][5]["tasks"][2] = "y" * (MAX_TASK_CHARS + 1)
    assert plan_problems(raw, DAYS) == ["day 6 task 3 is longer than 120 characters"]


@pytest.mark.parametrize(
    "variant",
    [
        "Read chapter 1.1",
        "READ CHAPTER 1.1",
        "read  chapter\t1.1",
        "  Read chapter 1.1  ",
        "Read chapter 1.1.",
        "Read chapter 1.1!!",
        "read chapter 1.1 \u2026",
    ],
)
def test_a_task_repeated_on_another_day_in_any_spelling(variant: str):
    """D13.2: no two tasks alike, compared without case, spacing or trailing punctuation."""
    raw = good_plan()
    raw["days"][4]["tasks"][0] = variant
    assert plan_problems(raw, DAYS) == ["day 5 task 1 repeats day 1 task 1"]


def test_a_task_repeated_on_the_same_day():
    """D13.2: the rule holds inside a day too."""
    raw = good_plan()
    raw["days"][1]["tasks"][2] = "read chapter 2.1"
    assert plan_problems(raw, DAYS) == ["day 2 task 3 repeats day 2 task 1"]


def test_numbers_make_tasks_different():
    """D13.2: "Read 10 pages" and "Read 15 pages" are two tasks, not a repeat."""
    assert normalise_task("Read 10 pages") != normalise_task("Read 15 pages")
    assert normalise_task("Walk, then rest.") == normalise_task("walk, then rest")


@pytest.mark.parametrize("raw", [None, [], "a plan", 42, [good_plan()]])
def test_not_a_dict(raw: object):
    """D13.4: the answer must be a JSON object."""
    assert plan_problems(raw, DAYS) == ["the answer is not a JSON object"]
    with pytest.raises(PlanInvalid) as caught:
        draft_from(raw, DAYS, "build")
    assert caught.value.problems == ["the answer is not a JSON object"]


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        (None, "habit_name must be a non-empty string"),
        ("", "habit_name must be a non-empty string"),
        ("  ", "habit_name must be a non-empty string"),
        ("n" * 61, "habit_name is longer than 60 characters"),
    ],
)
def test_bad_habit_name(name: object, problem: str):
    """D13.4: the plan names its habit with a short non-empty string."""
    raw = good_plan()
    raw["habit_name"] = name
    assert plan_problems(raw, DAYS) == [problem]


def test_habit_name_missing():
    """D13.4: a missing habit_name is a problem, not a silent default."""
    raw = good_plan()
    del raw["habit_name"]
    assert plan_problems(raw, DAYS) == ["habit_name is missing"]


@pytest.mark.parametrize("days_value", [None, "seven", {"1": []}])
def test_days_not_a_list(days_value: object):
    """D13.4: "days" must be a list."""
    raw = good_plan()
    raw["days"] = days_value
    assert plan_problems(raw, DAYS) == ["days must be a list of day objects"]


def test_day_without_a_task_list():
    """D13.4: each day must carry a list of tasks."""
    raw = good_plan()
    raw["days"][6] = {"day": 7, "tasks": "Read"}
    assert plan_problems(raw, DAYS) == ["day 7 has no list of tasks"]


def test_several_problems_are_all_reported():
    """D13.4: the repair request tells the model everything wrong at once."""
    raw = good_plan()
    raw["days"][0]["tasks"].pop()
    raw["days"][1]["tasks"][0] = "z" * 200
    del raw["habit_name"]
    problems = plan_problems(raw, DAYS)
    assert len(problems) == 3
    with pytest.raises(PlanInvalid) as caught:
        draft_from(raw, DAYS, "build")
    assert caught.value.problems == problems
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("days", [MIN_DAYS - 1, MAX_DAYS + 1])
def test_plan_length_out_of_range_is_a_caller_error(days: int):
    """D13.2: plans are 7..66 days; asking for another length is a bug, not a problem."""
    with pytest.raises(ValueError, match=r"7\.\.66"):
        plan_problems(good_plan(), days)
    with pytest.raises(ValueError, match=r"7\.\.66"):
        plan_json_schema(days)


# --- the JSON schemas ----------------------------------------------------------------


def _validate(schema: dict[str, Any], value: object, path: str = "$") -> list[str]:
    """A small JSON Schema checker for the keywords our schemas use (jsonschema is not
    installed); it refuses any keyword it does not know, so the schema cannot drift."""
    known = {
        "type", "properties", "required", "additionalProperties", "items", "minItems",
        "maxItems", "minLength", "maxLength", "minimum", "maximum", "enum",
    }  # fmt: skip
    assert set(schema) <= known, f"{path}: unknown keywords {set(schema) - known}"
    errors: list[str] = []
    types = {
        "object": dict,
        "array": list,
        "string": str,
        "integer": int,
    }
    expected = types[schema["type"]]
    if not isinstance(value, expected) or isinstance(value, bool):
        return [f"{path}: not {schema['type']}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: not one of {schema['enum']}")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{path}: {key} missing")
        properties = schema.get("properties", {})
        for key, item in value.items():
            if key in properties:
                errors.extend(_validate(properties[key], item, f"{path}.{key}"))
            elif schema.get("additionalProperties") is False:
                errors.append(f"{path}: {key} not allowed")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", 10**9):
            errors.append(f"{path}: {len(value)} items")
        for index, item in enumerate(value):
            errors.extend(_validate(schema["items"], item, f"{path}[{index}]"))
    if isinstance(value, str) and not (
        schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", 10**9)
    ):
        errors.append(f"{path}: length {len(value)}")
    if isinstance(value, int) and not (
        schema.get("minimum", -(10**9)) <= value <= schema.get("maximum", 10**9)
    ):
        errors.append(f"{path}: {value} out of range")
    return errors


def _validate_with_jsonschema_if_present(schema: dict[str, Any], value: object) -> bool | None:
    try:
        import jsonschema
    except ImportError:
        return None
    jsonschema.Draft202012Validator.check_schema(schema)
    return bool(jsonschema.Draft202012Validator(schema).is_valid(value))


@pytest.mark.parametrize("days", [MIN_DAYS, 21, MAX_DAYS])
def test_plan_schema_accepts_a_good_plan_and_refuses_bad_shapes(days: int):
    """D13.4: the schema sent as response_format describes the same shape plan_problems
    checks: a good plan fits it, a plan with a day short or 2 tasks on a day does not."""
    schema = plan_json_schema(days)
    good = good_plan(days)
    assert _validate(schema, good) == []
    assert _validate_with_jsonschema_if_present(schema, good) in (None, True)

    short = copy.deepcopy(good)
    short["days"].pop()
    two_tasks = copy.deepcopy(good)
    two_tasks["days"][0]["tasks"].pop()
    too_long = copy.deepcopy(good)
    too_long["days"][0]["tasks"][0] = "x" * (MAX_TASK_CHARS + 1)
    no_name = copy.deepcopy(good)
    del no_name["habit_name"]
    for bad in (short, two_tasks, too_long, no_name):
        assert _validate(schema, bad) != []
        assert _validate_with_jsonschema_if_present(schema, bad) in (None, False)


def test_plan_schema_is_strict_mode_ready():
    """D13.4: strict structured outputs need every property required and no extras."""
    schema = plan_json_schema(21)

    def objects(node: Any) -> list[dict[str, Any]]:
        found = []
        if isinstance(node, dict):
            if node.get("type") == "object":
                found.append(node)
            for child in node.values():
                found.extend(objects(child))
        return found

    for node in objects(schema):
        assert node["additionalProperties"] is False
        assert set(node["required"]) == set(node["properties"])


# --- classification ------------------------------------------------------------------


def good_classification() -> dict[str, Any]:
    return {
        "kind": "quit",
        "questions": ["Why stop?", "What triggers it?", "When does it happen?"],
    }


def test_a_good_classification_passes_the_checks_and_the_schema():
    """D13.1: a kind and 3-5 distinct questions."""
    raw = good_classification()
    assert classification_problems(raw) == []
    assert _validate(classification_json_schema(), raw) == []
    assert _validate_with_jsonschema_if_present(classification_json_schema(), raw) in (None, True)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"kind": "maybe"}, 'kind must be "build" or "quit"'),
        ({"kind": None}, 'kind must be "build" or "quit"'),
        ({"questions": ["a?", "b?"]}, "there are 2 questions instead of 3..5"),
        (
            {"questions": ["a?", "b?", "c?", "d?", "e?", "f?"]},
            "there are 6 questions instead of 3..5",
        ),
        ({"questions": ["a?", "b?", " "]}, "question 3 is not a non-empty string"),
        ({"questions": ["a?", "b?", 3]}, "question 3 is not a non-empty string"),
        ({"questions": ["a?", "b?", "q" * 201]}, "question 3 is longer than 200 characters"),
        ({"questions": ["Why?", "b?", "WHY"]}, "question 3 repeats an earlier question"),
        ({"questions": "Why?"}, "questions must be a list of strings"),
    ],
)
def test_classification_problems(change: dict[str, Any], problem: str):
    """D13.1: each broken part of a classification is named."""
    raw = good_classification() | change
    assert classification_problems(raw) == [problem]


def test_classification_not_a_dict():
    """D13.4: the classification must be a JSON object too."""
    assert classification_problems(["build"]) == ["the answer is not a JSON object"]


def test_classification_schema_refuses_a_wrong_kind_and_too_few_questions():
    """D13.1: the schema carries the same limits as the check."""
    schema = classification_json_schema()
    assert _validate(schema, good_classification() | {"kind": "maybe"}) != []
    assert _validate(schema, good_classification() | {"questions": ["a?", "b?"]}) != []
