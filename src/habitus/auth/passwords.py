"""Argon2id hashing and the password rules (at least 10 characters, not a common one)."""

from __future__ import annotations

from functools import lru_cache

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 10
MAX_LENGTH = 256  # Argon2 takes any length; a cap keeps a request from buying CPU time


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of zxcvbn's list, lower-cased."""
    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """The first rule `password` breaks, as a message fit for the user; None if none."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters long (it has {len(password)})"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters long"
    lowered = password.lower()
    if lowered in common_passwords():
        return "is too common: it is on a list of frequently used passwords"
    if email and lowered in {email.lower(), email.lower().split("@", 1)[0]}:
        return "must not be your email address"
    if len(set(password)) < 3:
        return "is too repetitive: use at least 3 different characters"
    return None


class Hasher:
    """Argon2id with the configured cost. Hashing runs in a worker thread: it is
    deliberately slow and must not stall the event loop."""

    def __init__(self, *, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        # Checked against when the email is unknown, so that path costs the same.
        self._dummy_hash = self._hasher.hash("habitus-timing-equalizer")

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """True when `password` matches; with no stored hash, burns the same time."""
        return await anyio.to_thread.run_sync(self._verify, stored_hash, password)

    def _verify(self, stored_hash: str | None, password: str) -> bool:
        target = stored_hash if stored_hash is not None else self._dummy_hash
        try:
            matched = self._hasher.verify(target, password)
        except (VerificationError, InvalidHashError):
            return False
        return matched and stored_hash is not None

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)
