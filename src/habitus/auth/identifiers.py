"""What names an account (issue 20): an email address, or a phone number in E.164 form
("+4915112345678"), or both. Every user has one or the other.

Phone numbers are read with `phonenumbers` and must be written internationally (with
the leading "+" and the country code): the server cannot guess a country.
"""

from __future__ import annotations

import phonenumbers

from habitus.models import User

PHONE_RULE = "must be a phone number in international form, such as +4915112345678"


def email_key(email: str) -> str:
    """Addresses are unique case-insensitively: "Alice@X.org" is "alice@x.org"."""
    return email.strip().lower()


def looks_like_phone(text: str) -> bool:
    """Whether `text` was meant as a phone number rather than an address: no "@", and
    starting with "+" or a digit ("+49 151 ...", "0049...")."""
    stripped = text.strip()
    return "@" not in stripped and stripped[:1] in {"+", *"0123456789"}


def e164(text: str) -> str | None:
    """The number in E.164 form, or None when it is not a valid phone number."""
    stripped = text.strip()
    if not stripped.startswith("+") and stripped.startswith("00"):
        stripped = "+" + stripped[2:]
    try:
        number = phonenumbers.parse(stripped, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def key_of_text(text: str) -> str:
    """The key a sign-in attempt is throttled under: the address's key, or the E.164
    number when `text` is one (an unreadable number is taken as typed)."""
    if looks_like_phone(text):
        return e164(text) or text.strip()
    return email_key(text)


def key_of(user: User) -> str:
    """The user's throttle key: their address's key, or their phone number."""
    key = user.email_key or user.phone
    assert key is not None, "the database holds an address or a phone for every user"
    return key


def shown(user: User) -> str:
    """How pages and lists name the user: their address, or their phone number."""
    name = user.email or user.phone
    assert name is not None, "the database holds an address or a phone for every user"
    return name
