"""The email transport against a real SMTP server on loopback (aiosmtpd).

Issue 6: "A real SMTP server on loopback (aiosmtpd) receives the email; assert headers,
both parts and the unsubscribe link", and "Permanent errors (SMTP 5xx on the recipient)
disable the channel and tell the user why".
"""

from __future__ import annotations

import email
import email.policy
import ipaddress
import socket
import ssl
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from habitus.config import Settings
from habitus.reminders.channel_types import CHANNEL_TYPES
from habitus.reminders.transports.base import Message, PermanentFailure, TemporaryFailure
from habitus.reminders.transports.email import EmailTransport, build_email

# Transports take their type's config model: a kept config is parsed as the dispatcher does.
email_config = CHANNEL_TYPES["email"].stored

SENDER = "reminders@habitus.test"
UNKNOWN_USER = "nobody@example.test"  # the server answers 550 5.1.1 on RCPT
BUSY_MAILBOX = "busy@example.test"  # 451: try again later
RELAY_DENIED = "someone@elsewhere.test"  # 550 5.7.1: a policy refusal, not the address
# As long as real signed tokens are: a header this long must still go out as one URL.
UNSUBSCRIBE = "https://habitus.test/api/v1/unsubscribe/" + "t0k3n" * 24 + "?kind=reminder"


