"""Issue 20: a sign-up confirmed by a 6-digit code sent to the address (a real SMTP
server on loopback) or the phone (a loopback SMS gateway through Apprise's json://)
before the account exists; the code's rules (NIST SP 800-63B): single use, 5 tries,
15 minutes, a resend after 60 s, throttles, no user enumeration, the staging row gone
on success and swept when expired."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
import time_machine
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import housekeeping
from habitus.auth import identity_mail, verification
from habitus.kit import clock
from habitus.models import User, VerificationCode
from tests.auth.helpers import count, fields, message_for, problem
from tests.auth.mailserver import MailServer
from tests.auth.smsgateway import SmsGateway
from tests.auth.verification_support import (
    API,
    CODE,
    OTHER_PHONE,
    PHONE,
    code_in,
    mail_to,
    mails_to,
    persona,
    start,
    text_to,
    verify,
    verifying_app,
    wrong,
)
from tests.conftest import AppFactory
from tests.fixtures.personas import DEFAULT_PASSWORD

STARTED_KEYS = {"verification_id", "channel", "expires_at", "resend_at"}


async def test_email_sign_up_waits_for_its_code(
    make_client: AppFactory, mail_server: MailServer, db_session: AsyncSession
) -> None:
    """Issue 20: with SMTP, POST /auth/register answers 202 and makes no user: a staging
    row keeps the sign-up, its password already hashed; the code mailed makes the account
    (201), the row goes, and the account signs in."""
    client = await verifying_app(make_client, mail_server)
    started = await start(client, email="Alice@Example.org")
    assert started.status_code == 202, started.text
    body = started.json()
    assert set(body) == STARTED_KEYS
    assert body["channel"] == "email"
    assert await count(db_session, User) == 0
    [row] = (await db_session.scalars(select(VerificationCode))).all()
    await db_session.commit()
    assert row.purpose == "signup"
    assert row.target_key == "alice@example.org"
    assert row.payload["password_hash"].startswith("$argon2")
    assert DEFAULT_PASSWORD not in str(row.payload)
    # As typed, but for the domain's case (the schema's EmailStr normalises it).
    code = code_in(await mail_to(mail_server, "Alice@example.org"))
    assert code not in row.code_hash

    made = await verify(client, body["verification_id"], code)
    assert made.status_code == 201, made.text
    assert made.json()["email"] == "Alice@example.org"
    assert await count(db_session, VerificationCode) == 0
    login = await client.post(
        f"{API}/auth/login", json={"email": "alice@example.org", "password": DEFAULT_PASSWORD}
    )
    assert login.status_code == 200, login.text


async def test_a_code_works_once(make_client: AppFactory, mail_server: MailServer) -> None:
    """Issue 20: single use: the same code again is a 422 that says to start again."""
    client = await verifying_app(make_client, mail_server)
    started = (await start(client, email="alice@example.org")).json()
    code = code_in(await mail_to(mail_server, "alice@example.org"))
    assert (await verify(client, started["verification_id"], code)).status_code == 201
    again = problem(await verify(client, started["verification_id"], code), 422)
    assert "start again" in message_for(again, "verification_id")


async def test_a_wrong_code_spends_a_try_and_five_end_the_attempt(
    make_client: AppFactory, mail_server: MailServer, db_session: AsyncSession
) -> None:
    """Issue 20: a wrong code is a 422 naming `code` with the tries left, kept although
    the answer is an error; the fifth ends the attempt (its row goes) and then even the
    right code is refused."""
    client = await verifying_app(make_client, mail_server)
    started = (await start(client, email="alice@example.org")).json()
    code = code_in(await mail_to(mail_server, "alice@example.org"))
    first = problem(await verify(client, started["verification_id"], wrong(code)), 422)
    assert fields(first) == {"code"}
    assert "4 tries left" in message_for(first, "code")
    attempts = await db_session.scalar(select(VerificationCode.attempts))
    await db_session.commit()
    assert attempts == 1
    for left in (3, 2, 1):
        answer = problem(await verify(client, started["verification_id"], wrong(code)), 422)
        assert f"{left} tr" in message_for(answer, "code")
    last = problem(await verify(client, started["verification_id"], wrong(code)), 422)
    assert "start again" in message_for(last, "code")
    assert await count(db_session, VerificationCode) == 0
    late = problem(await verify(client, started["verification_id"], code), 422)
    assert "start again" in message_for(late, "verification_id")
    assert await count(db_session, User) == 0


async def test_a_code_lasts_fifteen_minutes(
    make_client: AppFactory,
    mail_server: MailServer,
    db_session: AsyncSession,
    frozen_clock: time_machine.Coordinates,
) -> None:
    """Issue 20: 15 minutes after it was sent the right code is refused and the row goes."""
    client = await verifying_app(make_client, mail_server)
    started = (await start(client, email="alice@example.org")).json()
    code = code_in(await mail_to(mail_server, "alice@example.org"))
    frozen_clock.shift(verification.CODE_TTL + timedelta(seconds=1))
    late = problem(await verify(client, started["verification_id"], code), 422)
    assert "start again" in message_for(late, "code")
    assert await count(db_session, VerificationCode) == 0
    assert await count(db_session, User) == 0


async def test_resend_waits_sixty_seconds_and_replaces_the_code(
    make_client: AppFactory, mail_server: MailServer, frozen_clock: time_machine.Coordinates
) -> None:
    """Issue 20: a new code within 60 s is a 429 with Retry-After; after them, 202 and a
    new code by mail, and the first code no longer works."""
    client = await verifying_app(make_client, mail_server)
    started = (await start(client, email="alice@example.org")).json()
    first = code_in(await mail_to(mail_server, "alice@example.org"))
    payload = {"verification_id": started["verification_id"]}
    early = await client.post(f"{API}/auth/verify/resend", json=payload)
    problem(early, 429)
    assert 1 <= int(early.headers["Retry-After"]) <= 60
    frozen_clock.shift(verification.RESEND_AFTER)
    again = await client.post(f"{API}/auth/verify/resend", json=payload)
    assert again.status_code == 202, again.text
    second = code_in(await mail_to(mail_server, "alice@example.org", count=2))
    if second != first:  # one chance in a million they are the same
        problem(await verify(client, started["verification_id"], first), 422)
    assert (await verify(client, started["verification_id"], second)).status_code == 201


async def test_no_enumeration_a_known_address_answers_like_a_new_one(
    make_client: AppFactory, mail_server: MailServer, db_session: AsyncSession
) -> None:
    """Issue 20: signing up with an address that has an account answers exactly like a
    new one (202, the same keys and channel); the mail says "sign in or reset" and holds
    no code, and no code confirms that attempt."""
    client = await verifying_app(make_client, mail_server)
    await persona(client, "alice@example.org")
    known = await start(client, email="alice@example.org")
    new = await start(client, email="nobody@example.org")
    assert known.status_code == new.status_code == 202
    assert set(known.json()) == set(new.json())
    assert known.json()["channel"] == new.json()["channel"]
    text = await mail_to(mail_server, "alice@example.org")
    assert identity_mail.KNOWN_SUBJECT in text
    assert "/forgot" in text
    assert CODE.search(text) is None  # no code in it
    await mail_to(mail_server, "nobody@example.org")
    for guess in ("000000", "123456"):
        problem(await verify(client, known.json()["verification_id"], guess), 422)
    assert await count(db_session, User) == 1


async def test_a_disabled_account_gets_no_code(
    make_client: AppFactory, mail_server: MailServer, db_session: AsyncSession
) -> None:
    """Issue 20: a disabled user's address is a known one: a sign-up with it makes no
    second account and sends no code (the answer is still the same 202)."""
    client = await verifying_app(make_client, mail_server)
    alice = await persona(client, "alice@example.org")
    await db_session.execute(
        update(User).where(User.id == alice.id).values(disabled_at=clock.now())
    )
    await db_session.commit()
    answer = await start(client, email="alice@example.org")
    assert answer.status_code == 202
    assert identity_mail.KNOWN_SUBJECT in await mail_to(mail_server, "alice@example.org")


async def test_codes_to_one_address_and_from_one_network_are_throttled(
    make_client: AppFactory, mail_server: MailServer
) -> None:
    """Issue 20: per-target and per-IP throttles: a sixth code to one address within the
    hour is a 429 with Retry-After, and so is a 21st sign-up code from one address."""
    client = await verifying_app(make_client, mail_server)
    for _ in range(verification.CODES_PER_TARGET.count):
        assert (await start(client, email="alice@example.org")).status_code == 202
    refused = await start(client, email="alice@example.org")
    problem(refused, 429)
    assert int(refused.headers["Retry-After"]) > 0
    others = verification.CODES_PER_IP.count - verification.CODES_PER_TARGET.count
    for number in range(others):
        assert (await start(client, email=f"user{number}@example.org")).status_code == 202
    problem(await start(client, email="someone.else@example.org"), 429)


async def test_expired_attempts_are_swept(
    make_client: AppFactory,
    mail_server: MailServer,
    db_session: AsyncSession,
    frozen_clock: time_machine.Coordinates,
) -> None:
    """Issue 20: housekeeping deletes attempts past their 15 minutes, and only those."""
    client = await verifying_app(make_client, mail_server)
    await start(client, email="old@example.org")
    frozen_clock.shift(verification.CODE_TTL + timedelta(minutes=1))
    await start(client, email="new@example.org")
    removed = await housekeeping.sweep(db_session)
    await db_session.commit()
    assert removed["verification_codes"] == 1
    assert await db_session.scalar(select(VerificationCode.target)) == "new@example.org"
    await db_session.commit()


async def test_phone_sign_up_by_sms_and_sign_in_with_the_phone(
    make_client: AppFactory, sms_gateway: SmsGateway, db_session: AsyncSession
) -> None:
    """Issue 20: a phone number (E.164, read with phonenumbers) gets its code by SMS
    through HABITUS_SMS_URL; the account has the phone and no address, and signs in with
    the phone in `phone` or in `email`."""
    client = await verifying_app(make_client, sms_gateway=sms_gateway)
    started = await start(client, phone="+44 7911 123456")
    assert started.status_code == 202, started.text
    assert started.json()["channel"] == "sms"
    code = code_in(await text_to(sms_gateway, PHONE))
    made = await verify(client, started.json()["verification_id"], code)
    assert made.status_code == 201, made.text
    assert made.json()["phone"] == PHONE
    assert made.json()["email"] is None
    for body in ({"phone": PHONE}, {"email": "+44 7911 123456"}):
        login = await client.post(f"{API}/auth/login", json={**body, "password": DEFAULT_PASSWORD})
        assert login.status_code == 200, login.text
    known = await start(client, phone=PHONE)
    assert known.status_code == 202
    assert set(known.json()) == STARTED_KEYS
    assert "already have" in await text_to(sms_gateway, PHONE, count=2)
    assert await count(db_session, User) == 1


async def test_a_phone_needs_an_sms_gateway(
    make_client: AppFactory, mail_server: MailServer
) -> None:
    """Issue 20: without HABITUS_SMS_URL a phone cannot be checked: sign-up with one is a
    422 naming `phone`; a number that is not one is a 422 naming `phone` too."""
    client = await verifying_app(make_client, mail_server)
    refused = problem(await start(client, phone=PHONE), 422)
    assert fields(refused) == {"phone"}
    assert "text messages" in message_for(refused, "phone")
    bad = problem(await start(client, phone="12345"), 422)
    assert fields(bad) == {"phone"}
    both = problem(await start(client, email="a@example.org", phone=PHONE), 422)
    assert fields(both) == {"phone"}
    neither = problem(await start(client), 422)
    assert fields(neither) == {"email"}


async def test_without_a_channel_sign_up_works_as_before(
    make_client: AppFactory, db_session: AsyncSession
) -> None:
    """Issue 20: with neither SMTP nor SMS, verification is off: 201 and the account at
    once, no code row."""
    client = await make_client(verify_signups=None)
    made = await start(client, email="alice@example.org")
    assert made.status_code == 201, made.text
    assert await count(db_session, VerificationCode) == 0


@pytest.mark.parametrize("code", ["12345", "abcdef", "1234567"])
async def test_a_code_that_is_not_six_digits_is_a_422(
    make_client: AppFactory, mail_server: MailServer, code: str
) -> None:
    """Issue 20: a code is 6 digits; anything else is a 422 naming `code`."""
    client = await verifying_app(make_client, mail_server)
    started = (await start(client, email="alice@example.org")).json()
    assert fields(problem(await verify(client, started["verification_id"], code), 422)) == {"code"}


async def test_other_sign_ups_mails_are_not_mixed_up(
    make_client: AppFactory, mail_server: MailServer, sms_gateway: SmsGateway
) -> None:
    """Issue 20: one sign-up's code does not confirm another's."""
    client = await verifying_app(make_client, mail_server, sms_gateway)
    alice = (await start(client, email="alice@example.org")).json()
    bob = (await start(client, phone=OTHER_PHONE)).json()
    alice_code = code_in(await mail_to(mail_server, "alice@example.org"))
    bob_code = code_in(await text_to(sms_gateway, OTHER_PHONE))
    if alice_code != bob_code:
        problem(await verify(client, bob["verification_id"], alice_code), 422)
    assert (await verify(client, bob["verification_id"], bob_code)).status_code == 201
    assert mails_to(mail_server, OTHER_PHONE) == []
    assert (await verify(client, alice["verification_id"], alice_code)).status_code == 201


async def test_resend_of_an_unknown_attempt_is_a_422(
    client: httpx.AsyncClient,
) -> None:
    """Issue 20: resending for an attempt that is over (or never was) says to start again."""
    answer = await client.post(
        f"{API}/auth/verify/resend",
        json={"verification_id": "00000000-0000-4000-8000-000000000000"},
    )
    assert fields(problem(answer, 422)) == {"verification_id"}
