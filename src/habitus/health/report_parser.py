"""From the text of a smart-scale report to the 27 health fields (issue 19, D15.2).

`parse_boxes` takes the lines of text the OCR found (`ocr.TextBox`) and proposes a
value for each field it can name, with a confidence; a value outside its field's
plausible range (D15.1) is dropped with the reason. Nothing here is saved: the user
confirms or corrects the proposals.

Reports print the same field under many names ("Body Fat", "Body Fat Rate", "Fat %",
"BFR") and one word for two fields, told apart by the unit beside the value (Muscle
38.2 % is `muscle_pct`, Muscle 52.1 kg is `muscle_mass_kg`). A label is matched against
a table of the names the usual apps print (Withings, Fitdays, Renpho, Xiaomi, Eufy),
ignoring case, spaces and punctuation (the OCR often drops spaces: "BodyFat18.5%"),
exactly or, for long names, nearly (a letter misread).

A value is found with its label in three ways: in the same line of text
("Weight72.4kg"); in the same row, to the right (two columns); or under it (tiles). A
photo taken slightly turned tilts the rows, so the slope of the rows is estimated first
(the one that lines most labels up with a value) and rows are compared along it. Each
value goes to one label, nearest pairs first. Dates and times are never values.

Pure and fast: no engine, no database; `to_metric` also converts the values a vision
model answers with their units.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from difflib import SequenceMatcher

from habitus.health import metrics
from habitus.health.ocr import TextBox

Box = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class Proposal:
    value: float  # metric units, at the field's stored precision (metrics.stored)
    confidence: float  # 0..1
    box: Box | None  # around label+value when known


@dataclass(frozen=True, slots=True)
class Dropped:
    field: str
    reason: str  # "read 312.0 kg: must be between 10 and 400 kg"


@dataclass(frozen=True, slots=True)
class Parsed:
    fields: dict[str, Proposal]
    dropped: list[Dropped]


# --- units -----------------------------------------------------------------------------

KG_PER_STONE = Decimal("6.35029318")  # 14 lb
KJ_PER_KCAL = Decimal("4.184")

# What a printed unit says the number is: (kind, canonical unit). OCR reads "lb" as
# "Ib" or "1b" often enough to be worth knowing.
UNITS: dict[str, tuple[str, str]] = {
    "kg": ("mass", "kg"),
    "kgs": ("mass", "kg"),
    "kq": ("mass", "kg"),
    "lb": ("mass", "lb"),
    "lbs": ("mass", "lb"),
    "ib": ("mass", "lb"),
    "ibs": ("mass", "lb"),
    "1b": ("mass", "lb"),
    "1bs": ("mass", "lb"),
    "st": ("mass", "st"),
    "%": ("pct", "%"),
    "kcal": ("energy", "kcal"),
    "cal": ("energy", "kcal"),  # food labels' "Cal" is the kilocalorie
    "kj": ("energy", "kj"),
    "bpm": ("rate", "bpm"),
    "/min": ("rate", "bpm"),
    "cm": ("length", "cm"),
    "in": ("length", "in"),
    "inch": ("length", "in"),
    "inches": ("length", "in"),
    '"': ("length", "in"),
    "mm": ("length", "mm"),
    "years": ("age", "years"),
    "year": ("age", "years"),
    "yrs": ("age", "years"),
    "yr": ("age", "years"),
    "y": ("age", "years"),
    "kg/m2": ("none", ""),
    "kg/m²": ("none", ""),
}
# The stored unit of a field (metrics.Metric.unit) and the printed ones it converts from.
_CONVERSIONS: dict[str, dict[str, Decimal]] = {
    "kg": {"kg": Decimal(1), "lb": metrics.KG_PER_LB, "st": KG_PER_STONE},
    "cm": {"cm": Decimal(1), "in": metrics.CM_PER_IN, "mm": Decimal("0.1")},
    "%": {"%": Decimal(1)},
    "kcal": {"kcal": Decimal(1), "kj": 1 / KJ_PER_KCAL},
    "bpm": {"bpm": Decimal(1)},
    "years": {"years": Decimal(1)},
    "": {"": Decimal(1)},
}


def _unit(unit: str | None) -> tuple[str, str] | None:
    if unit is None or not unit.strip():
        return None
    return UNITS.get(unit.strip().lower())


def to_metric(field: str, value: float, unit: str | None) -> float:
    """`value` printed in `unit` as `field` stores it: metric, at its stored precision
    (`metrics.stored`). No unit means the stored one. Pounds and inches convert exactly
    as the forms do (`metrics.from_display`); stones and kJ are known too. ValueError for
    a unit that does not measure the field (Weight in %), KeyError for an unknown field."""
    found = metrics.metric(field)
    known = _unit(unit)
    if unit is not None and unit.strip() and known is None:
        raise ValueError(f"{unit!r} is not a unit Habitus knows")
    printed = found.unit if known is None else known[1]
    factor = _CONVERSIONS[found.unit].get(printed)
    if factor is None:
        raise ValueError(f"{found.label} is not measured in {unit}")
    if printed == "lb" or (printed == "in" and found.unit == "cm"):
        return metrics.from_display(field, value, "imperial")
    return metrics.stored(field, float(Decimal(str(value)) * factor))


# --- labels ----------------------------------------------------------------------------

# Fields of one word, told apart by the kind of unit beside the value.
GROUPS: dict[str, dict[str, str]] = {
    "weight": {"mass": "weight_kg"},
    "bmi": {"none": "bmi"},
    "fat": {"pct": "body_fat_pct", "mass": "fat_mass_kg"},
    "muscle": {"pct": "muscle_pct", "mass": "muscle_mass_kg"},
    "skeletal": {"pct": "skeletal_muscle_pct", "mass": "skeletal_muscle_kg"},
    "visceral": {"none": "visceral_fat_index"},
    "subcutaneous": {"pct": "subcutaneous_fat_pct"},
    "bone": {"mass": "bone_mass_kg"},
    "protein": {"pct": "protein_pct", "mass": "protein_mass_kg"},
    "water": {"pct": "body_water_pct", "mass": "water_weight_kg"},
    "lean": {"mass": "lean_body_mass_kg"},
    "fat_free": {"mass": "fat_free_weight_kg"},
    "bmr": {"energy": "bmr_kcal"},
    "age": {"age": "body_age", "none": "body_age"},
    "obesity": {"pct": "obesity_degree_pct"},
    "standard": {"mass": "standard_weight_kg"},
    "weight_control": {"mass": "weight_control_kg"},
    "fat_control": {"mass": "fat_control_kg"},
    "muscle_control": {"mass": "muscle_control_kg"},
    "heart": {"rate": "heart_rate_bpm", "none": "heart_rate_bpm"},
    "waist": {"length": "waist_cm"},
    "hip": {"length": "hip_cm"},
}

# The names reports print, per group, and the field each means when no unit is printed.
# Keys are written as printed; they are compared without case, spaces or punctuation.
_NAMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "weight_kg": ("weight", ("Weight", "Body Weight", "Wt", "Current Weight")),
    "bmi": ("bmi", ("BMI", "Body Mass Index")),
    "body_fat_pct": (
        "fat",
        (
            "Body Fat",
            "Body Fat Rate",
            "Body Fat Ratio",
            "Body Fat Percentage",
            "Body Fat %",
            "Fat",
            "Fat Rate",
            "Fat Percentage",
            "BFR",
            "BF",
            "PBF",
        ),
    ),
    "fat_mass_kg": ("fat", ("Fat Mass", "Body Fat Mass", "Fat Weight", "BFM")),
    "muscle_mass_kg": (
        "muscle",
        ("Muscle", "Muscle Mass", "Muscle Weight", "Soft Lean Mass", "SLM"),
    ),
    "muscle_pct": (
        "muscle",
        ("Muscle Rate", "Muscle Ratio", "Muscle Percentage", "Muscle Mass Rate"),
    ),
    "skeletal_muscle_kg": (
        "skeletal",
        ("Skeletal Muscle", "Skeletal Muscle Mass", "Skeletal Muscle Weight", "SMM"),
    ),
    "skeletal_muscle_pct": (
        "skeletal",
        ("Skeletal Muscle Rate", "Skeletal Muscle Ratio", "Skeletal Muscle Percentage"),
    ),
    "visceral_fat_index": (
        "visceral",
        ("Visceral Fat", "Visceral Fat Index", "Visceral Fat Level", "Visceral Fat Rating"),
    ),
    "subcutaneous_fat_pct": (
        "subcutaneous",
        ("Subcutaneous Fat", "Subcutaneous Fat Rate", "Subcutaneous Fat Percentage"),
    ),
    "bone_mass_kg": ("bone", ("Bone Mass", "Bone", "Bone Weight", "Bone Mineral Content")),
    "protein_pct": ("protein", ("Protein", "Protein Rate", "Protein Percentage")),
    "protein_mass_kg": ("protein", ("Protein Mass", "Protein Weight")),
    "body_water_pct": (
        "water",
        (
            "Body Water",
            "Water",
            "Water Rate",
            "Body Water Rate",
            "Water Percentage",
            "Body Water Percentage",
            "Hydration",
            "TBW",
        ),
    ),
    "water_weight_kg": (
        "water",
        ("Water Weight", "Water Mass", "Body Water Mass", "Body Water Weight"),
    ),
    "lean_body_mass_kg": ("lean", ("Lean Body Mass", "Lean Mass", "Lean Body Weight", "LBM")),
    "fat_free_weight_kg": (
        "fat_free",
        ("Fat-free Body Weight", "Fat-free Mass", "Fat-free Weight", "FFM"),
    ),
    "bmr_kcal": (
        "bmr",
        ("BMR", "Basal Metabolism", "Basal Metabolic Rate", "Basal Metabolic", "Metabolism"),
    ),
    "body_age": (
        "age",
        ("Body Age", "Metabolic Age", "Physical Age", "Biological Age", "Physique Age"),
    ),
    "obesity_degree_pct": ("obesity", ("Obesity Degree", "Obesity", "Obesity Level")),
    "standard_weight_kg": (
        "standard",
        ("Standard Weight", "Ideal Weight", "Ideal Body Weight", "Healthy Weight"),
    ),
    "weight_control_kg": ("weight_control", ("Weight Control", "Weight Control Amount")),
    "fat_control_kg": ("fat_control", ("Fat Control", "Fat Mass Control", "Body Fat Control")),
    "muscle_control_kg": ("muscle_control", ("Muscle Control", "Muscle Mass Control")),
    "heart_rate_bpm": ("heart", ("Heart Rate", "Pulse", "Resting Heart Rate", "HR")),
    "waist_cm": ("waist", ("Waist", "Waist Circumference", "Waistline")),
    "hip_cm": ("hip", ("Hip", "Hips", "Hip Circumference", "Hipline")),
}


def _compact(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


@dataclass(frozen=True, slots=True)
class _Name:
    group: str
    default: str  # the field when no unit is printed


NAMES: dict[str, _Name] = {
    _compact(printed): _Name(group, field)
    for field, (group, printed_names) in _NAMES.items()
    for printed in printed_names
}
# Short names are matched exactly only: "Height" is one letter from "Weight".
FUZZY_MIN_LENGTH = 7
FUZZY_MIN_RATIO = 0.86
# A field named without its unit is chosen by the label alone: a little less sure.
NO_UNIT_FACTOR = 0.9


def _match_label(text: str) -> tuple[_Name, float, str | None] | None:
    """The name `text` prints, how sure the match is (1 exact, the similarity when
    nearly), and a unit the label itself carries ("Fat %", "Weight (lb)")."""
    hint = None
    inside = re.search(r"\(([^)]*)\)|(%)", text)
    if inside:
        hint = (inside.group(1) or inside.group(2) or "").strip()
        text = text[: inside.start()] + text[inside.end() :]
    key = _compact(text)
    if not key:
        return None
    if key in NAMES:
        return NAMES[key], 1.0, hint
    if len(key) < FUZZY_MIN_LENGTH:
        return None
    best, best_ratio = None, 0.0
    for name, meaning in NAMES.items():
        if len(name) < FUZZY_MIN_LENGTH:
            continue
        matcher = SequenceMatcher(None, key, name)
        if matcher.real_quick_ratio() < FUZZY_MIN_RATIO or matcher.quick_ratio() < FUZZY_MIN_RATIO:
            continue
        ratio = matcher.ratio()
        if ratio > best_ratio:
            best, best_ratio = meaning, ratio
    if best is None or best_ratio < FUZZY_MIN_RATIO:
        return None
    return best, best_ratio, hint


# --- values ----------------------------------------------------------------------------

_UNIT_PATTERN = "|".join(
    re.escape(unit) for unit in sorted(UNITS, key=len, reverse=True) if unit != "y"
)
# The first number of a line, its sign and unit; what is before is the label, what is
# after (a status: "Standard", "High") is ignored. A unit ends where a word would not
# go on ("72.4kgStandard" is kg, "82.9 Insufficient" has no unit).
_VALUE = re.compile(
    r"^(?P<label>.*?)(?P<sign>[+\-\u2212\u2013])?\s*(?P<number>\d+(?:[.,]\d+)?)\s*"
    rf"(?:(?P<unit>(?i:{_UNIT_PATTERN}))(?![a-z]))?(?P<rest>.*)$",
    re.DOTALL,
)
_DATE_OR_TIME = re.compile(r"\d{1,4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{2,4}|\d{1,2}\s*:\s*\d{2}")


@dataclass(frozen=True, slots=True)
class _Reading:
    number: Decimal
    unit: str | None
    printed: str  # as read, for reasons: "312.0 kg"


def _number(sign: str | None, digits: str, unit: str | None) -> Decimal:
    if "," in digits:
        whole, _, part = digits.partition(",")
        # "1,524 kcal" groups thousands; "72,4" is a decimal comma.
        digits = (
            whole + part
            if len(part) == 3 and _unit(unit) == ("energy", "kcal")
            else (f"{whole}.{part}")
        )
    number = Decimal(digits)
    return -number if sign and sign != "+" else number


def _reading(match: re.Match[str]) -> _Reading:
    unit = match.group("unit")
    number = _number(match.group("sign"), match.group("number"), unit)
    shown = f"{'-' if number < 0 else ''}{match.group('number')}"
    return _Reading(number, unit, f"{shown} {unit}" if unit else shown)


# --- pieces of text --------------------------------------------------------------------


@dataclass(slots=True)
class _Piece:
    box: Box
    confidence: float
    name: tuple[_Name, float, str | None] | None = None  # a label
    reading: _Reading | None = None  # a value

    @property
    def height(self) -> float:
        return max(1.0, float(self.box[3] - self.box[1]))


def _misread_digits(text: str) -> str:
    """Undo the OCR's usual confusions of 1 and l around numbers: "lb" read as "1b" runs
    into the number ("-6.91b" is -6.9 lb); a 1 read as l after a decimal point
    ("+1.lkg") or ending a number ("226l kcal"), but never the l of "lb"."""
    text = re.sub(r"(\d)[1I](bs?)$", r"\1 l\2", text)
    text = re.sub(r"(?<=\d[.,])[lI|]", "1", text)
    return re.sub(r"(?<=\d)[lI|](?=$|[\s\d.,%]|kcal|kg|cm|bpm)", "1", text)


def _joined_labels(boxes: Sequence[TextBox]) -> list[TextBox]:
    """The OCR sometimes cuts a name in two ("Lean Body" | "Mass"): neighbours on a row,
    without digits, whose joined words are a name, are taken as one box."""
    joined = list(boxes)
    merged = True
    while merged:
        merged = False
        for left in joined:
            for right in joined:
                if left is right or re.search(r"\d", left.text + right.text):
                    continue
                height = max(1, left.box[3] - left.box[1])
                gap = right.box[0] - left.box[2]
                if not (-height <= gap <= height and _overlap_y(left.box, right.box)):
                    continue
                text = f"{left.text} {right.text}"
                found = _match_label(text)
                if found is None or found[1] < 1.0:
                    continue
                joined.remove(left)
                joined.remove(right)
                confidence = min(left.confidence, right.confidence)
                joined.append(TextBox(text, confidence, _union(left.box, right.box)))
                merged = True
                break
            if merged:
                break
    return joined


def _pieces(boxes: Sequence[TextBox]) -> tuple[list[_Piece], list[tuple[_Piece, str]]]:
    """Each box as a label, a value, or both (one line); and the boxes that are a unit
    alone ("kg" printed apart from its number)."""
    pieces: list[_Piece] = []
    units: list[tuple[_Piece, str]] = []
    for found in _joined_labels(boxes):
        text = found.text.strip()
        if not text or _DATE_OR_TIME.search(text):
            continue
        piece = _Piece(found.box, found.confidence)
        if _unit(text) is not None:
            units.append((piece, text))
            continue
        match = _VALUE.match(_misread_digits(text))
        if match is None:
            piece.name = _match_label(text)
        elif re.search(r"\d", match.group("rest")):
            continue  # more than one number: a profile line, a version, not a value
        elif _compact(match.group("label")):
            piece.name = _match_label(match.group("label"))
            piece.reading = _reading(match) if piece.name else None
        else:
            piece.reading = _reading(match)
        if piece.name or piece.reading:
            pieces.append(piece)
    return pieces, units


def _attach_units(pieces: list[_Piece], units: list[tuple[_Piece, str]]) -> None:
    """A unit printed apart belongs to the number just left of it on its row."""
    for unit_piece, text in units:
        for piece in pieces:
            reading = piece.reading
            if reading is None or reading.unit is not None or piece.name is not None:
                continue
            gap = unit_piece.box[0] - piece.box[2]
            if -piece.height / 2 <= gap <= piece.height * 1.5 and _overlap_y(
                piece.box, unit_piece.box
            ):
                piece.reading = _Reading(reading.number, text, f"{reading.printed} {text}")
                break


def _overlap_y(first: Box, second: Box) -> bool:
    overlap = min(first[3], second[3]) - max(first[1], second[1])
    return overlap > 0.5 * min(first[3] - first[1], second[3] - second[1])


# --- pairing labels with values --------------------------------------------------------

# Slopes tried for the rows of a turned photo: -16..16 degrees by half degrees.
SLOPES = [math.tan(math.radians(step / 2)) for step in range(-32, 33)]
# A label pairs with a value under it at most this many label heights below.
BELOW_REACH = 3.0


def _centre(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _row_offset(label: _Piece, value: _Piece, slope: float) -> float | None:
    """How far `value` is from `label`'s row (rows rising by `slope`), in label heights;
    None when it is not to the right."""
    if value.box[0] < label.box[2] - label.height / 2:
        return None
    (label_x, label_y), (value_x, value_y) = _centre(label.box), _centre(value.box)
    return abs(value_y - label_y - slope * (value_x - label_x)) / max(label.height, value.height)


def _row_slope(labels: list[_Piece], values: list[_Piece]) -> float:
    """The slope of the rows: the one that lines up most labels with a value on their
    right (level when none do: tiles, or one line per field)."""
    best_slope, best_score = 0.0, 0.0
    for slope in sorted(SLOPES, key=abs):
        score = 0.0
        for label in labels:
            offsets = [_row_offset(label, value, slope) for value in values]
            closest = min((offset for offset in offsets if offset is not None), default=None)
            if closest is not None:
                score += max(0.0, 1 - 2 * closest)
        if score > best_score + 1e-9:
            best_slope, best_score = slope, score
    return best_slope


def _below_cost(label: _Piece, value: _Piece) -> float | None:
    """How unlikely it is that `value`, under `label`, is its value (tiles); None when
    it is not under it."""
    height = label.height
    gap = value.box[1] - label.box[3]
    # Centres, not edges: the rectangles of a turned photo's lines are taller than the
    # text and may overlap though the value is plainly under its label.
    drop = _centre(value.box)[1] - _centre(label.box)[1]
    overlaps = min(label.box[2], value.box[2]) - max(label.box[0], value.box[0]) > 0
    if overlaps and height / 4 <= drop and gap <= BELOW_REACH * height:
        return 0.2 + max(0.0, gap) / height + abs(value.box[0] - label.box[0]) / (4 * height)
    return None


def _pair_cost(label: _Piece, value: _Piece, slope: float) -> float | None:
    """How unlikely `value` is `label`'s (lower is likelier); None when it cannot be."""
    offset = _row_offset(label, value, slope)
    if offset is not None and offset < 0.5:
        gap = max(0.0, value.box[0] - label.box[2])
        return offset + gap / (10 * label.height)
    return _below_cost(label, value)


