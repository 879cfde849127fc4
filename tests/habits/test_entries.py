"""Check-ins and entries (API.md "Habits", DOMAIN.md D4, D5, D7.4, notes N7, N8, N9)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from habitus.models import Entry, Event, IdempotencyKey
from tests.habits.helpers import (
    API,
    check_in,
    checked_in,
    count,
    create_habit,
    days_of,
    delete_entry,
    entry_put,
    error_fields,
    event_kinds,
    events_of,
    get_habit,
    patch_habit,
    problem,
    put_entry,
    table_counts,
    travel,
)


def kinds(answer: dict) -> list[str]:
    return [event["kind"] for event in answer["events"]]


# --- check-ins ---------------------------------------------------------------------------


async def test_check_in_without_idempotency_key_is_400(client, alice, db_session):
    """API.md Idempotency: POST /checkins requires Idempotency-Key (400 naming the header)."""
    habit = await create_habit(client, alice)
    response = await client.post(
        f"{API}/habits/{habit['id']}/checkins", json={}, headers=alice.headers
    )
    body = problem(response, 400)
    assert "Idempotency-Key" in body["detail"]
    assert error_fields(body) == ["Idempotency-Key"]
    assert await count(db_session, Entry) == 0


async def test_boolean_check_in_marks_today_done(client, alice, db_session):
    """API.md check-in: a boolean habit's day becomes done; the answer has streak and events."""
    habit = await create_habit(client, alice)
    response = await check_in(client, alice, habit["id"], note="first chapter")
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["entry"] == {
        "habit_id": habit["id"],
        "date": "2026-11-21",
        "status": "done",
        "value": None,
        "note": "first chapter",
        "logged_at": "2026-11-21T12:00:00Z",
        "source": "api",
    }
    assert answer["streak"]["current"] == 1
    assert answer["streak"]["longest"] == 1
    assert answer["streak"]["unit"] == "day"
    # D11.1 a coin for the day, D10.1 the first completed day ever (tests/gamification).
    assert kinds(answer) == [
        "habit_logged",
        "day_completed",
        "streak_extended",
        "coins_awarded",
        "achievement_unlocked",
    ]
    extended = answer["events"][2]
    assert extended["date"] == "2026-11-21"
    assert extended["payload"]["current"] == 1
    assert extended["payload"]["previous"] == 0
    assert "milestone" not in extended["payload"]
    after = await get_habit(client, alice, habit["id"])
    assert after["today"]["status"] == "done"
    assert after["streak"]["current"] == 1
    assert await count(db_session, Entry) == 1


async def test_check_in_replay_is_identical_and_writes_once(client, alice, db_session):
    """API.md Idempotency / D4.4: the same key and body replays the answer, writes nothing."""
    habit = await create_habit(client, alice, kind="measurable", target={"value": 3})
    first = await check_in(client, alice, habit["id"], key="tap-1", value=2)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    events_before = await count(db_session, Event)
    second = await check_in(client, alice, habit["id"], key="tap-1", value=2)
    assert second.status_code == 201
    assert second.content == first.content
    assert second.headers["idempotent-replayed"] == "true"
    assert await count(db_session, Entry) == 1
    assert await count(db_session, Event) == events_before
    assert (await get_habit(client, alice, habit["id"]))["today"]["value"] == 2.0


async def test_check_in_key_with_another_body_is_422(client, alice, db_session):
    """API.md Idempotency: the same key with a different body is 422, nothing written."""
    habit = await create_habit(client, alice, kind="measurable", target={"value": 3})
    assert (await check_in(client, alice, habit["id"], key="tap", value=1)).status_code == 201
    response = await check_in(client, alice, habit["id"], key="tap", value=5)
    assert error_fields(problem(response, 422)) == ["Idempotency-Key"]
    assert (await get_habit(client, alice, habit["id"]))["today"]["value"] == 1.0


