"""Keeping a short secret in the database so that only this server can read it back.

AES-256-GCM under a key derived (HKDF-SHA256) from the server's signing secret and a
purpose, bound to an id (the row's owner): a sealed value copied to another row, or read
with another secret, does not open. The `cryptography` package is already the server's
(Web Push keys).
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE_BYTES = 12


def _key(secret: str, purpose: str) -> bytes:
    derive = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"habitus:{purpose}".encode()
    )
    return derive.derive(secret.encode())


def seal(secret: str, purpose: str, value: str, *, bound_to: bytes) -> str:
    """`value` encrypted and authenticated, as URL-safe base64 text."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_key(secret, purpose)).encrypt(nonce, value.encode(), bound_to)
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(secret: str, purpose: str, sealed: str, *, bound_to: bytes) -> str | None:
    """The value `seal` was given, or None when it cannot be opened (another secret,
    another owner, a damaged value)."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        opened = AESGCM(_key(secret, purpose)).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], bound_to
        )
    except (InvalidTag, ValueError, binascii.Error):
        return None
    return opened.decode()
