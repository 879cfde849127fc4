"""Issue 20: changing the account's address (a code to the new one, a notice to the old
one), password reset by email and by a code to a phone, and the sign-up and reset pages
of the web (the code page: inputmode=numeric, autocomplete=one-time-code, a resend
button disabled with the seconds left)."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.auth import identity_mail, reset_links
from habitus.kit import clock
from habitus.models import PasswordResetNotice, User, VerificationCode
from tests.auth.helpers import bearer, count, fields, message_for, problem, try_login
from tests.auth.mailserver import MailServer
from tests.auth.pages import field_errors, follow, post_form
from tests.auth.smsgateway import SmsGateway
from tests.auth.verification_support import (
    API,
    PHONE,
    code_in,
    mail_to,
    persona,
    text_to,
    verifying_app,
    wrong,
)
from tests.conftest import AppFactory
from tests.fixtures.personas import DEFAULT_PASSWORD

NEW_PASSWORD = "a brand new quiet harbour"


async def change(
    client: httpx.AsyncClient, token: str, email: str, password: str
) -> httpx.Response:
    return await client.post(
        f"{API}/me/email", json={"email": email, "password": password}, headers=bearer(token)
    )


async def confirm(client: httpx.AsyncClient, token: str, code: str) -> httpx.Response:
    return await client.post(f"{API}/me/email/verify", json={"code": code}, headers=bearer(token))


async def test_email_change_by_a_code_to_the_new_address(
    make_client: AppFactory, mail_server: MailServer, db_session: AsyncSession
) -> None:
    """Issue 20: POST /me/email (with the password) is 202 and mails a code to the NEW
    address; POST /me/email/verify moves the account there (200) and the old address gets
    a notice. The new address signs in, the old one no longer does."""
    client = await verifying_app(make_client, mail_server)
    alice = await persona(client, "alice@example.org")
    started = await change(client, alice.access_token, "alice@new.example", DEFAULT_PASSWORD)
    assert started.status_code == 202, started.text
    assert started.json()["channel"] == "email"
    code = code_in(await mail_to(mail_server, "alice@new.example"))
    assert (await client.get(f"{API}/me", headers=bearer(alice.access_token))).json()[
        "email"
    ] == "alice@example.org"
    done = await confirm(client, alice.access_token, code)
    assert done.status_code == 200, done.text
    assert done.json()["email"] == "alice@new.example"
    notice = await mail_to(mail_server, "alice@example.org")
    assert identity_mail.CHANGED_SUBJECT in notice
    assert "a***@new.example" in notice
    assert await count(db_session, VerificationCode) == 0
    assert (await try_login(client, "alice@new.example", DEFAULT_PASSWORD)).status_code == 200
    assert (await try_login(client, "alice@example.org", DEFAULT_PASSWORD)).status_code == 401


async def test_charlie_cannot_confirm_alices_change(
    make_client: AppFactory, mail_server: MailServer
) -> None:
    """Issue 20: a code confirms only its own user's change: charlie, given alice's code,
    changes nothing (422: he has no change waiting), and alice's change still works."""
    client = await verifying_app(make_client, mail_server)
    alice = await persona(client, "alice@example.org")
    charlie = await persona(client, "charlie@example.org")
    await change(client, alice.access_token, "alice@new.example", DEFAULT_PASSWORD)
    code = code_in(await mail_to(mail_server, "alice@new.example"))
    refused = problem(await confirm(client, charlie.access_token, code), 422)
    assert fields(refused) == {"code"}
    me = await client.get(f"{API}/me", headers=bearer(charlie.access_token))
    assert me.json()["email"] == "charlie@example.org"
    assert (await confirm(client, alice.access_token, code)).status_code == 200


async def test_email_change_asks_the_password_and_a_new_address(
    make_client: AppFactory, mail_server: MailServer
) -> None:
    """Issue 20: a wrong password is a 422 naming `password`; the same address is a 422
    naming `email`; a wrong code spends a try (422 naming `code`); not signed in is 401."""
    client = await verifying_app(make_client, mail_server)
    alice = await persona(client, "alice@example.org")
    bad = problem(await change(client, alice.access_token, "a@new.example", "not it at all"), 422)
    assert fields(bad) == {"password"}
    same = problem(
        await change(client, alice.access_token, "ALICE@example.org", DEFAULT_PASSWORD), 422
    )
    assert fields(same) == {"email"}
    await change(client, alice.access_token, "a@new.example", DEFAULT_PASSWORD)
    code = code_in(await mail_to(mail_server, "a@new.example"))
    wrong_code = problem(await confirm(client, alice.access_token, wrong(code)), 422)
    assert "4 tries left" in message_for(wrong_code, "code")
    problem(
        await client.post(f"{API}/me/email", json={"email": "x@y.example", "password": "x"}), 401
    )


