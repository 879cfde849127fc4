"""Issue 13, bug 7: a habit with no colour of its own is drawn in one colour on every
page (Today, Habits, History, the habit page), the one of kit.templating."""

from __future__ import annotations

import re

from habitus.kit.templating import DEFAULT_HABIT_COLOR
from tests.fixtures.web import web_login


async def test_a_habit_without_colour_has_one_colour_everywhere(client, alice):
    made = await client.post(
        "/api/v1/habits",
        json={"name": "Colourless", "schedule": {"type": "daily"}},
        headers=alice.headers,
    )
    assert made.status_code == 201, made.text
    assert made.json()["color"] is None
    habit_id = made.json()["id"]
    await web_login(client, alice.email, alice.password)
    for path in ("/today", "/habits", "/history", f"/habits/{habit_id}"):
        page = await client.get(path)
        assert page.status_code == 200, path
        fills = set(re.findall(r'<circle[^>]*fill="(#[0-9a-fA-F]{6})"', page.text))
        assert fills == {DEFAULT_HABIT_COLOR}, (path, fills)
