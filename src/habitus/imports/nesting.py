"""How deeply a JSON document nests, found before it is parsed (issue 11, item 8).

`json.loads` recurses once per level: 100,000 `[` raised RecursionError deep in the
parser (a 500). A Habitus export nests 7 levels (document, habits, a habit, schedules, a
version, a schedule, its dates); a file nesting deeper than MAX_DEPTH is refused before
parsing. The scan drops strings (whose brackets do not count) and everything but
brackets with two linear regular expressions, then sums the brackets in C, a chunk at a
time, stopping at the first chunk that goes too deep.
"""

from __future__ import annotations

import re
from itertools import accumulate

MAX_DEPTH = 32
# A string, escapes included; an unterminated one runs to the end (so the scan stays
# linear however many quotes the file has).
_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKETS = re.compile(rb"[^\[\]{}]+")
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1
_CHUNK = 64 * 1024


def deeper_than(data: bytes, limit: int = MAX_DEPTH) -> bool:
    """Does the JSON text `data` open more than `limit` arrays and objects at once?"""
    skeleton = _NOT_BRACKETS.sub(b"", _STRINGS.sub(b"", data))
    depth = 0
    for start in range(0, len(skeleton), _CHUNK):
        levels = list(accumulate(map(_STEP.__getitem__, skeleton[start : start + _CHUNK])))
        if depth + max(levels) > limit:
            return True
        depth += levels[-1]
    return False
