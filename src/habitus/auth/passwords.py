"""The password rules (at least 10 characters, not a common one). Hashing is
`kit.hashing.Hasher`."""

from __future__ import annotations

from functools import lru_cache

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
