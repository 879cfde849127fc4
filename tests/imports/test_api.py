"""POST /api/v1/import: idempotency, size limit, bad requests, isolation (issue 5,
"Import"; API.md "Export and import")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from sqlalchemy import func, select

from habitus.models import Entry, Habit, ImportRecord
from tests.habits.helpers import error_fields, problem
from tests.imports.loopfiles import (
    API,
    LoopHabit,
    entries_of,
    habits_by_name,
    imported,
    loop_db,
    upload,
)

D = date.fromisoformat


def _walks(path, days: list[str]) -> bytes:
    return loop_db(path, [LoopHabit("Walk", reps=[(D(day), 2, None) for day in days])])


async def test_the_same_file_twice_creates_nothing(client, alice, tmp_path, db_session):
    """Issue 5 / API.md: a second import of the same file (same SHA-256) is a 200 with
    nothing created, and says so."""
    data = _walks(tmp_path / "a.db", ["2020-01-01", "2020-01-02"])
    first = await imported(client, alice, data, "loop_db")
    assert (first["habits_created"], first["entries_created"]) == (1, 2)
    second = await imported(client, alice, data, "loop_db")
    assert second["already_imported"] is True
    assert (second["habits_created"], second["entries_created"], second["entries_skipped"]) == (
        0,
        0,
        0,
    )
    assert second["sha256"] == first["sha256"]
    assert "already imported" in second["report"][0]
    assert await db_session.scalar(select(func.count()).select_from(Habit)) == 1
    assert await db_session.scalar(select(func.count()).select_from(Entry)) == 2
    assert await db_session.scalar(select(func.count()).select_from(ImportRecord)) == 1
    await db_session.commit()


async def test_overlapping_files_do_not_duplicate(client, alice, tmp_path):
    """Issue 5: habits match by name and days by date, so a later backup that overlaps
    an earlier one adds only its new days (D4.1: one entry per habit and day)."""
    await imported(client, alice, _walks(tmp_path / "a.db", ["2020-01-01", "2020-01-02"]))
    later = _walks(tmp_path / "b.db", ["2020-01-02", "2020-01-03", "2020-01-04"])
    body = await imported(client, alice, later)
    assert (body["habits_created"], body["entries_created"], body["entries_skipped"]) == (0, 2, 1)
    habits = await habits_by_name(client, alice)
    assert list(habits) == ["Walk"]
    walk = await entries_of(client, alice, habits["Walk"]["id"], "2020-01-01", "2020-01-31")
    assert sorted(walk) == ["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04"]


async def test_the_format_is_guessed_when_left_out(client, alice, tmp_path):
    """Issue 5: without `format`, the file's first bytes tell (SQLite: loop_db)."""
    body = await imported(client, alice, _walks(tmp_path / "a.db", ["2020-01-01"]))
    assert body["format"] == "loop_db"
    response = await upload(client, alice, b"\x00\x01\x02 nothing known")
    assert error_fields(problem(response, 422)) == ["format"]


async def test_imports_are_per_user(client, alice, bob, tmp_path):
    """Issue 5: bob importing the file alice imported creates his own habits; hers are
    untouched and not visible to him."""
    data = _walks(tmp_path / "a.db", ["2020-01-01"])
    await imported(client, alice, data)
    body = await imported(client, bob, data)
    assert body["habits_created"] == 1
    assert list(await habits_by_name(client, bob)) == ["Walk"]
    hers = await habits_by_name(client, alice)
    assert (
        await client.get(f"{API}/habits/{hers['Walk']['id']}", headers=bob.headers)
    ).status_code == 404


async def test_over_the_size_limit_is_413_before_parsing(make_client, frozen_clock, db_session):
    """Issue 5: a file over the limit (HABITUS_IMPORT_MAX_BYTES) is a 413, whether the
    request says its length or streams it without one; nothing is written."""
    from tests.fixtures.personas import make_persona

    client = await make_client(import_max_bytes=4096)
    alice = await make_persona(client, "alice@example.org")
    big = b"SQLite format 3\x00" + b"\x00" * 200_000
    response = await upload(client, alice, big, "loop_db")
    body = problem(response, 413)
    assert "4096 bytes" in body["detail"]

    boundary = "habitus-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.db"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()

    async def stream() -> AsyncIterator[bytes]:
        yield head
        for _ in range(50):
            yield b"\x00" * 4096
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await client.post(
        f"{API}/import",
        content=stream(),
        headers={**alice.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    problem(response, 413)
    # Just over the limit, inside the multipart envelope allowance: still 413.
    response = await upload(client, alice, b"\x01" * 4097, "loop_db")
    problem(response, 413)
    assert await db_session.scalar(select(func.count()).select_from(ImportRecord)) == 0
    await db_session.commit()


async def test_bad_requests_name_the_field(client, alice):
    """Issue 5 / errors: no multipart, no file, an empty file or an unknown format: 422
    problem+json naming `file` or `format`."""
    response = await client.post(f"{API}/import", json={"file": "x"}, headers=alice.headers)
    assert error_fields(problem(response, 422)) == ["file"]
    response = await client.post(
        f"{API}/import",
        data={"format": "loop_db"},
        files={"other": ("a", b"x")},
        headers=alice.headers,
    )
    assert error_fields(problem(response, 422)) == ["file"]
    response = await upload(client, alice, b"", "loop_db")
    assert error_fields(problem(response, 422)) == ["file"]
    response = await upload(client, alice, b"data", "excel")
    assert error_fields(problem(response, 422)) == ["format"]


async def test_signed_out_is_401(client):
    """API.md: the import needs a signed-in user."""
    response = await client.post(f"{API}/import", files={"file": ("a", b"x")})
    assert response.status_code == 401


async def test_a_concurrent_import_of_the_same_file_is_409(
    client, alice, tmp_path, db_session, engine, monkeypatch
):
    """Issue 5 idempotency under concurrency: the file's record is claimed before the
    first write; an import that loses the race on that key (simulated here: it did not
    see the winner's record when it looked) is a 409 and writes nothing."""
    from habitus import db
    from habitus.errors import AppError
    from habitus.imports import repository, service
    from habitus.imports.destination import Destination

    data = _walks(tmp_path / "a.db", ["2020-01-01"])
    await imported(client, alice, data)

    async def not_seen(*_args, **_kwargs):
        return None

    monkeypatch.setattr(repository, "record_of", not_seen)
    with pytest.raises(AppError) as refused:
        await service.import_file(
            Destination(db.create_sessionmaker(engine)),
            alice.id,
            data=data,
            fmt="loop_db",
            parse_seconds=10,
        )
    assert refused.value.status_code == 409
    assert await db_session.scalar(select(func.count()).select_from(Habit)) == 1
    assert await db_session.scalar(select(func.count()).select_from(Entry)) == 1
    await db_session.commit()
