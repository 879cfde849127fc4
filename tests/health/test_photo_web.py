"""Logging from a photo on the web (issue 19, D15.2): the upload form on /health (the
camera offered on a phone), the confirm page showing what was read in the user's units,
nothing saved before Save, corrections kept, the photo deleted after; a photo that cannot
be used comes back with the reason; CSRF; charlie cannot open alice's photo. And the
analysis form (issue 19): the answer page says who wrote it."""

from __future__ import annotations

import html
import re
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models.health import HealthExtraction, HealthLog, HealthPhoto
from tests.fixtures.personas import Persona
from tests.fixtures.scale_reports import render
from tests.fixtures.web import SignedIn, signed_in_at
from tests.habits.helpers import count

PAGE = "/health"


@pytest.fixture
async def web(client: httpx.AsyncClient, alice: Persona) -> AsyncIterator[SignedIn]:
    async for found in signed_in_at(client, alice, PAGE):
        yield found


def inputs_of(page: str) -> dict[str, str]:
    """The confirm form's number inputs: name -> value shown."""
    found = re.findall(
        r'<input id="photo-[a-z_]+" name="([a-z_]+)" type="number"[^>]*?value="([^"]*)"', page, re.S
    )
    return {name: html.unescape(value) for name, value in found}


async def upload(web: SignedIn, data: bytes, name: str = "scale.png") -> httpx.Response:
    return await web.client.post(
        "/health/photo",
        data={"csrf_token": web.token},
        files={"photo": (name, data, "image/png")},
    )


async def test_the_upload_form_offers_the_camera(web: SignedIn) -> None:
    page = await web.page()
    assert 'action="/health/photo"' in page
    assert 'capture="environment"' in page
    assert 'accept="image/jpeg,image/png,image/webp"' in page


async def test_read_check_correct_and_save(web: SignedIn, db_session: AsyncSession) -> None:
    """D15.2 on the web: the values read are shown for checking; nothing is a log until
    Save; a corrected value is what is saved; the photo is then deleted."""
    data, truth = render(layout="list", font="sans", seed=21)
    sent = await upload(web, data)
    assert sent.status_code == 303, sent.text
    where = sent.headers["location"]
    assert re.fullmatch(r"/health/photo/[0-9a-f-]{36}", where)
    page = await web.page(where)
    shown = inputs_of(page)
    assert shown["weight_kg"] == f"{truth['weight_kg']:g}"
    assert "Nothing is saved until you press Save" in page
    assert await count(db_session, HealthLog) == 0
    image = await web.client.get(f"{where}/image")
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert (await web.client.get(f"{where}/crops/weight_kg")).status_code == 200

    form = {name: value for name, value in shown.items() if value}
    form["weight_kg"] = "70.2"  # the user corrects one value
    form["date"] = "2026-11-20"
    saved = await web.post(f"{where}/confirm", form)
    assert saved.status_code == 303, saved.text
    assert "from your photo" in await web.flash(saved)
    (log,) = await _logs(db_session)
    assert log.source == "photo"
    assert log.weight_kg == 70.2
    assert log.body_fat_pct == truth["body_fat_pct"]
    assert await count(db_session, HealthPhoto) == 0
    again = await web.client.get(where)
    assert again.status_code == 303  # saved already: back to the health page


async def _logs(session: AsyncSession) -> list[HealthLog]:
    return list(await session.scalars(select(HealthLog)))


async def test_pounds_are_shown_and_an_unchanged_value_is_stored_exactly(
    web: SignedIn, db_session: AsyncSession
) -> None:
    """Issue 19 (kg or lb, a user setting): the proposals show in the user's unit; a
    value left as shown keeps the exact proposed kilograms (no rounding drift)."""
    units = await web.post("/health/settings", {"mass_unit": "lb", "length_unit": "in"})
    assert units.status_code == 303, units.text
    data, truth = render(layout="tiles", font="serif", seed=22)
    where = (await upload(web, data)).headers["location"]
    shown = inputs_of(await web.page(where))
    pounds = float(shown["weight_kg"])
    assert abs(pounds * 0.45359237 - truth["weight_kg"]) < 0.05
    form = {name: value for name, value in shown.items() if value}
    saved = await web.post(f"{where}/confirm", form)
    assert saved.status_code == 303, saved.text
    (log,) = await _logs(db_session)
    assert log.weight_kg == truth["weight_kg"]


