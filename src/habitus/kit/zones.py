"""Which time-zone names a person may choose (D1.1), read from the tz database itself.

`zoneinfo.available_timezones()` lists every file on the zone path, including names no
place uses: `localtime` (whatever the server's clock says), `Factory` (a zone whose
abbreviation is "-00"), the POSIX-rule zones `EST5EDT` ... and `posix/` and `right/`
copies. Only the tz database's canonical zones for places (its `Z` lines whose names have
a region, `Etc/...` included) and `UTC` are accepted. Its backward links (`Asia/Calcutta`,
`US/Eastern`, `Europe/Kiev`), which browsers still report, are accepted and stored under
the canonical name they link to, so a stored zone is always canonical.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

# The name most people know for Etc/UTC, and the default every account starts with.
UTC_NAME = "UTC"


@lru_cache(maxsize=1)
def _tz_database() -> tuple[frozenset[str], dict[str, str]]:
    """(canonical zones, link name -> canonical zone), from tzdata's tzdata.zi."""
    text = resources.files("tzdata.zoneinfo").joinpath("tzdata.zi").read_text("utf-8")
    zones: set[str] = {UTC_NAME}
    links: dict[str, str] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "Z" and "/" in fields[1]:
            zones.add(fields[1])
        elif len(fields) == 3 and fields[0] == "L":
            links[fields[2]] = fields[1]
    return frozenset(zones), links


def canonical_zone(name: str) -> str | None:
    """The canonical zone `name` stands for, or None when it is not one a person may
    choose (unknown, or a name of no place such as `localtime` or `EST5EDT`)."""
    zones, links = _tz_database()
    if name in zones:
        return name
    target = links.get(name)
    # A link may point at another link in older data; follow a few steps.
    for _ in range(3):
        if target is None or target in zones:
            break
        target = links.get(target)
    if target == "Etc/UTC":
        return UTC_NAME
    return target if target in zones else None


def selectable_zones() -> frozenset[str]:
    """Every canonical zone name (for pickers and tests)."""
    return _tz_database()[0]
