"""The server's VAPID key pair (RFC 8292), generated at first start and kept.

A browser subscribes to Web Push with our public key (`applicationServerKey`) and the
push service then accepts only messages signed with the matching private key. Losing or
replacing the key therefore silently breaks every existing subscription: the key is
written once into the data directory and read back on every later start, and two
processes starting at once end up with the same key.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

VAPID_KEY_FILE_NAME = "vapid_private.pem"


class VapidKeyError(RuntimeError):
    """The kept key file exists but cannot be used (a message fit for an operator)."""


@dataclass(frozen=True, slots=True)
class VapidKeys:
    private_key_path: Path
    private_key_pem: bytes
    private_key: ec.EllipticCurvePrivateKey
    # The uncompressed P-256 point (65 bytes, 0x04 first), base64url without padding:
    # what the browser's `pushManager.subscribe({applicationServerKey})` takes.
    public_key_b64: str


@functools.lru_cache(maxsize=8)
def load_or_create_vapid(data_dir: Path) -> VapidKeys:
    """The key pair kept in `data_dir`, created (mode 0600) on first use. Cached per
    directory: the file is read once per process."""
    return read_or_create_key_file(data_dir / VAPID_KEY_FILE_NAME)


def read_or_create_key_file(path: Path) -> VapidKeys:
    """Uncached: read the key at `path`, or create it if there is none yet."""
    if path.exists():
        pem = path.read_bytes()
        if pem.strip():
            return _keys_from_pem(path, pem)
    return _keys_from_pem(path, _create_key_file(path))


def _create_key_file(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    # Written whole to a private temporary file (mkstemp: mode 0600 from the start), then
    # linked into place, which fails if the name exists: when two processes start at once
    # the second one reads the first one's key instead of replacing it (a replaced key
    # would leave the first process signing with a key no browser subscribed to).
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(pem)
        try:
            os.link(temporary, path)
        except FileExistsError:
            existing = path.read_bytes()
            if existing.strip():
                return existing
            os.replace(temporary, path)  # an empty file left by a crash: replace it
        except OSError:
            # A file system without hard links: move it into place (last one wins).
            os.replace(temporary, path)
            return path.read_bytes()
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return pem


def _keys_from_pem(path: Path, pem: bytes) -> VapidKeys:
    # A broken key file is an operator's problem to look at, never a reason to generate a
    # new key silently: that would cut off every subscribed browser.
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as error:
        raise VapidKeyError(f"{path} is not a readable PEM private key: {error}") from error
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise VapidKeyError(f"{path} must hold an EC P-256 (prime256v1) private key")
    point = key.public_key().public_bytes(
        encoding=serialization.Encoding.X962,
        format=serialization.PublicFormat.UncompressedPoint,
    )
    return VapidKeys(
        private_key_path=path,
        private_key_pem=pem,
        private_key=key,
        public_key_b64=base64.urlsafe_b64encode(point).rstrip(b"=").decode("ascii"),
    )
