"""The sign-up, sign-in, forgot and reset forms' words for their fields (issue 13 item 5):
every field's problem at once, in plain words, instead of the API's field-level wording
("must be at least 10 characters long") or pydantic's ("value is not a valid email")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from habitus.auth.passwords import MIN_LENGTH, password_problem

EXAMPLE_ADDRESS = "name@example.org"
NO_EMAIL = f"Enter your email address, like {EXAMPLE_ADDRESS}."
BAD_EMAIL = f"Enter a valid email address, like {EXAMPLE_ADDRESS}."
NO_PASSWORD = "Enter your password."


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def password_words(problem: str) -> str:
    """A broken password rule (`passwords.password_problem`, the service's message) as a
    sentence that says what to do."""
    if problem.startswith("must be at least"):
        has = problem.rsplit("(it has ", 1)[-1].rstrip(")") if "(it has " in problem else ""
        told = f" (this one has {has})" if has and has != "0" else ""
        return f"Use at least {MIN_LENGTH} characters{told}."
    if problem.startswith("is too common"):
        return "This password is too common: it is on a list of often used ones. Choose another."
    if problem.startswith("must not be your email"):
        return "Do not use your email address as the password."
    if problem.startswith("is too repetitive"):
        return "Use at least 3 different characters."
    if problem.startswith("must be at most"):
        return _sentence("Use " + problem.removeprefix("must be "))
    return _sentence(problem)


def email_words(email: str) -> str | None:
    """What is wrong with an address typed into a form, before any lookup; None: fine
    for now (the server checks the rest)."""
    email = email.strip()
    if not email:
        return NO_EMAIL
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or len(email) > 320 or "\x00" in email:
        return BAD_EMAIL
    return None


def wording(field: str, rule: str, message: str, ctx: Mapping[str, Any]) -> str:
    """`kit.forms.form_errors` wording for the auth forms."""
    del ctx
    if field == "email" and rule in {"value_error", "missing", "string_too_short"}:
        return message if "already" in message else BAD_EMAIL
    if field in {"password", "new_password"} and rule == "password_policy":
        return password_words(message)
    return message


def password_error(password: str, email: str | None = None) -> str | None:
    """The password field's problem in plain words, checked next to the other fields so
    every field's error shows at once."""
    problem = password_problem(password, email=email)
    return password_words(problem) if problem else None
