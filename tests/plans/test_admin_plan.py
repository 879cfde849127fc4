"""Issue 21 / API.md "Product metrics and plans": PATCH /admin/users/{id} {plan} sets an
account's plan (administrators only; 422 naming `plan`; 404 for nobody), the admin page
lists and sets plans only with plans on."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.admin.test_web import element, signed_in
from tests.conftest import AppFactory
from tests.fixtures.personas import Persona
from tests.fixtures.web import form_csrf_token
from tests.plans.helpers import habits_made, plan_limit, plan_of, post_habit

ADMIN = "/api/v1/admin"


async def test_admin_sets_a_plan_and_the_limit_follows(
    client: httpx.AsyncClient, admin: Persona, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: an admin moves alice to pro (200, the user with `plan`), and her 6th
    habit goes through; back to free, the 7th is refused again."""
    await habits_made(client, alice, 5)
    plan_limit(await post_habit(client, alice, "Sixth"))
    answer = await client.patch(
        f"{ADMIN}/users/{alice.id}", json={"plan": "pro"}, headers=admin.headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["plan"] == "pro"
    assert answer.json()["id"] == str(alice.id)
    assert await plan_of(db_session, alice) == "pro"
    assert (await post_habit(client, alice, "Sixth")).status_code == 201
    listed = await client.get(f"{ADMIN}/users/{alice.id}", headers=admin.headers)
    assert listed.json()["plan"] == "pro"
    back = await client.patch(
        f"{ADMIN}/users/{alice.id}", json={"plan": "free"}, headers=admin.headers
    )
    assert back.status_code == 200
    assert plan_limit(await post_habit(client, alice, "Seventh"))["limit"] == "active_habits"


async def test_only_admins_set_plans(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: charlie (no admin) cannot make himself or alice pro: 403, nothing set."""
    for target in (alice, charlie):
        answer = await client.patch(
            f"{ADMIN}/users/{target.id}", json={"plan": "pro"}, headers=charlie.headers
        )
        assert answer.status_code == 403, answer.text
        assert answer.json()["type"] == "urn:habitus:problem:admin-only"
        assert await plan_of(db_session, target) == "free"
    anonymous = await client.patch(f"{ADMIN}/users/{alice.id}", json={"plan": "pro"})
    assert anonymous.status_code == 401


async def test_a_bad_plan_is_a_422_naming_plan(
    client: httpx.AsyncClient, admin: Persona, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: only "free" or "pro"; a missing or unknown plan, or another field, is
    a 422 naming it; an unknown user is a 404."""
    for body, field in (
        ({"plan": "gold"}, "plan"),
        ({}, "plan"),
        ({"plan": None}, "plan"),
        ({"plan": "pro", "is_admin": True}, "is_admin"),
    ):
        answer = await client.patch(f"{ADMIN}/users/{alice.id}", json=body, headers=admin.headers)
        assert answer.status_code == 422, (body, answer.text)
        assert field in {error["field"] for error in answer.json()["errors"]}, answer.text
    assert await plan_of(db_session, alice) == "free"
    missing = await client.patch(
        f"{ADMIN}/users/{uuid.uuid4()}", json={"plan": "pro"}, headers=admin.headers
    )
    assert missing.status_code == 404


async def test_admin_page_lists_and_sets_plans_only_with_plans_on(
    client: httpx.AsyncClient,
    make_client: AppFactory,
    admin: Persona,
    alice: Persona,
    db_session: AsyncSession,
) -> None:
    """Issue 21: with plans on the user list has a Plan column whose form sets the plan;
    with plans off (another app, same database) there is no trace of plans."""
    async with signed_in(client, admin) as root:
        page = (await root.get("/admin")).text
        assert element(page, f"plan-{alice.id}") is not None
        assert '<th scope="col">Plan</th>' in page
        token = form_csrf_token(page)
        moved = await root.post(
            f"/admin/users/{alice.id}/plan", data={"csrf_token": token, "plan": "pro"}
        )
        assert moved.status_code == 303, moved.text
        assert await plan_of(db_session, alice) == "pro"
        shown = (await root.get("/admin")).text
        assert "alice@example.org is on the pro plan." in shown
        refused = await root.post(
            f"/admin/users/{alice.id}/plan", data={"csrf_token": token, "plan": "gold"}
        )
        assert refused.status_code == 422
        assert "Choose the free or the pro plan." in refused.text
        assert await plan_of(db_session, alice) == "pro"
    off = await make_client()
    async with signed_in(off, admin) as root:
        page = (await root.get("/admin")).text
        assert element(page, f"plan-{alice.id}") is None
        assert '<th scope="col">Plan</th>' not in page


async def test_non_admins_cannot_use_the_plan_form(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 21: the admin page's plan form is for administrators (403 for alice)."""
    async with signed_in(client, alice) as web:
        token = form_csrf_token((await web.get("/settings")).text)
        answer = await web.post(
            f"/admin/users/{alice.id}/plan", data={"csrf_token": token, "plan": "pro"}
        )
        assert answer.status_code == 403
    assert await plan_of(db_session, alice) == "free"
