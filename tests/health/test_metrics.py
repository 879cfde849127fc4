"""The 27 fields of a health log (issue 19, D15.1): all of them, once each, the common
five first; plausible ranges; kg<->lb and cm<->in with exact round trips at the stored
precision.

Imports `habitus.health.metrics` alone: it defines no table (the suite walks the tables
that are registered)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from habitus.health import metrics

# D15.1 as written in ../shared/DOMAIN.md (the specification, copied by hand).
D15_1_FIELDS = [
    "weight_kg",
    "bmi",
    "body_fat_pct",
    "fat_mass_kg",
    "muscle_mass_kg",
    "muscle_pct",
    "skeletal_muscle_kg",
    "skeletal_muscle_pct",
    "visceral_fat_index",
    "subcutaneous_fat_pct",
    "bmr_kcal",
    "body_age",
    "bone_mass_kg",
    "protein_mass_kg",
    "protein_pct",
    "water_weight_kg",
    "body_water_pct",
    "lean_body_mass_kg",
    "fat_free_weight_kg",
    "obesity_degree_pct",
    "standard_weight_kg",
    "weight_control_kg",
    "fat_control_kg",
    "muscle_control_kg",
    "heart_rate_bpm",
    "waist_cm",
    "hip_cm",
]
DOMAIN = Path(__file__).resolve().parents[3] / "shared" / "DOMAIN.md"

# One realistic smart-scale report of an adult (a 180 cm man), every field filled.
TYPICAL = {
    "weight_kg": 78.4,
    "bmi": 24.2,
    "body_fat_pct": 19.8,
    "fat_mass_kg": 15.5,
    "muscle_mass_kg": 59.6,
    "muscle_pct": 76.0,
    "skeletal_muscle_kg": 35.1,
    "skeletal_muscle_pct": 44.8,
    "visceral_fat_index": 8.0,
    "subcutaneous_fat_pct": 17.2,
    "bmr_kcal": 1712,
    "body_age": 34,
    "bone_mass_kg": 3.3,
    "protein_mass_kg": 14.0,
    "protein_pct": 17.9,
    "water_weight_kg": 45.7,
    "body_water_pct": 58.3,
    "lean_body_mass_kg": 62.9,
    "fat_free_weight_kg": 62.9,
    "obesity_degree_pct": 10.3,
    "standard_weight_kg": 71.1,
    "weight_control_kg": -7.3,
    "fat_control_kg": -5.9,
    "muscle_control_kg": 0.0,
    "heart_rate_bpm": 64,
    "waist_cm": 86.5,
    "hip_cm": 98.0,
}


def test_every_field_of_d15_1_is_there_exactly_once() -> None:
    """D15.1: the 27 fields, each once, no other."""
    assert len(D15_1_FIELDS) == 27
    assert len(metrics.FIELD_NAMES) == len(set(metrics.FIELD_NAMES)) == 27
    assert sorted(metrics.FIELD_NAMES) == sorted(D15_1_FIELDS)
    assert set(metrics.BY_NAME) == set(D15_1_FIELDS)


def test_the_field_list_matches_domain_md_when_it_is_at_hand() -> None:
    """D15.1 read from the DOMAIN.md itself, so a change there is noticed here."""
    if not DOMAIN.exists():
        pytest.skip(f"{DOMAIN} is not here")
    text = DOMAIN.read_text(encoding="utf-8")
    section = text[text.index("D15.1") : text.index("D15.2")]
    listed = re.search(r"metric units: `([^`]+)`", section.replace("\n", " "))
    assert listed is not None
    names = [name.strip() for name in re.sub(r"\s+", " ", listed.group(1)).split(",")]
    assert sorted(names) == sorted(metrics.FIELD_NAMES)


def test_the_common_five_come_first() -> None:
    """Issue 19: the short form shows the common five first, "more" for the rest."""
    common = ("weight_kg", "bmi", "body_fat_pct", "muscle_mass_kg", "body_water_pct")
    assert metrics.FIELD_NAMES[:5] == common
    assert common == metrics.COMMON
    assert all(found.group != "common" for found in metrics.METRICS[5:])


def test_units_follow_the_field_names() -> None:
    """D15.1: stored in metric units; the name says which (kg, cm, %, kcal, bpm)."""
    suffixes = {"_kg": "kg", "_cm": "cm", "_pct": "%", "_kcal": "kcal", "_bpm": "bpm"}
    for found in metrics.METRICS:
        expected = next((unit for end, unit in suffixes.items() if found.name.endswith(end)), None)
        if expected is not None:
            assert found.unit == expected, found.name
        assert found.label, found.name


def test_a_typical_report_is_plausible_in_every_field() -> None:
    """D15.1: the ranges let a real adult's report through, every field of it."""
    assert set(TYPICAL) == set(metrics.FIELD_NAMES)
    assert metrics.out_of_range(TYPICAL) == []