async def test_check_in_key_reused_on_another_habit_is_422(client, alice, db_session):
    """API.md Idempotency: a key is one request; the same key on another habit is 422."""
    first = await create_habit(client, alice, name="First")
    second = await create_habit(client, alice, name="Second")
    assert (await check_in(client, alice, first["id"], key="one")).status_code == 201
    response = await check_in(client, alice, second["id"], key="one")
    assert error_fields(problem(response, 422)) == ["Idempotency-Key"]
    assert await count(db_session, Entry) == 1


async def test_keys_are_scoped_to_the_user(client, alice, bob, db_session):
    """API.md Idempotency: keys are per user; bob's key never replays alice's answer."""
    mine = await create_habit(client, alice)
    theirs = await create_habit(client, bob)
    assert (await check_in(client, alice, mine["id"], key="same")).status_code == 201
    response = await check_in(client, bob, theirs["id"], key="same")
    assert response.status_code == 201, response.text
    assert "idempotent-replayed" not in response.headers
    assert response.json()["entry"]["habit_id"] == theirs["id"]
    assert await count(db_session, Entry) == 2
    assert await count(db_session, IdempotencyKey) == 2


async def test_repeated_boolean_check_in_changes_nothing(client, alice, db_session):
    """N8: on a yes/no habit a second check-in (another key) leaves the day done, counted once."""
    habit = await create_habit(client, alice)
    await checked_in(client, alice, habit["id"])
    again = await checked_in(client, alice, habit["id"])
    assert again["entry"]["status"] == "done"
    assert again["streak"]["current"] == 1
    assert kinds(again) == ["habit_logged"]  # no second day_completed or streak_extended
    assert await count(db_session, Entry) == 1


async def test_measurable_check_in_adds_to_the_day(client, alice):
    """N8: a measurable check-in adds `value` (default 1) to the day's value."""
    habit = await create_habit(
        client, alice, kind="measurable", target={"value": 3, "unit": "glasses"}
    )
    first = await checked_in(client, alice, habit["id"])
    assert first["entry"]["value"] == 1.0
    assert kinds(first) == ["habit_logged"]
    assert first["events"][0]["payload"]["value"] == 1.0
    second = await checked_in(client, alice, habit["id"], value=1.5)
    assert second["entry"]["value"] == 2.5
    assert second["events"][0]["payload"]["added"] == 1.5
    assert second["events"][0]["payload"]["value"] == 2.5
    assert second["streak"]["current"] == 0
    assert (await get_habit(client, alice, habit["id"]))["today"]["status"] == "pending"
    third = await checked_in(client, alice, habit["id"], value=0.5)
    assert third["entry"]["value"] == 3.0
    assert kinds(third) == [
        "habit_logged",
        "day_completed",
        "streak_extended",
        "coins_awarded",  # D11.1
        "achievement_unlocked",  # D10.1 first_checkin
    ]
    assert third["streak"]["current"] == 1
    today = await get_habit(client, alice, habit["id"])
    assert today["today"]["status"] == "done"
    assert today["today"]["value"] == 3.0


async def test_negative_check_in_subtracts_but_never_below_zero(client, alice, db_session):
    """N8: a negative value takes away; the day's value never goes below 0."""
    habit = await create_habit(
        client, alice, kind="measurable", target={"value": 3}, start_date="2026-11-20"
    )
    await checked_in(client, alice, habit["id"], value=2)
    less = await checked_in(client, alice, habit["id"], value=-0.5)
    assert less["entry"]["value"] == 1.5
    floor = await checked_in(client, alice, habit["id"], value=-10)
    assert floor["entry"]["value"] == 0.0
    fresh_day = await checked_in(client, alice, habit["id"], date="2026-11-20", value=-4)
    assert fresh_day["entry"]["value"] == 0.0
    assert await count(db_session, Entry) == 2


async def test_undoing_below_the_target_uncompletes_the_day(client, alice):
    """D4.2 / N8: a "-" tap that takes the value under the target makes today pending again."""
    habit = await create_habit(client, alice, kind="measurable", target={"value": 2})
    done = await checked_in(client, alice, habit["id"], value=2)
    assert done["streak"]["current"] == 1
    less = await checked_in(client, alice, habit["id"], value=-1)
    assert less["streak"]["current"] == 0
    assert "streak_broken" not in kinds(less)  # today can still be completed
    assert (await get_habit(client, alice, habit["id"]))["today"]["status"] == "pending"