async def test_a_wrong_value_comes_back_named_and_nothing_is_saved(
    web: SignedIn, db_session: AsyncSession
) -> None:
    data, _ = render(seed=23)
    where = (await upload(web, data)).headers["location"]
    shown = inputs_of(await web.page(where))
    form = {name: value for name, value in shown.items() if value}
    form["weight_kg"] = "9000"
    refused = await web.post(f"{where}/confirm", form)
    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.text
    assert "Weight" in refused.text
    assert 'value="9000"' in refused.text  # what was typed is kept
    assert await count(db_session, HealthLog) == 0


async def test_a_file_that_is_not_a_photo_comes_back_with_the_reason(
    web: SignedIn, db_session: AsyncSession
) -> None:
    sent = await upload(web, b"%PDF-1.4 a document", name="scale.jpg")
    assert sent.status_code == 303
    assert sent.headers["location"].startswith(PAGE)
    assert "JPEG, PNG or WebP" in await web.flash(sent)
    assert await count(db_session, HealthExtraction) == 0


async def test_a_forged_upload_is_refused(web: SignedIn, db_session: AsyncSession) -> None:
    data, _ = render(seed=24)
    forged = await web.client.post(
        "/health/photo", data={"csrf_token": "forged"}, files={"photo": ("a.png", data)}
    )
    assert forged.status_code == 403
    assert await count(db_session, HealthExtraction) == 0


async def test_charlie_cannot_open_alices_photo(
    web: SignedIn, client: httpx.AsyncClient, charlie: Persona, db_session: AsyncSession
) -> None:
    data, _ = render(seed=25)
    where = (await upload(web, data)).headers["location"]
    async for other in signed_in_at(client, charlie, PAGE):
        assert (await other.client.get(where)).status_code == 404
        assert (await other.client.get(f"{where}/image")).status_code == 404
        assert (await other.client.get(f"{where}/crops/weight_kg")).status_code == 404
        confirm = await other.post(f"{where}/confirm", {"weight_kg": "80"})
        assert confirm.status_code == 404
        discard = await other.post(f"{where}/discard")
        assert discard.status_code == 303  # nothing of hers is touched either way
    assert await count(db_session, HealthExtraction) == 1
    assert await count(db_session, HealthPhoto) == 1


async def test_discard_deletes_the_photo(web: SignedIn, db_session: AsyncSession) -> None:
    data, _ = render(seed=26)
    where = (await upload(web, data)).headers["location"]
    gone = await web.post(f"{where}/discard")
    assert "deleted" in await web.flash(gone)
    assert await count(db_session, HealthExtraction) == 0
    assert await count(db_session, HealthPhoto) == 0


async def test_the_analysis_page_says_who_wrote_it(web: SignedIn) -> None:
    """Issue 19: with no model configured the offline analyser answers and says so."""
    for day, weight in (("2026-11-01", "82"), ("2026-11-08", "81"), ("2026-11-15", "80")):
        made = await web.post("/health/logs", {"date": day, "weight_kg": weight})
        assert made.status_code == 303, made.text
    page = await web.client.post("/health/analysis", data={"csrf_token": web.token, "days": "90"})
    assert page.status_code == 200, page.text
    assert "Worked out on this server by simple rules" in page.text
    assert "no model is configured" in page.text


async def test_without_ocr_or_a_model_the_app_says_so_plainly(
    web: SignedIn,
    client: httpx.AsyncClient,
    alice: Persona,
    monkeypatch: pytest.MonkeyPatch,
    db_session: AsyncSession,
) -> None:
    """Issue 19: the OCR extra not installed (its package hidden from imports) and no
    vision model: the page keeps the manual form and says why there is no photo form;
    the API answers 503 with the same plain words, and nothing is stored."""
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)
    page = await web.page()
    assert 'action="/health/photo"' not in page
    assert "Reading photos is not available on this server" in page
    data, _ = render(seed=27)
    refused = await client.post(
        "/api/v1/health/extractions", files={"file": ("a.png", data)}, headers=alice.headers
    )
    assert refused.status_code == 503
    assert "offline reading is not installed" in refused.json()["detail"]
    assert await count(db_session, HealthExtraction) == 0
