"""The VAPID key pair: generated at first start and kept (issue 6, "Web Push (VAPID keys
generated at first start and kept; pywebpush)")."""

from __future__ import annotations

import base64
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from habitus.reminders.vapid import (
    VAPID_KEY_FILE_NAME,
    VapidKeyError,
    load_or_create_vapid,
    read_or_create_key_file,
)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    load_or_create_vapid.cache_clear()
    yield
    load_or_create_vapid.cache_clear()


def _decode(b64url: str) -> bytes:
    return base64.urlsafe_b64decode(b64url + "=" * (-len(b64url) % 4))


def test_first_start_creates_a_private_key_file(tmp_path: Path) -> None:
    """Issue 6: the VAPID keys are generated at first start, into the data directory,
    readable by the server's user only (0600); the public key is what a browser's
    `applicationServerKey` takes: the uncompressed P-256 point, base64url unpadded."""
    keys = load_or_create_vapid(tmp_path)

    path = tmp_path / VAPID_KEY_FILE_NAME
    assert keys.private_key_path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == keys.private_key_pem
    assert "=" not in keys.public_key_b64
    point = _decode(keys.public_key_b64)
    assert len(point) == 65
    assert point[0] == 0x04
    # The public key belongs to the private key in the file.
    kept = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(kept, ec.EllipticCurvePrivateKey)
    assert isinstance(kept.curve, ec.SECP256R1)
    assert (
        kept.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        == point
    )


def test_later_starts_read_the_same_key(tmp_path: Path) -> None:
    """Issue 6: the keys are kept; a restart (cache cleared) signs with the same key, so
    browsers that subscribed before keep receiving pushes."""
    first = load_or_create_vapid(tmp_path)
    written = (tmp_path / VAPID_KEY_FILE_NAME).stat().st_mtime_ns

    load_or_create_vapid.cache_clear()
    second = load_or_create_vapid(tmp_path)

    assert second.public_key_b64 == first.public_key_b64
    assert second.private_key_pem == first.private_key_pem
    assert (tmp_path / VAPID_KEY_FILE_NAME).stat().st_mtime_ns == written


def test_a_key_file_already_there_is_used_not_replaced(tmp_path: Path) -> None:
    """Issue 6: "kept" includes a key an operator put in place (or an earlier install)."""
    existing = ec.generate_private_key(ec.SECP256R1())
    pem = existing.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / VAPID_KEY_FILE_NAME).write_bytes(pem)

    keys = load_or_create_vapid(tmp_path)

    point = existing.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert _decode(keys.public_key_b64) == point
    assert (tmp_path / VAPID_KEY_FILE_NAME).read_bytes() == pem


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    """Issue 6 with DESIGN "Scaling past one machine": several processes starting at once
    on one data directory must end with one key, or some would sign with a key no
    browser subscribed to."""
    path = tmp_path / VAPID_KEY_FILE_NAME
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: read_or_create_key_file(path), range(16)))

    assert len({keys.public_key_b64 for keys in results}) == 1
    assert results[0].private_key_pem == path.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == [VAPID_KEY_FILE_NAME]  # no temp left


def test_a_broken_key_file_is_reported_not_silently_replaced(tmp_path: Path) -> None:
    """Issue 6: replacing the kept key would cut off every subscribed browser, so a
    damaged file stops with a message for the operator instead."""
    path = tmp_path / VAPID_KEY_FILE_NAME
    path.write_bytes(b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")

    with pytest.raises(VapidKeyError, match=VAPID_KEY_FILE_NAME):
        load_or_create_vapid(tmp_path)
    assert b"not a key" in path.read_bytes()
