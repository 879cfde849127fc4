"""The `local_time` filter (kit/templating.py, issue 13 item 6): instants are stored in
UTC and shown on the viewer's wall clock (D1.1), across a DST change too."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from habitus.kit.templating import in_zone, templates


def test_an_instant_reads_as_each_zones_wall_clock() -> None:
    """D1.1: 15:30 UTC is 10:30 in New York (EST) and 21:00 in Kolkata; summer time
    moves New York's by an hour; a naive stored value is UTC."""
    moment = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
    assert in_zone(moment, "America/New_York") == "Tue 01 Dec, 10:30"
    assert in_zone(moment, "Asia/Kolkata") == "Tue 01 Dec, 21:00"
    assert in_zone(datetime(2026, 7, 1, 15, 30, tzinfo=UTC), "America/New_York", "%H:%M") == (
        "11:30"
    )
    assert in_zone(moment.replace(tzinfo=None), "Asia/Kolkata", "%H:%M") == "21:00"


def test_no_or_an_unknown_zone_shows_utc_and_says_so() -> None:
    moment = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
    assert in_zone(moment, None, "%H:%M") == "15:30 UTC"
    assert in_zone(moment, "Mars/Olympus", "%H:%M") == "15:30 UTC"


def test_the_filter_reads_the_viewer_of_the_page() -> None:
    page = templates.env.from_string("{{ when|local_time('%d %b %H:%M') }}")
    moment = datetime(2026, 12, 31, 22, 0, tzinfo=UTC)
    viewer = SimpleNamespace(timezone="Asia/Kolkata")
    assert page.render(when=moment, user=viewer) == "01 Jan 03:30"
    assert page.render(when=None, user=viewer) == ""
