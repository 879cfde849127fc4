"""Reading a scale report with the configured vision model (issue 19, D15.2).

Only when the admin named a vision model (`HABITUS_LLM_VISION_MODEL`, with the LLM's base
URL) and only for the photo the user sent for this extraction: the photo goes as an
OpenAI `image_url` content part (a base64 data URL of the cleaned JPEG, no metadata),
temperature 0, a JSON answer checked here. Any failure (not configured, slow, refused,
an answer that is not the JSON asked for) raises `llm.LlmUnavailable`, and the caller
reads the photo offline instead and says why.
"""

from __future__ import annotations

import base64
import math
from typing import Any, Final

from habitus.health import metrics, report_parser
from habitus.health.report_parser import Dropped, Parsed, Proposal
from habitus.kit import llm

PURPOSE: Final = "health.extract"
# Models give no calibrated certainty; a value they read is proposed with this one
# unless the answer says otherwise (the user confirms every value anyway).
DEFAULT_CONFIDENCE: Final = 0.9
MAX_TOKENS: Final = 1200

INSTRUCTIONS: Final = (
    "You read photos of smart-scale and body-composition reports. Report every value "
    "printed on the photo that is one of these fields, with the unit printed beside it: "
    + ", ".join(metrics.FIELD_NAMES)
    + ". Use the field whose meaning matches the label (a percentage of muscle is "
    "muscle_pct, a mass of muscle is muscle_mass_kg). Copy numbers exactly as printed; "
    "never estimate or compute a value that is not printed; leave out fields you cannot "
    "read. Answer with JSON only."
)

ANSWER_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["values"],
    "properties": {
        "values": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["field", "value", "unit"],
                "properties": {
                    "field": {"type": "string", "enum": list(metrics.FIELD_NAMES)},
                    "value": {"type": "number"},
                    "unit": {"type": "string"},
                    "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                },
            },
        }
    },
}


def configured(client: llm.LlmClient, vision_model: str | None) -> bool:
    return client.configured and bool((vision_model or "").strip())


def request_messages(photo_jpeg: bytes) -> list[dict[str, Any]]:
    data_url = "data:image/jpeg;base64," + base64.b64encode(photo_jpeg).decode("ascii")
    return [
        {"role": "system", "content": INSTRUCTIONS},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Read the values on this report."},
                {"type": "image_url", "image_url": {"url": data_url}},
            ],
        },
    ]


async def read_photo(client: llm.LlmClient, photo_jpeg: bytes) -> tuple[Parsed, str]:
    """The values the model read and the model's name; LlmUnavailable when it could not
    (an answer that is not the JSON asked for is "malformed")."""
    answer = await client.chat(
        request_messages(photo_jpeg),
        purpose=PURPOSE,
        json_schema=ANSWER_SCHEMA,
        schema_name="scale_report",
        vision=True,
        temperature=0,
        max_tokens=MAX_TOKENS,
    )
    try:
        found = llm.parse_json_answer(answer.content)
    except ValueError as error:
        raise llm.LlmUnavailable("malformed", "the answer is not JSON") from error
    return parsed_answer(found), answer.model


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def parsed_answer(found: object) -> Parsed:
    """The model's JSON as proposals in metric units: values out of range are dropped
    with the reason; an answer of the wrong shape is "malformed" (the offline reader
    then answers). Unknown fields and unreadable items are left out: one bad item does
    not throw away the rest."""
    items = found.get("values") if isinstance(found, dict) else None
    if not isinstance(items, list):
        raise llm.LlmUnavailable("malformed", "the answer has no list of values")
    fields: dict[str, Proposal] = {}
    dropped: list[Dropped] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        name, value = item.get("field"), _number(item.get("value"))
        if not isinstance(name, str) or name not in metrics.BY_NAME or name in fields:
            continue
        if value is None:
            continue
        unit = item.get("unit") if isinstance(item.get("unit"), str) else None
        try:
            metric_value = report_parser.to_metric(name, value, unit)
        except ValueError:
            dropped.append(Dropped(name, f"the unit {unit!r} does not fit this field"))
            continue
        problems = metrics.out_of_range({name: metric_value})
        if problems:
            dropped.append(Dropped(name, problems[0].message))
            continue
        confidence = _number(item.get("confidence"))
        fields[name] = Proposal(
            value=metrics.stored(name, metric_value),
            confidence=DEFAULT_CONFIDENCE if confidence is None else min(1.0, max(0.0, confidence)),
            box=None,
        )
    return Parsed(fields=fields, dropped=dropped)
