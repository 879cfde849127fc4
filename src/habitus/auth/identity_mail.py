"""Emails about a user's identity (issue 20): sign-up codes, the "you already have an
account" answer, email-change codes and the notice to the old address. They go through
the operator's SMTP server (`habitus.mailer`), in the background once the request has
committed: the answer is as fast, and says the same, whatever the mail server does. A
failure that may pass is tried again after each of RETRY_DELAYS; the log names the
kind of mail only, never the address or a code.

Password-reset links have their own sender, `auth.reset_links`.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db, mailer
from habitus.config import Settings
from habitus.kit import clock

log = structlog.get_logger(__name__)

RETRY_DELAYS: tuple[float, ...] = (5.0, 60.0)
_FAILURES: tuple[type[BaseException], ...] = (*mailer.SEND_ERRORS, ValueError)
_sending: set[asyncio.Task[bool]] = set()

SIGNUP_SUBJECT = "Your Habitus sign-up code"
KNOWN_SUBJECT = "You already have a Habitus account"
CHANGE_SUBJECT = "Confirm your new Habitus address"
CHANGED_SUBJECT = "Your Habitus address was changed"


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str
    kind: str  # for the log: "signup_code", "signup_known", ...
    key: uuid.UUID = field(default_factory=uuid.uuid4)  # the Message-ID, kept on retries


def available(settings: Settings) -> bool:
    return settings.smtp_host is not None


def signup_code(to: str, code: str, minutes: int) -> Mail:
    return Mail(
        to=to,
        subject=SIGNUP_SUBJECT,
        kind="signup_code",
        text=(
            f"Your Habitus code is {code}\n\n"
            f"Enter it on the sign-up page within {minutes} minutes to create your account.\n"
            "If you did not sign up, ignore this email: no account is made without the code.\n"
        ),
    )


def signup_known(to: str, base_url: str) -> Mail:
    return Mail(
        to=to,
        subject=KNOWN_SUBJECT,
        kind="signup_known",
        text=(
            "Someone, hopefully you, tried to sign up to Habitus with this address, but "
            "you already have an account.\n\n"
            f"Sign in: {base_url}/login\n"
            f"Forgot your password? Reset it: {base_url}/forgot\n\n"
            "If it was not you, ignore this email: nothing has changed.\n"
        ),
    )


def change_code(to: str, code: str, minutes: int) -> Mail:
    return Mail(
        to=to,
        subject=CHANGE_SUBJECT,
        kind="email_change_code",
        text=(
            f"Your Habitus code is {code}\n\n"
            "Enter it in Settings within "
            f"{minutes} minutes to make this your account's address.\n"
            "If you did not ask for this, ignore this email.\n"
        ),
    )


def change_in_use(to: str) -> Mail:
    return Mail(
        to=to,
        subject=CHANGE_SUBJECT,
        kind="email_change_in_use",
        text=(
            "Someone asked to move their Habitus account to this address, but it already "
            "belongs to an account, so it cannot be used twice.\n"
            "If it was you, sign in with this address instead. Otherwise ignore this email.\n"
        ),
    )


def changed_notice(to: str, new_address: str) -> Mail:
    return Mail(
        to=to,
        subject=CHANGED_SUBJECT,
        kind="email_changed_notice",
        text=(
            f"The address of your Habitus account was changed to {mask(new_address)}.\n"
            "This address no longer signs in. If you did not do this, contact the "
            "administrator of your Habitus server at once.\n"
        ),
    )


def mask(address: str) -> str:
    """The address shown as "a***@example.org": the notice names the new address without
    handing it to whoever reads the old mailbox."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def send_later(session: AsyncSession, settings: Settings, mail: Mail) -> None:
    """Send `mail` once this request's transaction has committed (not on rollback)."""
    db.after_commit(session, lambda: _start(settings, mail))


def _start(settings: Settings, mail: Mail) -> None:
    task = asyncio.get_running_loop().create_task(send(settings, mail))
    _sending.add(task)
    task.add_done_callback(_sending.discard)


def build(settings: Settings, mail: Mail) -> EmailMessage:
    email = EmailMessage()
    email["Subject"] = mail.subject
    email["From"] = settings.smtp_from
    email["To"] = mail.to
    email["Date"] = format_datetime(clock.now())
    email["Message-ID"] = mailer.message_id(mail.key, settings)
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders leave it alone
    email.set_content(mail.text)
    return email


async def send(settings: Settings, mail: Mail) -> bool:
    """Send, and again after each of RETRY_DELAYS; True once the server took it."""
    delays = iter(RETRY_DELAYS)
    attempts = 0
    while True:
        attempts += 1
        try:
            await mailer.send(build(settings, mail), recipient=mail.to, settings=settings)
        except _FAILURES as error:
            delay = None if isinstance(error, ValueError) else next(delays, None)
            if delay is None:
                log.error(
                    "identity_mail_failed",
                    kind=mail.kind,
                    attempts=attempts,
                    error=type(error).__name__,
                    smtp_code=getattr(error, "code", None),
                )
                return False
            await asyncio.sleep(delay)
        else:
            log.info("identity_mail_sent", kind=mail.kind, attempts=attempts)
            return True
