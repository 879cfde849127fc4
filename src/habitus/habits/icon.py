"""A habit's icon: one emoji (or any single character a person picks), shown before its
name. Checked here so the API, the form and an import refuse the same things."""

from __future__ import annotations

import unicodedata

MAX_ICON_CHARS = 16  # code points: a family or a flag with tags stays within it

SUGGESTED = ("💧", "📚", "🏃", "🧘", "🥗", "😴", "💊", "🦷", "🚭", "✍️")

_ZWJ = "\u200d"


def _extends(char: str) -> bool:
    """Parts of a grapheme that never start one: variation selectors, skin tones, tag
    characters, the keycap and combining marks."""
    code = ord(char)
    return (
        0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
        or code == 0x20E3
        or unicodedata.category(char) in {"Mn", "Me", "Mc"}
    )


def _regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def grapheme_count(text: str) -> int:
    """Close to Unicode's extended grapheme clusters for emoji: a ZWJ joins what follows
    to what came before, and two regional indicators make one flag."""
    count = 0
    joined = False
    pending_flag = False
    for char in text:
        if char == _ZWJ:
            joined = True
            continue
        if joined or _extends(char):
            joined = False
            continue
        if _regional(char) and pending_flag:
            pending_flag = False
            continue
        pending_flag = _regional(char)
        count += 1
    return count


def check_icon(value: str | None) -> str | None:
    """The icon as stored (None for none), or ValueError in words for a person."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if len(value) > MAX_ICON_CHARS:
        raise ValueError(f"must be one emoji (at most {MAX_ICON_CHARS} characters)")
    if any(unicodedata.category(char) in {"Cc", "Zl", "Zp", "Zs", "Co", "Cs"} for char in value):
        raise ValueError("must be one emoji, without spaces or control characters")
    if value[0] == _ZWJ or grapheme_count(value) != 1:
        raise ValueError("must be a single emoji or character")
    return value
