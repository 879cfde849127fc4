"""Issue 11, item 6: Loop CSV zips cost memory in proportion to what they hold, not to
what they unpack to.

A 149 KB zip that unpacked to 60 MB cost 1.2 GB and 7.6 s: every member was read whole,
decoded whole and turned into a list of dicts. Rows now stream (zipfile -> TextIOWrapper
-> csv.reader) with one entry kept per habit and day; only the members the import needs
are read; their unpacked size is capped far below the upload limit and checked against
the zip's own declarations before anything is unpacked (and counted while reading).
"""

from __future__ import annotations

import tracemalloc

import pytest
from sqlalchemy import func, select

from habitus.imports import service
from habitus.imports.loop_csv import MAX_UNPACKED_BYTES
from habitus.models import Entry
from tests.habits.helpers import error_fields, problem
from tests.imports import hostile
from tests.imports.loopfiles import imported, upload

MIB = 1024 * 1024


async def test_a_zip_bomb_is_refused_before_it_is_unpacked(client, alice, db_session):
    """Issue 11, item 6: a zip whose Checkmarks.csv unpacks to 1.5 times the cap (a few
    hundred KB of zip) is a 422 on `file` saying so, and the request allocates a small
    fraction of what the member would unpack to; a zip of thousands of members is
    refused too."""
    bomb = hostile.csv_zip({"Walk": hostile.repeated_rows(MAX_UNPACKED_BYTES * 3 // 2)})
    assert len(bomb) < 200 * 1024
    tracemalloc.start()
    try:
        response = await upload(client, alice, bomb, "loop_csv")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    body = problem(response, 422)
    assert error_fields(body) == ["file"]
    assert "unpacks to more than" in body["detail"]
    assert peak < 8 * MIB, peak
    response = await upload(client, alice, hostile.many_members(3000), "loop_csv")
    assert "more than 2000 files" in problem(response, 422)["detail"]
    assert await db_session.scalar(select(func.count()).select_from(Entry)) == 0
    await db_session.commit()


async def test_rows_stream_with_one_entry_per_day(client, alice, db_session):
    """Issue 11, item 6: a Checkmarks.csv just under the cap, one day repeated, imports
    one entry; the rest are counted as repeats and reported."""
    unpacked = MAX_UNPACKED_BYTES - MIB
    row = b"2026-11-20,YES_MANUAL,\n"  # yesterday: the habit's history is one day long
    data = hostile.csv_zip({"Walk": hostile.repeated_rows(unpacked, row)})
    body = await imported(client, alice, data, "loop_csv")
    assert body["entries_created"] == 1
    assert body["entries_skipped"] == unpacked // len(row) - 1
    assert any("more than once in the file" in note for note in body["report"])
    assert await db_session.scalar(select(func.count()).select_from(Entry)) == 1
    await db_session.commit()


@pytest.mark.slow
def test_parsing_allocates_a_fraction_of_what_it_unpacks():
    """Issue 11, item 6: parsing a 4 MiB Checkmarks.csv (a zip of a few KB) allocates at
    its peak less than a tenth of that (reading whole members into dicts took about
    twenty times the unpacked size: 1.2 GB for the 60 MB of the issue)."""
    unpacked = 4 * MIB
    data = hostile.csv_zip({"Walk": hostile.repeated_rows(unpacked)})
    tracemalloc.start()
    try:
        parsed = service.FORMATS["loop_csv"](data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [len(habit.entries) for habit in parsed.habits] == [1]
    assert peak < unpacked / 10, (peak, unpacked)
