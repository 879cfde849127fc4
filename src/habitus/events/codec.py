"""Events to and from the log's rows: the one place that knows how a payload is written.

A payload holds an event's fields but `habit_id` and `local_date` (columns of their own)
and the `TRANSIENT` ones, as JSON values: dates as ISO text, UUIDs as text, tuples as
lists. A field whose default is None is left out while it is None.
"""

from __future__ import annotations

import dataclasses
import types
import typing
import uuid
from datetime import date
from functools import cache
from typing import Any

from habitus.events.kinds import DomainEvent, all_kinds

_COLUMNS = frozenset({"habit_id", "local_date"})


@cache
def _kinds() -> dict[str, type[DomainEvent]]:
    return all_kinds()


_FIELDS: dict[type[DomainEvent], tuple[tuple[dataclasses.Field[Any], Any], ...]] = {}


def _stored_fields(cls: type[DomainEvent]) -> tuple[tuple[dataclasses.Field[Any], Any], ...]:
    found = _FIELDS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = tuple(
            (item, hints[item.name])
            for item in dataclasses.fields(cls)
            if item.name not in _COLUMNS and not item.metadata.get("transient")
        )
        _FIELDS[cls] = found
    return found


def payload_of(event: DomainEvent) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    for item, _hint in _stored_fields(type(event)):
        value = getattr(event, item.name)
        if value is None and item.default is None:
            continue
        payload[item.name] = _to_json(value)
    return payload


def row_of(event: DomainEvent) -> dict[str, Any]:
    """The columns of the event's row, but `user_id`, `created_at` and `txid`."""
    return {
        "habit_id": event.habit_id,
        "local_date": event.local_date,
        "kind": event.kind,
        "payload": payload_of(event),
    }


def event_of(
    kind: str, habit_id: uuid.UUID | None, local_date: date | None, payload: dict[str, Any]
) -> DomainEvent:
    """The typed event a stored row holds. Payload keys the class does not know are
    ignored (an older writer's extras); a kind no class knows is a `LookupError`."""
    cls = _kinds().get(kind)
    if cls is None:
        raise LookupError(f"no event class stores the kind {kind!r}")
    values: dict[str, Any] = {"habit_id": habit_id, "local_date": local_date}
    for item, hint in _stored_fields(cls):
        if item.name in payload:
            values[item.name] = _from_json(payload[item.name], hint)
    return cls(**values)


def _to_json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, tuple | list):
        return [_to_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _to_json(item) for key, item in value.items()}
    return value


def _from_json(value: Any, hint: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [option for option in typing.get_args(hint) if option is not type(None)]
        return _from_json(value, options[0]) if len(options) == 1 else value
    if hint is date:
        return date.fromisoformat(value)
    if hint is uuid.UUID:
        return uuid.UUID(value)
    if origin is tuple:
        inner = typing.get_args(hint)[0]
        return tuple(_from_json(item, inner) for item in value)
    if hint is float and isinstance(value, int):
        return float(value)
    return value