async def test_a_taken_address_answers_like_a_free_one(
    make_client: AppFactory, mail_server: MailServer, db_session: AsyncSession
) -> None:
    """Issue 20, no enumeration: moving to an address another account has answers 202 as
    for a free one; that address is told it is in use (no code), and nothing confirms it."""
    client = await verifying_app(make_client, mail_server)
    alice = await persona(client, "alice@example.org")
    await persona(client, "bob@example.org")
    taken = await change(client, alice.access_token, "bob@example.org", DEFAULT_PASSWORD)
    free = await change(client, alice.access_token, "free@example.org", DEFAULT_PASSWORD)
    assert taken.status_code == free.status_code == 202
    assert set(taken.json()) == set(free.json())
    text = await mail_to(mail_server, "bob@example.org")
    assert "already belongs to an account" in text
    assert re.search(r"\b\d{6}\b", text) is None
    emails = set((await db_session.scalars(select(User.email))).all())
    await db_session.commit()
    assert emails == {"alice@example.org", "bob@example.org"}


async def test_without_smtp_the_address_changes_at_once(
    make_client: AppFactory, db_session: AsyncSession
) -> None:
    """Issue 20: with no way to send a code the address changes after the password (200),
    like a sign-up that is not verified; an address in use is then a 409 naming `email`."""
    client = await make_client()
    alice = await persona(client, "alice@example.org")
    await persona(client, "bob@example.org")
    done = await change(client, alice.access_token, "alice@new.example", DEFAULT_PASSWORD)
    assert done.status_code == 200, done.text
    assert done.json()["email"] == "alice@new.example"
    taken = problem(
        await change(client, alice.access_token, "bob@example.org", DEFAULT_PASSWORD), 409
    )
    assert fields(taken) == {"email"}
    assert await count(db_session, VerificationCode) == 0


async def test_a_disabled_user_cannot_change_the_address(
    make_client: AppFactory, mail_server: MailServer, db_session: AsyncSession
) -> None:
    """Issue 20: disabled users can use none of it: 403."""
    client = await verifying_app(make_client, mail_server)
    alice = await persona(client, "alice@example.org")
    await db_session.execute(
        update(User).where(User.id == alice.id).values(disabled_at=clock.now())
    )
    await db_session.commit()
    problem(await change(client, alice.access_token, "a@new.example", DEFAULT_PASSWORD), 403)
    problem(await confirm(client, alice.access_token, "123456"), 403)


async def test_reset_link_by_email_for_an_address(
    make_client: AppFactory, mail_server: MailServer
) -> None:
    """Issue 20: with SMTP configured a reset link is emailed (not kept for the admin)."""
    client = await verifying_app(make_client, mail_server)
    await persona(client, "alice@example.org")
    asked = await post_form(client, "/forgot", "/forgot", {"email": "alice@example.org"})
    assert asked.status_code == 303
    text = await mail_to(mail_server, "alice@example.org")
    assert reset_links.MAIL_SUBJECT in text
    assert "/reset?token=" in text


async def sign_up_by_phone(client: httpx.AsyncClient, sms_gateway: SmsGateway) -> None:
    started = await client.post(
        f"{API}/auth/register", json={"phone": PHONE, "password": DEFAULT_PASSWORD}
    )
    code = code_in(await text_to(sms_gateway, PHONE))
    made = await client.post(
        f"{API}/auth/verify",
        json={"verification_id": started.json()["verification_id"], "code": code},
    )
    assert made.status_code == 201, made.text


async def test_a_phone_user_resets_by_a_code_by_sms(
    make_client: AppFactory, sms_gateway: SmsGateway
) -> None:
    """Issue 20: a phone-only user asks on /forgot with the number and gets a code by SMS;
    the code page takes it with a new password, signs in, and the old password is gone.
    An unknown number gets the same page and no text."""
    client = await verifying_app(make_client, sms_gateway=sms_gateway)
    assert '<label for="email">Email or phone</label>' in (await client.get("/register")).text
    await sign_up_by_phone(client, sms_gateway)
    asked = await post_form(client, "/forgot", "/forgot", {"email": PHONE})
    unknown = await post_form(client, "/forgot", "/forgot", {"email": "+4915112345678"})
    assert asked.status_code == unknown.status_code == 303
    assert asked.headers["location"].startswith("/reset/code?id=")
    assert unknown.headers["location"].startswith("/reset/code?id=")
    page = await follow(client, asked)
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.text
    code = code_in(await text_to(sms_gateway, PHONE, count=2))
    done = await post_form(
        client,
        asked.headers["location"],
        "/reset/code",
        {
            "id": asked.headers["location"].split("=", 1)[1],
            "code": code,
            "new_password": NEW_PASSWORD,
        },
    )
    assert done.status_code == 303, done.text
    assert sms_gateway.texts_to("+4915112345678") == []
    login = await client.post(f"{API}/auth/login", json={"phone": PHONE, "password": NEW_PASSWORD})
    assert login.status_code == 200
    old = await client.post(
        f"{API}/auth/login", json={"phone": PHONE, "password": DEFAULT_PASSWORD}
    )
    assert old.status_code == 401


