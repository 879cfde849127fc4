"""Issue 11 item 13 (D1.1): a time zone is a canonical IANA zone of a place. Names the tz
database ships that no place uses (`localtime`, `Factory`, the POSIX-rule `EST5EDT`, the
`posix/` and `right/` copies) were accepted; backward links that browsers still report
(`Asia/Calcutta`) are accepted and stored under their canonical name."""

from __future__ import annotations

import pytest

from habitus.kit.zones import canonical_zone, selectable_zones
from tests.habits.helpers import API


@pytest.mark.parametrize(
    "odd", ["localtime", "Factory", "EST5EDT", "posixrules", "posix/Europe/Berlin", "right/UTC"]
)
async def test_odd_zones_are_refused(client, alice, odd):
    """Issue 11 item 13 (D1.1): on the profile and at sign-up, a 422 naming `timezone`."""
    response = await client.patch(f"{API}/me", json={"timezone": odd}, headers=alice.headers)
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["timezone"]
    signup = await client.post(
        f"{API}/auth/register",
        json={"email": "zed@example.org", "password": "a long and quiet meadow", "timezone": odd},
    )
    assert signup.status_code == 422


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Asia/Calcutta", "Asia/Kolkata"),
        ("Europe/Kiev", "Europe/Kyiv"),
        ("US/Eastern", "America/New_York"),
        ("Etc/UTC", "Etc/UTC"),
        ("UTC", "UTC"),
        ("Europe/Berlin", "Europe/Berlin"),
    ],
)
async def test_links_are_stored_under_their_canonical_name(client, alice, given, stored):
    """Issue 11 item 13 (D1.1, D1.4)."""
    response = await client.patch(f"{API}/me", json={"timezone": given}, headers=alice.headers)
    assert response.status_code == 200, response.text
    assert response.json()["timezone"] == stored


def test_every_selectable_zone_loads_and_is_its_own_canonical_name():
    """Issue 11 item 13 (D1.1): the list offered is what is accepted, and all of it loads."""
    from zoneinfo import ZoneInfo

    zones = selectable_zones()
    assert len(zones) > 300
    for name in zones:
        assert canonical_zone(name) == name
        ZoneInfo(name)
    assert not {"localtime", "Factory", "EST5EDT", "PST8PDT"} & zones