def _pairs(pieces: list[_Piece]) -> list[tuple[_Piece, _Piece]]:
    """(label, value) of the labels and values printed apart, nearest pairs first, each
    used once."""
    labels = [piece for piece in pieces if piece.name and piece.reading is None]
    values = [piece for piece in pieces if piece.reading and piece.name is None]
    # The rows' slope is measured on the labels with nothing under them: a tile's label
    # lines up, slanted, with the next tile's value, which says nothing of the photo.
    in_rows = [label for label in labels if all(_below_cost(label, v) is None for v in values)]
    slope = _row_slope(in_rows, values)
    candidates = []
    for label_index, label in enumerate(labels):
        for value_index, value in enumerate(values):
            cost = _pair_cost(label, value, slope)
            if cost is not None:
                candidates.append((cost, label_index, value_index))
    candidates.sort()
    used_labels: set[int] = set()
    used_values: set[int] = set()
    paired = []
    for _, label_index, value_index in candidates:
        if label_index in used_labels or value_index in used_values:
            continue
        used_labels.add(label_index)
        used_values.add(value_index)
        paired.append((labels[label_index], values[value_index]))
    return paired


# --- the whole report ------------------------------------------------------------------


def _union(first: Box, second: Box) -> Box:
    return (
        min(first[0], second[0]),
        min(first[1], second[1]),
        max(first[2], second[2]),
        max(first[3], second[3]),
    )


