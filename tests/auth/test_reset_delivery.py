"""Issue 11, item 11: a password-reset link goes by email when the server has SMTP
settings, and never into the log (where it stayed, with the address, after the account
was deleted). Without SMTP it waits for an administrator: tests/admin/test_reset_links.py.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.auth import reset_links, service
from habitus.models import PasswordResetNotice
from tests.auth.helpers import count, try_login
from tests.auth.logs import AppLog
from tests.auth.mailserver import FLAKY, GONE, MailServer, eventually
from tests.auth.pages import follow, post_form
from tests.conftest import AppFactory
from tests.fixtures.personas import register

NEW_PASSWORD = "a brand new quiet harbour"
# INFO: the sent mail is logged at INFO (the tests' default level is WARNING).
LOUD = {"log_level": "INFO"}


async def ask(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await post_form(client, "/forgot", "/forgot", {"email": email})


def token_in(text: str) -> str:
    [line] = [line for line in text.splitlines() if "/reset?token=" in line]
    return parse_qs(urlsplit(line.strip()).query)["token"][0]


async def test_with_smtp_the_link_arrives_by_mail_and_not_in_the_log(
    make_client: AppFactory, mail_server: MailServer, app_log: AppLog, db_session: AsyncSession
) -> None:
    """Issue 11, item 11: with SMTP the link arrives by mail (a real server on loopback)
    and works; the log holds neither the link nor the address; nothing is kept for an
    administrator; an unknown address gets the same answer and no mail."""
    client = await make_client(**mail_server.settings(), **LOUD)
    user = await register(client, "alice@example.org")
    asked = await ask(client, "alice@example.org")
    unknown = await ask(client, "nobody@example.org")
    await eventually(lambda: app_log.events("password_reset_mail_sent"))
    assert asked.status_code == unknown.status_code == 303
    assert service.RESET_REQUESTED in (await follow(client, asked)).text

    [mail] = mail_server.messages
    assert mail["To"] == "alice@example.org"
    assert mail["From"] == "Habitus <habitus@habitus.test>"
    assert mail["Subject"] == reset_links.MAIL_SUBJECT
    assert mail["Auto-Submitted"] == "auto-generated"
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "http://127.0.0.1:8000/reset?token=" in text
    token = token_in(text)

    [sent] = app_log.events("password_reset_mail_sent")
    assert sent["user_id"] == user["id"]
    assert app_log.mentions(token, "alice@example.org", "reset?token") == []
    assert await count(db_session, PasswordResetNotice) == 0

    done = await post_form(
        client, f"/reset?token={token}", "/reset", {"token": token, "new_password": NEW_PASSWORD}
    )
    assert done.status_code == 303, done.text
    assert (await try_login(client, "alice@example.org", NEW_PASSWORD)).status_code == 200


async def test_a_refused_address_is_logged_without_link_or_address(
    make_client: AppFactory, mail_server: MailServer, app_log: AppLog
) -> None:
    """Issue 11, item 11: when the mail server refuses the address for good, the requester
    is told what everyone is told; the failure is logged by user id, without the link or
    the address, and not tried again."""
    client = await make_client(**mail_server.settings(), **LOUD)
    user = await register(client, GONE)
    asked = await ask(client, GONE)
    await eventually(lambda: app_log.events("password_reset_mail_failed"))
    assert asked.status_code == 303
    assert asked.headers["location"] == "/login"
    assert mail_server.messages == []
    [failed] = app_log.events("password_reset_mail_failed")
    assert failed["level"] == "error"
    assert failed["user_id"] == user["id"]
    assert failed["attempts"] == 1
    assert app_log.mentions(GONE, "reset?token") == []


async def test_a_mail_server_busy_for_now_is_tried_again(
    make_client: AppFactory,
    mail_server: MailServer,
    app_log: AppLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 11, item 11: a failure that may pass (451) is retried; the link then arrives."""
    monkeypatch.setattr(reset_links, "RETRY_DELAYS", (0.05, 0.05))
    client = await make_client(**mail_server.settings(), **LOUD)
    await register(client, FLAKY)
    assert (await ask(client, FLAKY)).status_code == 303
    await eventually(lambda: app_log.events("password_reset_mail_sent"))
    [mail] = mail_server.messages
    assert mail["To"] == FLAKY
    assert app_log.events("password_reset_mail_sent")[0]["attempts"] == 2
    assert app_log.mentions(FLAKY, "reset?token") == []


async def test_without_smtp_the_log_says_only_that_a_link_waits(
    make_client: AppFactory, app_log: AppLog, db_session: AsyncSession
) -> None:
    """Issue 11, item 11: without SMTP the log says that a link was made, for which user
    id, and nothing else: no link, no address. The link is kept for an administrator."""
    client = await make_client(**LOUD)
    user = await register(client, "alice@example.org")
    assert (await ask(client, "alice@example.org")).status_code == 303
    [waiting] = app_log.events("password_reset_link_waiting")
    assert waiting["level"] == "warning"
    assert waiting["user_id"] == user["id"]
    assert app_log.mentions("alice@example.org", "reset?token") == []
    assert await count(db_session, PasswordResetNotice) == 1
