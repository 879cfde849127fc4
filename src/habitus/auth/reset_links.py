"""How a password-reset link reaches its owner (issue 11, item 11). Never through the log:
logs are kept, copied and shipped for far longer than a link lives, and outlive accounts.

- With an SMTP server configured (`smtp_host`), by email, sent in the background once the
  request has committed: "forgot my password" answers as fast whether or not the account
  exists, however slow the mail server, and no send failure reaches the requester. A
  failure that may pass is tried again after each of `RETRY_DELAYS`; the last one is
  logged with the user's id only, never the link or the address.
- Without one, the link is kept sealed (`PasswordResetNotice`, `auth.sealing`) until an
  administrator has seen it once on the admin page to pass it on; the log says only that
  a link waits, for which user id. It goes earlier with its token (spent, or expired and
  swept) or its account.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db, mailer
from habitus.auth import identifiers, repository, sealing
from habitus.config import Settings
from habitus.context import AppContext
from habitus.kit import clock
from habitus.models import PasswordResetNotice, PasswordResetToken, User

log = structlog.get_logger(__name__)

SEALING_PURPOSE = "password-reset-notice"
MAIL_SUBJECT = "Reset your Habitus password"
# Seconds before each further try of a mail the server did not take, when that may pass.
RETRY_DELAYS: tuple[float, ...] = (5.0, 60.0)
# The admin page lists at most this many waiting links.
LISTED_AT_MOST = 50
# What can go wrong with a mail: the server's answers, the network, and an address that
# cannot stand in a header (ValueError from the email package).
_MAIL_FAILURES: tuple[type[BaseException], ...] = (*mailer.SEND_ERRORS, ValueError)
# Mails still being sent: the event loop keeps only weak references to its tasks.
_sending: set[asyncio.Task[None]] = set()


@dataclass(frozen=True, slots=True)
class ResetMail:
    """What the background sender needs, copied out of the rows before the request ends."""

    user_id: uuid.UUID
    address: str
    link: str
    reset_id: uuid.UUID
    expires_at: datetime


async def deliver(
    session: AsyncSession,
    ctx: AppContext,
    *,
    user: User,
    reset: PasswordResetToken,
    link: str,
) -> None:
    """Get `link`, made for the (flushed) reset token `reset`, to `user`."""
    settings = ctx.settings
    # A user with a phone and no address (issue 20) gets a code by SMS instead, when
    # the server can send one (`auth.verification`); else the administrator passes it on.
    if settings.smtp_host is not None and user.email is not None:
        mail = ResetMail(
            user_id=user.id,
            address=user.email,
            link=link,
            reset_id=reset.id,
            expires_at=reset.expires_at,
        )
        db.after_commit(session, lambda: _send_later(settings, mail))
        return
    session.add(
        PasswordResetNotice(
            user_id=user.id,
            reset_token_id=reset.id,
            sealed_link=sealing.seal(
                settings.signing_key, SEALING_PURPOSE, link, bound_to=user.id.bytes
            ),
            expires_at=reset.expires_at,
        )
    )
    await session.flush()
    # WARNING: an administrator has something to do.
    log.warning("password_reset_link_waiting", user_id=str(user.id), shown_once_on="/admin")


def reset_email(settings: Settings, mail: ResetMail) -> EmailMessage:
    """The email that carries a reset link. Raises ValueError for an address that cannot
    stand in a header."""
    minutes = max(1, round((mail.expires_at - clock.now()).total_seconds() / 60))
    email = EmailMessage()
    email["Subject"] = MAIL_SUBJECT
    email["From"] = settings.smtp_from
    email["To"] = mail.address
    email["Date"] = format_datetime(clock.now())
    email["Message-ID"] = mailer.message_id(mail.reset_id, settings)
    # RFC 3834: sent by a program; auto-responders leave it alone.
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(
        "Someone, hopefully you, asked to reset the password of your Habitus account.\n\n"
        f"Choose a new password here (the link works once, in the next {minutes} minutes):\n"
        f"{mail.link}\n\n"
        "If it was not you, ignore this email: your password stays as it is.\n"
    )
    return email


def _send_later(settings: Settings, mail: ResetMail) -> None:
    task = asyncio.get_running_loop().create_task(_send(settings, mail))
    _sending.add(task)
    task.add_done_callback(_sending.discard)


async def _send(settings: Settings, mail: ResetMail) -> None:
    """Send, and again after each of RETRY_DELAYS while the failure may pass. Runs after
    the answer: whatever happens here, the requester has been told what everyone is."""
    delays = iter(RETRY_DELAYS)
    attempts = 0
    while True:
        attempts += 1
        try:
            email = reset_email(settings, mail)
            await mailer.send(email, recipient=mail.address, settings=settings)
        except _MAIL_FAILURES as error:
            delay = None if _cannot_pass(error) else next(delays, None)
            if delay is None:
                # The error's text may quote the address: only its kind and code are kept.
                log.error(
                    "password_reset_mail_failed",
                    user_id=str(mail.user_id),
                    attempts=attempts,
                    error=type(error).__name__,
                    smtp_code=getattr(error, "code", None),
                )
                return
            await asyncio.sleep(delay)
        else:
            log.info("password_reset_mail_sent", user_id=str(mail.user_id), attempts=attempts)
            return


def _cannot_pass(error: BaseException) -> bool:
    """Trying again cannot help: an address no header can hold, or one the server
    refused for good (5xx on RCPT)."""
    return isinstance(error, ValueError) or _address_refused(error)


def _address_refused(error: BaseException) -> bool:
    """The server refused the address for good (5xx on RCPT), not just for now (4xx)."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        refusals = list(error.recipients)
    elif isinstance(error, aiosmtplib.SMTPRecipientRefused):
        refusals = [error]
    else:
        return False
    return bool(refusals) and all(refusal.code >= 500 for refusal in refusals)


# --- the administrator's side ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WaitingLink:
    """A kept link, as the admin page lists it (without the link)."""

    id: uuid.UUID
    email: str
    asked_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class RevealedLink:
    email: str
    # None when it cannot be opened: the server's secret changed since it was sealed.
    link: str | None
    expires_at: datetime


async def waiting_links(session: AsyncSession) -> list[WaitingLink]:
    """The kept links that still work, oldest first."""
    found = await repository.live_reset_notices(session, clock.now(), limit=LISTED_AT_MOST)
    return [
        WaitingLink(
            id=notice.id,
            email=identifiers.shown(user),
            asked_at=notice.created_at,
            expires_at=notice.expires_at,
        )
        for notice, user in found
    ]


async def reveal(
    session: AsyncSession, ctx: AppContext, *, notice_id: uuid.UUID, admin: User
) -> RevealedLink | None:
    """A kept link, shown this once: its row is deleted. None when it is gone (shown
    already, used, expired, the account disabled or deleted)."""
    found = await repository.live_reset_notice(session, notice_id, clock.now())
    if found is None:
        return None
    notice, user = found
    if not await repository.delete_reset_notice(session, notice.id):
        return None  # another administrator took it just now
    link = sealing.unseal(
        ctx.settings.signing_key, SEALING_PURPOSE, notice.sealed_link, bound_to=user.id.bytes
    )
    log.info("password_reset_link_shown", user_id=str(user.id), admin_id=str(admin.id))
    return RevealedLink(email=identifiers.shown(user), link=link, expires_at=notice.expires_at)
