"""Issue 4 Habits in a real browser: create habits of every common shape through the form,
see them on /habits in plain words (DOMAIN.md D3), edit, reorder, archive and restore, and
a validation error next to its field with the typed value kept, on a desktop and at 360 px."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import PHONE, Account, api, check_page, screenshot, sign_in
from tests.e2e.shots import shots_dir
from tests.fixtures.live import LiveServer


def habit_names(page: Page) -> list[str]:
    return page.locator("#habit-list .hl-name").all_inner_texts()


def server_habits(e2e_server: LiveServer, account: Account, archived: bool = False) -> list[Any]:
    with api(e2e_server, account) as client:
        answer = client.get("/habits", params={"archived": str(archived).lower()})
        assert answer.status_code == 200, answer.text
        items: list[Any] = answer.json()["items"]
        return items


def test_create_habits_through_the_form(
    page: Page, signed_in: Account, e2e_server: LiveServer
) -> None:
    """Issue 4 Habits: create a yes/no daily habit, a measurable one with target and unit,
    "3 times a week" and Mon/Wed/Fri through the form; /habits shows each in plain words."""
    page.goto("/habits")
    expect(page.get_by_role("heading", name="No habits yet")).to_be_visible()
    page.get_by_role("link", name="New habit").click()
    expect(page).to_have_url(re.compile(r"/habits/new$"))
    # With JS, only the chosen schedule's own fields show.
    expect(page.get_by_label("Every how many days")).to_be_hidden()
    expect(page.get_by_label("Amount", exact=True)).to_be_hidden()
    page.get_by_label("Name", exact=True).fill("Read")
    page.get_by_role("button", name="Create habit").click()
    expect(page).to_have_url(re.compile(r"/habits$"))
    expect(
        page.get_by_role("status").filter(has_text="Created \u2018Read\u2019: Every day.")
    ).to_be_visible()

    page.get_by_role("link", name="New habit").click()
    page.get_by_label("Name", exact=True).fill("Water")
    page.get_by_label("An amount").check()
    expect(page.get_by_label("Amount", exact=True)).to_be_visible()
    page.get_by_label("Amount", exact=True).fill("2")
    page.get_by_label("Unit").fill("L")
    page.get_by_role("button", name="Create habit").click()
    expect(page).to_have_url(re.compile(r"/habits$"))

    page.get_by_role("link", name="New habit").click()
    page.get_by_label("Name", exact=True).fill("Gym")
    page.get_by_label("A number of times a week or month").check()
    page.get_by_label("How many times").fill("3")
    expect(page.locator("#schedule-preview")).to_contain_text("3 times a week")
    page.get_by_role("button", name="Create habit").click()
    expect(page).to_have_url(re.compile(r"/habits$"))

    page.get_by_role("link", name="New habit").click()
    page.get_by_label("Name", exact=True).fill("Run")
    page.get_by_label("On some days of the week").check()
    for day in ("Monday", "Wednesday", "Friday"):
        page.get_by_role("checkbox", name=day, exact=True).check()
    # The live preview uses the words of the list.
    expect(page.locator("#schedule-preview")).to_contain_text("Mon, Wed and Fri")
    page.get_by_label("Teal").check()
    screenshot(page, "habit-new")
    page.get_by_role("button", name="Create habit").click()
    expect(page).to_have_url(re.compile(r"/habits$"))

    assert habit_names(page) == ["Read", "Water", "Gym", "Run"]
    items = page.locator("#habit-list .hl-words")
    expect(items).to_have_text(
        ["Every day", "Every day · At least 2 L a day", "3 times a week", "Mon, Wed and Fri"]
    )
    screenshot(page, "habits")
    held = {habit["name"]: habit for habit in server_habits(e2e_server, signed_in)}
    assert held["Read"]["schedule"] == {"type": "daily"}
    assert held["Water"]["target"] == {"value": 2, "unit": "L", "direction": "at_least"}
    assert held["Gym"]["schedule"] == {"type": "times_per_period", "times": 3, "period": "week"}
    assert held["Run"]["schedule"] == {"type": "weekdays", "days": ["mon", "wed", "fri"]}


def test_edit_reorder_archive_and_restore(
    page: Page, signed_in: Account, e2e_server: LiveServer
) -> None:
    """Issue 4 Habits: edit a habit's schedule, reorder with the buttons (in place, focus
    kept, order saved), archive with an undo and restore from the Archived section."""
    with api(e2e_server, signed_in) as client:
        for name in ("Read", "Stretch", "Walk"):
            answer = client.post("/habits", json={"name": name, "schedule": {"type": "daily"}})
            assert answer.status_code == 201, answer.text
    page.goto("/habits")
    assert habit_names(page) == ["Read", "Stretch", "Walk"]

    page.get_by_role("button", name="Move Read down").click()
    expect(page.locator("#habit-list .hl-name")).to_have_text(["Stretch", "Read", "Walk"])
    expect(page.get_by_role("button", name="Move Read down")).to_be_focused()
    expect(page.locator("#order-status")).to_have_text("Moved \u2018Read\u2019 to place 2 of 3.")
    page.keyboard.press("Enter")
    expect(page.locator("#habit-list .hl-name")).to_have_text(["Stretch", "Walk", "Read"])
    page.reload()
    expect(page.locator("#habit-list .hl-name")).to_have_text(["Stretch", "Walk", "Read"])
    assert [h["name"] for h in server_habits(e2e_server, signed_in)] == ["Stretch", "Walk", "Read"]

    page.get_by_role("link", name="Edit Walk").click()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Walk")
    expect(
        page.get_by_text("Changes apply from today; past days keep the schedule they had.")
    ).to_be_visible()
    page.get_by_label("Every few days").check()
    page.get_by_label("Every how many days").fill("3")
    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(re.compile(r"/habits$"))
    expect(page.locator(".hl-item", has_text="Walk").locator(".hl-words")).to_have_text(
        "Every 3 days"
    )

    page.locator("summary", has_text="More actions for Stretch").click()
    page.get_by_role("button", name="Archive Stretch").click()
    expect(
        page.get_by_role("status").filter(has_text="Archived \u2018Stretch\u2019.")
    ).to_be_visible()
    expect(page.locator("#habit-list .hl-name")).to_have_text(["Walk", "Read"])
    expect(page.get_by_role("heading", name="Archived")).to_be_visible()
    assert [h["name"] for h in server_habits(e2e_server, signed_in, archived=True)] == ["Stretch"]
    # The undo button in the message.
    page.locator(".undo-flash").get_by_role("button", name="Restore").click()
    expect(
        page.get_by_role("status").filter(has_text="Restored \u2018Stretch\u2019.")
    ).to_be_visible()
    expect(page.locator("#habit-list .hl-name")).to_have_text(["Stretch", "Walk", "Read"])

    # Archive again and restore from the Archived section this time.
    page.locator("summary", has_text="More actions for Stretch").click()
    page.get_by_role("button", name="Archive Stretch").click()
    page.get_by_role("button", name="Restore Stretch").click()
    expect(page.locator("#habit-list .hl-name")).to_have_text(["Stretch", "Walk", "Read"])
    assert server_habits(e2e_server, signed_in, archived=True) == []


def test_validation_error_next_to_the_field_at_phone_size(page: Page, signed_in: Account) -> None:
    """Issue 4: a bad value is shown next to its field (aria-invalid, described by the
    message), with everything typed kept, on a 360 px wide screen."""
    page.set_viewport_size(PHONE)
    page.goto("/habits/new")
    page.get_by_label("Name", exact=True).fill("Swim")
    page.get_by_label("Description").fill("Lengths at the pool")
    page.get_by_label("Every few days").check()
    page.get_by_label("Every how many days").fill("1")
    page.get_by_label("Tags").fill("sport, water")
    page.get_by_role("button", name="Create habit").click()
    field = page.get_by_label("Every how many days")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#every_n-error")).to_have_text(
        "Use 2 or more (for every day, choose “Every day”)."
    )
    expect(field).to_have_attribute("aria-describedby", "every_n-error")
    expect(field).to_have_value("1")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Swim")
    expect(page.get_by_label("Description")).to_have_value("Lengths at the pool")
    expect(page.get_by_label("Tags")).to_have_value("sport, water")
    expect(page.get_by_label("Every few days")).to_be_checked()
    expect(page.get_by_role("alert")).to_contain_text("Please fix the field marked below.")
    # Nothing is wider than the phone's screen.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    screenshot(page, "habit-new-errors")
    field.fill("2")
    page.get_by_role("button", name="Create habit").click()
    expect(page).to_have_url(re.compile(r"/habits$"))
    expect(page.locator("#habit-list .hl-words")).to_have_text(["Every other day"])


# --- issue 13 ------------------------------------------------------------------------------

LONG_NAME = "Practise" + "x" * 54  # 62 characters, no space to break at
SHOTS = shots_dir("C1")


def _create(e2e_server: LiveServer, account: Account, *bodies: dict[str, Any]) -> list[Any]:
    with api(e2e_server, account) as client:
        made = []
        for body in bodies:
            answer = client.post("/habits", json={"schedule": {"type": "daily"}, **body})
            assert answer.status_code == 201, answer.text
            made.append(answer.json())
        return made


def test_drag_a_habit_to_a_new_place(
    page: Page, signed_in: Account, e2e_server: LiveServer
) -> None:
    """Issue 13: drag a habit by its handle (pointer events: mouse, finger or pen) to a
    new place; the order is saved (POST /habits/{id}/move) and kept after a reload. The
    keyboard's Move buttons stay."""
    _create(e2e_server, signed_in, {"name": "Read"}, {"name": "Stretch"}, {"name": "Walk"})
    page.goto("/habits")
    rows = page.locator("#habit-list > li")
    expect(rows.locator(".hl-name")).to_have_text(["Read", "Stretch", "Walk"])
    # Walk to the top: dropped on the upper part of Read's row.
    rows.nth(2).locator(".hl-drag").drag_to(rows.nth(0), target_position={"x": 40, "y": 4})
    expect(page.locator("#order-status")).to_have_text("Moved \u2018Walk\u2019 to place 1 of 3.")
    expect(rows.locator(".hl-name")).to_have_text(["Walk", "Read", "Stretch"])
    page.reload()
    expect(rows.locator(".hl-name")).to_have_text(["Walk", "Read", "Stretch"])
    # Read to the bottom, at phone size.
    page.set_viewport_size(PHONE)
    box = rows.nth(2).bounding_box()
    assert box is not None
    rows.nth(1).locator(".hl-drag").drag_to(
        rows.nth(2), target_position={"x": 40, "y": box["height"] - 4}
    )
    expect(page.locator("#order-status")).to_have_text("Moved \u2018Read\u2019 to place 3 of 3.")
    page.reload()
    expect(rows.locator(".hl-name")).to_have_text(["Walk", "Stretch", "Read"])
    assert [h["name"] for h in server_habits(e2e_server, signed_in)] == ["Walk", "Stretch", "Read"]
    expect(page.get_by_role("button", name="Move Read up")).to_be_enabled()


