"""From the text of a scale report to proposed values (issue 19, D15.2), on literal OCR
output: labels as reports print them, values on the same line, in a second column or
under the label, a photo taken slightly turned, units told apart, dates ignored, and
out-of-range values dropped with the D15.1 range in the reason.

Pure: no OCR engine runs here (tests/health/test_ocr_accuracy.py runs it)."""

from __future__ import annotations

import math

import pytest

from habitus.health import metrics, report_parser
from habitus.health.ocr import TextBox
from habitus.health.report_parser import parse_boxes, to_metric


def box(text: str, left: int, top: int, width: int = 0, height: int = 30, score: float = 0.99):
    return TextBox(text, score, (left, top, left + (width or 14 * len(text)), top + height))


def values(boxes: list[TextBox]) -> dict[str, float]:
    return {name: proposal.value for name, proposal in parse_boxes(boxes).fields.items()}


def test_one_line_without_spaces():
    """D15.2: the OCR drops spaces ("Weight72.4kg"); label and value in one text."""
    found = values([box("Weight72.4kg", 40, 100), box("BodyFat18.5%Standard", 40, 150)])
    assert found == {"weight_kg": 72.4, "body_fat_pct": 18.5}


def test_two_columns_pair_by_row():
    """D15.2: label left, value right on the same row; each value goes to its own row."""
    rows = [("Weight", "80.5 kg"), ("BMI", "24.2"), ("Body Fat Rate", "20.5 %"), ("Hip", "96.9 cm")]
    boxes = []
    for number, (label, value) in enumerate(rows):
        boxes += [box(label, 60, 300 + 58 * number), box(value, 520, 302 + 58 * number)]
        boxes.append(box("Normal", 700, 300 + 58 * number))
    assert values(boxes) == {"weight_kg": 80.5, "bmi": 24.2, "body_fat_pct": 20.5, "hip_cm": 96.9}


def test_tiles_pair_value_under_label():
    """D15.2: tile layout, each value under its label, three tiles a row; a tile's label
    is not paired with the next tile's value."""
    tiles = [("Body Weight", "70.2 kg"), ("BMI", "24.6"), ("BFR", "27.1 %"),
             ("Muscle", "67.3 %"), ("Bone Mass", "2.6 kg"), ("Protein", "18.1 %")]  # fmt: skip
    boxes = []
    for index, (label, value) in enumerate(tiles):
        left, top = 60 + 277 * (index % 3), 360 + 152 * (index // 3)
        boxes += [box(label, left, top, height=26), box(value, left - 3, top + 42, height=46)]
        boxes.append(box("Standard", left, top + 90, height=26))
    assert values(boxes) == {
        "weight_kg": 70.2,
        "bmi": 24.6,
        "body_fat_pct": 27.1,
        "muscle_pct": 67.3,
        "bone_mass_kg": 2.6,
        "protein_pct": 18.1,
    }


def test_turned_photo_rows_follow_the_slope():
    """D15.2: a photo turned 5 degrees: each value sits about a row higher than its
    label, yet pairs with it, not with the label above."""
    slope = math.tan(math.radians(5))
    rows = [("Weight", "80.5 kg"), ("Body Mass Index", "24.2"), ("Body Fat Rate", "20.5 %"),
            ("Water Rate", "58.0%"), ("Muscle", "71.7 %"), ("Visceral Fat", "2")]  # fmt: skip
    boxes = []
    for number, (label, value) in enumerate(rows):
        y = 370 + 52 * number
        boxes += [box(label, 80 + 5 * number, y), box(value, 520, round(y - slope * 460))]
    assert values(boxes) == {
        "weight_kg": 80.5,
        "bmi": 24.2,
        "body_fat_pct": 20.5,
        "body_water_pct": 58.0,
        "muscle_pct": 71.7,
        "visceral_fat_index": 2.0,
    }


@pytest.mark.parametrize(
    ("label", "value", "field", "expected"),
    [
        ("Muscle", "38.2 %", "muscle_pct", 38.2),
        ("Muscle", "52.1 kg", "muscle_mass_kg", 52.1),
        ("Protein", "17.5%", "protein_pct", 17.5),
        ("Protein", "11.2kg", "protein_mass_kg", 11.2),
        ("Water", "55.3 %", "body_water_pct", 55.3),
        ("Water", "40.1 kg", "water_weight_kg", 40.1),
        ("Body Fat", "15.5 kg", "fat_mass_kg", 15.5),
        ("Skeletal Muscle", "44.0%", "skeletal_muscle_pct", 44.0),
        ("Skeletal Muscle", "31.2 kg", "skeletal_muscle_kg", 31.2),
    ],
)
def test_the_unit_tells_percent_from_mass(label, value, field, expected):
    """D15.1: one word, two fields: the unit beside the value decides."""
    assert values([box(label, 40, 100), box(value, 500, 100)]) == {field: expected}


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("Fat %", "body_fat_pct"),
        ("BFR", "body_fat_pct"),
        ("Basal Metabolism", "bmr_kcal"),
        ("BMR", "bmr_kcal"),
        ("Metabolic Age", "body_age"),
        ("Body Age", "body_age"),
        ("Lean Body Mass", "lean_body_mass_kg"),
        ("Fat-free Body Weight", "fat_free_weight_kg"),
        ("Obesity Degree", "obesity_degree_pct"),
        ("Ideal Weight", "standard_weight_kg"),
        ("Standard Weight", "standard_weight_kg"),
        ("Subcutaneous Fat", "subcutaneous_fat_pct"),
        ("Visceral Fat", "visceral_fat_index"),
        ("Heart Rate", "heart_rate_bpm"),
        ("Waist", "waist_cm"),
        ("Viscerai Fat Level", "visceral_fat_index"),  # one letter misread
    ],
)
def test_label_variants(label, field):
    """D15.2: the names the usual apps print, and a near miss of a long one."""
    plausible = {"bmr_kcal": "1650", "heart_rate_bpm": "68", "standard_weight_kg": "70.5"}
    number = plausible.get(field, "33")
    found = parse_boxes([box(label, 40, 100), box(number, 500, 100)])
    assert list(found.fields) == [field]
    assert found.fields[field].value == float(number)