async def test_check_in_turns_a_skipped_or_failed_day_done(client, alice):
    """N8: the check-in's status is done; a skipped or failed day becomes done."""
    habit = await create_habit(client, alice, start_date="2026-11-19")
    await entry_put(client, alice, habit["id"], "2026-11-20", status="skipped")
    await entry_put(client, alice, habit["id"], "2026-11-21", status="failed")
    for day in ("2026-11-20", "2026-11-21"):
        answer = await checked_in(client, alice, habit["id"], date=day)
        assert answer["entry"]["status"] == "done"
        assert answer["entry"]["date"] == day
    days = await days_of(client, alice, habit["id"], "2026-11-19", "2026-11-21")
    assert [day["outcome"] for day in days.values()] == ["missed", "done", "done"]


async def test_check_in_for_a_past_day_inside_the_window(client, alice):
    """D4.3: a check-in may name a date inside the backfill window."""
    habit = await create_habit(client, alice, start_date="2026-11-19")
    answer = await checked_in(client, alice, habit["id"], date="2026-11-19")
    assert answer["entry"]["date"] == "2026-11-19"
    assert answer["entry"]["logged_at"] == "2026-11-21T12:00:00Z"  # D1.5: when, not for when
    await checked_in(client, alice, habit["id"], date="2026-11-20")
    answer = await checked_in(client, alice, habit["id"])
    assert answer["streak"]["current"] == 3
    assert (answer["streak"]["current_start"], answer["streak"]["current_end"]) == (
        "2026-11-19",
        "2026-11-21",
    )


async def test_milestone_at_seven_days(client, alice, frozen_clock):
    """N9: streak_extended carries milestone 7 when the streak reaches 7 days."""
    start = datetime(2026, 11, 15, 7, 30, tzinfo=UTC)
    await travel(frozen_clock, client, alice, start)
    habit = await create_habit(client, alice)
    answers = []
    for offset in range(7):
        await travel(frozen_clock, client, alice, start + timedelta(days=offset))
        answers.append(await checked_in(client, alice, habit["id"]))
    for offset, answer in enumerate(answers):
        assert answer["streak"]["current"] == offset + 1
        extended = next(e for e in answer["events"] if e["kind"] == "streak_extended")
        assert extended["payload"]["current"] == offset + 1
        if offset < 6:
            assert "milestone" not in extended["payload"], extended
    seventh = next(e for e in answers[6]["events"] if e["kind"] == "streak_extended")
    assert seventh["payload"]["milestone"] == 7
    assert seventh["date"] == "2026-11-21"
    assert answers[6]["streak"]["current_start"] == "2026-11-15"
    # An eighth day passes the milestone without naming it again.
    await travel(frozen_clock, client, alice, start + timedelta(days=7))
    eighth = await checked_in(client, alice, habit["id"])
    extended = next(e for e in eighth["events"] if e["kind"] == "streak_extended")
    assert "milestone" not in extended["payload"]
    assert eighth["streak"]["current"] == 8


async def test_backfilled_day_joining_two_runs_reports_the_milestone(client, alice, db_session):
    """N9: a backfilled day that makes the streak jump past 7 carries milestone 7."""
    habit = await create_habit(client, alice, start_date="2026-11-13", backfill_days=None)
    for day in range(13, 22):
        if day != 17:
            await entry_put(client, alice, habit["id"], f"2026-11-{day}", status="done")
    assert (await get_habit(client, alice, habit["id"]))["streak"]["current"] == 4
    answer = await checked_in(client, alice, habit["id"], date="2026-11-17")
    assert answer["streak"]["current"] == 9
    extended = next(e for e in answer["events"] if e["kind"] == "streak_extended")
    assert extended["payload"]["milestone"] == 7
    assert extended["payload"]["previous"] == 4


