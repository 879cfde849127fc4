"""Issue 4 Habits pages: the list (order, filters, archive, restore, delete, reorder) and the
create / edit form with every schedule type of DOMAIN.md D3, over the same services as the
API. The clock is frozen at Sat 2026-11-21 (tests/habits/conftest.py)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from habitus.models import Habit, HabitSchedule
from tests.admin.test_web import element
from tests.fixtures.personas import Persona
from tests.fixtures.web import browser, form_csrf_token, web_login
from tests.habits.helpers import (
    API,
    TODAY,
    checked_in,
    count,
    create_habit,
    get_habit,
    patch_habit,
)

_ITEM = re.compile(r'<li class="hl-item" id="habit-([0-9a-f-]{36})" data-habit-id')


@asynccontextmanager
async def signed_in(
    client: httpx.AsyncClient, persona: Persona
) -> AsyncIterator[httpx.AsyncClient]:
    """A browser of its own, signed in as `persona` through the /login form."""
    async with browser(client) as other:
        await web_login(other, persona.email, persona.password)
        yield other


async def page(web: httpx.AsyncClient, path: str) -> str:
    response = await web.get(path)
    assert response.status_code == 200, response.text
    return response.text


def listed(html: str) -> list[str]:
    """Ids of the active habits on /habits, top to bottom."""
    return _ITEM.findall(html)


async def post_form(
    web: httpx.AsyncClient, path: str, form_page: str, **fields: Any
) -> httpx.Response:
    """Submit a form of `form_page` (its CSRF token) to `path`."""
    token = form_csrf_token(await page(web, form_page))
    return await web.post(path, data={"csrf_token": token, **fields})


async def habits_of(
    client: httpx.AsyncClient, persona: Persona, archived: bool = False
) -> list[dict[str, Any]]:
    response = await client.get(
        f"{API}/habits", params={"archived": str(archived).lower()}, headers=persona.headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def error_of(html: str, field: str) -> str:
    """The message shown next to `field`; the field points at it (aria-describedby)."""
    found = element(html, f"{field}-error")
    assert found is not None, f"no error next to {field}"
    return found[0]


def value_of(html: str, field_id: str) -> str:
    found = element(html, field_id)
    assert found is not None, f"no field {field_id}"
    return found[0]


BASE_FORM = {
    "name": "Read",
    "kind": "boolean",
    "polarity": "build",
    "schedule_type": "daily",
    "start_date": TODAY.isoformat(),
    "backfill_days": "2",
    "color": "#0f766e",
}


# --- the list ------------------------------------------------------------------------------------


async def test_list_shows_habits_in_order_with_words_streak_and_filters(client, alice):
    """Issue 4 Habits: every habit in the user's order, with its schedule in plain words
    (D3), category, tags and current streak; category and tag chips filter the list."""
    read = await create_habit(
        client, alice, name="Read", category="Mind", tags=["morning"], color="#2563eb"
    )
    run = await create_habit(
        client,
        alice,
        name="Run",
        category="Health",
        tags=["Outdoors", "morning"],
        schedule={"type": "weekdays", "days": ["mon", "wed", "fri"]},
    )
    water = await create_habit(
        client,
        alice,
        name="Water",
        kind="measurable",
        target={"value": 2, "unit": "L", "direction": "at_least"},
        schedule={"type": "times_per_period", "times": 3, "period": "week"},
    )
    await checked_in(client, alice, read["id"])
    async with signed_in(client, alice) as web:
        html = await page(web, "/habits")
        assert listed(html) == [read["id"], run["id"], water["id"]]
        assert "Mon, Wed and Fri" in html
        assert "3 times a week · At least 2 L a day" in html
        assert f'href="/habits/{read["id"]}"' in html
        read_item = element(html, f"habit-{read['id']}")
        assert read_item is not None
        assert "1 day current streak" in read_item[0]
        assert 'fill="#2563eb"' in html
        # Filters are links (no JS needed).
        assert 'href="/habits?category=Health"' in html
        assert 'href="/habits?tag=Outdoors"' in html
        health = await page(web, "/habits?category=Health")
        assert listed(health) == [run["id"]]
        morning = await page(web, "/habits?tag=MORNING")
        assert listed(morning) == [read["id"], run["id"]]
        # In a filtered view the order cannot be changed (neighbours are hidden).
        assert "/move" not in morning
        assert "/move" in html


async def test_empty_list_invites_a_first_habit(client, alice):
    """Issue 4 Habits: with no habit yet, the page says how to start."""
    async with signed_in(client, alice) as web:
        html = await page(web, "/habits")
    assert "No habits yet" in html
    assert 'href="/habits/new"' in html


async def test_signed_out_visitor_is_sent_to_sign_in(client):
    """Issue 4: pages need a browser session; a visitor goes to /login?next=..."""
    for path in ("/habits", "/habits/new"):
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next={path}"


# --- create, every schedule type (D3) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "schedule", "words"),
    [
        ({"schedule_type": "daily"}, {"type": "daily"}, "Every day"),
        (
            {"schedule_type": "weekdays", "day_mon": "on", "day_wed": "on", "day_fri": "on"},
            {"type": "weekdays", "days": ["mon", "wed", "fri"]},
            "Mon, Wed and Fri",
        ),
        (
            {"schedule_type": "every_n_days", "every_n": "3"},
            {"type": "every_n_days", "n": 3},
            "Every 3 days",
        ),
        (
            {"schedule_type": "times_per_period", "times": "3", "period": "week"},
            {"type": "times_per_period", "times": 3, "period": "week"},
            "3 times a week",
        ),
        (
            {"schedule_type": "times_per_period", "times": "12", "period": "month"},
            {"type": "times_per_period", "times": 12, "period": "month"},
            "12 times a month",
        ),
        (
            {"schedule_type": "dates", "dates": "2026-12-31\n2026-12-24, 2027-01-01"},
            {"type": "dates", "dates": ["2026-12-24", "2026-12-31", "2027-01-01"]},
            "On Thu 24 Dec, Thu 31 Dec and Fri 1 Jan 2027",
        ),
    ],
)
async def test_create_each_schedule_type(client, alice, fields, schedule, words):
    """D3: each schedule type made through the form is the habit the API holds; only the
    chosen type's fields count (the others, all visible without JS, are ignored)."""
    async with signed_in(client, alice) as web:
        form = {
            **BASE_FORM,
            # Fields of other types, filled in but not chosen.
            "every_n": "9",
            "times": "5",
            "dates": "2026-12-01",
            **fields,
        }
        if fields["schedule_type"] != "weekdays":
            form["day_sun"] = "on"
        response = await post_form(web, "/habits/new", "/habits/new", **form)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/habits"
        html = await page(web, "/habits")
        assert f"Created \u2018Read\u2019: {words}." in html
        assert words in html
    [habit] = await habits_of(client, alice)
    assert habit["schedule"] == schedule
    assert habit["name"] == "Read"
    assert habit["kind"] == "boolean"
    assert habit["backfill_days"] == 2


