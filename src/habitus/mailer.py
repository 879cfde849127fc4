"""Sending email through the configured SMTP server (`smtp_*` settings).

Shared by the email notification channel (`reminders.transports.email`) and the password
reset mail (`auth.reset_links`): both build an `EmailMessage`, this module puts it on the
wire. Failures are raised as aiosmtplib, network and timeout errors; each caller decides
what they mean for it.
"""

from __future__ import annotations

import io
import uuid
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import parseaddr

import aiosmtplib

from habitus.config import Settings

# What `send` raises when the message did not get through.
SEND_ERRORS: tuple[type[BaseException], ...] = (aiosmtplib.SMTPException, OSError, TimeoutError)
# Headers go out unfolded up to RFC 5322's hard limit. At the usual 78 columns the email
# package would encode a long `List-Unsubscribe` URL as RFC 2047 words, which mail clients
# do not decode there: the one-click link would break.
WIRE_POLICY = SMTP.clone(max_line_length=998)


def render_email(email: EmailMessage) -> bytes:
    """The bytes sent in DATA (CRLF line ends, headers never RFC 2047-encoded for length)."""
    with io.BytesIO() as buffer:
        BytesGenerator(buffer, policy=WIRE_POLICY).flatten(email)
        return buffer.getvalue()


def sender_domain(settings: Settings) -> str:
    """The domain of `smtp_from`, for Message-IDs."""
    # make_msgid() would ask the resolver for this machine's FQDN on every message.
    _, sender = parseaddr(settings.smtp_from)
    domain = sender.rpartition("@")[2]
    return domain or "habitus.localhost"


def message_id(key: uuid.UUID, settings: Settings) -> str:
    """A Message-ID derived from `key`: a retry of the same message keeps it, so a mail
    system that saw the first attempt can drop the copy."""
    return f"<{key}@{sender_domain(settings)}>"


async def send(email: EmailMessage, *, recipient: str, settings: Settings) -> None:
    """Hand `email` to the SMTP server for `recipient`; raises one of `SEND_ERRORS`."""
    if settings.smtp_host is None:
        raise aiosmtplib.SMTPException("no SMTP server is configured")
    await aiosmtplib.send(
        render_email(email),
        sender=parseaddr(settings.smtp_from)[1],
        recipients=[recipient],
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        use_tls=settings.smtp_security == "tls",
        # True: refuse to go on in clear text when STARTTLS was asked for.
        start_tls=settings.smtp_security == "starttls",
        timeout=settings.smtp_timeout_seconds,
    )