async def test_a_phone_user_without_sms_gets_the_admin_path(
    make_client: AppFactory, db_session: AsyncSession, sms_gateway: SmsGateway
) -> None:
    """Issue 20: when the server cannot text (no SMS URL any more), a phone user's reset
    link waits for an administrator, as for an address without SMTP."""
    texting = await verifying_app(make_client, sms_gateway=sms_gateway)
    await sign_up_by_phone(texting, sms_gateway)
    client = await make_client()
    asked = await post_form(client, "/forgot", "/forgot", {"email": PHONE})
    assert asked.status_code == 303
    assert asked.headers["location"] == "/login"
    assert await count(db_session, PasswordResetNotice) == 1


async def test_web_sign_up_with_a_code(
    make_client: AppFactory, mail_server: MailServer, db_session: AsyncSession
) -> None:
    """Issue 20: /register (offering "Email or phone" with an SMS gateway: the phone
    reset test) sends a code; after it, "Enter the code we sent to
    ..." (inputmode=numeric, autocomplete=one-time-code, the resend button disabled with
    the seconds left); a wrong code shows by the field; the right one signs in."""
    client = await verifying_app(make_client, mail_server)
    form = await client.get("/register")
    assert "We send you a code to confirm it." in form.text
    sent = await post_form(
        client,
        "/register",
        "/register",
        {"email": "alice@example.org", "password": DEFAULT_PASSWORD},
    )
    assert sent.status_code == 303, sent.text
    page = await follow(client, sent)
    assert "Enter the code we sent to <strong>alice@example.org</strong>" in page.text
    assert 'inputmode="numeric"' in page.text
    assert 'autocomplete="one-time-code"' in page.text
    assert re.search(
        r'id="resend" disabled>Send a new code <span data-seconds-left>\(in (59|60) s\)', page.text
    )
    verification_id = sent.headers["location"].split("=", 1)[1]
    code = code_in(await mail_to(mail_server, "alice@example.org"))
    bad = await post_form(
        client,
        sent.headers["location"],
        "/register/verify",
        {"id": verification_id, "code": wrong(code)},
    )
    assert bad.status_code == 422
    assert "4 tries left" in field_errors(bad.text)["code"]
    early = await post_form(
        client, sent.headers["location"], "/register/verify/resend", {"id": verification_id}
    )
    assert early.status_code == 429
    done = await post_form(
        client, sent.headers["location"], "/register/verify", {"id": verification_id, "code": code}
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/onboarding"
    assert (await client.get("/settings")).status_code == 200
    assert await count(db_session, VerificationCode) == 0


async def test_web_email_change(make_client: AppFactory, mail_server: MailServer) -> None:
    """Issue 20: Settings → Change email: the password and the new address, then the code
    step on the same page; the address is changed."""
    client = await verifying_app(make_client, mail_server)
    await persona(client, "alice@example.org")
    login = await post_form(
        client, "/login", "/login", {"email": "alice@example.org", "password": DEFAULT_PASSWORD}
    )
    assert login.status_code == 303
    assert 'href="/settings/email"' in (await client.get("/settings")).text
    sent = await post_form(
        client,
        "/settings/email",
        "/settings/email",
        {"email": "alice@new.example", "password": DEFAULT_PASSWORD},
    )
    assert sent.status_code == 303, sent.text
    page = await follow(client, sent)
    assert "Enter the code we sent to <strong>alice@new.example</strong>" in page.text
    code = code_in(await mail_to(mail_server, "alice@new.example"))
    done = await post_form(client, "/settings/email", "/settings/email/verify", {"code": code})
    assert done.status_code == 303, done.text
    assert 'value="alice@new.example"' in (await client.get("/settings")).text
    assert identity_mail.CHANGED_SUBJECT in await mail_to(mail_server, "alice@example.org")


async def test_deleting_the_account_takes_its_waiting_change(
    make_client: AppFactory, mail_server: MailServer, db_session: AsyncSession
) -> None:
    """Issue 20: an email change waiting for its code goes with the account; another
    user's waiting change stays."""
    client = await verifying_app(make_client, mail_server)
    alice = await persona(client, "alice@example.org")
    bob = await persona(client, "bob@example.org")
    await change(client, alice.access_token, "alice@new.example", DEFAULT_PASSWORD)
    await change(client, bob.access_token, "bob@new.example", DEFAULT_PASSWORD)
    assert await count(db_session, VerificationCode) == 2
    deleted = await client.request(
        "DELETE",
        f"{API}/me",
        json={"password": DEFAULT_PASSWORD},
        headers=bearer(alice.access_token),
    )
    assert deleted.status_code == 204, deleted.text
    assert await count(db_session, VerificationCode, VerificationCode.user_id == alice.id) == 0
    assert await count(db_session, VerificationCode, VerificationCode.user_id == bob.id) == 1