async def test_create_measurable_with_every_field(client, alice):
    """D2.1/D2.3/D4.3: a measurable habit with target, unit and direction, description,
    dates, category, tags, a custom colour and an unlimited backfill window."""
    async with signed_in(client, alice) as web:
        response = await post_form(
            web,
            "/habits/new",
            "/habits/new",
            **{
                **BASE_FORM,
                "name": "  Water  ",
                "description": "Before lunch",
                "kind": "measurable",
                "target_value": "2,5",
                "unit": "L",
                "direction": "at_least",
                "start_date": "2026-11-01",
                "end_date": "2027-03-01",
                "category": "Health",
                "tags": "morning, body ,",
                "color": "custom",
                "color_custom": "#123456",
                "backfill_unlimited": "on",
            },
        )
        assert response.status_code == 303, response.text
    [habit] = await habits_of(client, alice)
    assert habit["name"] == "Water"
    assert habit["description"] == "Before lunch"
    assert habit["target"] == {"value": 2.5, "unit": "L", "direction": "at_least"}
    assert (habit["start_date"], habit["end_date"]) == ("2026-11-01", "2027-03-01")
    assert habit["category"] == "Health"
    assert habit["tags"] == ["morning", "body"]
    assert habit["color"] == "#123456"
    assert habit["backfill_days"] is None


