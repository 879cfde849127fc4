"""Text messages to phones (issue 20): sign-up and password-reset codes, through the
SMS gateway the operator configured as an Apprise URL (`HABITUS_SMS_URL`, with
`{phone}` where the recipient's E.164 number goes, percent-encoded).

The URL is the operator's, like the SMTP server, not a user's: it is not limited to the
reminders' allow-list nor sent under their connect-time guard (a gateway on the LAN is
fine). Messages go out in the background once the request has committed: the answer is
as fast, and says the same, whether or not a message was sent or could be.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import quote

import apprise
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from habitus import db
from habitus.config import Settings

log = structlog.get_logger(__name__)

# Seconds before each further try of a message the gateway did not take.
RETRY_DELAYS: tuple[float, ...] = (5.0, 60.0)
_sending: set[asyncio.Task[bool]] = set()


@dataclass(frozen=True, slots=True)
class Text:
    """One message: `kind` names it in the log ("signup_code"), never the number or text."""

    phone: str
    body: str
    kind: str


def gateway_url(settings: Settings, phone: str) -> str:
    """The configured URL with the recipient filled in ("+" as %2B: a URL would read a
    bare "+" as a space)."""
    assert settings.sms_url is not None
    return settings.sms_url.replace("{phone}", quote(phone, safe=""))


def available(settings: Settings) -> bool:
    return settings.sms_url is not None


def send_later(session: AsyncSession, settings: Settings, text: Text) -> None:
    """Send `text` once this request's transaction has committed (not on rollback)."""
    db.after_commit(session, lambda: _start(settings, text))


def _start(settings: Settings, text: Text) -> None:
    task = asyncio.get_running_loop().create_task(send(settings, text))
    _sending.add(task)
    task.add_done_callback(_sending.discard)


async def send(settings: Settings, text: Text) -> bool:
    """Hand `text` to the gateway, again after each of RETRY_DELAYS; True once it took it."""
    notifier = apprise.Apprise()
    if not notifier.add(gateway_url(settings, text.phone)):
        log.error("sms_url_not_understood", kind=text.kind)
        return False
    for attempt, delay in enumerate((0.0, *RETRY_DELAYS), start=1):
        if delay:
            await asyncio.sleep(delay)
        if await notifier.async_notify(body=text.body, title="Habitus"):
            log.info("sms_sent", kind=text.kind, attempts=attempt)
            return True
    log.error("sms_failed", kind=text.kind, attempts=len(RETRY_DELAYS) + 1)
    return False
