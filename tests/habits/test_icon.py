"""Issue 13 item 2: an optional icon (one emoji) per habit, through the API, the form,
the habits list and the Habitus JSON export and import (DOMAIN.md D2: a habit's
presentation fields; API.md Conventions: a bad field is a 422 naming it)."""

from __future__ import annotations

import json

import pytest

from habitus.habits.icon import check_icon, grapheme_count
from tests.habits.helpers import API, create_habit, get_habit, patch_habit, problem
from tests.habits.test_web import error_of, page, post_form, signed_in
from tests.imports.loopfiles import habits_by_name, imported, upload


@pytest.mark.parametrize("icon", ["💧", "✍️", "👨‍👩‍👧", "🇫🇷", "👍🏽", "1️⃣", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "A"])
def test_one_grapheme_is_one_icon(icon: str) -> None:
    """Issue 13: an icon is one grapheme, however many code points it takes."""
    assert grapheme_count(icon) == 1
    assert check_icon(icon) == icon


@pytest.mark.parametrize(
    "icon",
    ["💧💧", "ab", "💧 ", "\u0007", "a\nb", " \u200d", "\u200d💧", "👍" * 17, "\u202e💧"],
)
def test_anything_else_is_refused(icon: str) -> None:
    """Issue 13: two emoji, text, control characters or more than 16 code points are not
    an icon."""
    if icon.strip() != icon and grapheme_count(icon.strip()) == 1:
        assert check_icon(icon) == icon.strip()  # surrounding spaces are trimmed
        return
    with pytest.raises(ValueError, match="must be"):
        check_icon(icon)


async def test_the_api_keeps_changes_and_clears_the_icon(client, alice):
    """API.md /habits: `icon` on create, answer and PATCH; "" or null clears it."""
    habit = await create_habit(client, alice, icon="💧")
    assert habit["icon"] == "💧"
    assert (await patch_habit(client, alice, habit["id"], icon="📚")).status_code == 200
    assert (await get_habit(client, alice, habit["id"]))["icon"] == "📚"
    assert (await patch_habit(client, alice, habit["id"], icon="")).status_code == 200
    assert (await get_habit(client, alice, habit["id"]))["icon"] is None
    plain = await create_habit(client, alice, name="Walk")
    assert plain["icon"] is None


@pytest.mark.parametrize("icon", ["💧💧", "x" * 17, "\u0000", "\u0007"])
async def test_a_bad_icon_is_a_422_naming_icon(client, alice, icon):
    """API.md Conventions: 422 naming `icon`; nothing is created."""
    body = {"name": "Read", "schedule": {"type": "daily"}, "icon": icon}
    response = await client.post(f"{API}/habits", json=body, headers=alice.headers)
    found = problem(response, 422)
    assert [error["field"] for error in found["errors"]] == ["icon"]
    listed = await client.get(f"{API}/habits", headers=alice.headers)
    assert listed.json()["items"] == []


async def test_the_form_sets_the_icon_and_the_list_shows_it(client, alice):
    """Issue 13: the form's icon field (with suggestions) and the list show the icon."""
    async with signed_in(client, alice) as web:
        form = await page(web, "/habits/new")
        assert 'name="icon"' in form
        assert 'data-icon="💧"' in form
        response = await post_form(web, "/habits/new", "/habits/new", name="Water", icon="💧")
        assert response.status_code == 303, response.text
        listing = await page(web, "/habits")
        shown = '<span class="habit-icon" aria-hidden="true">💧</span>'
        assert shown + '<span class="hl-name-text">Water</span>' in listing
        habit = (await client.get(f"{API}/habits", headers=alice.headers)).json()["items"][0]
        edit = await page(web, f"/habits/{habit['id']}/edit")
        assert 'name="icon" value="💧"' in edit


async def test_the_form_names_a_bad_icon_in_plain_words(client, alice):
    """Issue 13: a bad icon shows next to the field; nothing is created."""
    async with signed_in(client, alice) as web:
        response = await post_form(web, "/habits/new", "/habits/new", name="Water", icon="💧💧")
        assert response.status_code == 422
        assert "one emoji" in error_of(response.text, "icon")
    assert (await client.get(f"{API}/habits", headers=alice.headers)).json()["items"] == []


async def test_the_icon_survives_export_and_import(client, alice, bob):
    """docs/EXPORT.md: `icon` is exported and imported again (Habitus JSON round trip)."""
    await create_habit(client, alice, name="Water", icon="💧")
    await create_habit(client, alice, name="Walk")
    response = await client.get(f"{API}/me/export", headers=alice.headers)
    exported = response.json()
    assert {habit["name"]: habit["icon"] for habit in exported["habits"]} == {
        "Water": "💧",
        "Walk": None,
    }
    await imported(client, bob, json.dumps(exported).encode(), "habitus_json")
    his = await habits_by_name(client, bob)
    assert his["Water"]["icon"] == "💧"
    assert his["Walk"]["icon"] is None


async def test_an_import_with_a_bad_icon_is_refused(client, alice):
    """Issue 13: an import goes through the same rules: a bad icon refuses the file."""
    await create_habit(client, alice, name="Water", icon="💧")
    exported = (await client.get(f"{API}/me/export", headers=alice.headers)).json()
    exported["habits"][0]["icon"] = "not one"
    response = await upload(client, alice, json.dumps(exported).encode(), "habitus_json")
    assert response.status_code == 422, response.text
    assert "icon" in response.text