async def test_create_quit_habit(client, alice):
    """D2.2 / notes N2: a quit habit, measured at most; its words start with "Quit:"."""
    async with signed_in(client, alice) as web:
        response = await post_form(
            web,
            "/habits/new",
            "/habits/new",
            **{
                **BASE_FORM,
                "name": "Coffee",
                "polarity": "quit",
                "kind": "measurable",
                "target_value": "3",
                "unit": "cups",
                "direction": "at_most",
            },
        )
        assert response.status_code == 303, response.text
        html = await page(web, "/habits")
    assert "Quit: every day · At most 3 cups a day" in html
    [habit] = await habits_of(client, alice)
    assert habit["polarity"] == "quit"


BAD_INPUT = [
    ({"name": "   "}, "name", "Give the habit a name."),
    ({"name": "x" * 201}, "name", "Keep it to 200 characters or fewer."),
    ({"description": "d" * 2001}, "description", "Keep it to 2000 characters or fewer."),
    ({"kind": "measurable", "target_value": ""}, "target_value", "Set the amount to aim for"),
    ({"kind": "measurable", "target_value": "lots"}, "target_value", "Use a number"),
    ({"kind": "measurable", "target_value": "0"}, "target_value", "Aim for more than 0"),
    ({"kind": "measurable", "target_value": "2", "unit": "u" * 41}, "unit", "40 characters"),
    (
        {"kind": "measurable", "polarity": "quit", "target_value": "3", "direction": "at_least"},
        "direction",
        "choose “At most”",
    ),
    ({"schedule_type": "weekdays"}, "days", "Pick at least one day."),
    ({"schedule_type": "every_n_days", "every_n": "1"}, "every_n", "Use 2 or more"),
    ({"schedule_type": "every_n_days", "every_n": "two"}, "every_n", "Use a whole number"),
    ({"schedule_type": "every_n_days", "every_n": ""}, "every_n", "Say every how many days."),
    ({"schedule_type": "times_per_period", "times": "9"}, "times", "A week has only 7 days"),
    (
        {"schedule_type": "times_per_period", "times": "40", "period": "month"},
        "times",
        "Use 31 or less.",
    ),
    ({"schedule_type": "times_per_period", "times": "0"}, "times", "Use 1 or more."),
    ({"schedule_type": "dates", "dates": ""}, "dates", "Add at least one date."),
    ({"schedule_type": "dates", "dates": "24/12/2026"}, "dates", "“24/12/2026” is not a date"),
    ({"schedule_type": "dates", "dates": "2026-12-24 2026-12-24"}, "dates", "listed twice"),
    ({"schedule_type": "dates", "dates": "3000-01-01"}, "dates", "between 1900 and 2199"),
    ({"schedule_type": "fortnightly"}, "schedule_type", "Choose how often."),
    ({"start_date": "soon"}, "start_date", "Write the date like 2026-12-24."),
    ({"end_date": "2026-11-01"}, "end_date", "must not be before the start date"),
    ({"category": "c" * 61}, "category", "60 characters"),
    ({"tags": "a, A"}, "tags", "A tag is listed twice."),
    ({"tags": "t" * 31}, "tags", "30 characters"),
    ({"tags": ",".join(f"t{n}" for n in range(21))}, "tags", "at most 20 tags"),
    ({"color": "custom", "color_custom": "red"}, "color", "Pick a colour like"),
    ({"backfill_days": "-1"}, "backfill_days", "Use 0 or more."),
    ({"backfill_days": "a week"}, "backfill_days", "Use a whole number"),
    ({"name": "nul\x00"}, "name", "NUL"),
]


@pytest.mark.parametrize(("fields", "field", "message"), BAD_INPUT)
async def test_bad_input_is_shown_next_to_its_field(
    client, alice, db_session, fields, field, message
):
    """Issue 4: every form shows errors next to the field (aria-invalid, aria-describedby,
    class field-error), keeps what was typed, answers 422, and writes nothing."""
    typed = {**BASE_FORM, "name": "Stretch", "description": "Gently", "tags": "calm", **fields}
    async with signed_in(client, alice) as web:
        response = await post_form(web, "/habits/new", "/habits/new", **typed)
    assert response.status_code == 422, response.text
    html = response.text
    assert message in error_of(html, field)
    assert 'class="field-error"' in html
    described = re.search(rf'<[^>]*aria-describedby="[^"]*\b{field}-error\b[^"]*"[^>]*>', html)
    assert described is not None, f"nothing points at {field}-error"
    assert 'aria-invalid="true"' in described[0]
    assert "Please fix" in html
    # What was typed is still there.
    if "name" not in fields:
        assert value_of(html, "name") == "Stretch"
    if "description" not in fields:
        assert value_of(html, "description") == "Gently"
    if "\x00" not in typed.get("name", ""):
        for key in ("target_value", "every_n", "times", "start_date", "end_date", "category"):
            if key in fields and key != "tags":
                assert value_of(html, key) == fields[key]
    if field == "dates" and fields["dates"]:
        assert fields["dates"].split()[0] in value_of(html, "dates")
    assert await count(db_session, Habit) == 0


