"""Health metrics over the REST API (issue 19, D15.1): logs made, listed, changed and
deleted; 422s naming each field and its range; series; the weight goal; isolation
(charlie cannot see alice's logs); export and account deletion.

Pending until the lead wires `habitus.health` in (router, models, migration): skipped
until then. Everything of `habitus.health` and `habitus.models.health` is imported inside
the tests, so collecting this file registers no table."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import FROZEN_AT, PersonaFactory
from tests.fixtures.personas import Persona
from tests.habits.helpers import error_fields, problem

API = "/api/v1"
TODAY = FROZEN_AT.date()


async def log(client: httpx.AsyncClient, persona: Persona, **body: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/health/metrics", json=body, headers=persona.headers)
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


def errors_by_field(body: dict[str, Any]) -> dict[str, str]:
    return {error["field"]: error["message"] for error in body.get("errors", [])}


async def test_the_table_and_the_bodies_hold_the_27_fields() -> None:
    """D15.1: the table has one column per field and the request body one field per
    field, the same 27 as `metrics`."""
    from habitus.health import metrics
    from habitus.health.schemas import HealthFields
    from habitus.models.health import HealthLog

    columns = set(HealthLog.__table__.columns.keys())
    assert set(metrics.FIELD_NAMES) <= columns
    assert all(HealthLog.__table__.columns[name].nullable for name in metrics.FIELD_NAMES)
    assert list(HealthFields.model_fields) == list(metrics.FIELD_NAMES)


async def test_a_log_defaults_to_the_users_now_and_round_trips(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    new_persona: PersonaFactory,
) -> None:
    """D15.1: a log has a local date and time (default: the user's now, 07:00 in New
    York at 12:00 UTC), source `manual`, and the fields given, stored at their
    precision (72.345 kg is 72.35)."""
    dana = await new_persona("dana@example.org", timezone="America/New_York")
    made = await log(client, dana, weight_kg=72.345, body_fat_pct=18.5)
    assert made["date"] == TODAY.isoformat()
    assert made["time"] == "07:00"
    assert made["source"] == "manual"
    assert made["fields"] == {"weight_kg": 72.35, "body_fat_pct": 18.5}
    again = await client.get(f"{API}/health/metrics/{made['id']}", headers=dana.headers)
    assert again.status_code == 200
    assert again.json() == made


async def test_logs_are_listed_newest_first_and_paged(
    frozen_clock: time_machine.Coordinates, client: httpx.AsyncClient, alice: Persona
) -> None:
    """API.md: GET /health/metrics is a page, newest first (date, then time), with a
    cursor; `from`/`to` bound the dates."""
    first = await log(client, alice, date="2026-11-01", time="08:00", weight_kg=80)
    second = await log(client, alice, date="2026-11-10", time="07:30", weight_kg=79)
    third = await log(client, alice, date="2026-11-10", time="21:15", weight_kg=79.5)
    page = (await client.get(f"{API}/health/metrics?limit=2", headers=alice.headers)).json()
    assert [item["id"] for item in page["items"]] == [third["id"], second["id"]]
    rest = await client.get(
        f"{API}/health/metrics", params={"cursor": page["next_cursor"]}, headers=alice.headers
    )
    assert [item["id"] for item in rest.json()["items"]] == [first["id"]]
    assert rest.json()["next_cursor"] is None
    window = await client.get(
        f"{API}/health/metrics", params={"from": "2026-11-05"}, headers=alice.headers
    )
    assert {item["id"] for item in window.json()["items"]} == {second["id"], third["id"]}
    bad = await client.get(f"{API}/health/metrics?cursor=xyz", headers=alice.headers)
    assert error_fields(problem(bad, 422)) == ["cursor"]


async def test_out_of_range_values_are_422s_naming_each_field_and_range(
    frozen_clock: time_machine.Coordinates, client: httpx.AsyncClient, alice: Persona
) -> None:
    """D15.1: each value outside its range is a 422 that names it and the range; unknown
    keys, no field at all, text for a number and a date after today are 422s too;
    nothing is stored."""
    from habitus.health import metrics

    body = {"weight_kg": 724, "bmi": 2.31, "body_fat_pct": 18.5, "heart_rate_bpm": 400}
    response = await client.post(f"{API}/health/metrics", json=body, headers=alice.headers)
    found = errors_by_field(problem(response, 422))
    assert set(found) == {"weight_kg", "bmi", "heart_rate_bpm"}
    for name, message in found.items():
        assert message == metrics.metric(name).range_message()
    assert "400 kg" in found["weight_kg"]
    unknown = await client.post(
        f"{API}/health/metrics", json={"weight_kg": 72, "wieght_kg": 72}, headers=alice.headers
    )
    assert error_fields(problem(unknown, 422)) == ["wieght_kg"]
    empty = await client.post(
        f"{API}/health/metrics", json={"date": "2026-11-20"}, headers=alice.headers
    )
    problem(empty, 422)
    text = await client.post(
        f"{API}/health/metrics", json={"weight_kg": "72"}, headers=alice.headers
    )
    assert error_fields(problem(text, 422)) == ["weight_kg"]
    later = await client.post(
        f"{API}/health/metrics", json={"weight_kg": 72, "date": "2026-11-22"}, headers=alice.headers
    )
    assert error_fields(problem(later, 422)) == ["date"]
    listed = (await client.get(f"{API}/health/metrics", headers=alice.headers)).json()
    assert listed["items"] == []


async def test_a_log_is_changed_cleared_and_deleted(
    frozen_clock: time_machine.Coordinates, client: httpx.AsyncClient, alice: Persona
) -> None:
    """PATCH changes the fields given (null clears one) and the date or time; a log keeps
    at least one field (D15.1); DELETE is 204, then the log is 404."""
    made = await log(client, alice, weight_kg=80, bmi=24.7)
    url = f"{API}/health/metrics/{made['id']}"
    changed = await client.patch(
        url, json={"weight_kg": 79.4, "bmi": None, "time": "06:45"}, headers=alice.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["fields"] == {"weight_kg": 79.4}
    assert changed.json()["time"] == "06:45"
    last = await client.patch(url, json={"weight_kg": None}, headers=alice.headers)
    assert error_fields(problem(last, 422)) == ["weight_kg"]
    wrong = await client.patch(url, json={"hip_cm": 5}, headers=alice.headers)
    assert error_fields(problem(wrong, 422)) == ["hip_cm"]
    kept = (await client.get(url, headers=alice.headers)).json()
    assert kept["fields"] == {"weight_kg": 79.4}
    gone = await client.delete(url, headers=alice.headers)
    assert gone.status_code == 204
    assert (await client.get(url, headers=alice.headers)).status_code == 404


async def test_a_series_has_one_point_a_date_the_last_of_the_day(
    frozen_clock: time_machine.Coordinates, client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 19 charts: GET /health/series?field gives {date, value} oldest first, one a
    date (that day's last reading), only logs holding the field, within from/to
    (default: the last 90 days); an unknown field is a 422 naming `field`."""
    await log(client, alice, date="2026-11-20", time="21:00", weight_kg=80.2)
    await log(client, alice, date="2026-11-20", time="07:00", weight_kg=80.9)
    await log(client, alice, date="2026-11-18", time="07:00", weight_kg=81.0, bmi=25)
    await log(client, alice, date="2026-11-19", time="07:00", bmi=24.9)
    await log(client, alice, date="2026-08-01", time="07:00", weight_kg=85)
    response = await client.get(
        f"{API}/health/series", params={"field": "weight_kg"}, headers=alice.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["items"] == [
        {"date": "2026-11-18", "value": 81.0},
        {"date": "2026-11-20", "value": 80.2},
    ]
    longer = await client.get(
        f"{API}/health/series",
        params={"field": "weight_kg", "from": "2026-01-01", "to": "2026-11-19"},
        headers=alice.headers,
    )
    assert [item["date"] for item in longer.json()["items"]] == ["2026-08-01", "2026-11-18"]
    bad = await client.get(
        f"{API}/health/series", params={"field": "weight"}, headers=alice.headers
    )
    assert error_fields(problem(bad, 422)) == ["field"]


async def test_the_weight_goal_is_set_and_replaced(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """API.md: GET/PUT /health/goals {weight_kg, direction: lose|gain}; none at first;
    the weight's range applies (D15.1)."""
    url = f"{API}/health/goals"
    assert (await client.get(url, headers=alice.headers)).json() == {
        "weight_kg": None,
        "direction": None,
    }
    put = await client.put(url, json={"weight_kg": 75, "direction": "lose"}, headers=alice.headers)
    assert put.status_code == 200, put.text
    again = await client.put(
        url, json={"weight_kg": 82.5, "direction": "gain"}, headers=alice.headers
    )
    assert again.json() == {"weight_kg": 82.5, "direction": "gain"}
    assert (await client.get(url, headers=alice.headers)).json() == again.json()
    bad = await client.put(url, json={"weight_kg": 4, "direction": "keep"}, headers=alice.headers)
    assert set(error_fields(problem(bad, 422))) == {"weight_kg", "direction"}


async def test_charlie_cannot_see_or_touch_alices_logs(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    alice: Persona,
    charlie: Persona,
) -> None:
    """Health data is personal (issue 19): another user's log is 404 to read, change or
    delete, and is in none of charlie's lists, series or goals."""
    made = await log(client, alice, weight_kg=70)
    await client.put(
        f"{API}/health/goals", json={"weight_kg": 65, "direction": "lose"}, headers=alice.headers
    )
    url = f"{API}/health/metrics/{made['id']}"
    assert (await client.get(url, headers=charlie.headers)).status_code == 404
    patch = await client.patch(url, json={"weight_kg": 71}, headers=charlie.headers)
    assert patch.status_code == 404
    assert (await client.delete(url, headers=charlie.headers)).status_code == 404
    listed = await client.get(f"{API}/health/metrics", headers=charlie.headers)
    assert listed.json()["items"] == []
    series = await client.get(
        f"{API}/health/series", params={"field": "weight_kg"}, headers=charlie.headers
    )
    assert series.json()["items"] == []
    goal = await client.get(f"{API}/health/goals", headers=charlie.headers)
    assert goal.json()["weight_kg"] is None
    assert (await client.get(url, headers=alice.headers)).json()["fields"] == {"weight_kg": 70.0}


async def test_export_holds_the_logs_and_deletion_removes_them(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    alice: Persona,
    bob: Persona,
    db_session: AsyncSession,
) -> None:
    """Issue 19: health data is personal data, in the export (docs/EXPORT.md `health`)
    and gone with the account; bob's stays."""
    from habitus.models.health import HealthGoal, HealthLog

    for persona in (alice, bob):
        await log(client, persona, weight_kg=70, waist_cm=81.5)
        await client.put(
            f"{API}/health/goals",
            json={"weight_kg": 65, "direction": "lose"},
            headers=persona.headers,
        )
    document = (await client.get(f"{API}/me/export", headers=alice.headers)).json()
    [exported] = document["health"]["logs"]
    assert exported["fields"] == {"weight_kg": 70.0, "waist_cm": 81.5}
    assert document["health"]["goal"]["direction"] == "lose"
    deleted = await client.request(
        "DELETE", f"{API}/me", json={"password": alice.password}, headers=alice.headers
    )
    assert deleted.status_code == 204, deleted.text
    for model in (HealthLog, HealthGoal):
        mine = await db_session.scalar(
            select(func.count()).select_from(model).where(model.user_id == alice.id)
        )
        theirs = await db_session.scalar(
            select(func.count()).select_from(model).where(model.user_id == bob.id)
        )
        await db_session.commit()
        assert (mine, theirs) == (0, 1)


async def test_service_checks_ranges_for_every_caller(
    frozen_clock: time_machine.Coordinates, alice: Persona, db_session: AsyncSession
) -> None:
    """D15.1: the service refuses an implausible value too (the photo's confirm step and
    the web form call it without the JSON body's checks)."""
    from habitus.errors import ValidationFailed
    from habitus.health import service
    from habitus.models import User

    user = await db_session.get(User, alice.id)
    assert user is not None
    with pytest.raises(ValidationFailed) as refused:
        await service.create_log(db_session, user, values={"weight_kg": 724, "bmi": 23})
    assert [error.field for error in refused.value.errors] == ["weight_kg"]
    with pytest.raises(ValidationFailed) as unknown:
        await service.create_log(db_session, user, values={"weight": 72})
    assert [error.field for error in unknown.value.errors] == ["weight"]
    await db_session.rollback()
