"""Issue 4 Habits in a real browser: create habits of every common shape through the form,
see them on /habits in plain words (DOMAIN.md D3), edit, reorder, archive and restore, and
a validation error next to its field with the typed value kept, on a desktop and at 360 px."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.conftest import PHONE, Account, api, screenshot
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