async def test_form_offers_weekdays_from_the_users_week_start(client, alice):
    """D3.1: the weekday toggles start on the user's week_start."""
    response = await client.patch(f"{API}/me", json={"week_start": "sun"}, headers=alice.headers)
    assert response.status_code == 200, response.text
    async with signed_in(client, alice) as web:
        html = await page(web, "/habits/new")
    days = re.findall(r'name="day_(\w{3})"', html)
    assert days == ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
    assert "Reminders" in html
    # Issue 13: a reminder can be set while creating; more from the edit page.
    assert 'name="reminder_time"' in html
    assert re.findall(r'name="reminder_day_(\w{3})"', html) == days


async def test_schedule_preview_in_words(client, alice):
    """Issue 4: the form previews the chosen schedule with the words of describe.py."""
    async with signed_in(client, alice) as web:
        html = await page(
            web, "/habits/preview?schedule_type=weekdays&day_mon=on&day_wed=on&day_fri=on"
        )
        assert "Mon, Wed and Fri" in html
        unfinished = await page(web, "/habits/preview?schedule_type=every_n_days&every_n=")
        assert "Finish choosing" in unfinished


# --- edit ----------------------------------------------------------------------------------------


async def test_edit_shows_the_habit_and_saves_changes(client, alice, db_session):
    """Issue 4: the edit form holds every field of the habit; a new schedule applies from
    today and past days keep theirs (notes N5: a new schedule version from today)."""
    habit = await create_habit(
        client,
        alice,
        name="Water",
        kind="measurable",
        target={"value": 2, "unit": "L", "direction": "at_least"},
        start_date="2026-11-01",
        tags=["a", "b"],
        category="Health",
        color="#abcdef",
    )
    path = f"/habits/{habit['id']}/edit"
    async with signed_in(client, alice) as web:
        html = await page(web, path)
        assert value_of(html, "name") == "Water"
        assert value_of(html, "target_value") == "2"
        assert value_of(html, "tags") == "a, b"
        assert value_of(html, "color_custom") == "#abcdef"
        assert "Changes apply from today; past days keep the schedule they had." in html
        response = await post_form(
            web,
            path,
            path,
            name="Water more",
            target_value="3",
            unit="glasses",
            direction="at_least",
            schedule_type="weekdays",
            day_tue="on",
            day_thu="on",
            start_date="2026-11-01",
            end_date="",
            category="",
            tags="",
            color="#16a34a",
            backfill_days="5",
        )
        assert response.status_code == 303, response.text
    saved = await get_habit(client, alice, habit["id"])
    assert saved["name"] == "Water more"
    assert saved["target"] == {"value": 3, "unit": "glasses", "direction": "at_least"}
    assert saved["schedule"] == {"type": "weekdays", "days": ["tue", "thu"]}
    assert (saved["category"], saved["tags"], saved["color"]) == (None, [], "#16a34a")
    assert saved["backfill_days"] == 5
    versions = list(
        await db_session.scalars(
            select(HabitSchedule.effective_from)
            .where(HabitSchedule.habit_id == uuid.UUID(habit["id"]))
            .order_by(HabitSchedule.effective_from)
        )
    )
    await db_session.commit()
    assert [day.isoformat() for day in versions] == ["2026-11-01", TODAY.isoformat()]


