"""exports.ical: the fast serialisation of completed days says exactly what the
icalendar library's own event says (issue 5 Export: valid per RFC 5545)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from habitus.exports import ical
from tests.exports.ical_checks import valid_calendar

PROPERTIES = ("UID", "DTSTART", "DTEND", "DTSTAMP", "SUMMARY", "DESCRIPTION", "TRANSP")

texts = st.text(min_size=1, max_size=300).filter(lambda text: "\x00" not in text)


def parsed(events: list[bytes]) -> list[dict[str, object]]:
    calendar = valid_calendar(b"".join(ical.stream(ical.calendar_head("t", "t"), events)))
    assert isinstance(calendar, Calendar)
    return [
        {name: (event[name].to_ical() if name in event else None) for name in PROPERTIES}
        | {"CATEGORIES": event["CATEGORIES"].to_ical()}
        for event in calendar.walk("VEVENT")
    ]


@settings(max_examples=150, deadline=None)
@given(
    days=st.lists(
        st.tuples(
            st.dates(min_value=date(1900, 1, 2), max_value=date(2199, 12, 30)),
            st.datetimes(
                min_value=datetime(1970, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
                max_value=datetime(2199, 1, 1),  # noqa: DTZ001
                timezones=st.just(UTC),
            ),
            st.none() | texts,
        ),
        min_size=1,
        max_size=5,
        unique_by=lambda item: item[0],
    ),
    name=texts.map(lambda text: text.strip() or "x"),
)
def test_fast_events_equal_the_librarys(
    days: list[tuple[date, datetime, str | None]], name: str
) -> None:
    """Every property of each fast-serialised day (UID, dates, DTSTAMP, the summary and a
    description with any characters, folded) reads back as the library's event does."""
    habit_id = uuid.uuid4()
    done = [ical.DoneDay(habit_id, name, day, stamp, detail) for day, stamp, detail in days]
    fast = ical.DoneEvents()
    assert parsed([fast(item) for item in done]) == parsed(
        [ical.done_event(item).to_ical() for item in done]
    )


def test_the_stand_in_day_itself_is_served_right() -> None:
    """A real day equal to the stand-in (1900-01-01) still gets its own lines."""
    day = ical.DoneDay(uuid.UUID(int=5), "Read", date(1900, 1, 1), datetime(1900, 1, 1, tzinfo=UTC))
    (event,) = parsed([ical.DoneEvents()(day)])
    assert event["DTSTART"] == b"19000101"
    assert event["DTEND"] == b"19000102"