@pytest.mark.parametrize("name", ["weight_kg", "bmi", "body_fat_pct", "muscle_mass_kg", "waist_cm"])
def test_a_slipped_decimal_point_is_out_of_range(name: str) -> None:
    """D15.1: 784 for 78.4 kg (a lost decimal point) is implausible, and the problem
    names the field and its range."""
    [problem] = metrics.out_of_range({name: TYPICAL[name] * 10})
    found = metrics.metric(name)
    assert problem.field == name
    assert f"{found.low:g}" in problem.message
    assert f"{found.high:g}" in problem.message


def test_each_value_outside_is_named_and_the_ends_are_inside() -> None:
    """D15.1: ranges include both ends; every value outside is reported, in field order."""
    just_out = {found.name: found.high + 1 for found in metrics.METRICS}
    problems = metrics.out_of_range(just_out)
    assert [problem.field for problem in problems] == list(metrics.FIELD_NAMES)
    below = {found.name: found.low - 1 for found in metrics.METRICS}
    assert len(metrics.out_of_range(below)) == 27
    ends = [{found.name: found.low} for found in metrics.METRICS] + [
        {found.name: found.high} for found in metrics.METRICS
    ]
    assert all(metrics.out_of_range(values) == [] for values in ends)
    assert metrics.out_of_range({"weight_kg": None}) == []
    assert metrics.out_of_range({"weight_kg": float("nan")})[0].field == "weight_kg"


def test_weight_range_message_reads_plainly() -> None:
    """D15.1: the 422's message names the range with its unit."""
    found = metrics.metric("weight_kg")
    assert found.range_message() == f"must be between {found.low:g} and {found.high:g} kg"


def test_known_conversions() -> None:
    """A pound is 0.45359237 kg and an inch 2.54 cm, exactly; other units stay."""
    assert metrics.to_display("weight_kg", 45.36, "imperial") == 100.0
    assert metrics.to_display("weight_kg", 100.0, "imperial") == 220.46
    assert metrics.from_display("weight_kg", 220.46, "imperial") == 100.0
    assert metrics.to_display("waist_cm", 2.5, "imperial") == 0.98
    assert metrics.to_display("waist_cm", 80.0, "imperial") == 31.5
    assert metrics.from_display("hip_cm", 39.37, "imperial") == 100.0
    assert metrics.to_display("body_fat_pct", 19.8, "imperial") == 19.8
    assert metrics.to_display("heart_rate_bpm", 64, "imperial") == 64
    assert metrics.to_display("weight_kg", 78.4, "metric") == 78.4
    assert metrics.metric("weight_kg").display_unit("imperial") == "lb"
    assert metrics.metric("hip_cm").display_unit("imperial") == "in"
    assert metrics.metric("bmi").display_unit("imperial") == ""


def test_stored_rounds_half_up_in_decimal() -> None:
    """Stored precision: 72.345 kg is 72.35 (half up, on the written digits; binary
    floating point alone would make it 72.34)."""
    assert round(72.345, 2) == 72.34  # the trap this avoids
    assert metrics.stored("weight_kg", 72.345) == 72.35
    assert metrics.stored("heart_rate_bpm", 63.5) == 64
    assert metrics.stored("body_fat_pct", 18.44) == 18.4


def _grid_values(draw: st.DrawFn) -> tuple[str, float]:
    found = draw(st.sampled_from(metrics.METRICS))
    scale = 10**found.decimals
    step = draw(st.integers(round(found.low * scale), round(found.high * scale)))
    return found.name, float(Decimal(step).scaleb(-found.decimals))


stored_values = st.composite(_grid_values)()


@given(stored_values)
def test_stored_values_survive_a_trip_through_imperial(item: tuple[str, float]) -> None:
    """Issue 19 (kg or lb, cm or in): a stored value shown in imperial units and
    typed back unchanged is stored as exactly the same value."""
    name, value = item
    shown = metrics.to_display(name, value, "imperial")
    assert metrics.from_display(name, shown, "imperial") == value
    assert metrics.from_display(name, metrics.to_display(name, value, "metric"), "metric") == value


@given(stored_values)
def test_what_an_imperial_user_types_comes_back_within_a_step(item: tuple[str, float]) -> None:
    """The other way, the stored grid is coarser for inches: what an imperial user typed
    comes back within half a stored step (in display units) plus half a display step."""
    name, value = item
    found = metrics.metric(name)
    typed = metrics.to_display(name, value, "imperial") + 10 ** -found.display_decimals("imperial")
    back = metrics.to_display(name, metrics.from_display(name, typed, "imperial"), "imperial")
    factor = {"kg": 0.45359237, "cm": 2.54}.get(found.unit, 1.0)
    bound = 0.5 * 10**-found.decimals / factor + 0.5 * 10 ** -found.display_decimals("imperial")
    assert abs(back - typed) <= bound + 1e-9