async def test_edit_without_schedule_change_keeps_one_version(client, alice, db_session):
    """Notes N5: saving the form with the same schedule makes no new schedule version."""
    habit = await create_habit(
        client, alice, start_date="2026-11-01", schedule={"type": "every_n_days", "n": 3}
    )
    path = f"/habits/{habit['id']}/edit"
    async with signed_in(client, alice) as web:
        html = await page(web, path)
        assert value_of(html, "every_n") == "3"
        response = await post_form(
            web, path, path, name="Read!", schedule_type="every_n_days", every_n="3",
            start_date="2026-11-01", backfill_days="2",
        )  # fmt: skip
        assert response.status_code == 303, response.text
    assert (
        await count(db_session, HabitSchedule, HabitSchedule.habit_id == uuid.UUID(habit["id"]))
        == 1
    )
    assert (await get_habit(client, alice, habit["id"]))["name"] == "Read!"


async def test_edit_bad_input_keeps_typed_values(client, alice):
    """Issue 4: a bad edit answers 422 with the message next to the field, keeps what was
    typed, and changes nothing."""
    habit = await create_habit(client, alice, name="Read")
    path = f"/habits/{habit['id']}/edit"
    async with signed_in(client, alice) as web:
        response = await post_form(
            web, path, path, name="Read more", schedule_type="times_per_period", times="8",
            period="week", start_date=TODAY.isoformat(), backfill_days="2",
        )  # fmt: skip
    assert response.status_code == 422
    assert "A week has only 7 days" in error_of(response.text, "times")
    assert value_of(response.text, "name") == "Read more"
    assert value_of(response.text, "times") == "8"
    saved = await get_habit(client, alice, habit["id"])
    assert (saved["name"], saved["schedule"]) == ("Read", {"type": "daily"})


# --- archive, restore, delete --------------------------------------------------------------------


async def test_archive_offers_restore_and_restore_brings_it_back(client, alice):
    """D2.4 / issue 4: archiving keeps the history; the page says so with a Restore
    button (undo); the Archived section lists it with Restore too."""
    habit = await create_habit(client, alice, name="Read")
    await checked_in(client, alice, habit["id"])
    async with signed_in(client, alice) as web:
        response = await post_form(web, f"/habits/{habit['id']}/archive", "/habits")
        assert response.status_code == 303
        html = await page(web, "/habits")
        assert "Archived \u2018Read\u2019." in html
        assert html.count(f'action="/habits/{habit["id"]}/restore"') == 2
        assert listed(html) == []
        assert 'id="archived-heading"' in html
        assert (await get_habit(client, alice, habit["id"]))["archived"] is True
        # The message is shown once.
        assert "Archived \u2018Read\u2019." not in await page(web, "/habits")
        response = await post_form(web, f"/habits/{habit['id']}/restore", "/habits")
        assert response.status_code == 303
        html = await page(web, "/habits")
        assert "Restored \u2018Read\u2019." in html
        assert listed(html) == [habit["id"]]
    restored = await get_habit(client, alice, habit["id"])
    assert restored["archived"] is False
    assert restored["streak"]["current"] == 1


async def test_delete_asks_first_and_says_what_is_lost(client, alice, db_session):
    """D2.4: deleting removes the habit with its entries; the page asks first and says so."""
    habit = await create_habit(client, alice, name="Read")
    await checked_in(client, alice, habit["id"])
    async with signed_in(client, alice) as web:
        html = await page(web, "/habits")
        assert f'href="/habits/{habit["id"]}/delete"' in html
        confirm = await page(web, f"/habits/{habit['id']}/delete")
        assert "Delete \u2018Read\u2019?" in confirm
        assert "1 logged day" in confirm
        assert "cannot be undone" in confirm
        assert await count(db_session, Habit) == 1
        response = await post_form(
            web, f"/habits/{habit['id']}/delete", f"/habits/{habit['id']}/delete"
        )
        assert response.status_code == 303
        assert "Deleted \u2018Read\u2019" in await page(web, "/habits")
    assert await count(db_session, Habit) == 0
    gone = await client.get(f"{API}/habits/{habit['id']}", headers=alice.headers)
    assert gone.status_code == 404


# --- order ---------------------------------------------------------------------------------------


