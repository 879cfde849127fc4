"""A real SMTP server on loopback (aiosmtpd) for the password-reset mail (issue 11, item
11): it keeps what it accepts, refuses one address for good and another once for now."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

SENDER = "habitus@habitus.test"
GONE = "gone@example.org"  # 550 5.1.1: no such mailbox, for good
FLAKY = "flaky@example.org"  # 451 the first time: try again later


class MailServer:
    """Keeps every accepted message; answers RCPT the way real servers do."""

    def __init__(self) -> None:
        self.port = 0
        self.messages: list[EmailMessage] = []
        self.refused_for_now: set[str] = set()

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address == GONE:
            return "550 5.1.1 no such user"
        if address == FLAKY and address not in self.refused_for_now:
            self.refused_for_now.add(address)
            return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def settings(self) -> dict[str, Any]:
        """Setting overrides that send the app's mail here."""
        return {
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "smtp_security": "none",
            "smtp_from": f"Habitus <{SENDER}>",
            "smtp_timeout_seconds": 5,
        }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_mail_server() -> Iterator[MailServer]:
    """A MailServer listening on a free loopback port while the block runs."""
    # aiosmtpd narrates every SMTP command at INFO, from its own thread, and would still
    # be talking once the test's output capture has closed.
    server_log = logging.getLogger("mail.log")
    level = server_log.level
    server_log.setLevel(logging.ERROR)
    server = MailServer()
    server.port = _free_port()
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
        server_log.setLevel(level)


async def eventually(condition: Any, *, seconds: float = 10.0) -> None:
    """Wait until `condition()` is true: mail goes out in the background, after the answer."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)