def test_icon_and_reminder_set_while_creating(
    page: Page, signed_in: Account, e2e_server: LiveServer
) -> None:
    """Issue 13: pick a suggested icon and a "Remind me at" time on the new-habit form:
    the habit shows its icon on the list and has its reminder; a bad time is a field
    error and nothing is created."""
    page.goto("/habits/new")
    page.get_by_label("Name", exact=True).fill("Water")
    page.get_by_role("button", name="Use 💧 as the icon").click()
    expect(page.get_by_role("textbox", name="Icon")).to_have_value("💧")
    expect(page.get_by_role("button", name="Use 💧 as the icon")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.get_by_label("Remind me at").fill("07:30")
    page.get_by_role("checkbox", name="Remind on Monday").check()
    page.get_by_role("button", name="Create habit").click()
    expect(page).to_have_url(re.compile(r"/habits$"))
    expect(page.get_by_role("status").filter(has_text="Reminder at 07:30.")).to_be_visible()
    expect(page.locator("#habit-list .hl-name")).to_have_text(["💧Water"])
    habit = server_habits(e2e_server, signed_in)[0]
    assert habit["icon"] == "💧"
    with api(e2e_server, signed_in) as client:
        reminders = client.get(f"/habits/{habit['id']}/reminders").json()
    items = reminders["items"] if isinstance(reminders, dict) else reminders
    assert [(r["time"], r["days"]) for r in items] == [("07:30", ["mon"])]

    # Two bad fields at once, at phone size: each shows by its field; nothing is created.
    page.set_viewport_size(PHONE)
    page.goto("/habits/new")
    page.get_by_role("textbox", name="Icon").fill("💧💧")
    page.get_by_role("checkbox", name="Remind on Friday").check()
    page.get_by_role("button", name="Create habit").click()
    expect(page.locator("#name-error")).to_have_text("Give the habit a name.")
    expect(page.locator("#icon-error")).to_contain_text("one emoji")
    expect(page.locator("#reminder_time-error")).to_contain_text("Choose a time")
    expect(page.get_by_role("alert")).to_contain_text("Please fix the 3 fields marked below.")
    assert len(server_habits(e2e_server, signed_in)) == 1
    check_page(page)


def test_long_names_wrap_on_edit_and_delete_at_phone_size(
    page: Page, signed_in: Account, e2e_server: LiveServer
) -> None:
    """Issue 13 item 3: a 62-character unbroken name wraps on Edit, Delete and the list
    at 360 px (scrollWidth <= clientWidth), and the delete page counts what is lost."""
    (habit,) = _create(e2e_server, signed_in, {"name": LONG_NAME, "icon": "📚"})
    page.set_viewport_size({"width": 360, "height": 740})
    for path in ("/habits", f"/habits/{habit['id']}/edit", f"/habits/{habit['id']}/delete"):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        scroll, client = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client, (path, scroll, client)
        check_page(page)
    expect(page.locator(".delete-confirm li").first).to_have_text(
        "its history (nothing is logged yet),"
    )


def test_malformed_habit_address_is_the_404_page(page: Page, signed_in: Account) -> None:
    """Issue 13 item 5: /habits/not-a-uuid shows the 404 page, no pydantic words."""
    response = page.goto("/habits/not-a-uuid")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("UUID")


def test_habit_pages_light_and_dark(
    browser: Browser, signed_in: Account, e2e_server: LiveServer
) -> None:
    """Issue 13 "Done means": the Habits list, the form (with an icon and errors) and
    the delete page at 360 and 1280 px, light and dark: no overflow, no serious axe
    violation (contrast in both themes). Screenshots go to tests/e2e/screenshots/C1/."""
    (habit,) = _create(
        e2e_server,
        signed_in,
        {"name": LONG_NAME, "icon": "📚", "category": "Mind", "tags": ["morning"]},
    )
    _create(e2e_server, signed_in, {"name": "Water", "icon": "💧"}, {"name": "Walk"})
    SHOTS.mkdir(parents=True, exist_ok=True)
    pages = {
        "list": "/habits",
        "new": "/habits/new",
        "edit": f"/habits/{habit['id']}/edit",
        "delete": f"/habits/{habit['id']}/delete",
    }
    for scheme in ("light", "dark"):
        context = browser.new_context(
            base_url=e2e_server.base_url, color_scheme=scheme, locale="en-GB"
        )
        try:
            shown = context.new_page()
            sign_in(shown, signed_in)
            for size in ({"width": 360, "height": 740}, {"width": 1280, "height": 800}):
                shown.set_viewport_size(size)
                for name, path in pages.items():
                    shown.goto(path)
                    if name == "new":
                        shown.get_by_role("textbox", name="Icon").fill("💧💧")
                        shown.get_by_role("button", name="Create habit").click()
                        expect(shown.locator("#icon-error")).to_be_visible()
                    check_page(shown)
                    shot = SHOTS / f"{name}-{size['width']}-{scheme}"
                    shown.screenshot(path=f"{shot}.png", full_page=True)
                    if name == "new":  # the new parts, close up
                        for part, where in (
                            ("what", "#what-heading"),
                            ("remind", "#reminders-heading"),
                        ):
                            section = shown.locator("section.form-section").filter(
                                has=shown.locator(where)
                            )
                            section.screenshot(path=f"{shot}-{part}.png")
        finally:
            context.close()