async def test_move_up_and_down_persists_the_order(client, alice):
    """Issue 4: Move up / Move down change the order the API lists habits in too."""
    ids = [(await create_habit(client, alice, name=name))["id"] for name in ("A", "B", "C")]
    async with signed_in(client, alice) as web:
        response = await post_form(web, f"/habits/{ids[0]}/move", "/habits", direction="down")
        assert response.status_code == 303
        assert listed(await page(web, "/habits")) == [ids[1], ids[0], ids[2]]
        await post_form(web, f"/habits/{ids[2]}/move", "/habits", direction="up")
        assert listed(await page(web, "/habits")) == [ids[1], ids[2], ids[0]]
        # At the edge nothing moves.
        await post_form(web, f"/habits/{ids[1]}/move", "/habits", direction="up")
        assert listed(await page(web, "/habits")) == [ids[1], ids[2], ids[0]]
        # To a place (drag and drop).
        await post_form(web, f"/habits/{ids[0]}/move", "/habits", to="0")
    assert [habit["id"] for habit in await habits_of(client, alice)] == [ids[0], ids[1], ids[2]]


async def test_move_with_htmx_answers_the_list_in_place(client, alice):
    """Issue 4: with HTMX the list is swapped in place and the change announced."""
    ids = [(await create_habit(client, alice, name=name))["id"] for name in ("A", "B")]
    async with signed_in(client, alice) as web:
        token = form_csrf_token(await page(web, "/habits"))
        response = await web.post(
            f"/habits/{ids[1]}/move",
            data={"direction": "up"},
            headers={"HX-Request": "true", "X-CSRF-Token": token},
        )
    assert response.status_code == 200, response.text
    assert "<html" not in response.text
    assert listed(response.text) == [ids[1], ids[0]]
    assert 'hx-swap-oob="true"' in response.text
    assert "Moved \u2018B\u2019 to place 1 of 2." in response.text
    assert "data-autofocus" in response.text


async def test_archived_habits_keep_their_place_while_others_move(client, alice):
    """Issue 4: reordering active habits leaves archived ones where they were."""
    ids = [(await create_habit(client, alice, name=name))["id"] for name in ("A", "B", "C")]
    assert (await patch_habit(client, alice, ids[1], archived=True)).status_code == 200
    async with signed_in(client, alice) as web:
        await post_form(web, f"/habits/{ids[2]}/move", "/habits", direction="up")
        assert listed(await page(web, "/habits")) == [ids[2], ids[0]]
    assert [h["id"] for h in await habits_of(client, alice)] == [ids[2], ids[0]]
    assert [h["id"] for h in await habits_of(client, alice, archived=True)] == [ids[1]]


# --- access and CSRF -----------------------------------------------------------------------------


async def test_another_users_habit_is_not_found(client, alice, charlie):
    """API.md: another user's habit is 404 on every page and form, and stays untouched."""
    habit = await create_habit(client, alice, name="Private")
    async with signed_in(client, charlie) as web:
        for path in (f"/habits/{habit['id']}/edit", f"/habits/{habit['id']}/delete"):
            assert (await web.get(path)).status_code == 404
        for action, fields in (
            ("edit", {**BASE_FORM, "name": "Mine now"}),
            ("archive", {}),
            ("restore", {}),
            ("move", {"direction": "down"}),
            ("delete", {}),
        ):
            response = await post_form(
                web, f"/habits/{habit['id']}/{action}", "/habits/new", **fields
            )
            assert response.status_code == 404, action
        assert listed(await page(web, "/habits")) == []
    saved = await get_habit(client, alice, habit["id"])
    assert (saved["name"], saved["archived"]) == ("Private", False)


async def test_forms_without_csrf_token_are_refused(client, alice, db_session):
    """Issue 4 / ARCHITECTURE CSRF: every form POST needs its token (403 without)."""
    habit = await create_habit(client, alice, name="Read")
    async with signed_in(client, alice) as web:
        for path, fields in (
            ("/habits/new", BASE_FORM),
            (f"/habits/{habit['id']}/edit", {**BASE_FORM, "name": "Other"}),
            (f"/habits/{habit['id']}/archive", {}),
            (f"/habits/{habit['id']}/restore", {}),
            (f"/habits/{habit['id']}/move", {"direction": "up"}),
            (f"/habits/{habit['id']}/delete", {}),
        ):
            response = await web.post(path, data=fields)
            assert response.status_code == 403, path
    assert await count(db_session, Habit) == 1
    saved = await get_habit(client, alice, habit["id"])
    assert (saved["name"], saved["archived"]) == ("Read", False)
