"""The time an import may spend reading its file (`HABITUS_IMPORT_PARSE_SECONDS`).

Parsing runs in a thread of its own, so the clock cannot stop it from outside: each
reader asks its `Deadline` as it goes (SQLite through a progress handler, the others
every few hundred rows) and gives up with a 422 once the budget is spent. A hostile file
then costs one thread for at most the budget, whatever it holds.
"""

from __future__ import annotations

from habitus.imports.parsed import ImportRefused
from habitus.kit import clock

# How many rows a reader handles between two looks at the clock.
CHECK_EVERY = 512


class Deadline:
    """A time budget started now, on the monotonic clock (never the frozen test clock)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends = clock.monotonic() + seconds

    def passed(self) -> bool:
        return clock.monotonic() >= self._ends

    def refusal(self) -> ImportRefused:
        return ImportRefused(
            f"the file took longer than {self.seconds:g} seconds to read, the most an import "
            "may take (HABITUS_IMPORT_PARSE_SECONDS); split it or ask the administrator",
            "too_slow",
        )

    def check(self) -> None:
        """Raise the refusal once the budget is spent."""
        if self.passed():
            raise self.refusal()


def unlimited() -> Deadline:
    """For callers with no budget of their own (a parser called directly)."""
    return Deadline(float("inf"))
