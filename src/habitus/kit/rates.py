"""A rate such as "5/15minutes", as written in settings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Rate:
    """`count` events per `period_seconds`, allowed as a burst and refilled evenly."""

    count: int
    period_seconds: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        match = _PATTERN.match(text)
        if match is None:
            raise ValueError(
                f"{text!r} is not a rate; write it as <count>/<period>, "
                "for example 5/15minutes or 600/minute"
            )
        count, multiple, unit = int(match[1]), int(match[2] or 1), match[3].lower()
        if count < 1 or multiple < 1:
            raise ValueError(f"{text!r}: count and period must be at least 1")
        return cls(count=count, period_seconds=float(multiple * _UNITS[unit]))

    @property
    def interval(self) -> float:
        """Seconds between two events at the steady rate."""
        return self.period_seconds / self.count

    def __str__(self) -> str:
        return f"{self.count}/{int(self.period_seconds)}seconds"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def validate(value: Any) -> Rate:
            if isinstance(value, Rate):
                return value
            if isinstance(value, str):
                return cls.parse(value)
            raise ValueError("a rate is a string such as 5/15minutes")

        return core_schema.no_info_plain_validator_function(
            validate, serialization=core_schema.to_string_ser_schema()
        )
