"""The only place that reads "now". Tests freeze it with time-machine."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


def monotonic() -> float:
    """Seconds on a clock that never goes back, for durations."""
    return time.monotonic()


def epoch_seconds() -> float:
    """The current instant as Unix seconds (follows a frozen clock in tests)."""
    return now().timestamp()
