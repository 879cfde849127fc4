"""The kg/lb cm/in setting over the REST API (issue 19): GET/PUT /api/v1/health/settings,
422s naming the field, each user's own setting (charlie never sees or changes alice's),
the export, account deletion, and the conversion helpers the web page uses."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.health import metrics
from habitus.health.settings import Units
from habitus.models.health import HealthSettings
from tests.fixtures.personas import Persona
from tests.habits.helpers import error_fields, problem

URL = "/api/v1/health/settings"


async def put(client: httpx.AsyncClient, persona: Persona, body: Any) -> httpx.Response:
    return await client.put(URL, json=body, headers=persona.headers)


async def test_no_row_means_kilograms_and_centimetres(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 19: until the user chooses, masses are in kg and lengths in cm."""
    response = await client.get(URL, headers=alice.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"mass_unit": "kg", "length_unit": "cm"}


async def test_put_stores_the_choice_and_get_reads_it_back(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 19: PUT chooses both units; GET answers what was chosen; a second PUT
    replaces the first (one row per user)."""
    first = await put(client, alice, {"mass_unit": "lb", "length_unit": "in"})
    assert first.status_code == 200, first.text
    assert first.json() == {"mass_unit": "lb", "length_unit": "in"}
    assert (await client.get(URL, headers=alice.headers)).json() == first.json()
    again = await put(client, alice, {"mass_unit": "kg", "length_unit": "in"})
    assert again.json() == {"mass_unit": "kg", "length_unit": "in"}
    rows = await db_session.scalar(
        select(func.count()).select_from(HealthSettings).where(HealthSettings.user_id == alice.id)
    )
    assert rows == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"mass_unit": "stone", "length_unit": "cm"}, ["mass_unit"]),
        ({"mass_unit": "kg", "length_unit": "ft"}, ["length_unit"]),
        ({"mass_unit": "g", "length_unit": "mm"}, ["mass_unit", "length_unit"]),
        ({"length_unit": "cm"}, ["mass_unit"]),
        ({"mass_unit": "kg", "length_unit": "cm", "volume": "l"}, ["volume"]),
    ],
)
async def test_a_bad_unit_is_a_422_naming_the_field_and_nothing_changes(
    client: httpx.AsyncClient, alice: Persona, body: dict[str, Any], fields: list[str]
) -> None:
    """Bad input is a 422 naming each wrong field, never a half-written change: the
    setting stays as it was."""
    await put(client, alice, {"mass_unit": "lb", "length_unit": "in"})
    response = await put(client, alice, body)
    assert sorted(error_fields(problem(response, 422))) == sorted(fields)
    kept = (await client.get(URL, headers=alice.headers)).json()
    assert kept == {"mass_unit": "lb", "length_unit": "in"}


async def test_each_user_has_their_own_setting(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """Isolation: charlie's PUT changes charlie's setting only; he never reads alice's."""
    await put(client, alice, {"mass_unit": "lb", "length_unit": "in"})
    assert (await client.get(URL, headers=charlie.headers)).json() == {
        "mass_unit": "kg",
        "length_unit": "cm",
    }
    await put(client, charlie, {"mass_unit": "kg", "length_unit": "in"})
    assert (await client.get(URL, headers=alice.headers)).json() == {
        "mass_unit": "lb",
        "length_unit": "in",
    }
    assert (await client.get(URL, headers=charlie.headers)).json() == {
        "mass_unit": "kg",
        "length_unit": "in",
    }


async def test_signed_out_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get(URL)).status_code == 401
    assert (await client.put(URL, json={"mass_unit": "kg", "length_unit": "cm"})).status_code == 401


async def test_the_export_holds_the_setting_and_deletion_removes_it(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    alice: Persona,
    bob: Persona,
    db_session: AsyncSession,
) -> None:
    """Issue 19: the setting is the user's data: in the export (`health.settings`, null
    before a choice) and gone with the account; bob's stays."""
    before = (await client.get("/api/v1/me/export", headers=alice.headers)).json()
    assert before["health"]["settings"] is None
    for persona in (alice, bob):
        await put(client, persona, {"mass_unit": "lb", "length_unit": "cm"})
    document = (await client.get("/api/v1/me/export", headers=alice.headers)).json()
    exported = document["health"]["settings"]
    assert (exported["mass_unit"], exported["length_unit"]) == ("lb", "cm")
    deleted = await client.request(
        "DELETE", "/api/v1/me", json={"password": alice.password}, headers=alice.headers
    )
    assert deleted.status_code == 204, deleted.text
    owners = list(await db_session.scalars(select(HealthSettings.user_id)))
    assert alice.id not in owners
    assert bob.id in owners


def test_each_field_converts_with_its_own_unit() -> None:
    """Issue 19: kg fields follow the mass unit, cm fields the length unit, and every
    other field (%, kcal, bpm, BMI) is shown as stored, whatever the setting; pounds and
    inches are shown to a tenth, without trailing zeros."""
    pounds = Units(mass_unit="lb", length_unit="cm")
    inches = Units(mass_unit="kg", length_unit="in")
    assert pounds.unit_of("weight_kg") == "lb"
    assert pounds.unit_of("waist_cm") == "cm"
    assert inches.unit_of("weight_kg") == "kg"
    assert inches.unit_of("hip_cm") == "in"
    assert pounds.parse("weight_kg", 160) == 72.57  # 160 x 0.45359237 = 72.5748 kg
    # 72.57 kg is 159.99 lb: shown to a tenth, it reads as typed.
    assert pounds.show("weight_kg", 72.57) == 160.0
    assert pounds.text("weight_kg", 72.57) == "160 lb"
    assert pounds.text("weight_kg", 72.55) == "159.9 lb"
    assert inches.parse("waist_cm", 32) == 81.3  # 32 x 2.54 = 81.28 cm, 1 decimal stored
    assert inches.text("waist_cm", 81.3) == "32 in"
    assert inches.text("weight_kg", 72.4) == "72.4 kg"  # no trailing zero from 2 decimals
    for units in (pounds, inches):
        for name in ("body_fat_pct", "bmi", "bmr_kcal", "heart_rate_bpm"):
            assert units.unit_of(name) == metrics.metric(name).unit
            assert units.parse(name, 21.5) == metrics.stored(name, 21.5)
    assert pounds.range_message("weight_kg") == "must be between 22.05 and 881.85 lb"
    assert inches.range_message("body_fat_pct") == "must be between 2 and 75 %"
