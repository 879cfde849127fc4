"""Email over SMTP: a plain-text and an HTML part, and a one-click unsubscribe (RFC 8058).

Only an answer about the recipient's address disables the channel. Everything else that
goes wrong (the server is down, slow, busy, refuses our sender or our credentials) is the
operator's to fix and says nothing about the user's address, so it is retried and, after
the last attempt, lands in the dead-letter list for an admin instead.
"""

from __future__ import annotations

import html
import re
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib

from habitus import mailer
from habitus.config import Settings
from habitus.reminders.channel_types import EmailConfig
from habitus.reminders.transports.base import Message, PermanentFailure, TemporaryFailure

# RCPT answers that say the address itself is wrong (RFC 5321 4.2.2): no such mailbox,
# not local, mailbox name not allowed, syntax error in the address.
RECIPIENT_REFUSED_CODES = frozenset({501, 550, 551, 553})
# An enhanced status 5.7.x (RFC 3463) is a policy refusal (relaying denied, our server
# not trusted): a server-side problem even when it comes with a 550.
POLICY_STATUS = re.compile(r"^\s*5\.7\.\d+")


def build_email(message: Message, address: str, settings: Settings) -> EmailMessage:
    """The email as it is sent: public so tests can inspect it without a server."""
    email = EmailMessage()
    # A title is one line; a line break would be refused as header injection.
    email["Subject"] = " ".join(message.title.split())
    email["From"] = settings.smtp_from
    email["To"] = address
    email["Date"] = format_datetime(message.sent_at)
    # Derived from the delivery: a retry of the same delivery keeps its Message-ID, so a
    # mail system that saw the first attempt can drop the copy.
    email["Message-ID"] = mailer.message_id(message.delivery_id, settings)
    email["X-Habitus-Delivery"] = str(message.delivery_id)
    if message.unsubscribe_url:
        email["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(_plain_text(message))
    email.add_alternative(message.html or _html_from_text(message), subtype="html")
    return email


class EmailTransport:
    kind = "email"

    async def send(self, message: Message, config: EmailConfig, settings: Settings) -> None:
        address = config.address.strip()
        if not address:
            raise PermanentFailure("the email channel has no address")
        if settings.smtp_host is None:
            # The operator removed the SMTP settings after the channel was added.
            raise TemporaryFailure("no SMTP server is configured")
        try:
            email = build_email(message, address, settings)
        except ValueError as error:  # an address with a line break or other junk
            raise PermanentFailure(f"{address!r} is not a valid email address") from error
        try:
            await mailer.send(email, recipient=address, settings=settings)
        except aiosmtplib.SMTPRecipientsRefused as error:
            raise _recipient_failure(address, error.recipients) from error
        except aiosmtplib.SMTPRecipientRefused as error:
            raise _recipient_failure(address, [error]) from error
        except mailer.SEND_ERRORS as error:
            raise TemporaryFailure(
                f"the mail server could not take the message: {error}"
            ) from error


def _recipient_failure(
    address: str, refusals: list[aiosmtplib.SMTPRecipientRefused]
) -> PermanentFailure | TemporaryFailure:
    for refusal in refusals:
        if refusal.code in RECIPIENT_REFUSED_CODES and not POLICY_STATUS.match(refusal.message):
            return PermanentFailure(
                f"the mail server refused {address}: {refusal.code} {refusal.message}"
            )
    answers = "; ".join(f"{refusal.code} {refusal.message}" for refusal in refusals)
    return TemporaryFailure(f"the mail server did not take {address} for now: {answers}")


def _plain_text(message: Message) -> str:
    text = message.body.rstrip("\n") + "\n"
    if message.unsubscribe_url:
        text += f"\nUnsubscribe: {message.unsubscribe_url}\n"
    return text


def _html_from_text(message: Message) -> str:
    paragraphs = [
        "<p>" + html.escape(paragraph).replace("\n", "<br>\n") + "</p>"
        for paragraph in message.body.strip().split("\n\n")
        if paragraph.strip()
    ]
    if message.unsubscribe_url:
        link = html.escape(message.unsubscribe_url, quote=True)
        paragraphs.append(f'<p><small><a href="{link}">Unsubscribe</a></small></p>')
    title = html.escape(message.title)
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>{title}</title></head>\n<body>\n" + "\n".join(paragraphs) + "\n</body></html>\n"
    )