async def test_quit_habit_slip_breaks_the_streak(client, alice, db_session):
    """D7.4 / N9: a slip (PUT failed) on a quit habit records streak_broken."""
    habit = await create_habit(client, alice, polarity="quit", start_date="2026-11-18")
    # D2.2: ended days without a slip are complete; today is pending.
    clean = await get_habit(client, alice, habit["id"])
    assert clean["streak"]["current"] == 3
    assert clean["today"]["status"] == "pending"
    entry = await entry_put(client, alice, habit["id"], "2026-11-21", status="failed")
    assert entry["status"] == "failed"
    slipped = await get_habit(client, alice, habit["id"])
    assert slipped["today"]["status"] == "missed"
    assert slipped["streak"]["current"] == 0
    assert slipped["streak"]["longest"] == 3
    events = await events_of(db_session, alice.id)
    broken = [event for event in events if event.kind == "streak_broken"]
    assert len(broken) == 1
    assert broken[0].habit_id == uuid.UUID(habit["id"])
    assert broken[0].local_date.isoformat() == "2026-11-21"
    assert broken[0].payload["previous"] == 3
    assert broken[0].payload["current"] == 0


async def test_quit_habit_marked_done_today_completes_early(client, alice):
    """N1: a quit habit's today becomes done early only when the user says so."""
    habit = await create_habit(client, alice, polarity="quit", start_date="2026-11-20")
    answer = await checked_in(client, alice, habit["id"])
    assert answer["streak"]["current"] == 2
    assert (await get_habit(client, alice, habit["id"]))["today"]["status"] == "done"


async def test_at_most_over_target_is_missed_today(client, alice, db_session):
    """D5: an at-most value above the target makes today missed and breaks the streak."""
    habit = await create_habit(
        client,
        alice,
        kind="measurable",
        target={"value": 2, "unit": "cups", "direction": "at_most"},
        start_date="2026-11-20",
    )
    first = await checked_in(client, alice, habit["id"], value=2)
    assert first["streak"]["current"] == 1  # yesterday, clean
    assert (await get_habit(client, alice, habit["id"]))["today"]["status"] == "pending"
    over = await checked_in(client, alice, habit["id"])
    assert over["entry"]["value"] == 3.0
    assert "streak_broken" in kinds(over)
    assert over["streak"]["current"] == 0
    assert (await get_habit(client, alice, habit["id"]))["today"]["status"] == "missed"


async def test_undoing_a_past_done_day_breaks_the_streak(client, alice, db_session):
    """D7.4: undoing a past done day inside the window records streak_broken."""
    habit = await create_habit(client, alice, start_date="2026-11-19")
    for day in ("2026-11-19", "2026-11-20", "2026-11-21"):
        await checked_in(client, alice, habit["id"], date=day)
    assert (await get_habit(client, alice, habit["id"]))["streak"]["current"] == 3
    response = await delete_entry(client, alice, habit["id"], "2026-11-20")
    assert response.status_code == 204
    after = await get_habit(client, alice, habit["id"])
    assert after["streak"]["current"] == 1
    assert after["streak"]["longest"] == 1
    events = await events_of(db_session, alice.id)
    assert [event.kind for event in events[-2:]] == ["entry_removed", "streak_broken"]
    assert events[-1].payload["previous"] == 3
    assert events[-1].payload["current"] == 1
    assert events[-1].local_date.isoformat() == "2026-11-20"


async def test_undoing_today_is_not_a_broken_streak(client, alice, db_session):
    """D7.4: undoing today's check-in leaves today pending, which breaks nothing."""
    habit = await create_habit(client, alice)
    await checked_in(client, alice, habit["id"])
    assert (await delete_entry(client, alice, habit["id"], "2026-11-21")).status_code == 204
    assert (await get_habit(client, alice, habit["id"]))["today"]["status"] == "pending"
    assert (await event_kinds(db_session, alice.id))[-1] == "entry_removed"


# --- PUT / DELETE / GET entries -------------------------------------------------------------


