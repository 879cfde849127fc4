"""GET /export/calendar.ics (API.md "Export and import", issue 5 "Export"): completed days
as all-day events, or the schedules as recurring events, valid per RFC 5545.

The clock is frozen at Saturday 2026-11-21 12:00 UTC; the users are in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
from dateutil.rrule import rrulestr

from tests.exports.ical_checks import by_start, calendar_of, events, valid_calendar
from tests.fixtures.personas import Persona
from tests.habits.helpers import (
    API,
    create_habit,
    days_of,
    entry_put,
    error_fields,
    patch_habit,
    problem,
)

URL = f"{API}/export/calendar.ics"


def d(text: str) -> date:
    return date.fromisoformat(text)


async def test_an_empty_account_gets_an_empty_valid_calendar(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 5 Export: the calendar is valid per RFC 5545 (VERSION, PRODID, CRLF), even
    with nothing in it; it is offered as a file."""
    response = await client.get(URL, headers=alice.headers)
    assert events(calendar_of(response)) == []
    assert response.headers["content-disposition"] == 'attachment; filename="habitus.ics"'


async def test_one_all_day_event_per_completed_day(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 5 Export: one all-day VEVENT per completed day, summary "✓ Read", a UID stable
    per habit and date (fetching again gives the same UIDs and the same bytes); skipped
    and failed days are not completed (D4.2)."""
    habit = await create_habit(
        client, alice, name="Read", start_date="2026-11-01", backfill_days=None
    )
    await entry_put(client, alice, habit["id"], "2026-11-17", status="failed")
    await entry_put(client, alice, habit["id"], "2026-11-18", status="done", note="Dune, ch. 4")
    await entry_put(client, alice, habit["id"], "2026-11-19", status="skipped")
    await entry_put(client, alice, habit["id"], "2026-11-20", status="done")

    first = await client.get(URL, headers=alice.headers)
    calendar = calendar_of(first)
    days = by_start(calendar)
    assert sorted(days) == [d("2026-11-18"), d("2026-11-20")]
    event = days[d("2026-11-18")]
    assert str(event["SUMMARY"]) == "\N{CHECK MARK} Read"
    assert str(event["UID"]) == f"{habit['id']}-20261118@habitus"
    assert event["DTEND"].dt == d("2026-11-19")
    assert str(event["DESCRIPTION"]) == "Dune, ch. 4"
    assert str(event["TRANSP"]) == "TRANSPARENT"

    again = await client.get(URL, headers=alice.headers)
    assert again.content == first.content, "a second fetch must not change any event"


async def test_completion_follows_the_domain_rules(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """D4.2/D5: a measurable habit is complete at its target (below is not); a quit
    habit's ended day without a slip is complete, today is not yet; an extra day the user
    logged on a day that was not required is a completed day too."""
    run = await create_habit(
        client,
        alice,
        name="Run",
        kind="measurable",
        target={"value": 5, "unit": "km"},
        start_date="2026-11-19",
    )
    await entry_put(client, alice, run["id"], "2026-11-20", status="done", value=3)
    await entry_put(client, alice, run["id"], "2026-11-21", status="done", value=6)
    smoke = await create_habit(
        client, alice, name="No smoking", polarity="quit", start_date="2026-11-18"
    )
    await entry_put(client, alice, smoke["id"], "2026-11-19", status="failed")
    gym = await create_habit(
        client,
        alice,
        name="Gym",
        schedule={"type": "weekdays", "days": ["mon"]},
        start_date="2026-11-09",
        backfill_days=None,
    )
    await entry_put(client, alice, gym["id"], "2026-11-16", status="done")  # a Monday
    await entry_put(client, alice, gym["id"], "2026-11-18", status="done")  # a Wednesday

    calendar = calendar_of(await client.get(URL, headers=alice.headers))
    seen = {(str(event["SUMMARY"]), event["DTSTART"].dt) for event in events(calendar)}
    assert seen == {
        ("\N{CHECK MARK} Run", d("2026-11-21")),
        ("\N{CHECK MARK} No smoking", d("2026-11-18")),
        ("\N{CHECK MARK} No smoking", d("2026-11-20")),
        ("\N{CHECK MARK} Gym", d("2026-11-16")),
        ("\N{CHECK MARK} Gym", d("2026-11-18")),
    }
    run_day = next(e for e in events(calendar) if str(e["SUMMARY"]).endswith("Run"))
    assert str(run_day["DESCRIPTION"]) == "6 km (target: at least 5 km)"


async def test_long_names_are_folded_and_read_back_whole(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """RFC 5545 3.1: lines longer than 75 octets are folded (multi-byte characters
    included) and unfold to the original text; commas and semicolons are escaped."""
    name = "Lire « Les Misérables », tome 1; chapitre 2 — " + "é" * 120
    note = ("a note, with; every\nkind of \\ character " * 5).strip()
    habit = await create_habit(client, alice, name=name[:200])
    await entry_put(client, alice, habit["id"], "2026-11-21", status="done", note=note[:1000])
    response = await client.get(URL, headers=alice.headers)
    assert b"\r\n " in response.content  # a folded line
    (event,) = events(calendar_of(response))
    assert str(event["SUMMARY"]) == "\N{CHECK MARK} " + name[:200]
    assert str(event["DESCRIPTION"]) == note[:1000]


async def test_window_and_habit_filters(client: httpx.AsyncClient, alice: Persona) -> None:
    """Issue 5 Export: `from`/`to` and `habit_id` narrow the completed days."""
    read = await create_habit(
        client, alice, name="Read", start_date="2026-11-01", backfill_days=None
    )
    walk = await create_habit(
        client, alice, name="Walk", start_date="2026-11-01", backfill_days=None
    )
    for day in ("2026-11-10", "2026-11-15", "2026-11-20"):
        for habit in (read, walk):
            await entry_put(client, alice, habit["id"], day, status="done")
    calendar = calendar_of(
        await client.get(
            URL,
            params={"from": "2026-11-11", "to": "2026-11-20", "habit_id": walk["id"]},
            headers=alice.headers,
        )
    )
    assert sorted((str(e["SUMMARY"]), e["DTSTART"].dt) for e in events(calendar)) == [
        ("\N{CHECK MARK} Walk", d("2026-11-15")),
        ("\N{CHECK MARK} Walk", d("2026-11-20")),
    ]


async def test_bad_parameters_and_other_peoples_habits(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """Common rules: bad input is a 422 naming the field; another user's habit is 404;
    no token is 401."""
    for params, field in (
        ({"kind": "everything"}, "kind"),
        ({"from": "soon"}, "from"),
        ({"from": "2026-11-20", "to": "2026-11-01"}, "to"),
        ({"habit_id": "42"}, "habit_id"),
    ):
        body = problem(await client.get(URL, params=params, headers=alice.headers), 422)
        assert error_fields(body) == [field], params
    habit = await create_habit(client, alice, name="Hers")
    for kind in ("done", "schedule"):
        problem(
            await client.get(
                URL, params={"kind": kind, "habit_id": habit["id"]}, headers=charlie.headers
            ),
            404,
        )
    problem(await client.get(URL), 401)
    his = await client.get(URL, params={"kind": "schedule"}, headers=charlie.headers)
    assert events(calendar_of(his)) == []


# --- ?kind=schedule -----------------------------------------------------------------------


async def schedule_events(client: httpx.AsyncClient, persona: Persona) -> dict[str, list]:
    response = await client.get(URL, params={"kind": "schedule"}, headers=persona.headers)
    assert response.headers["content-disposition"].endswith('filename="habitus-schedules.ics"')
    found: dict[str, list] = {}
    for event in events(calendar_of(response)):
        name = str(event["SUMMARY"]).split(" (")[0]
        found.setdefault(name, []).append(event)
    for items in found.values():
        items.sort(key=lambda event: event["DTSTART"].dt)
    return found


def rule(event) -> dict[str, list]:
    return {key: list(value) for key, value in event["RRULE"].items()}


async def test_schedules_become_recurring_events(client: httpx.AsyncClient, alice: Persona) -> None:
    """Issue 5 Export, ?kind=schedule: daily -> RRULE FREQ=DAILY; weekdays -> WEEKLY with
    BYDAY (starting on the first matching day); every n days -> DAILY with INTERVAL;
    `dates` -> DTSTART and RDATE; times per week/month -> a weekly/monthly reminder on the
    period's first day, with a description; archived habits are left out (D2.4)."""
    await create_habit(client, alice, name="Daily", start_date="2026-11-01")
    await create_habit(
        client,
        alice,
        name="Weekdays",
        schedule={"type": "weekdays", "days": ["fri", "mon", "wed"]},
    )
    await create_habit(
        client,
        alice,
        name="Every3",
        schedule={"type": "every_n_days", "n": 3},
        start_date="2026-11-02",
    )
    await create_habit(
        client,
        alice,
        name="Dates",
        schedule={"type": "dates", "dates": ["2026-12-31", "2026-12-24"]},
    )
    await create_habit(
        client,
        alice,
        name="Weekly",
        schedule={"type": "times_per_period", "times": 3, "period": "week"},
    )
    await create_habit(
        client,
        alice,
        name="Monthly",
        schedule={"type": "times_per_period", "times": 2, "period": "month"},
        kind="measurable",
        target={"value": 10, "unit": "pages"},
    )
    archived = await create_habit(client, alice, name="Archived")
    assert (await patch_habit(client, alice, archived["id"], archived=True)).status_code == 200

    found = await schedule_events(client, alice)
    assert set(found) == {"Daily", "Weekdays", "Every3", "Dates", "Weekly", "Monthly"}
    assert all(len(items) == 1 for items in found.values())
    daily, weekdays, every3, dates, weekly, monthly = (
        found[name][0] for name in ("Daily", "Weekdays", "Every3", "Dates", "Weekly", "Monthly")
    )
    assert daily["DTSTART"].dt == d("2026-11-01")
    assert rule(daily) == {"FREQ": ["DAILY"]}
    assert weekdays["DTSTART"].dt == d("2026-11-23")  # the first Monday from Saturday the 21st
    assert rule(weekdays) == {"FREQ": ["WEEKLY"], "BYDAY": ["MO", "WE", "FR"], "WKST": ["MO"]}
    assert every3["DTSTART"].dt == d("2026-11-02")
    assert rule(every3) == {"FREQ": ["DAILY"], "INTERVAL": [3]}
    assert dates["DTSTART"].dt == d("2026-12-24")
    assert "RRULE" not in dates
    assert [day.dt for day in dates["RDATE"].dts] == [d("2026-12-31")]
    assert weekly["DTSTART"].dt == d("2026-11-16")  # the week (from Monday) of the start
    assert rule(weekly) == {"FREQ": ["WEEKLY"], "WKST": ["MO"]}
    assert str(weekly["SUMMARY"]) == "Weekly (3 times this week)"
    assert "3 times a week" in str(weekly["DESCRIPTION"])
    assert monthly["DTSTART"].dt == d("2026-11-01")
    assert rule(monthly) == {"FREQ": ["MONTHLY"], "BYMONTHDAY": [1]}
    assert "Target: at least 10 pages a day." in str(monthly["DESCRIPTION"])


async def test_schedule_versions_and_breaks(client: httpx.AsyncClient, alice: Persona) -> None:
    """D3 versions: a schedule change ends the old recurrence the day before (UNTIL) and
    starts a new one; a habit's end date ends the last; break days are EXDATEs (D3.2).
    Week starts follow the user's setting (WKST)."""
    await client.patch(f"{API}/me", json={"week_start": "sun"}, headers=alice.headers)
    habit = await create_habit(
        client, alice, name="Yoga", start_date="2026-11-01", end_date="2027-01-31"
    )
    changed = await patch_habit(
        client, alice, habit["id"], schedule={"type": "weekdays", "days": ["tue", "thu"]}
    )
    assert changed.status_code == 200, changed.text
    paused = await client.post(
        f"{API}/breaks",
        json={"start_date": "2026-11-24", "end_date": "2026-11-27"},
        headers=alice.headers,
    )
    assert paused.status_code == 201, paused.text

    old, new = (await schedule_events(client, alice))["Yoga"]
    assert old["DTSTART"].dt == d("2026-11-01")
    assert rule(old) == {"FREQ": ["DAILY"], "UNTIL": [d("2026-11-20")]}
    assert new["DTSTART"].dt == d("2026-11-24")  # the first Tuesday from the 21st
    assert rule(new) == {
        "FREQ": ["WEEKLY"],
        "UNTIL": [d("2027-01-31")],
        "BYDAY": ["TU", "TH"],
        "WKST": ["SU"],
    }
    assert [day.dt for day in new["EXDATE"].dts] == [d("2026-11-24"), d("2026-11-26")]
    assert str(old["UID"]) != str(new["UID"])


async def test_recurrences_expand_to_the_required_days(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """D3: expanded by a standard RRULE engine (dateutil), each schedule event gives
    exactly the days Habitus requires (GET /days: outcome other than not_required)."""
    schedules = [
        {"type": "every_n_days", "n": 3},
        {"type": "every_n_days", "n": 7},
        {"type": "weekdays", "days": ["tue", "sat", "sun"]},
        {"type": "daily"},
    ]
    for index, schedule in enumerate(schedules):
        await create_habit(
            client, alice, name=f"H{index}", schedule=schedule, start_date="2026-09-29"
        )
    found = await schedule_events(client, alice)
    habits = (await client.get(f"{API}/habits", headers=alice.headers)).json()["items"]
    for habit in habits:
        (event,) = found[habit["name"]]
        start = event["DTSTART"].dt
        expanded = rrulestr(
            event["RRULE"].to_ical().decode(),
            dtstart=datetime(start.year, start.month, start.day, tzinfo=UTC),
        )
        occurrences = {
            moment.date()
            for moment in expanded.between(
                datetime(2026, 9, 29, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC), inc=True
            )
        }
        days = await days_of(client, alice, habit["id"], "2026-09-29", "2026-11-21")
        required = {d(day) for day, item in days.items() if item["outcome"] != "not_required"}
        assert occurrences == required, habit["name"]


async def test_schedule_event_uids_are_stable(client: httpx.AsyncClient, alice: Persona) -> None:
    """Issue 5 Export: re-importing the schedules updates the events (same UIDs)."""
    habit = await create_habit(client, alice, name="Read")
    first = await schedule_events(client, alice)
    second = await schedule_events(client, alice)
    assert str(first["Read"][0]["UID"]) == str(second["Read"][0]["UID"])
    assert str(first["Read"][0]["UID"]) == f"{habit['id']}-schedule-20261121@habitus"


def test_the_checker_catches_bad_documents() -> None:
    """The RFC checks themselves can fail: a bare LF, an overlong line, a missing UID."""
    good = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Habitus//x//EN\r\n"
        b"BEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20261121T120000Z\r\nDTSTART;VALUE=DATE:20261121\r\n"
        b"DTEND;VALUE=DATE:20261122\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    valid_calendar(good)
    for bad in (
        good.replace(b"VERSION:2.0\r\n", b"VERSION:2.0\n"),
        good.replace(b"UID:a", b"UID:" + b"a" * 80),
        good.replace(b"UID:a\r\n", b""),
        good.replace(b"DTSTART;VALUE=DATE:20261121", b"DTSTART:20261121T080000Z"),
    ):
        try:
            valid_calendar(bad)
        except (AssertionError, KeyError, ValueError):
            continue
        raise AssertionError(f"accepted {bad!r}")
