"""Issue 13 item 5: a page address with a malformed id (/habits/not-a-uuid) shows the
404 page, not pydantic's words about UUIDs; the API keeps its 422 naming the parameter
(API.md Conventions: validation errors are 422 naming the field, and it says nothing
else for a malformed id)."""

from __future__ import annotations

import pytest

from habitus.models import User
from tests.fixtures.web import form_csrf_token
from tests.habits.helpers import API, create_habit, problem
from tests.habits.test_web import page, signed_in

PAGES = [
    "/habits/not-a-uuid",
    "/habits/not-a-uuid/edit",
    "/habits/not-a-uuid/delete",
    "/habits/not-a-uuid/reminders",
    "/habits/12345/days/2026-11-20",
]


def _is_the_404_page(response) -> None:
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "Not found" in response.text
    for raw in ("UUID", "uuid", "Input should", "invalid character", "habit_id"):
        assert raw not in response.text


@pytest.mark.parametrize("path", PAGES)
async def test_a_page_with_a_malformed_id_is_the_404_page(client, alice, path):
    """Issue 13: /habits/not-a-uuid and every page with a malformed id: the 404 page."""
    async with signed_in(client, alice) as web:
        _is_the_404_page(await web.get(path))


async def test_a_form_posted_to_a_malformed_id_is_the_404_page(client, alice):
    """Issue 13: a form sent to a malformed address (CSRF fine) is a 404 too."""
    await create_habit(client, alice)
    async with signed_in(client, alice) as web:
        token = form_csrf_token(await page(web, "/habits"))
        for path in ("/habits/not-a-uuid/archive", "/habits/not-a-uuid/move"):
            response = await web.post(path, data={"csrf_token": token, "direction": "up"})
            _is_the_404_page(response)


async def test_an_admin_page_with_a_malformed_id_is_the_404_page(client, admin, db_session):
    """Issue 13: admin users' pages too."""
    assert await db_session.get(User, admin.id) is not None
    async with signed_in(client, admin) as web:
        token = form_csrf_token(await page(web, "/admin"))
        response = await web.post("/admin/users/not-a-uuid/disable", data={"csrf_token": token})
        _is_the_404_page(response)


async def test_the_api_keeps_its_422_naming_the_parameter(client, alice):
    """API.md Conventions: the API answers a malformed id with a 422 naming it."""
    response = await client.get(f"{API}/habits/not-a-uuid", headers=alice.headers)
    body = problem(response, 422)
    assert [error["field"] for error in body["errors"]] == ["habit_id"]
