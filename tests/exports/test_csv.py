"""GET /export/entries.csv (API.md "Export and import", issue 5 "Export")."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.exports import tabular
from habitus.exports.service import CSV_CHUNK_ROWS
from habitus.models import Entry
from tests.fixtures.personas import Persona
from tests.habits.helpers import API, create_habit, entry_put, error_fields, problem

URL = f"{API}/export/entries.csv"
HEADER = "habit_id,habit_name,date,status,value,note,logged_at"


def parse(response: httpx.Response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline="")))


async def test_header_type_and_file_name(client: httpx.AsyncClient, alice: Persona) -> None:
    """API.md: the CSV's header is exactly `habit_id,habit_name,date,status,value,note,
    logged_at`; it is text/csv, offered as a file."""
    response = await client.get(URL, headers=alice.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = response.headers["content-disposition"]
    assert disposition == 'attachment; filename="habitus-entries-2026-11-21.csv"'
    assert response.content == (HEADER + "\r\n").encode()
    assert "no-store" in response.headers["cache-control"]


async def test_rows_are_quoted_and_in_iso_formats(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 5 Export: proper CSV quoting (commas, quotes, line breaks in notes), ISO dates,
    logged_at in UTC ISO 8601; whole numbers without ".0"."""
    read = await create_habit(client, alice, name='Read, "slowly"', start_date="2026-11-01")
    run = await create_habit(
        client,
        alice,
        name="Run",
        kind="measurable",
        target={"value": 5, "unit": "km"},
        start_date="2026-11-01",
    )
    note = 'Chapter 3, "The Sea"\nthen slept\r\nwell'
    await entry_put(client, alice, read["id"], "2026-11-20", status="done", note=note)
    await entry_put(client, alice, run["id"], "2026-11-20", status="done", value=5.5)
    await entry_put(client, alice, run["id"], "2026-11-21", status="done", value=7)
    await entry_put(client, alice, read["id"], "2026-11-19", status="skipped")

    response = await client.get(URL, headers=alice.headers)
    assert response.status_code == 200, response.text
    text = response.content.decode()
    assert text.startswith(HEADER + "\r\n")
    assert '"Read, ""slowly"""' in text  # quoted, inner quotes doubled
    rows = parse(response)
    assert [(row["date"], row["habit_name"], row["status"], row["value"]) for row in rows] == [
        ("2026-11-19", 'Read, "slowly"', "skipped", ""),
        ("2026-11-20", 'Read, "slowly"', "done", ""),
        ("2026-11-20", "Run", "done", "5.5"),
        ("2026-11-21", "Run", "done", "7"),
    ]
    assert rows[1]["note"] == note  # line breaks survive inside the quoted field
    assert rows[1]["habit_id"] == read["id"]
    for row in rows:
        assert row["logged_at"] == "2026-11-21T12:00:00Z"  # the frozen clock, in UTC


async def test_formulas_are_neutralised(client: httpx.AsyncClient, alice: Persona) -> None:
    """Issue 5 Export: a cell starting with = + - @ gets a leading apostrophe, so a
    spreadsheet shows it as text (docs/EXPORT.md)."""
    habit = await create_habit(
        client, alice, name='=HYPERLINK("http://x")', backfill_days=None, start_date="2026-11-01"
    )
    notes = {
        "2026-11-15": "+1 page",
        "2026-11-16": "-cmd|' /C calc'!A0",
        "2026-11-17": "@SUM(1+1)",
        "2026-11-18": "=1+2",
        "2026-11-19": "\tTabbed",
        "2026-11-20": "fine = ok",
    }
    for day, note in notes.items():
        await entry_put(client, alice, habit["id"], day, status="done", note=note)
    rows = parse(await client.get(URL, headers=alice.headers))
    assert {row["habit_name"] for row in rows} == {'\'=HYPERLINK("http://x")'}
    assert {row["date"]: row["note"] for row in rows} == {
        "2026-11-15": "'+1 page",
        "2026-11-16": "'-cmd|' /C calc'!A0",
        "2026-11-17": "'@SUM(1+1)",
        "2026-11-18": "'=1+2",
        "2026-11-19": "'\tTabbed",
        "2026-11-20": "fine = ok",
    }


async def test_filters_by_dates_and_habit(client: httpx.AsyncClient, alice: Persona) -> None:
    """API.md: `?from&to` (inclusive) and `habit_id` narrow the rows."""
    read = await create_habit(
        client, alice, name="Read", backfill_days=None, start_date="2026-11-01"
    )
    walk = await create_habit(
        client, alice, name="Walk", backfill_days=None, start_date="2026-11-01"
    )
    for day in ("2026-11-18", "2026-11-19", "2026-11-20"):
        for habit in (read, walk):
            await entry_put(client, alice, habit["id"], day, status="done")
    window = parse(
        await client.get(
            URL, params={"from": "2026-11-19", "to": "2026-11-19"}, headers=alice.headers
        )
    )
    assert [(row["date"], row["habit_name"]) for row in window] == [
        ("2026-11-19", "Read"),
        ("2026-11-19", "Walk"),
    ]
    one = parse(await client.get(URL, params={"habit_id": walk["id"]}, headers=alice.headers))
    assert {row["habit_name"] for row in one} == {"Walk"}
    assert len(one) == 3
    since = parse(await client.get(URL, params={"from": "2026-11-20"}, headers=alice.headers))
    assert {row["date"] for row in since} == {"2026-11-20"}


async def test_bad_parameters_are_422_naming_the_field(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Common rules: bad input is a 422 naming the field, never a 500."""
    for params, field in (
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"from": "2026-11-20", "to": "2026-11-19"}, "to"),
        ({"habit_id": "not-a-uuid"}, "habit_id"),
        ({"from": "0001-01-01"}, "from"),
        ({"to": "0"}, "to"),  # not a Unix time
        ({"from": "20261121"}, "from"),
    ):
        body = problem(await client.get(URL, params=params, headers=alice.headers), 422)
        assert error_fields(body) == [field], params


async def test_only_your_own_entries(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """DESIGN.md access control: charlie's CSV holds none of alice's rows; her habit id is
    404 to him; without a token the answer is 401."""
    habit = await create_habit(client, alice, name="Alice's secret habit")
    await entry_put(client, alice, habit["id"], "2026-11-21", status="done")
    his = await client.get(URL, headers=charlie.headers)
    assert his.status_code == 200
    assert parse(his) == []
    assert "secret" not in his.text
    problem(await client.get(URL, params={"habit_id": habit["id"]}, headers=charlie.headers), 404)
    problem(
        await client.get(URL, params={"habit_id": str(uuid.uuid4())}, headers=alice.headers), 404
    )
    problem(await client.get(URL), 401)


async def test_long_histories_stream_in_chunks(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 5 Export: the CSV is streamed; more rows than one chunk all arrive, in date
    order."""
    habit = await create_habit(client, alice, name="Stretch", start_date="2020-01-01")
    count = CSV_CHUNK_ROWS * 2 + 17
    first = date(2020, 1, 1)
    logged = datetime(2020, 1, 1, 20, 30, 15, 123456, tzinfo=UTC)
    db_session.add_all(
        Entry(
            habit_id=uuid.UUID(habit["id"]),
            user_id=alice.id,
            local_date=first + timedelta(days=offset),
            status="done",
            logged_at=logged + timedelta(days=offset),
            logged_tz="UTC",
        )
        for offset in range(count)
    )
    await db_session.commit()
    async with client.stream("GET", URL, headers=alice.headers) as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers  # streamed, not buffered
        body = b"".join([chunk async for chunk in response.aiter_bytes()])
    rows = list(csv.DictReader(io.StringIO(body.decode(), newline="")))
    assert len(rows) == count
    assert [row["date"] for row in rows] == [
        (first + timedelta(days=offset)).isoformat() for offset in range(count)
    ]
    assert rows[0]["logged_at"] == "2020-01-01T20:30:15Z"


@given(
    name=st.text(min_size=1, max_size=40).filter(lambda text: "\x00" not in text),
    note=st.none() | st.text(max_size=80).filter(lambda text: "\x00" not in text),
    value=st.none() | st.floats(min_value=0, max_value=1e9, allow_nan=False),
)
def test_any_text_survives_a_csv_reader(name: str, note: str | None, value: float | None) -> None:
    """Issue 5 Export: whatever a name or note holds (commas, quotes, line breaks,
    formula starts), a CSV reader gets back exactly the text, with one apostrophe in front
    when it starts like a formula."""
    row = (uuid.UUID(int=7), name, date(2026, 11, 21), "done", value, note, datetime.now(UTC))
    text = b"".join(tabular.render([row])).decode()
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[0] == list(tabular.HEADER)
    assert len(parsed) == 2
    cells = parsed[1]

    def shown(original: str | None) -> str:
        if not original:
            return ""
        return "'" + original if original[0] in "=+-@\t\r" else original

    assert cells[1] == shown(name)
    assert cells[5] == shown(note)
    assert cells[4] == ("" if value is None else tabular.number(value))
    if value is not None:
        assert float(cells[4]) == value