def _page_units(pieces: list[_Piece]) -> dict[str, str]:
    """The units a report prints most, per stored unit: a value printed without its unit
    on a report in pounds is in pounds too ({"kg": "lb"}, {"cm": "in"})."""
    printed = [_unit(piece.reading.unit) for piece in pieces if piece.reading]
    counts = {unit: sum(1 for known in printed if known and known[1] == unit) for unit in UNITS}
    page = {}
    if counts["lb"] > counts["kg"]:
        page["kg"] = "lb"
    if counts["in"] > counts["cm"]:
        page["cm"] = "in"
    return page


def _propose(
    name: tuple[_Name, float, str | None],
    reading: _Reading,
    confidence: float,
    box: Box,
    page_units: dict[str, str],
) -> tuple[str, Proposal | Dropped] | None:
    """The field a label and its value fill, or why the value is dropped; None when
    the unit says this is not the field the label names."""
    meaning, label_factor, hint = name
    # A label's own unit counts when the value has none ("Fat %"; not "Weight (today)").
    unit = reading.unit if reading.unit is not None else (hint if _unit(hint) else None)
    kind = _unit(unit)
    if kind is None:
        field, factor = meaning.default, label_factor * NO_UNIT_FACTOR
        unit = page_units.get(metrics.metric(field).unit)
    else:
        field_of_kind = GROUPS[meaning.group].get(kind[0])
        if field_of_kind is None:
            return None
        field, factor = field_of_kind, label_factor
    value = to_metric(field, float(reading.number), unit)
    found = metrics.metric(field)
    if not found.in_range(value):
        printed = reading.printed if reading.unit or not unit else f"{reading.printed} {unit}"
        return field, Dropped(field, f"read {printed}: {found.range_message()}")
    return field, Proposal(value, round(confidence * factor, 3), box)


