"""Where an extraction's photo waits for the user's confirmation (issue 19): in the
database, encrypted, for at most a day.

The database rather than a folder of the data directory, so that any web process (on
any machine) can show the photo's crops in the confirm step. Encrypted with a Fernet key
derived (HKDF) from the app's signing key: a database dump alone does not show anyone's
body measurements. If the signing key changes, photos waiting then can no longer be
read: the extraction still holds its values, only the crops are gone, and every photo is
gone within 24 hours anyway, so no key rotation is needed.
"""

from __future__ import annotations

import base64
import uuid
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.config import Settings
from habitus.health import images
from habitus.models.health import HealthPhoto

_PURPOSE = b"habitus health photos v1"


@cache
def _fernet(signing_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(
        signing_key.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def _cipher(settings: Settings) -> Fernet:
    return _fernet(settings.signing_key)


def keep(
    session: AsyncSession,
    settings: Settings,
    *,
    extraction_id: uuid.UUID,
    user_id: uuid.UUID,
    data: bytes,
) -> None:
    session.add(
        HealthPhoto(
            extraction_id=extraction_id,
            user_id=user_id,
            content_type=images.STORED_CONTENT_TYPE,
            data_encrypted=_cipher(settings).encrypt(data),
        )
    )


async def read(session: AsyncSession, settings: Settings, extraction_id: uuid.UUID) -> bytes | None:
    """The photo's bytes, or None when it is gone (confirmed, expired) or unreadable."""
    token = await session.scalar(
        select(HealthPhoto.data_encrypted).where(HealthPhoto.extraction_id == extraction_id)
    )
    if token is None:
        return None
    try:
        return _cipher(settings).decrypt(token)
    except InvalidToken:
        return None


async def forget(session: AsyncSession, extraction_id: uuid.UUID) -> None:
    await session.execute(delete(HealthPhoto).where(HealthPhoto.extraction_id == extraction_id))
