"""Fixtures of the auth tests: a real SMTP server on loopback, and the app's log."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.auth.logs import AppLog
from tests.auth.mailserver import MailServer, running_mail_server


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    with running_mail_server() as server:
        yield server


@pytest.fixture
def app_log(capfd: pytest.CaptureFixture[str]) -> AppLog:
    """What the app writes to its log during the test (see tests/auth/logs.py)."""
    return AppLog(capfd)
