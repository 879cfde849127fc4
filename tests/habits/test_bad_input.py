"""Bad input on every field of the habit engine: 422 problem+json naming the field, and
nothing written (API.md Conventions: "A server never answers 500 to bad input").

Cases are grouped per route and run in one test each (one persona and one pair of
habits per group keeps both database runs quick); a failure lists every case that
went wrong.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import IdempotencyKey, User
from tests.fixtures.personas import Persona
from tests.habits.helpers import API, PROBLEM_JSON, create_habit, table_counts

NAN = object()  # stands for a raw NaN/Infinity literal, which json.dumps would not write


@dataclass
class Case:
    label: str
    method: str
    path: str  # may hold {boolean}, {measurable}
    field: str
    body: Any = None
    raw: bytes | None = None  # a body sent as is (not JSON-encoded)
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    location: str | None = None


async def _snapshot(session: AsyncSession, user_id: uuid.UUID) -> dict[str, Any]:
    counts = await table_counts(session)
    counts["idempotency_keys"] = int(
        await session.scalar(select(func.count()).select_from(IdempotencyKey)) or 0
    )
    user = await session.scalar(select(User).where(User.id == user_id))
    assert user is not None
    counts["user"] = (user.timezone, user.day_start_hour, user.week_start, user.display_name)
    await session.commit()
    return counts


async def run_cases(
    client: httpx.AsyncClient,
    persona: Persona,
    session: AsyncSession,
    cases: list[Case],
) -> None:
    boolean = await create_habit(client, persona, name="Yes/no", start_date="2026-11-01")
    measurable = await create_habit(
        client,
        persona,
        name="Water",
        kind="measurable",
        target={"value": 8, "unit": "glasses"},
        start_date="2026-11-01",
    )
    ids = {"boolean": boolean["id"], "measurable": measurable["id"]}
    failures: list[str] = []
    for case in cases:
        before = await _snapshot(session, persona.id)
        headers = {**persona.headers, **case.headers}
        if case.method == "POST" and case.path.endswith("/checkins"):
            headers.setdefault("Idempotency-Key", f"bad-{uuid.uuid4().hex}")
        kwargs: dict[str, Any] = {"params": case.params, "headers": headers}
        if case.raw is not None:
            kwargs["content"] = case.raw
            headers["Content-Type"] = "application/json"
        elif case.body is not None:
            kwargs["json"] = case.body
        response = await client.request(case.method, API + case.path.format(**ids), **kwargs)
        problems: list[str] = []
        if response.status_code != 422:
            problems.append(f"status {response.status_code}: {response.text[:300]}")
        elif not response.headers["content-type"].startswith(PROBLEM_JSON):
            problems.append(f"content-type {response.headers['content-type']}")
        else:
            errors = response.json().get("errors", [])
            named = [error["field"] for error in errors]
            if case.field not in named:
                problems.append(f"fields {named}, expected {case.field!r}")
            elif case.location is not None:
                where = {error["field"]: error["location"] for error in errors}[case.field]
                if where != case.location:
                    problems.append(f"location {where}, expected {case.location}")
        after = await _snapshot(session, persona.id)
        if after != before:
            problems.append(f"wrote something: {before} -> {after}")
        if problems:
            failures.append(f"{case.label}: " + "; ".join(problems))
    assert not failures, "\n".join(failures)


def habit(**fields: Any) -> dict[str, Any]:
    return {"name": "Read", "schedule": {"type": "daily"}, **fields}


def raw_json(text: str) -> bytes:
    return text.encode()


HABIT_CASES = [
    Case(
        "unknown weekday",
        "POST",
        "/habits",
        "schedule.days.1",
        habit(schedule={"type": "weekdays", "days": ["mon", "funday"]}),
    ),
    Case(
        "duplicate weekday",
        "POST",
        "/habits",
        "schedule.days",
        habit(schedule={"type": "weekdays", "days": ["mon", "wed", "mon"]}),
    ),
    Case(
        "no weekday",
        "POST",
        "/habits",
        "schedule.days",
        habit(schedule={"type": "weekdays", "days": []}),
    ),
    Case(
        "n below 2",
        "POST",
        "/habits",
        "schedule.n",
        habit(schedule={"type": "every_n_days", "n": 1}),
    ),
    Case(
        "n as text",
        "POST",
        "/habits",
        "schedule.n",
        habit(schedule={"type": "every_n_days", "n": "3"}),
    ),
    Case("n missing", "POST", "/habits", "schedule.n", habit(schedule={"type": "every_n_days"})),
    Case(
        "times 0",
        "POST",
        "/habits",
        "schedule.times",
        habit(schedule={"type": "times_per_period", "times": 0, "period": "week"}),
    ),
    Case(
        "times 8 a week",
        "POST",
        "/habits",
        "schedule.times",
        habit(schedule={"type": "times_per_period", "times": 8, "period": "week"}),
    ),
    Case(
        "times 32 a month",
        "POST",
        "/habits",
        "schedule.times",
        habit(schedule={"type": "times_per_period", "times": 32, "period": "month"}),
    ),
    Case(
        "unknown period",
        "POST",
        "/habits",
        "schedule.period",
        habit(schedule={"type": "times_per_period", "times": 2, "period": "year"}),
    ),
    Case(
        "empty dates",
        "POST",
        "/habits",
        "schedule.dates",
        habit(schedule={"type": "dates", "dates": []}),
    ),
    Case(
        "bad date in dates",
        "POST",
        "/habits",
        "schedule.dates.0",
        habit(schedule={"type": "dates", "dates": ["2026-13-01"]}),
    ),
    Case(
        "duplicate dates",
        "POST",
        "/habits",
        "schedule.dates",
        habit(schedule={"type": "dates", "dates": ["2026-12-24", "2026-12-24"]}),
    ),
    Case(
        "unknown schedule type", "POST", "/habits", "schedule", habit(schedule={"type": "hourly"})
    ),
    Case("schedule without type", "POST", "/habits", "schedule", habit(schedule={"n": 3})),
    Case("schedule as text", "POST", "/habits", "schedule", habit(schedule="daily")),
    Case("schedule missing", "POST", "/habits", "schedule", {"name": "Read"}),
    Case(
        "extra field in schedule",
        "POST",
        "/habits",
        "schedule.hour",
        habit(schedule={"type": "daily", "hour": 7}),
    ),
    Case("name missing", "POST", "/habits", "name", {"schedule": {"type": "daily"}}),
    Case("empty name", "POST", "/habits", "name", habit(name="")),
    Case("blank name", "POST", "/habits", "name", habit(name="   ")),
    Case("10,000-character name", "POST", "/habits", "name", habit(name="n" * 10_000)),
    Case("NUL in name", "POST", "/habits", "name", habit(name="Re\x00ad")),
    Case("name as number", "POST", "/habits", "name", habit(name=7)),
    Case("description too long", "POST", "/habits", "description", habit(description="d" * 2001)),
    Case("unknown kind", "POST", "/habits", "kind", habit(kind="counter")),
    Case("unknown polarity", "POST", "/habits", "polarity", habit(polarity="avoid")),
    Case("measurable without target", "POST", "/habits", "target", habit(kind="measurable")),
    Case("target on a boolean habit", "POST", "/habits", "target", habit(target={"value": 1})),
    Case(
        "at_least target 0",
        "POST",
        "/habits",
        "target",
        habit(kind="measurable", target={"value": 0, "direction": "at_least"}),
    ),
    Case(
        "negative target",
        "POST",
        "/habits",
        "target.value",
        habit(kind="measurable", target={"value": -1, "direction": "at_most"}),
    ),
    Case(
        "target value missing",
        "POST",
        "/habits",
        "target.value",
        habit(kind="measurable", target={"unit": "km"}),
    ),
    Case(
        "unknown direction",
        "POST",
        "/habits",
        "target.direction",
        habit(kind="measurable", target={"value": 1, "direction": "exactly"}),
    ),
    Case(
        "quit measurable at_least",
        "POST",
        "/habits",
        "target.direction",
        habit(kind="measurable", polarity="quit", target={"value": 2, "direction": "at_least"}),
    ),
    Case(
        "NaN target",
        "POST",
        "/habits",
        "target.value",
        raw=raw_json(
            '{"name": "W", "schedule": {"type": "daily"}, "kind": "measurable",'
            ' "target": {"value": NaN}}'
        ),
    ),
    Case(
        "Infinity target",
        "POST",
        "/habits",
        "target.value",
        raw=raw_json(
            '{"name": "W", "schedule": {"type": "daily"}, "kind": "measurable",'
            ' "target": {"value": Infinity}}'
        ),
    ),
    Case(
        "1e999 target",
        "POST",
        "/habits",
        "target.value",
        raw=raw_json(
            '{"name": "W", "schedule": {"type": "daily"}, "kind": "measurable",'
            ' "target": {"value": 1e999}}'
        ),
    ),
    Case("start_date month 13", "POST", "/habits", "start_date", habit(start_date="2026-13-01")),
    Case("start_date day first", "POST", "/habits", "start_date", habit(start_date="21/11/2026")),
    Case("start_date tomorrow", "POST", "/habits", "start_date", habit(start_date="tomorrow")),
    Case("end_date Feb 30", "POST", "/habits", "end_date", habit(end_date="2027-02-30")),
    Case("start_date in year 1", "POST", "/habits", "start_date", habit(start_date="0001-01-01")),
    Case(
        "start_date in year 9999", "POST", "/habits", "start_date", habit(start_date="9999-12-31")
    ),
    Case("end_date in year 9999", "POST", "/habits", "end_date", habit(end_date="9999-12-31")),
    Case(
        "dates across the ages",
        "POST",
        "/habits",
        "schedule.dates.0",
        habit(schedule={"type": "dates", "dates": ["0001-01-01", "9999-12-31"]}),
    ),
    Case(
        "end before start",
        "POST",
        "/habits",
        "end_date",
        habit(start_date="2026-11-21", end_date="2026-11-20"),
    ),
    Case("negative backfill", "POST", "/habits", "backfill_days", habit(backfill_days=-1)),
    Case("backfill as text", "POST", "/habits", "backfill_days", habit(backfill_days="2")),
    Case("fractional backfill", "POST", "/habits", "backfill_days", habit(backfill_days=2.5)),
    Case("color red", "POST", "/habits", "color", habit(color="red")),
    Case("short color", "POST", "/habits", "color", habit(color="#12345")),
    Case("21 tags", "POST", "/habits", "tags", habit(tags=[f"t{n}" for n in range(21)])),
    Case("duplicate tags", "POST", "/habits", "tags", habit(tags=["a", "A"])),
    Case("empty tag", "POST", "/habits", "tags.0", habit(tags=[""])),
    Case("long tag", "POST", "/habits", "tags.0", habit(tags=["t" * 31])),
    Case("tags as text", "POST", "/habits", "tags", habit(tags="a,b")),
    Case("long category", "POST", "/habits", "category", habit(category="c" * 61)),
    Case("unknown field", "POST", "/habits", "frequency", habit(frequency=3)),
    Case("archived on create", "POST", "/habits", "archived", habit(archived=True)),
    Case("body not JSON", "POST", "/habits", "body", raw=b"{name: Read"),
    Case("body a list", "POST", "/habits", "body", [habit()]),
    Case("body not UTF-8", "POST", "/habits", "body", raw=b'{"name": "\xff"}'),
]

PATCH_CASES = [
    Case("name null", "PATCH", "/habits/{boolean}", "name", {"name": None}),
    Case("10,000-character name", "PATCH", "/habits/{boolean}", "name", {"name": "n" * 10_000}),
    Case("schedule null", "PATCH", "/habits/{boolean}", "schedule", {"schedule": None}),
    Case(
        "unknown weekday",
        "PATCH",
        "/habits/{boolean}",
        "schedule.days.0",
        {"schedule": {"type": "weekdays", "days": ["someday"]}},
    ),
    Case(
        "times 8 a week",
        "PATCH",
        "/habits/{boolean}",
        "schedule.times",
        {"schedule": {"type": "times_per_period", "times": 8, "period": "week"}},
    ),
    Case("start_date null", "PATCH", "/habits/{boolean}", "start_date", {"start_date": None}),
    Case(
        "start_date in year 1",
        "PATCH",
        "/habits/{boolean}",
        "start_date",
        {"start_date": "0001-01-01"},
    ),
    Case(
        "start_date tomorrow",
        "PATCH",
        "/habits/{boolean}",
        "start_date",
        {"start_date": "tomorrow"},
    ),
    Case("end before start", "PATCH", "/habits/{boolean}", "end_date", {"end_date": "2026-10-31"}),
    Case("archived as text", "PATCH", "/habits/{boolean}", "archived", {"archived": "yes"}),
    Case("archived null", "PATCH", "/habits/{boolean}", "archived", {"archived": None}),
    Case("kind changed", "PATCH", "/habits/{boolean}", "kind", {"kind": "measurable"}),
    Case("polarity changed", "PATCH", "/habits/{measurable}", "polarity", {"polarity": "quit"}),
    Case("kind null", "PATCH", "/habits/{boolean}", "kind", {"kind": None}),
    Case(
        "target on a boolean habit",
        "PATCH",
        "/habits/{boolean}",
        "target",
        {"target": {"value": 3}},
    ),
    Case(
        "target removed from a measurable habit",
        "PATCH",
        "/habits/{measurable}",
        "target",
        {"target": None},
    ),
    Case("at_least target 0", "PATCH", "/habits/{measurable}", "target", {"target": {"value": 0}}),
    Case("color red", "PATCH", "/habits/{boolean}", "color", {"color": "red"}),
    Case("21 tags", "PATCH", "/habits/{boolean}", "tags", {"tags": [str(n) for n in range(21)]}),
    Case("unknown field", "PATCH", "/habits/{boolean}", "owner", {"owner": "charlie"}),
    Case(
        "habit id not an id",
        "PATCH",
        "/habits/not-an-id",
        "habit_id",
        {"name": "x"},
        location="path",
    ),
]

CHECKIN = "/habits/{boolean}/checkins"
CHECKIN_M = "/habits/{measurable}/checkins"
CHECKIN_CASES = [
    Case("date month 13", "POST", CHECKIN, "date", {"date": "2026-13-01"}),
    Case("date day first", "POST", CHECKIN, "date", {"date": "21/11/2026"}),
    Case("date tomorrow", "POST", CHECKIN, "date", {"date": "tomorrow"}),
    Case("date as a number", "POST", CHECKIN, "date", {"date": 20261121}),
    Case("boolean check-in with a value", "POST", CHECKIN, "value", {"value": 1}),
    Case("NaN value", "POST", CHECKIN_M, "value", raw=b'{"value": NaN}'),
    Case("Infinity value", "POST", CHECKIN_M, "value", raw=b'{"value": Infinity}'),
    Case("-Infinity value", "POST", CHECKIN_M, "value", raw=b'{"value": -Infinity}'),
    Case("1e999 value", "POST", CHECKIN_M, "value", raw=b'{"value": 1e999}'),
    Case("huge value", "POST", CHECKIN_M, "value", {"value": 1e12}),
    Case("value as text", "POST", CHECKIN_M, "value", {"value": "lots"}),
    Case("1001-character note", "POST", CHECKIN, "note", {"note": "x" * 1001}),
    Case("NUL in note", "POST", CHECKIN, "note", {"note": "a\x00b"}),
    Case("unknown field", "POST", CHECKIN, "status", {"status": "done"}),
    Case("future date", "POST", CHECKIN, "date", {"date": "2026-11-22"}),
    Case("outside the backfill window", "POST", CHECKIN, "date", {"date": "2026-11-18"}),
    Case(
        "key too long",
        "POST",
        CHECKIN,
        "Idempotency-Key",
        {},
        headers={"Idempotency-Key": "k" * 256},
        location="header",
    ),
    Case(
        "key with a space",
        "POST",
        CHECKIN,
        "Idempotency-Key",
        {},
        headers={"Idempotency-Key": "two words"},
        location="header",
    ),
    Case("habit id not an id", "POST", "/habits/12/checkins", "habit_id", {}, location="path"),
]

ENTRY = "/habits/{boolean}/entries/2026-11-21"
ENTRY_M = "/habits/{measurable}/entries/2026-11-21"
ENTRY_CASES = [
    Case("status missing", "PUT", ENTRY, "status", {}),
    Case("unknown status", "PUT", ENTRY, "status", {"status": "complete"}),
    Case("measurable done without value", "PUT", ENTRY_M, "value", {"status": "done"}),
    Case("boolean with a value", "PUT", ENTRY, "value", {"status": "done", "value": 1}),
    Case("negative value", "PUT", ENTRY_M, "value", {"status": "done", "value": -1}),
    Case("NaN value", "PUT", ENTRY_M, "value", raw=b'{"status": "done", "value": NaN}'),
    Case("Infinity value", "PUT", ENTRY_M, "value", raw=b'{"status": "done", "value": Infinity}'),
    Case("1001-character note", "PUT", ENTRY, "note", {"status": "done", "note": "x" * 1001}),
    Case("unknown field", "PUT", ENTRY, "mood", {"status": "done", "mood": "great"}),
    Case(
        "path date month 13",
        "PUT",
        "/habits/{boolean}/entries/2026-13-01",
        "day",
        {"status": "done"},
        location="path",
    ),
    Case(
        "path date dotted",
        "PUT",
        "/habits/{boolean}/entries/21.11.2026",
        "day",
        {"status": "done"},
        location="path",
    ),
    Case(
        "path date tomorrow",
        "PUT",
        "/habits/{boolean}/entries/tomorrow",
        "day",
        {"status": "done"},
        location="path",
    ),
    Case(
        "path date in the future",
        "PUT",
        "/habits/{boolean}/entries/2026-11-22",
        "date",
        {"status": "done"},
    ),
    Case(
        "delete path date month 13",
        "DELETE",
        "/habits/{boolean}/entries/2026-13-01",
        "day",
        location="path",
    ),
    Case("delete outside the window", "DELETE", "/habits/{boolean}/entries/2026-11-02", "date"),
]


def query_cases(route: str) -> list[Case]:
    path = "/habits/{boolean}/" + route
    return [
        Case(
            f"{route} from month 13",
            "GET",
            path,
            "from",
            params={"from": "2026-13-01"},
            location="query",
        ),
        Case(
            f"{route} to day first",
            "GET",
            path,
            "to",
            params={"to": "21/11/2026"},
            location="query",
        ),
        Case(
            f"{route} from tomorrow",
            "GET",
            path,
            "from",
            params={"from": "tomorrow"},
            location="query",
        ),
        Case(
            f"{route} from after to",
            "GET",
            path,
            "to",
            params={"from": "2026-11-21", "to": "2026-11-01"},
            location="query",
        ),
        Case(
            f"{route} window over 3660 days",
            "GET",
            path,
            "to",
            params={"from": "2000-01-01", "to": "2026-11-21"},
            location="query",
        ),
        Case(
            f"{route} at the end of time",
            "GET",
            path,
            "to",
            params={"from": "9999-12-01", "to": "9999-12-31"},
            location="query",
        ),
        Case(
            f"{route} at the start of time",
            "GET",
            path,
            "from",
            params={"from": "0001-01-01", "to": "0001-01-05"},
            location="query",
        ),
    ]


READ_CASES = [
    *query_cases("stats"),
    *query_cases("days"),
    *query_cases("entries"),
    Case("limit 0", "GET", "/habits", "limit", params={"limit": "0"}, location="query"),
    Case("limit 501", "GET", "/habits", "limit", params={"limit": "501"}, location="query"),
    Case(
        "archived maybe",
        "GET",
        "/habits",
        "archived",
        params={"archived": "maybe"},
        location="query",
    ),
    Case("forged cursor", "GET", "/habits", "cursor", params={"cursor": "!!"}, location="query"),
    Case("breaks limit text", "GET", "/breaks", "limit", params={"limit": "ten"}, location="query"),
    Case("habit id not an id", "GET", "/habits/abc/days", "habit_id", location="path"),
]

ME_CASES = [
    Case("unknown zone", "PATCH", "/me", "timezone", {"timezone": "Mars/Olympus_Mons"}),
    Case("zone offset", "PATCH", "/me", "timezone", {"timezone": "+02:00"}),
    Case("zone null", "PATCH", "/me", "timezone", {"timezone": None}),
    Case("day_start_hour 9", "PATCH", "/me", "day_start_hour", {"day_start_hour": 9}),
    Case("day_start_hour -1", "PATCH", "/me", "day_start_hour", {"day_start_hour": -1}),
    Case("day_start_hour text", "PATCH", "/me", "day_start_hour", {"day_start_hour": "3"}),
    Case("week_start sunday", "PATCH", "/me", "week_start", {"week_start": "sunday"}),
]

BREAK_CASES = [
    Case(
        "start_date month 13",
        "POST",
        "/breaks",
        "start_date",
        {"start_date": "2026-13-01", "end_date": "2026-12-02"},
    ),
    Case(
        "end_date tomorrow",
        "POST",
        "/breaks",
        "end_date",
        {"start_date": "2026-12-01", "end_date": "tomorrow"},
    ),
    Case("end_date missing", "POST", "/breaks", "end_date", {"start_date": "2026-12-01"}),
    Case(
        "end before start",
        "POST",
        "/breaks",
        "end_date",
        {"start_date": "2026-12-02", "end_date": "2026-12-01"},
    ),
    Case(
        "too long",
        "POST",
        "/breaks",
        "end_date",
        {"start_date": "2026-12-01", "end_date": "2028-01-01"},
    ),
    Case(
        "too far back",
        "POST",
        "/breaks",
        "start_date",
        {"start_date": "2026-01-01", "end_date": "2026-01-02"},
    ),
    Case(
        "habit_id not an id",
        "POST",
        "/breaks",
        "habit_id",
        {"start_date": "2026-12-01", "end_date": "2026-12-02", "habit_id": "abc"},
    ),
    Case(
        "unknown habit",
        "POST",
        "/breaks",
        "habit_id",
        {"start_date": "2026-12-01", "end_date": "2026-12-02", "habit_id": str(uuid.uuid4())},
    ),
    Case(
        "reason too long",
        "POST",
        "/breaks",
        "reason",
        {"start_date": "2026-12-01", "end_date": "2026-12-02", "reason": "r" * 201},
    ),
    Case(
        "unknown field",
        "POST",
        "/breaks",
        "habits",
        {"start_date": "2026-12-01", "end_date": "2026-12-02", "habits": []},
    ),
    Case("break id not an id", "DELETE", "/breaks/xyz", "break_id", location="path"),
]


async def test_bad_habit_bodies(client, alice, db_session):
    """API.md Conventions / D2 / D3 / N2: every bad habit field is a 422 naming it."""
    await run_cases(client, alice, db_session, HABIT_CASES)


async def test_bad_habit_patches(client, alice, db_session):
    """API.md Conventions / N6: every bad PATCH field is a 422 naming it, nothing changed."""
    await run_cases(client, alice, db_session, PATCH_CASES)


async def test_bad_check_ins(client, alice, db_session):
    """API.md Conventions / D4 / N8: every bad check-in field is a 422 naming it."""
    await run_cases(client, alice, db_session, CHECKIN_CASES)


async def test_bad_entries(client, alice, db_session):
    """API.md Conventions / D4.1: every bad entry field, body or path, is a 422 naming it."""
    await run_cases(client, alice, db_session, ENTRY_CASES)


async def test_bad_queries(client, alice, db_session):
    """API.md Conventions: bad dates and windows in queries are 422 naming the parameter."""
    await run_cases(client, alice, db_session, READ_CASES)


async def test_bad_settings(client, alice, db_session):
    """D1.1 / D1.2 / D3.1: an unknown zone, a day start of 9 or a bad week start is 422."""
    await run_cases(client, alice, db_session, ME_CASES)


async def test_bad_breaks(client, alice, db_session):
    """D3.2 / N10: every bad break field is a 422 naming it."""
    await run_cases(client, alice, db_session, BREAK_CASES)


async def test_a_slashed_date_in_the_path_is_another_url(client, alice):
    """API.md Conventions: `21/11/2026` in a path is no route of ours: 404, never a 5xx."""
    habit = await create_habit(client, alice)
    for path in (
        f"/habits/{habit['id']}/entries/21/11/2026",
        f"/habits/{habit['id']}/entries/21%2F11%2F2026",
    ):
        response = await client.put(API + path, json={"status": "done"}, headers=alice.headers)
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith(PROBLEM_JSON)


def test_cases_are_unique():
    """The case tables above name each case once (a typo would hide a case)."""
    everything = [
        *HABIT_CASES,
        *PATCH_CASES,
        *CHECKIN_CASES,
        *ENTRY_CASES,
        *READ_CASES,
        *ME_CASES,
        *BREAK_CASES,
    ]
    labels = [(case.method, case.path, case.label) for case in everything]
    assert len(labels) == len(set(labels))
    assert all(case.body is None or json.dumps(case.body) for case in everything)
