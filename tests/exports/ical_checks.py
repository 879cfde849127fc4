"""RFC 5545 checks of an iCalendar answer, by parsing it back with the icalendar library."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from icalendar import Calendar


def valid_calendar(raw: bytes) -> Calendar:
    """Parse `raw` back and check what RFC 5545 requires of it and of each event:
    VERSION and PRODID; UID, DTSTAMP (UTC) and DTSTART on every VEVENT; CRLF line ends
    only; no line longer than 75 octets (longer content is folded)."""
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n"), raw[:40]
    assert raw.endswith(b"END:VCALENDAR\r\n"), raw[-40:]
    assert b"\n" not in raw.replace(b"\r\n", b""), "a bare LF"
    assert b"\r" not in raw.replace(b"\r\n", b""), "a bare CR"
    for line in raw.split(b"\r\n"):
        assert len(line) <= 75, line  # RFC 5545 3.1: lines SHOULD NOT exceed 75 octets
    calendar = Calendar.from_ical(raw)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]).startswith("-//Habitus//")
    uids = []
    for event in calendar.walk("VEVENT"):
        for name in ("UID", "DTSTAMP", "DTSTART"):
            assert name in event, f"{name} missing"
        stamp = event["DTSTAMP"].dt
        assert isinstance(stamp, datetime)
        assert stamp.utcoffset() == timedelta(0), "DTSTAMP must be in UTC"
        start = event["DTSTART"].dt
        assert not isinstance(start, datetime), "all-day: a DATE value"
        assert isinstance(start, date)
        end = event["DTEND"].dt
        assert not isinstance(end, datetime)
        assert (end - start).days == 1
        uids.append(str(event["UID"]))
    assert len(uids) == len(set(uids)), "UIDs repeat"
    return calendar


def calendar_of(response: httpx.Response) -> Calendar:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return valid_calendar(response.content)


def events(calendar: Calendar) -> list[Any]:
    return list(calendar.walk("VEVENT"))


def by_start(calendar: Calendar) -> dict[date, Any]:
    return {event["DTSTART"].dt: event for event in events(calendar)}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
