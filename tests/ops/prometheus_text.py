"""Reading Prometheus text expositions in tests (issue 22)."""

from __future__ import annotations

import re


def exposed_series(exposition: str) -> set[str]:
    """The series names a Prometheus text exposition lets a query read."""
    names: set[str] = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", exposition, re.MULTILINE):
        if kind in ("histogram", "summary"):
            names |= {f"{name}_bucket", f"{name}_count", f"{name}_sum"}
        else:
            names.add(name)
    return names
