"""kit.responses: the one ETag recipe and the 304 that answers it (API.md Conventions)."""

from __future__ import annotations

import uuid
from datetime import date

from starlette.requests import Request

from habitus.kit.responses import etag, not_modified


def _request(if_none_match: str | None) -> Request:
    headers = [] if if_none_match is None else [(b"if-none-match", if_none_match.encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


def test_an_etag_changes_exactly_when_a_part_does() -> None:
    habit = uuid.uuid4()
    tag = etag(habit, 3, "Europe/Berlin", date(2026, 11, 21), "days")
    assert tag == etag(habit, 3, "Europe/Berlin", date(2026, 11, 21), "days")
    assert tag.startswith('"')
    assert tag.endswith('"')
    assert tag != etag(habit, 4, "Europe/Berlin", date(2026, 11, 21), "days")
    assert tag != etag(habit, 3, "Europe/Berlin", date(2026, 11, 22), "days")
    assert tag != etag(habit, 3, "Europe/Berlin", date(2026, 11, 21), "stats")
    assert etag(habit, 3, weak=True) == "W/" + etag(habit, 3)


def test_not_modified_compares_weakly() -> None:
    """RFC 9110 8.8.3.2: If-None-Match uses the weak comparison, W/ or not on either side."""
    strong = etag("a", 1)
    weak = etag("a", 1, weak=True)
    for current in (strong, weak):
        for sent in (strong, weak, f'"other", {weak}', "*"):
            answer = not_modified(_request(sent), current)
            assert answer is not None
            assert answer.status_code == 304
            assert answer.headers["etag"] == current
        assert not_modified(_request(etag("a", 2)), current) is None
        assert not_modified(_request(None), current) is None
