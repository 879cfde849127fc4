"""Import from the web app (issue 13): Settings → Your data → Import posts the same file
POST /api/v1/import takes, through the same service, with the same limits, and answers
with a result page in plain words. The real Loop files of ../shared/fixtures/loop/."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from habitus.models import Entry, Habit, ImportRecord
from tests.fixtures.personas import make_persona
from tests.fixtures.web import browser, form_csrf_token, web_login
from tests.imports.loopfiles import FIXTURES, habits_by_name, needs_fixtures, zip_folder

SETTINGS = "/settings"
IMPORT = "/settings/import"


async def send(
    client: httpx.AsyncClient,
    data: bytes,
    *,
    fmt: str = "",
    filename: str = "backup.db",
    token: str | None = None,
) -> httpx.Response:
    """The Settings form, as a browser without scripts posts it."""
    if token is None:
        token = form_csrf_token((await client.get(SETTINGS)).text)
    return await client.post(
        IMPORT,
        files={"file": (filename, data, "application/octet-stream")},
        data={"csrf_token": token, "format": fmt},
    )


async def signed_in(client: httpx.AsyncClient, persona) -> httpx.AsyncClient:
    await web_login(client, persona.email, persona.password)
    return client


async def test_settings_offers_the_import_form(client, alice):
    """Issue 13: Your data has a multipart form naming each format and the size limit."""
    await signed_in(client, alice)
    page = (await client.get(SETTINGS)).text
    assert 'action="/settings/import" enctype="multipart/form-data"' in page
    for words in ("Loop Habit Tracker backup (.db)", "HabitBull CSV (.csv)", "Up to 20 MB"):
        assert words in page


@needs_fixtures
async def test_a_real_loop_backup_imports_once_and_a_second_post_adds_nothing(
    client, alice, db_session
):
    """Issue 5 via the web: the real Loop backup (9 habits, 164 check-ins) is imported
    and the counts said in words; posting it again (a double submit) creates nothing."""
    await signed_in(client, alice)
    data = (FIXTURES / "migrated_v25" / "loop.db").read_bytes()
    first = await send(client, data)
    assert first.status_code == 200, first.text
    assert "Imported your Loop Habit Tracker backup (.db)." in first.text
    assert "9 new habits" in first.text
    assert "164 days of history added" in first.text
    again = await send(client, data)
    assert again.status_code == 200
    assert "Nothing new: this file was imported before" in again.text
    assert await db_session.scalar(select(func.count()).select_from(Habit)) == 9
    assert await db_session.scalar(select(func.count()).select_from(Entry)) == 164
    assert await db_session.scalar(select(func.count()).select_from(ImportRecord)) == 1
    await db_session.commit()


@needs_fixtures
async def test_loops_csv_zip_and_a_habitbull_csv_import_from_the_form(client, alice):
    """The other formats the API takes: Loop's CSV zip (told from its bytes) and a
    HabitBull CSV (named in File type)."""
    await signed_in(client, alice)
    zipped = await send(client, zip_folder(FIXTURES / "csv_export"), filename="loop.zip")
    assert zipped.status_code == 200, zipped.text
    assert "Loop Habit Tracker CSV export (.zip)" in zipped.text
    assert "2 new habits" in zipped.text
    habitbull = (FIXTURES / "habitbull.csv").read_bytes()
    named = await send(client, habitbull, fmt="habitbull_csv", filename="habitbull.csv")
    assert named.status_code == 200, named.text
    assert "HabitBull CSV" in named.text
    assert {"Meditate", "Wake up early"} <= set(await habits_by_name(client, alice))


async def test_bad_files_are_said_in_plain_words_and_write_nothing(client, alice, db_session):
    """Errors: a file of no known kind, an empty file and a broken Loop backup are a
    422 page in plain words (no API field names), and nothing is written."""
    await signed_in(client, alice)
    unknown = await send(client, b"hello, this is not a backup", filename="notes.txt")
    assert unknown.status_code == 422
    assert "could not tell what kind of file this is" in unknown.text
    assert "loop_db" not in unknown.text
    empty = await send(client, b"", filename="empty.db")
    assert empty.status_code == 422
    assert "Choose a file to import." in empty.text or "The file is empty" in empty.text
    broken = await send(client, b"SQLite format 3\x00" + b"\x00" * 2000, fmt="loop_db")
    assert broken.status_code == 422
    assert "The file could not be imported:" in broken.text
    assert await db_session.scalar(select(func.count()).select_from(Habit)) == 0
    assert await db_session.scalar(select(func.count()).select_from(ImportRecord)) == 0
    await db_session.commit()


async def test_no_csrf_token_or_no_session_imports_nothing(client, alice, db_session):
    """Web POSTs are CSRF-checked (a forged post: 403) and need a signed-in browser;
    an API token alone is not a page session."""
    await signed_in(client, alice)
    forged = await send(client, b'{"habits": []}', filename="x.json", token="forged")
    assert forged.status_code == 403
    async with browser(client) as stranger:
        response = await stranger.post(
            IMPORT,
            files={"file": ("x.json", b'{"habits": []}', "application/json")},
            headers=alice.headers,
        )
        assert response.status_code in (303, 401, 403)
    assert await db_session.scalar(select(func.count()).select_from(ImportRecord)) == 0
    await db_session.commit()


async def test_the_size_limit_and_rate_limit_are_the_apis(make_client, frozen_clock):
    """Issue 11 limits: a file over HABITUS_IMPORT_MAX_BYTES is a 413 before parsing;
    imports count against the user's rate limit like API calls (a 429 page after it)."""
    client = await make_client(import_max_bytes=4096, rate_limit_user="4/minute")
    alice = await make_persona(client, "alice@example.org")
    await signed_in(client, alice)
    token = form_csrf_token((await client.get(SETTINGS)).text)
    too_big = await send(client, b"SQLite format 3\x00" + b"\x00" * 9000, token=token)
    assert too_big.status_code == 413
    answers = [
        (await send(client, b"x" * 10, filename="x.txt", token=token)).status_code for _ in range(5)
    ]
    assert answers[-1] == 429
    assert set(answers[:-1]) <= {422, 429}
