"""The Fernet keys of message bodies at rest.

`HABITUS_CHAT_KEYS` (comma-separated, newest first) when set; otherwise one key is
generated once into `<data_dir>/chat.keys` (mode 0600) and kept, so restarts read old
messages. Decryption tries every key (MultiFernet), encryption uses the newest: adding a
new key in front, then running `habitus rotate-chat-keys`, moves every message to it,
after which the old key may be dropped.
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from habitus.config import Settings, SettingsError

KEYS_FILE_NAME = "chat.keys"


def _parse(text: str, where: str) -> list[Fernet]:
    keys = [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]
    if not keys:
        raise SettingsError(f"{where} holds no chat key")
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode()))
        except ValueError as error:
            raise SettingsError(
                f"{where}: key {position} is not a Fernet key (32 url-safe base64 bytes; "
                "make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            ) from error
    return fernets


def _load_or_create(path: Path) -> str:
    """The keys kept at `path`, a new one written first (mode 0600) when there is none.
    Linked into place so two processes starting at once agree on one key."""
    if path.exists() and path.read_text(encoding="utf-8").strip():
        return path.read_text(encoding="utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(Fernet.generate_key().decode() + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            if not path.read_text(encoding="utf-8").strip():
                os.replace(temporary, path)  # an empty file left by a crash
        except OSError:
            os.replace(temporary, path)  # no hard links here: last one wins
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path.read_text(encoding="utf-8")


@cache
def _cipher(configured: str | None, data_dir: Path) -> MultiFernet:
    if configured is not None and configured.strip():
        return MultiFernet(_parse(configured, "HABITUS_CHAT_KEYS"))
    path = data_dir / KEYS_FILE_NAME
    return MultiFernet(_parse(_load_or_create(path), str(path)))


def cipher(settings: Settings) -> MultiFernet:
    return _cipher(settings.chat_keys, settings.data_dir.resolve())


def encrypt(settings: Settings, body: str) -> bytes:
    return cipher(settings).encrypt(body.encode("utf-8"))


def decrypt(settings: Settings, token: bytes) -> str:
    """The body, or a placeholder when no configured key opens it (a key dropped too
    early): one unreadable message must not break a whole page."""
    try:
        return cipher(settings).decrypt(token).decode("utf-8")
    except InvalidToken:
        return "[this message cannot be decrypted with the configured keys]"


def rotated(settings: Settings, token: bytes) -> bytes:
    """The same body under the newest key (raises InvalidToken when no key opens it)."""
    return cipher(settings).rotate(token)
