"""Issue 11, item 11: on a server without SMTP a password-reset link waits for an
administrator instead of going to the log. The admin page lists who asked, shows each
link once, then forgets it; the link goes with the account, and with its use.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.admin.web import RESET_LINK_GONE
from habitus.models import PasswordResetNotice
from tests.admin.test_web import admin_page, element, signed_in
from tests.fixtures.personas import Persona
from tests.fixtures.web import browser, form_csrf_token, page_csrf_token

_WAITING = re.compile(r'<tr id="reset-link-([0-9a-f-]{36})">')
NEW_PASSWORD = "a brand new quiet harbour"


async def ask_for_a_reset_link(client: httpx.AsyncClient, email: str) -> None:
    """The "forgot my password" form, from a browser of its own."""
    async with browser(client, ip="198.51.100.9") as visitor:
        token = await page_csrf_token(visitor, "/forgot")
        asked = await visitor.post("/forgot", data={"email": email, "csrf_token": token})
        assert asked.status_code == 303, asked.text


async def waiting_for(db_session: AsyncSession, persona: Persona) -> list[Row[Any]]:
    """The persona's kept links as the database has them: (id, sealed_link, created_at)."""
    await db_session.rollback()
    notice = PasswordResetNotice
    rows = await db_session.execute(
        select(notice.id, notice.sealed_link, notice.created_at).where(notice.user_id == persona.id)
    )
    found = list(rows.all())
    await db_session.rollback()
    return found


async def show(root: httpx.AsyncClient, notice_id: str, csrf_token: str) -> httpx.Response:
    return await root.post(f"/admin/reset-links/{notice_id}/show", data={"csrf_token": csrf_token})


async def test_the_admin_page_shows_a_waiting_link_once(
    client: httpx.AsyncClient, admin: Persona, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 11, item 11: without SMTP the admin page lists who asked for a link (not the
    link); "Show link" shows it once, and it works; then it is gone from the page and from
    the database, and showing it again says so. It was kept sealed, not in clear."""
    await ask_for_a_reset_link(client, alice.email)
    [kept] = await waiting_for(db_session, alice)
    async with signed_in(client, admin) as root:
        page, csrf_token = await admin_page(root)
        assert _WAITING.findall(page) == [str(kept.id)]
        row = element(page, f"reset-link-{kept.id}")
        assert row is not None
        assert alice.email in row[0]
        assert "token=" not in page

        shown = await show(root, str(kept.id), csrf_token)
        assert shown.status_code == 200, shown.text
        assert shown.headers["cache-control"] == "no-store"
        revealed = element(shown.text, "reset-link")
        assert revealed is not None
        link = revealed[1]["value"]
        assert link is not None
        assert link.startswith("http://127.0.0.1:8000/reset?token=")
        token = link.split("token=", 1)[1]
        assert token not in kept.sealed_link

        page, csrf_token = await admin_page(root)
        assert _WAITING.findall(page) == []
        assert "token=" not in page
        assert await waiting_for(db_session, alice) == []
        again = await show(root, str(kept.id), csrf_token)
        assert again.status_code == 404
        assert "token=" not in again.text
        assert element(again.text, "reset-links-error") == (
            RESET_LINK_GONE,
            {
                "class": "flash flash-error",
                "role": "alert",
                "id": "reset-links-error",
            },
        )

    async with browser(client) as owner:
        opened = await owner.get(f"/reset?token={token}")
        assert opened.status_code == 200
        assert alice.email in opened.text
        done = await owner.post(
            "/reset",
            data={
                "token": token,
                "new_password": NEW_PASSWORD,
                "csrf_token": form_csrf_token(opened.text),
            },
        )
        assert done.status_code == 303, done.text


async def test_deleting_the_account_deletes_its_waiting_link(
    client: httpx.AsyncClient, admin: Persona, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 11, item 11: a waiting link is deleted with the account (the log kept it)."""
    await ask_for_a_reset_link(client, alice.email)
    assert len(await waiting_for(db_session, alice)) == 1
    deleted = await client.request(
        "DELETE", "/api/v1/me", json={"password": alice.password}, headers=alice.headers
    )
    assert deleted.status_code == 204, deleted.text
    assert await waiting_for(db_session, alice) == []
    async with signed_in(client, admin) as root:
        page, _ = await admin_page(root)
        assert _WAITING.findall(page) == []


async def test_a_used_link_takes_the_other_waiting_ones_with_it(
    client: httpx.AsyncClient, admin: Persona, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 11, item 11: once the owner has set a new password through one link, every
    other link of theirs is spent: none waits for the administrator any more."""
    await ask_for_a_reset_link(client, alice.email)
    await ask_for_a_reset_link(client, alice.email)
    first, _second = sorted(await waiting_for(db_session, alice), key=lambda row: row.created_at)
    async with signed_in(client, admin) as root:
        page, csrf_token = await admin_page(root)
        assert len(_WAITING.findall(page)) == 2
        shown = await show(root, str(first.id), csrf_token)
        revealed = element(shown.text, "reset-link")
        assert revealed is not None
        token = str(revealed[1]["value"]).split("token=", 1)[1]
        async with browser(client) as owner:
            done = await owner.post(
                "/reset",
                data={
                    "token": token,
                    "new_password": NEW_PASSWORD,
                    "csrf_token": await page_csrf_token(owner, f"/reset?token={token}"),
                },
            )
            assert done.status_code == 303, done.text
        assert await waiting_for(db_session, alice) == []
        page, _ = await admin_page(root)
        assert _WAITING.findall(page) == []


async def test_only_administrators_see_waiting_links(
    client: httpx.AsyncClient,
    admin: Persona,
    alice: Persona,
    charlie: Persona,
    db_session: AsyncSession,
) -> None:
    """Issue 11, item 11: a signed-in user who is not an administrator cannot show a
    waiting link (403); it stays for the administrator."""
    await ask_for_a_reset_link(client, alice.email)
    [kept] = await waiting_for(db_session, alice)
    async with signed_in(client, charlie) as curious:
        csrf_token = await page_csrf_token(curious, "/settings")
        refused = await show(curious, str(kept.id), csrf_token)
        assert refused.status_code == 403
        assert "token=" not in refused.text
        made_up = await show(curious, str(uuid.uuid4()), csrf_token)
        assert made_up.status_code == 403
    assert [row.id for row in await waiting_for(db_session, alice)] == [kept.id]