def parse_boxes(boxes: Sequence[TextBox]) -> Parsed:
    """D15.2: the values a report's text shows, per field, with a confidence (the OCR's
    times how sure the label is); out-of-range values are dropped with a reason. Where a
    field is read twice, the surer reading wins."""
    pieces, units = _pieces(boxes)
    _attach_units(pieces, units)
    page_units = _page_units(pieces)
    found: list[tuple[str, Proposal | Dropped]] = []
    for piece in pieces:
        if piece.name and piece.reading:
            made = _propose(piece.name, piece.reading, piece.confidence, piece.box, page_units)
            if made:
                found.append(made)
    for label, value in _pairs(pieces):
        assert label.name is not None
        assert value.reading is not None
        confidence = min(label.confidence, value.confidence)
        made = _propose(
            label.name, value.reading, confidence, _union(label.box, value.box), page_units
        )
        if made:
            found.append(made)
    fields: dict[str, Proposal] = {}
    for field, outcome in found:
        if isinstance(outcome, Proposal) and (
            field not in fields or outcome.confidence > fields[field].confidence
        ):
            fields[field] = outcome
    dropped: dict[str, Dropped] = {}
    for field, outcome in found:
        if isinstance(outcome, Dropped) and field not in fields:
            dropped.setdefault(field, outcome)
    ordered = {name: fields[name] for name in metrics.FIELD_NAMES if name in fields}
    return Parsed(ordered, [dropped[name] for name in metrics.FIELD_NAMES if name in dropped])
