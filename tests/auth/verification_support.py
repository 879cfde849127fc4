"""Shared steps of the verification tests (issue 20): an app that sends codes through
a real SMTP server and a loopback SMS gateway, and reading the codes out of what they
received."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import FastAPI

from tests.auth.mailserver import MailServer, eventually
from tests.auth.smsgateway import SmsGateway
from tests.conftest import AppFactory
from tests.fixtures.personas import DEFAULT_PASSWORD, Persona, create_persona

API = "/api/v1"
CODE = re.compile(r"\b([0-9]{6})\b")
PHONE = "+447911123456"  # a UK mobile number
OTHER_PHONE = "+4915112345678"  # a German one


async def verifying_app(
    make_client: AppFactory,
    mail_server: MailServer | None = None,
    sms_gateway: SmsGateway | None = None,
    **overrides: Any,
) -> httpx.AsyncClient:
    settings: dict[str, Any] = {"verify_signups": None}
    if mail_server is not None:
        settings.update(mail_server.settings())
    if sms_gateway is not None:
        settings.update(sms_gateway.settings())
    return await make_client(**settings, **overrides)


def app_of(client: httpx.AsyncClient) -> FastAPI:
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    return transport.app  # type: ignore[return-value]


async def persona(client: httpx.AsyncClient, email: str) -> Persona:
    """An account made by the services (no code needed), signed in."""
    return await create_persona(app_of(client), email)


def mails_to(mail_server: MailServer, address: str) -> list[str]:
    texts = []
    for mail in mail_server.messages:
        if mail["To"] == address:
            body = mail.get_body(("plain",))
            assert body is not None
            texts.append(str(mail["Subject"]) + "\n" + body.get_content())
    return texts


async def mail_to(mail_server: MailServer, address: str, count: int = 1) -> str:
    """The `count`-th mail to `address`, once it has arrived."""
    await eventually(lambda: len(mails_to(mail_server, address)) >= count)
    return mails_to(mail_server, address)[count - 1]


async def text_to(sms_gateway: SmsGateway, phone: str, count: int = 1) -> str:
    await eventually(lambda: len(sms_gateway.texts_to(phone)) >= count)
    return sms_gateway.texts_to(phone)[count - 1]


def code_in(text: str) -> str:
    found = CODE.search(text)
    assert found, text
    return found.group(1)


async def start(client: httpx.AsyncClient, **identity: str) -> httpx.Response:
    return await client.post(
        f"{API}/auth/register", json={**identity, "password": DEFAULT_PASSWORD}
    )


async def verify(client: httpx.AsyncClient, verification_id: str, code: str) -> httpx.Response:
    return await client.post(
        f"{API}/auth/verify", json={"verification_id": verification_id, "code": code}
    )


def wrong(code: str) -> str:
    """A 6-digit code that is not `code`."""
    return f"{(int(code) + 1) % 1_000_000:06d}"
