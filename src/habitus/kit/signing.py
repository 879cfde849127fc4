"""HMAC signatures for small values we hand to browsers (CSRF tokens, flash messages)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any


def sign(key: str, purpose: str, value: str) -> str:
    mac = hmac.new(key.encode(), f"{purpose}\x00{value}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def matches(key: str, purpose: str, value: str, signature: str) -> bool:
    return hmac.compare_digest(sign(key, purpose, value), signature)


def pack(key: str, purpose: str, data: dict[str, Any]) -> str:
    """`data` as a URL-safe string with its signature (readable, not secret)."""
    payload = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
    text = payload.decode().rstrip("=")
    return f"{text}.{sign(key, purpose, text)}"


def unpack(key: str, purpose: str, packed: str) -> dict[str, Any] | None:
    text, _, signature = packed.partition(".")
    if not signature or not matches(key, purpose, text, signature):
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
