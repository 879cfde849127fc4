"""What `habitus rotate-chat-keys` does: re-encrypt every message body with the newest
configured key, in small batches, while the app keeps running.

Each batch is its own short transaction (readers and writers wait at most one batch).
A message is only ever inserted or deleted, never edited, so a batch rewrites a body
only if it is still the one it read (a deleted message is simply skipped), and messages
written during the run are already under the newest key: the app encrypts with it as
soon as it is configured first (restart the app with the new key in front first).
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from sqlalchemy import select, update

from habitus import db
from habitus.chat import keys
from habitus.config import Settings
from habitus.models import Message

BATCH = 500


@dataclass(frozen=True, slots=True)
class Rotated:
    messages: int
    unreadable: list[int]  # ids no configured key opens (left as they are)


async def rotate(settings: Settings, *, batch: int = BATCH) -> Rotated:
    """Every message under the newest key. The schema must be migrated already."""
    engine = db.create_engine(settings.database_url)
    done = 0
    unreadable: list[int] = []
    after = 0
    try:
        maker = db.create_sessionmaker(engine)
        while True:
            async with db.job_transaction(maker) as session:
                rows = (
                    await session.execute(
                        select(Message.id, Message.body_encrypted)
                        .where(Message.id > after)
                        .order_by(Message.id)
                        .limit(batch)
                    )
                ).all()
                if not rows:
                    break
                for message_id, token in rows:
                    try:
                        fresh = keys.rotated(settings, token)
                    except InvalidToken:
                        unreadable.append(message_id)
                        continue
                    await session.execute(
                        update(Message)
                        .where(Message.id == message_id, Message.body_encrypted == token)
                        .values(body_encrypted=fresh)
                    )
                    done += 1
                after = rows[-1][0]
    finally:
        await engine.dispose()
    return Rotated(done, unreadable)