def test_signed_control_values():
    """D15.1: control fields are signed: "+1.1kg" gains, "-2.3 kg" loses."""
    found = values(
        [
            box("Weight Control", 40, 100),
            box("-2.3 kg", 500, 100),
            box("Fat Control", 40, 160),
            box("\u22123.0kg", 500, 160),
            box("Muscle Control", 40, 220),
            box("+1.1kg", 500, 220),
        ]
    )
    assert found == {"weight_control_kg": -2.3, "fat_control_kg": -3.0, "muscle_control_kg": 1.1}


def test_imperial_values_are_stored_metric():
    """D15.1: pounds and inches become kg and cm exactly as the forms convert them."""
    found = values(
        [
            box("Weight", 40, 100),
            box("159.6 lb", 500, 100),
            box("Bone Mass", 40, 160),
            box("6.51b", 500, 160),  # "lb" read as "1b"
            box("Waist", 40, 220),
            box("33.3 in", 500, 220),
        ]
    )
    assert found == {
        "weight_kg": metrics.from_display("weight_kg", 159.6, "imperial"),
        "bone_mass_kg": metrics.from_display("bone_mass_kg", 6.5, "imperial"),
        "waist_cm": metrics.from_display("waist_cm", 33.3, "imperial"),
    }
    assert found["weight_kg"] == 72.39


def test_dates_times_and_profile_lines_are_not_values():
    """D15.2: the header's date and time, under and beside labels, are never taken."""
    found = parse_boxes(
        [
            box("Weight", 40, 100),
            box("2026-12-05 07:42", 40, 135),
            box("07:42", 500, 100),
            box("MaleAge 38Height 183 cm", 40, 200),
            box("Height", 40, 260),
            box("183 cm", 500, 260),
        ]
    )
    assert found.fields == {}
    assert found.dropped == []


def test_out_of_range_is_dropped_with_the_reason():
    """D15.2: a value outside its plausible range (D15.1) is dropped, with the range."""
    found = parse_boxes(
        [
            box("Weight", 40, 100),
            box("724 kg", 500, 100),
            box("BMI", 40, 160),
            box("24.1", 500, 160),
        ]
    )
    assert list(found.fields) == ["bmi"]
    assert [(item.field, item.reason) for item in found.dropped] == [
        ("weight_kg", "read 724 kg: must be between 10 and 400 kg")
    ]


