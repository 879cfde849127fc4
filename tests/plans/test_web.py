"""Issue 21: the pages show an upgrade note where the API answers 403 plan-limit (the
new-habit form, restoring a habit, the challenge form), and Settings shows the plan;
with plans off none of it shows."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.admin.test_web import element
from tests.conftest import AppFactory
from tests.fixtures.personas import Persona
from tests.fixtures.web import form_csrf_token
from tests.habits.helpers import TODAY, patch_habit
from tests.habits.test_web import signed_in
from tests.plans.helpers import active_habits, challenges_of, habits_made, set_plan

HABIT_FORM = {
    "name": "Sixth",
    "kind": "boolean",
    "polarity": "build",
    "schedule_type": "daily",
    "start_date": TODAY.isoformat(),
    "backfill_days": "2",
    "color": "#0f766e",
}
CHALLENGE_FORM = {
    "name": "Spring",
    "start_date": TODAY.isoformat(),
    "days": "30",
    "habit_0_name": "Run",
}


def note(page: str) -> str | None:
    """The upgrade note's text, or None when the page has none."""
    found = element(page, "upgrade-note")
    return found[0] if found else None


async def test_habit_form_shows_the_note_instead_of_an_error(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: at the free plan's 5 active habits the new-habit form says so before
    anything is typed; submitting anyway answers the form again (403) with the note,
    what was typed kept, no error page and no habit."""
    async with signed_in(client, alice) as web:
        first = await web.get("/habits/new")
        assert note(first.text) is None  # room left: no note
        await habits_made(client, alice, 5)
        form = await web.get("/habits/new")
        assert "as many as the free plan keeps" in (note(form.text) or "")
        assert "Ask the administrator" in (note(form.text) or "")
        answer = await web.post(
            "/habits/new", data={"csrf_token": form_csrf_token(form.text), **HABIT_FORM}
        )
        assert answer.status_code == 403
        assert "up to 5 active habits" in (note(answer.text) or "")
        assert 'value="Sixth"' in answer.text
        assert element(answer.text, "form-errors") is None
        assert '<form method="post" action="/habits/new"' in answer.text
    assert await active_habits(db_session, alice) == 5


async def test_restoring_past_the_limit_is_a_note_on_the_list(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: Restore on the list, with 5 active habits, goes back to the list with
    the upgrade note as its message; the habit stays archived."""
    ids = await habits_made(client, alice, 6 - 1)
    assert (await patch_habit(client, alice, ids[0], archived=True)).status_code == 200
    await habits_made(client, alice, 1)
    async with signed_in(client, alice) as web:
        listing = await web.get("/habits")
        answer = await web.post(
            f"/habits/{ids[0]}/restore", data={"csrf_token": form_csrf_token(listing.text)}
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/habits"
        shown = (await web.get("/habits")).text
        assert "The free plan keeps up to 5 active habits" in shown
    assert await active_habits(db_session, alice) == 5


async def test_challenge_form_is_replaced_by_the_note(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: a free account sees the note where the new-challenge form was; a post
    anyway answers the page with the note (403) and creates nothing; on Pro the form is
    back and works."""
    async with signed_in(client, alice) as web:
        page = (await web.get("/challenges")).text
        assert "Creating challenges is part of Pro" in (note(page) or "")
        assert 'action="/challenges" class="stack challenge-form"' not in page
        token = form_csrf_token((await web.get("/settings")).text)
        answer = await web.post("/challenges", data={"csrf_token": token, **CHALLENGE_FORM})
        assert answer.status_code == 403
        assert "Creating challenges is part of Pro" in (note(answer.text) or "")
        assert await challenges_of(db_session, alice) == 0
        await set_plan(db_session, alice, "pro")
        page = (await web.get("/challenges")).text
        assert note(page) is None
        made = await web.post("/challenges", data={"csrf_token": token, **CHALLENGE_FORM})
        assert made.status_code == 303, made.text
    assert await challenges_of(db_session, alice) == 1


async def test_settings_show_the_plan_only_with_plans_on(
    client: httpx.AsyncClient, make_client: AppFactory, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: Settings → Plan says free (and its limits) or Pro; with plans off there
    is no Plan section, and the forms show no note however many habits there are."""
    async with signed_in(client, alice) as web:
        page = (await web.get("/settings")).text
        shown = element(page, "plan-name")
        assert shown is not None
        assert "free plan: up to 5 active habits" in shown[0]
        assert "/billing/checkout" not in page  # no Stripe configured
        await set_plan(db_session, alice, "pro")
        shown = element((await web.get("/settings")).text, "plan-name")
        assert shown is not None
        assert "Pro" in shown[0]
    await set_plan(db_session, alice, "free")
    await habits_made(client, alice, 5)
    off = await make_client()
    async with signed_in(off, alice) as web:
        assert element((await web.get("/settings")).text, "plan") is None
        assert note((await web.get("/habits/new")).text) is None
        assert note((await web.get("/challenges")).text) is None