@pytest.mark.parametrize("status", ["done", "skipped", "failed"])
async def test_put_sets_the_day(client, alice, db_session, status):
    """D4.1: PUT sets the day's entry to done, skipped or failed, with a note."""
    habit = await create_habit(client, alice)
    entry = await entry_put(client, alice, habit["id"], "2026-11-21", status=status, note="hm")
    assert entry["status"] == status
    assert entry["date"] == "2026-11-21"
    assert entry["note"] == "hm"
    assert entry["value"] is None
    expected = {"done": "done", "skipped": "not_required", "failed": "missed"}[status]
    assert (await get_habit(client, alice, habit["id"]))["today"]["status"] == expected
    # PUT again replaces: still one entry.
    await entry_put(client, alice, habit["id"], "2026-11-21", status="done")
    assert await count(db_session, Entry) == 1


async def test_put_sets_a_measurable_value_exactly(client, alice):
    """D4.1: PUT replaces the day's value (a check-in adds to it)."""
    habit = await create_habit(client, alice, kind="measurable", target={"value": 5})
    await checked_in(client, alice, habit["id"], value=4)
    entry = await entry_put(client, alice, habit["id"], "2026-11-21", status="done", value=2.5)
    assert entry["value"] == 2.5
    skipped = await entry_put(client, alice, habit["id"], "2026-11-21", status="skipped", value=9)
    assert skipped["value"] is None
    failed = await entry_put(client, alice, habit["id"], "2026-11-21", status="failed")
    assert failed["value"] is None


async def test_note_up_to_1000_characters(client, alice, db_session):
    """D4.1: a note holds up to 1000 characters; 1001 is 422 naming `note`."""
    habit = await create_habit(client, alice)
    entry = await entry_put(
        client, alice, habit["id"], "2026-11-21", status="done", note="é" * 1000
    )
    assert entry["note"] == "é" * 1000
    response = await put_entry(
        client, alice, habit["id"], "2026-11-20", status="done", note="x" * 1001
    )
    assert error_fields(problem(response, 422)) == ["note"]
    response = await check_in(client, alice, habit["id"], note="x" * 1001)
    assert error_fields(problem(response, 422)) == ["note"]
    assert await count(db_session, Entry) == 1


async def test_delete_entry_undoes_the_day(client, alice, db_session):
    """API.md: DELETE /entries/{date} removes the day's entry (204); again is still 204."""
    habit = await create_habit(client, alice)
    await checked_in(client, alice, habit["id"])
    response = await delete_entry(client, alice, habit["id"], "2026-11-21")
    assert response.status_code == 204
    assert response.content == b""
    assert await count(db_session, Entry) == 0
    again = await delete_entry(client, alice, habit["id"], "2026-11-21")
    assert again.status_code == 204
    kinds_now = await event_kinds(db_session, alice.id)
    assert kinds_now.count("entry_removed") == 1  # nothing removed the second time


async def test_list_entries_between_dates(client, alice):
    """API.md: GET /entries?from&to lists the entries in the inclusive range, by date."""
    habit = await create_habit(client, alice, start_date="2026-11-01", backfill_days=None)
    for day in ("2026-11-21", "2026-11-03", "2026-11-10", "2026-11-01"):
        await entry_put(client, alice, habit["id"], day, status="done", note=day)
    response = await client.get(
        f"{API}/habits/{habit['id']}/entries",
        params={"from": "2026-11-03", "to": "2026-11-10"},
        headers=alice.headers,
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["date"] for item in items] == ["2026-11-03", "2026-11-10"]
    assert items[0]["note"] == "2026-11-03"
    assert set(items[0]) == {"habit_id", "date", "status", "value", "note", "logged_at", "source"}
    everything = await client.get(f"{API}/habits/{habit['id']}/entries", headers=alice.headers)
    assert [item["date"] for item in everything.json()["items"]] == [
        "2026-11-01",
        "2026-11-03",
        "2026-11-10",
        "2026-11-21",
    ]


# --- D4.3 backfill window, future, habit's life, archived ----------------------------------


