"""Issue 13 item 4: the delete confirmation says what is lost from the real counts: how
many logged days and how many notes, never "with its note" when there is none
(DOMAIN.md D2.4: deleting a habit deletes its entries)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.habits.helpers import API, TODAY, create_habit
from tests.habits.test_web import page, signed_in


def _loses(html: str) -> str:
    found = re.search(r"<ul>\s*<li>(.*?)</li>", html, re.S)
    assert found is not None
    return " ".join(found[1].split())


async def _log(client, persona, habit_id: str, days_ago: int, note: str | None) -> None:
    day = TODAY.toordinal() - days_ago
    body = {"status": "done", **({"note": note} if note is not None else {})}
    response = await client.put(
        f"{API}/habits/{habit_id}/entries/{date.fromordinal(day).isoformat()}",
        json=body,
        headers=persona.headers,
    )
    assert response.status_code in {200, 201}, response.text


@pytest.mark.parametrize(
    ("notes", "words"),
    [
        ([], "its history (nothing is logged yet),"),
        ([None], "1 logged day,"),
        (["felt good"], "1 logged day and 1 note,"),
        ([None, None, None], "3 logged days,"),
        (["a", None, "b"], "3 logged days and 2 notes,"),
        (["a", ""], "2 logged days and 1 note,"),
    ],
)
async def test_the_delete_page_counts_days_and_notes(client, alice, notes, words):
    """Issue 13: worded from the counts of entries and notes."""
    habit = await create_habit(client, alice, backfill_days=None, start_date="2026-10-01")
    for days_ago, note in enumerate(notes):
        await _log(client, alice, habit["id"], days_ago, note)
    async with signed_in(client, alice) as web:
        html = await page(web, f"/habits/{habit['id']}/delete")
    assert _loses(html) == words
    if not any(notes):
        assert "note" not in _loses(html)