def test_confidence_is_the_ocr_score_times_label_certainty():
    """D15.2: each proposal carries a confidence: the OCR's score, less for a nearly
    matched label and for a field chosen without its unit; the box covers both."""
    found = parse_boxes(
        [
            box("Weight", 40, 100, score=0.8),
            box("72.4 kg", 500, 100, score=0.9),
            box("Visceral Fat Levei", 40, 160, score=1.0),
            box("9", 500, 160, score=1.0),
        ]
    ).fields
    assert found["weight_kg"].confidence == pytest.approx(0.8)
    assert found["weight_kg"].box == (40, 100, 500 + 14 * 7, 130)
    assert 0.7 < found["visceral_fat_index"].confidence < 0.9 * 1.0


def test_surer_reading_wins_when_a_field_is_read_twice():
    """D15.2: one proposal per field: the surer of two readings."""
    found = parse_boxes(
        [box("Weight72.4kg", 40, 100, score=0.95), box("Weight 27.4 kg", 40, 300, score=0.6)]
    ).fields
    assert found["weight_kg"].value == 72.4


def test_nothing_to_read():
    """D15.2: no text, or only noise, proposes nothing and drops nothing."""
    assert parse_boxes([]).fields == {}
    found = parse_boxes([box("Share History Trends", 40, 100), box("Standard", 400, 100)])
    assert (found.fields, found.dropped) == ({}, [])


@pytest.mark.parametrize(
    ("field", "value", "unit", "expected"),
    [
        ("weight_kg", 160, "lbs", 72.57),
        ("weight_kg", 72.44, "kg", 72.44),
        ("weight_kg", 11.5, "st", 73.03),
        ("hip_cm", 38.5, "in", 97.8),
        ("body_fat_pct", 18.46, "%", 18.5),
        ("bmr_kcal", 7000, "kJ", 1673.0),
        ("bmr_kcal", 1650.4, None, 1650.0),
        ("bmi", 24.2, "kg/m2", 24.2),
    ],
)
def test_to_metric(field, value, unit, expected):
    """D15.1: values stored metric at the field's precision, whatever unit they came in."""
    assert to_metric(field, value, unit) == expected


def test_to_metric_refuses_a_unit_that_does_not_fit():
    """D15.1: a weight in % is not a weight."""
    with pytest.raises(ValueError, match="Weight"):
        to_metric("weight_kg", 72, "%")
    with pytest.raises(ValueError, match="furlong"):
        to_metric("waist_cm", 3, "furlong")


@pytest.mark.parametrize(
    ("printed", "expected"),
    [("+1.lkg", 1.1), ("226l kcal", 2261.0), ("-6.91b", -6.9), ("6.9lb", 6.9), ("6.9 lbs", 6.9)],
)
def test_ones_misread_as_l(printed, expected):
    """D15.2: the OCR's 1/l confusions next to numbers are undone, the l of "lb" kept."""
    pieces, _ = report_parser._pieces([box(printed, 500, 100)])
    assert [float(piece.reading.number) for piece in pieces if piece.reading] == [expected]


def test_a_value_without_its_unit_takes_the_reports_unit():
    """D15.1: on a report in pounds, a mass printed without its unit is in pounds too
    (stored in kg); on a metric report it is in kg."""
    rows = [("Weight", "159.6 lb"), ("Muscle Mass", "120.2lb"), ("Ideal Weight", "124.4")]
    boxes = []
    for number, (label, value) in enumerate(rows):
        boxes += [box(label, 40, 100 + 60 * number), box(value, 500, 100 + 60 * number)]
    assert values(boxes)["standard_weight_kg"] == metrics.from_display(
        "standard_weight_kg", 124.4, "imperial"
    )
    metric_report = [box("Weight", 40, 100), box("72.4 kg", 500, 100), *boxes[4:]]
    assert values(metric_report)["standard_weight_kg"] == 124.4


def test_a_name_cut_in_two_is_joined():
    """D15.2: the OCR cuts "Lean Body Mass" into "Lean Body" | "Mass": still one name,
    and "Protein" | "Mass" is the mass, not the rate."""
    found = values(
        [
            box("Lean Body", 40, 100),
            box("Mass", 40 + 14 * 9 + 4, 102),
            box("89.6 kg", 500, 100),
            box("Protein", 40, 160),
            box("Mass", 40 + 14 * 7 + 6, 161),
            box("20.1", 500, 160),
        ]
    )
    assert found == {"lean_body_mass_kg": 89.6, "protein_mass_kg": 20.1}