async def test_outside_the_backfill_window_is_422_naming_the_window(client, alice, db_session):
    """D4.3: an entry outside the backfill window is 422 naming the window."""
    habit = await create_habit(client, alice, start_date="2026-11-01")
    await entry_put(client, alice, habit["id"], "2026-11-19", status="done")  # first day inside
    counts = await table_counts(db_session)
    window = "entries can be changed for 2026-11-19 to 2026-11-21"
    for response in (
        await put_entry(client, alice, habit["id"], "2026-11-18", status="done"),
        await check_in(client, alice, habit["id"], date="2026-11-18"),
        await delete_entry(client, alice, habit["id"], "2026-11-18"),
    ):
        body = problem(response, 422)
        assert window in body["detail"]
        assert error_fields(body) == ["date"]
        assert window in body["errors"][0]["message"]
    assert await table_counts(db_session) == counts


async def test_backfill_window_follows_the_habit_setting(client, alice):
    """D4.3: backfill_days is per habit; 0 means today only."""
    week = await create_habit(client, alice, start_date="2026-11-01", backfill_days=7)
    await entry_put(client, alice, week["id"], "2026-11-14", status="done")
    body = problem(await put_entry(client, alice, week["id"], "2026-11-13", status="done"), 422)
    assert "2026-11-14 to 2026-11-21" in body["detail"]
    today_only = await create_habit(client, alice, start_date="2026-11-01", backfill_days=0)
    await entry_put(client, alice, today_only["id"], "2026-11-21", status="done")
    body = problem(
        await put_entry(client, alice, today_only["id"], "2026-11-20", status="done"), 422
    )
    assert "today (2026-11-21)" in body["detail"]
    # Widening the window through PATCH opens the older days.
    await patch_habit(client, alice, today_only["id"], backfill_days=None)
    await entry_put(client, alice, today_only["id"], "2026-11-01", status="done")


async def test_future_dates_are_422(client, alice, db_session):
    """D4.3: an entry for a future date is 422, whatever the backfill setting."""
    habit = await create_habit(client, alice, backfill_days=None)
    for response in (
        await put_entry(client, alice, habit["id"], "2026-11-22", status="done"),
        await check_in(client, alice, habit["id"], date="2026-11-22"),
        await delete_entry(client, alice, habit["id"], "2026-11-22"),
    ):
        body = problem(response, 422)
        assert error_fields(body) == ["date"]
        assert "future" in body["detail"]
    assert await count(db_session, Entry) == 0


async def test_entries_before_start_or_after_end_are_422(client, alice, db_session):
    """N7: an entry before start_date or after end_date is refused, saying how to fix it."""
    late = await create_habit(client, alice, start_date="2026-11-21", backfill_days=None)
    body = problem(await put_entry(client, alice, late["id"], "2026-11-20", status="done"), 422)
    assert error_fields(body) == ["date"]
    assert "start" in body["detail"]
    assert "2026-11-21" in body["detail"]
    ended = await create_habit(
        client, alice, start_date="2026-11-01", end_date="2026-11-19", backfill_days=None
    )
    body = problem(await check_in(client, alice, ended["id"]), 422)
    assert error_fields(body) == ["date"]
    assert "2026-11-19" in body["detail"]
    body = problem(await put_entry(client, alice, ended["id"], "2026-11-20", status="done"), 422)
    assert error_fields(body) == ["date"]
    await entry_put(client, alice, ended["id"], "2026-11-19", status="done")
    assert await count(db_session, Entry) == 1


async def test_archived_habit_refuses_entries_with_409(client, alice, db_session):
    """N7 / D2.4: entries on an archived habit are refused (409); restore it first."""
    habit = await create_habit(client, alice)
    await checked_in(client, alice, habit["id"])
    await patch_habit(client, alice, habit["id"], archived=True)
    counts = await table_counts(db_session)
    for response in (
        await check_in(client, alice, habit["id"]),
        await put_entry(client, alice, habit["id"], "2026-11-21", status="failed"),
        await delete_entry(client, alice, habit["id"], "2026-11-21"),
    ):
        body = problem(response, 409)
        assert "restore" in body["detail"].lower()
    assert await table_counts(db_session) == counts
    entries = await client.get(f"{API}/habits/{habit['id']}/entries", headers=alice.headers)
    assert [item["status"] for item in entries.json()["items"]] == ["done"]  # history kept
    await patch_habit(client, alice, habit["id"], archived=False)
    assert (await delete_entry(client, alice, habit["id"], "2026-11-21")).status_code == 204
