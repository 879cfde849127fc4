"""Fixtures of the auth tests: personas made over HTTP, a real SMTP server on loopback,
and the app's log."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.auth.logs import AppLog
from tests.auth.mailserver import MailServer, running_mail_server
from tests.auth.smsgateway import SmsGateway, running_sms_gateway
from tests.conftest import PersonaFactory


@pytest.fixture
def new_persona(new_persona_over_http: PersonaFactory) -> PersonaFactory:
    """Tests about signing up and signing in make alice, bob, charlie and the admin the
    way a client does: POST /auth/register, then /auth/login."""
    return new_persona_over_http


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    with running_mail_server() as server:
        yield server


@pytest.fixture
def app_log(capfd: pytest.CaptureFixture[str]) -> AppLog:
    """What the app writes to its log during the test (see tests/auth/logs.py)."""
    return AppLog(capfd)


@pytest.fixture
def sms_gateway() -> Iterator[SmsGateway]:
    """A loopback SMS gateway the app reaches through Apprise's json:// (issue 20)."""
    with running_sms_gateway() as gateway:
        yield gateway
