"""Form errors next to their fields (issue 12 item 4): one way for every page to turn a
pydantic `ValidationError`, an `AppError` (`ValidationFailed` and its `FieldError`s) or
a list of `FieldError`s into `{form field name: message}`, which the templates show as
`errors[field]` right after the field (`account/_macros.html`).

- API field names become form field names through `names`: an exact name
  (`"target.unit": "unit"`), or a prefix ending in a dot (`"config.": "channel_target"`);
  list positions are dropped first (`tags.0` is `tags`). Without `names` a field keeps
  its name. A field the form does not have goes to `fallback` (the top of the form), and
  so does an error that names no field.
- Messages are plain words: pydantic's own ("value is not a valid email address: ...",
  "Input should be a valid UUID, invalid character: ...") are reworded by their rule;
  a service's messages are written for people already and are kept. A page may reword
  further with `wording` (form field, rule, message, context) -> message.
- Every field's error is kept (the first for a field wins), not only the first error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from habitus.errors import AppError, FieldError, field_errors_from_pydantic

Wording = Callable[[str, str, str, Mapping[str, Any]], str]

# pydantic's rules, in plain words; `{name}` is filled from the error's context.
_PLAIN: dict[str, str] = {
    "missing": "Fill this in.",
    "string_type": "Write this as text.",
    "string_too_long": "Keep it to {max_length} characters or fewer.",
    "string_pattern_mismatch": "This is not in the expected form.",
    "too_short": "Choose at least {min_length}.",
    "too_long": "Choose at most {max_length}.",
    "greater_than": "Use more than {gt}.",
    "greater_than_equal": "Use {ge} or more.",
    "less_than": "Use less than {lt}.",
    "less_than_equal": "Use {le} or less.",
    "int_type": "Use a whole number, like 3.",
    "int_parsing": "Use a whole number, like 3.",
    "int_from_float": "Use a whole number, like 3.",
    "float_type": "Use a number, like 2 or 1.5.",
    "float_parsing": "Use a number, like 2 or 1.5.",
    "finite_number": "Use a number, like 2 or 1.5.",
    "decimal_parsing": "Use a number, like 2 or 1.5.",
    "bool_type": "Choose yes or no.",
    "bool_parsing": "Choose yes or no.",
    "literal_error": "Choose one of the options.",
    "enum": "Choose one of the options.",
    "uuid_type": "That choice is not known; reload the page and choose again.",
    "uuid_parsing": "That choice is not known; reload the page and choose again.",
    "uuid_version": "That choice is not known; reload the page and choose again.",
    "date_type": "Write the date like 2026-12-24.",
    "date_parsing": "Write the date like 2026-12-24.",
    "date_from_datetime_parsing": "Write the date like 2026-12-24.",
    "date_from_datetime_inexact": "Write the date like 2026-12-24.",
    "time_type": "Write the time like 18:30.",
    "time_parsing": "Write the time like 18:30.",
    "datetime_type": "Write the date and time like 2026-12-24 18:30.",
    "datetime_parsing": "Write the date and time like 2026-12-24 18:30.",
    "url_type": "Enter a full web address, like https://example.com/.",
    "url_parsing": "Enter a full web address, like https://example.com/.",
    "url_scheme": "Enter a full web address, like https://example.com/.",
}
EMAIL = "Enter a valid email address, like name@example.com."
# What pydantic's EmailStr says before email-validator's reason.
_PYDANTIC_EMAIL = "value is not a valid email address"


def plain_words(rule: str, message: str, ctx: Mapping[str, Any]) -> str:
    """A pydantic error (`rule`, `message`, context) in words for a person."""
    if rule == "value_error" and message.startswith(_PYDANTIC_EMAIL):
        reason = str(ctx.get("reason") or "").strip()
        return f"{EMAIL} {reason}" if reason else EMAIL
    if rule == "string_too_short":
        minimum = ctx.get("min_length", 1)
        return "Fill this in." if minimum == 1 else f"Use at least {minimum} characters."
    template = _PLAIN.get(rule)
    if template is None:
        return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):  # a context without the expected value
        return message


def form_field(
    api_field: str, names: Mapping[str, str] | None = None, fallback: str = "form"
) -> str:
    """The form field an API field's error goes next to."""
    parts = api_field.split(".") if api_field else []
    while parts and parts[-1].isdigit():
        parts.pop()
    name = ".".join(parts)
    if not name or name == "body":  # the input as a whole: the top of the form
        return fallback
    if names is None:
        return name
    if name in names:
        return names[name]
    prefixes = sorted((key for key in names if key.endswith(".")), key=len, reverse=True)
    for prefix in prefixes:
        if name.startswith(prefix):
            return names[prefix]
    return fallback


def form_errors(
    error: ValidationError | AppError | Iterable[FieldError],
    names: Mapping[str, str] | None = None,
    *,
    fallback: str = "form",
    wording: Wording | None = None,
) -> dict[str, str]:
    """`{form field: plain message}` for `error` (see the module's docstring)."""
    found: dict[str, str] = {}
    for field, rule, message, ctx in _problems(error, fallback):
        name = form_field(field, names, fallback)
        if wording is not None:
            message = wording(name, rule, message, ctx)
        found.setdefault(name, message)
    return found


def _problems(
    error: ValidationError | AppError | Iterable[FieldError], fallback: str
) -> list[tuple[str, str, str, Mapping[str, Any]]]:
    """(API field, rule, message in plain words, context) of each problem."""
    if isinstance(error, ValidationError):
        # As FastAPI reports a body: the location first, then the field's path (so
        # `field_errors_from_pydantic` names fields as the API does).
        raw: list[dict[str, Any]] = [
            {**item, "loc": ("body", *item["loc"])} for item in error.errors()
        ]
        problems: list[tuple[str, str, str, Mapping[str, Any]]] = []
        for item, named in zip(raw, field_errors_from_pydantic(raw), strict=True):
            ctx: Mapping[str, Any] = item.get("ctx") or {}
            message = plain_words(named.rule, named.message, ctx)
            problems.append((named.field, named.rule, message, ctx))
        return problems
    if isinstance(error, AppError):
        if not error.errors:
            return [(fallback, "invalid", error.message, {})]
        error = error.errors
    return [(item.field, item.rule, item.message, {}) for item in error]