class RecordingHandler:
    """Keeps every accepted message; refuses chosen recipients the way real servers do."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address == UNKNOWN_USER:
            return "550 5.1.1 no such user"
        if address == BUSY_MAILBOX:
            return "451 4.3.0 mailbox busy, try again later"
        if address == RELAY_DENIED:
            return "550 5.7.1 relaying denied"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[RecordingHandler, int]]:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def inbox(smtp_server: tuple[RecordingHandler, int]) -> RecordingHandler:
    handler, _ = smtp_server
    handler.envelopes.clear()
    return handler


def settings_for(tmp_path: Path, port: int, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": "sqlite+aiosqlite:///:memory:",
        "data_dir": tmp_path,
        "secret_key": "x" * 48,
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "smtp_from": f"Habitus <{SENDER}>",
        "smtp_timeout_seconds": 5,
    }
    values.update(overrides)
    return Settings(**values)


def reminder(**overrides: Any) -> Message:
    values: dict[str, Any] = {
        "delivery_id": uuid.uuid4(),
        "event": "reminder",
        "user_id": uuid.uuid4(),
        "title": "Read 20 min",
        "body": "Time to read 20 minutes.\n\nYour streak is 12 days.",
        "sent_at": datetime(2025, 3, 4, 18, 30, tzinfo=UTC),
        "habit_id": uuid.uuid4(),
        "habit_name": "Read 20 min",
        "html": "<p>Time to <strong>read</strong> 20 minutes.</p>",
        "unsubscribe_url": UNSUBSCRIBE,
    }
    values.update(overrides)
    return Message(**values)


def parts_by_type(message: EmailMessage) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_content()
        for part in message.walk()
        if not part.is_multipart()
    }


async def test_email_arrives_with_both_parts_and_one_click_unsubscribe(
    tmp_path: Path, smtp_server: tuple[RecordingHandler, int], inbox: RecordingHandler
) -> None:
    """Issue 6: email over SMTP with "a plain-text and an HTML part, a one-click
    unsubscribe link" (RFC 8058 headers); the server receives exactly one message."""
    _, port = smtp_server
    message = reminder()

    await EmailTransport().send(
        message, email_config({"address": "ada@example.test"}), settings_for(tmp_path, port)
    )

    assert len(inbox.envelopes) == 1
    envelope = inbox.envelopes[0]
    assert envelope.mail_from == SENDER
    assert envelope.rcpt_tos == ["ada@example.test"]
    assert isinstance(envelope.content, bytes)
    received = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert isinstance(received, EmailMessage)
    assert received["Subject"] == "Read 20 min"
    assert received["From"] == f"Habitus <{SENDER}>"
    assert received["To"] == "ada@example.test"
    assert received["Date"].datetime == message.sent_at
    assert received["Message-ID"] == f"<{message.delivery_id}@habitus.test>"
    assert received["X-Habitus-Delivery"] == str(message.delivery_id)
    # On the wire, not just after parsing (which would decode an RFC 2047-mangled URL).
    assert f"List-Unsubscribe: <{UNSUBSCRIBE}>\r\n".encode() in envelope.content
    assert received["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received.get_content_type() == "multipart/alternative"
    parts = parts_by_type(received)
    assert set(parts) == {"text/plain", "text/html"}
    assert "Time to read 20 minutes." in parts["text/plain"]
    assert "Your streak is 12 days." in parts["text/plain"]
    assert UNSUBSCRIBE in parts["text/plain"]
    assert "<strong>read</strong>" in parts["text/html"]


async def test_recipient_refused_with_550_is_permanent_and_names_the_address(
    tmp_path: Path, smtp_server: tuple[RecordingHandler, int], inbox: RecordingHandler
) -> None:
    """Issue 6: "SMTP 5xx on the recipient" is a permanent error whose reason the user sees."""
    _, port = smtp_server

    with pytest.raises(PermanentFailure) as raised:
        await EmailTransport().send(
            reminder(), email_config({"address": UNKNOWN_USER}), settings_for(tmp_path, port)
        )

    assert UNKNOWN_USER in raised.value.reason
    assert "550" in raised.value.reason
    assert inbox.envelopes == []


async def test_recipient_answered_451_is_temporary(
    tmp_path: Path, smtp_server: tuple[RecordingHandler, int], inbox: RecordingHandler
) -> None:
    """DESIGN.md "Background work": a 4xx answer is retried with backoff, the channel stays."""
    _, port = smtp_server

    with pytest.raises(TemporaryFailure):
        await EmailTransport().send(
            reminder(), email_config({"address": BUSY_MAILBOX}), settings_for(tmp_path, port)
        )

    assert inbox.envelopes == []


async def test_policy_refusal_550_5_7_1_is_temporary(
    tmp_path: Path, smtp_server: tuple[RecordingHandler, int], inbox: RecordingHandler
) -> None:
    """Issue 6 disables a channel only for a 5xx *on the recipient*: "relaying denied"
    (enhanced status 5.7.x) is our server's setup, and must not disable every user's email."""
    _, port = smtp_server

    with pytest.raises(TemporaryFailure):
        await EmailTransport().send(
            reminder(), email_config({"address": RELAY_DENIED}), settings_for(tmp_path, port)
        )


async def test_closed_port_is_temporary(tmp_path: Path) -> None:
    """DESIGN.md "Background work": a mail server that is down is retried, not fatal."""
    settings = settings_for(tmp_path, free_port(), smtp_timeout_seconds=2)

    with pytest.raises(TemporaryFailure):
        await EmailTransport().send(
            reminder(), email_config({"address": "ada@example.test"}), settings
        )


def test_html_part_escapes_the_body_when_no_html_is_given(tmp_path: Path) -> None:
    """Issue 6: every email has an HTML part; a body without one is rendered escaped, so
    a habit named like markup cannot inject it."""
    message = reminder(body="Do <script>alert(1)</script> & stretch", html=None)

    built = build_email(message, "ada@example.test", settings_for(tmp_path, 25))

    html_part = parts_by_type(built)["text/html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; stretch" in html_part
    assert "<script>" not in html_part
    assert UNSUBSCRIBE.replace("&", "&amp;") in html_part


def test_without_unsubscribe_url_there_are_no_list_headers(tmp_path: Path) -> None:
    """RFC 8058 headers only make sense with a link; a test message has none."""
    built = build_email(
        reminder(unsubscribe_url=None), "ada@example.test", settings_for(tmp_path, 25)
    )

    assert built["List-Unsubscribe"] is None
    assert built["List-Unsubscribe-Post"] is None
    assert "Unsubscribe" not in parts_by_type(built)["text/plain"]


def test_a_retry_keeps_its_message_id_and_a_title_cannot_add_headers(tmp_path: Path) -> None:
    """DESIGN.md: each delivery carries an idempotency key; for email the Message-ID of a
    retry equals the first attempt's. A line break in a title must not inject a header."""
    settings = settings_for(tmp_path, 25)
    message = reminder(title="Hello\r\nBcc: victim@example.test")

    first = build_email(message, "ada@example.test", settings)
    second = build_email(message, "ada@example.test", settings)

    assert first["Message-ID"] == second["Message-ID"]
    assert first["Subject"] == "Hello Bcc: victim@example.test"
    assert first["Bcc"] is None


def self_signed_certificate(folder: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A self-signed certificate for `host` (an IP address or a DNS name) and its key, as
    PEM files in `folder`, made here so the tests need no files of their own."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    try:
        subject: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        subject = x509.DNSName(host)
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([subject]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / f"{host}.crt", folder / f"{host}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def starttls_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[RecordingHandler, int]]:
    """A server that refuses mail until STARTTLS, with a certificate the client trusts
    (SSL_CERT_FILE: the default verify paths, the way an operator's CA bundle works)."""
    cert_path, key_path = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_path, key_path)
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context,
        require_starttls=True,
    )
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


async def test_starttls_is_used_when_configured(
    tmp_path: Path, starttls_server: tuple[RecordingHandler, int]
) -> None:
    """Issue 6: email over SMTP with STARTTLS. The server takes mail only after STARTTLS;
    the same server refuses a client that stays in clear text."""
    handler, port = starttls_server

    await EmailTransport().send(
        reminder(),
        email_config({"address": "ada@example.test"}),
        settings_for(tmp_path, port, smtp_security="starttls"),
    )
    assert len(handler.envelopes) == 1

    with pytest.raises(TemporaryFailure):
        await EmailTransport().send(
            reminder(), email_config({"address": "ada@example.test"}), settings_for(tmp_path, port)
        )
    assert len(handler.envelopes) == 1


async def test_starttls_is_required_not_hoped_for(
    tmp_path: Path, smtp_server: tuple[RecordingHandler, int], inbox: RecordingHandler
) -> None:
    """smtp_security=starttls must not fall back to clear text when the server offers no
    STARTTLS (a downgrade would send credentials and mail unencrypted)."""
    _, port = smtp_server

    with pytest.raises(TemporaryFailure):
        await EmailTransport().send(
            reminder(),
            email_config({"address": "ada@example.test"}),
            settings_for(tmp_path, port, smtp_security="starttls"),
        )

    assert inbox.envelopes == []
