"""Photo extraction over the REST API (issue 19, D15.2): a photo of a scale report is
checked by its content and cleaned (EXIF gone), read offline (OCR) or by the configured
vision model (a local fake OpenAI server), proposed, and only saved when confirmed; the
photo goes at confirmation or after 24 hours; charlie cannot see alice's extraction."""

from __future__ import annotations

import base64
import io
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
import time_machine
from fastapi import FastAPI
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.errors import NotFound, ValidationFailed
from habitus.health import extraction, images, photo_store
from habitus.models import ModelCall, User
from habitus.models.health import HealthExtraction, HealthLog, HealthPhoto
from tests.conftest import AppFactory
from tests.fixtures import fake_llm as fake
from tests.fixtures.personas import Persona, create_persona
from tests.fixtures.scale_reports import render
from tests.habits.helpers import count, error_fields, problem

API = "/api/v1"
EXTRACTIONS = f"{API}/health/extractions"


def jpeg_with_exif(size: tuple[int, int] = (400, 300), orientation: int = 6) -> bytes:
    """A JPEG carrying a GPS position and a camera name, rotated by EXIF orientation."""
    image = Image.new("RGB", size, "white")
    for x in range(0, size[0] // 2):
        image.putpixel((x, 10), (0, 0, 0))  # a mark near the top-left
    exif = Image.Exif()
    exif[0x0110] = "Secret Camera 9000"  # Model
    exif[0x0112] = orientation  # Orientation: 6 = turn 90 degrees clockwise to view
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


async def send(
    client: httpx.AsyncClient, persona: Persona, data: bytes, name: str = "report.png"
) -> httpx.Response:
    return await client.post(
        EXTRACTIONS,
        files={"file": (name, data, "application/octet-stream")},
        headers=persona.headers,
    )


# --- the photo itself -------------------------------------------------------------


def test_exif_is_stripped_and_the_photo_turned_upright() -> None:
    """Issue 19: EXIF (camera, GPS) is not kept; the orientation it named is applied."""
    cleaned = images.clean_upload(jpeg_with_exif())
    assert (cleaned.width, cleaned.height) == (300, 400)  # turned by the orientation tag
    with Image.open(io.BytesIO(cleaned.data)) as stored:
        assert stored.format == "JPEG"
        assert dict(stored.getexif()) == {}
        assert "exif" not in stored.info
        assert "icc_profile" not in stored.info
    assert b"Secret Camera" not in cleaned.data


def test_the_content_decides_not_the_name() -> None:
    """Issue 19: JPEG/PNG/WebP by content; a text file called .jpg is refused, a WebP
    called .txt is read."""
    with pytest.raises(images.NotAnImage):
        images.clean_upload(b"GIF89a" + b"\0" * 100)
    with pytest.raises(images.NotAnImage):
        images.clean_upload(b"this is not a photo at all, only a name ending in .jpg")
    out = io.BytesIO()
    Image.new("RGB", (50, 40), "white").save(out, format="WEBP")
    assert images.clean_upload(out.getvalue()).original_format == "WEBP"


def test_a_decompression_bomb_is_refused_without_decoding() -> None:
    """Issue 19: Pillow with a decompression-bomb limit: a small PNG that claims 200
    million pixels is a 422 naming `file`, not an exhausted machine."""
    out = io.BytesIO()
    Image.new("1", (20_000, 10_000)).save(out, format="PNG")  # ~30 KB compressed
    assert len(out.getvalue()) < 200_000
    with pytest.raises(ValidationFailed) as raised:
        images.clean_upload(out.getvalue())
    assert [e.field for e in raised.value.errors] == ["file"]
    assert raised.value.errors[0].rule == "too_many_pixels"


def test_a_truncated_photo_is_a_clear_422() -> None:
    data = jpeg_with_exif((800, 600))
    with pytest.raises(ValidationFailed) as raised:
        images.clean_upload(data[: len(data) // 3])
    assert [e.field for e in raised.value.errors] == ["file"]


async def test_uploads_refused_by_type_size_and_shape(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """API.md: 415 for what is not a photo, 413 past 10 MB, 422 naming `file` when the
    part is missing or empty; nothing is stored."""
    not_photo = await send(client, alice, b"%PDF-1.7 not a photo", name="scale.jpg")
    assert problem(not_photo, 415)["errors"][0]["field"] == "file"
    big = await send(client, alice, b"\xff\xd8\xff" + b"\0" * (images.MAX_BYTES + 10))
    assert big.status_code == 413, big.text
    missing = await client.post(
        EXTRACTIONS, files={"other": ("a.png", b"x")}, headers=alice.headers
    )
    assert "file" in error_fields(problem(missing, 422))
    not_multipart = await client.post(EXTRACTIONS, json={"file": "x"}, headers=alice.headers)
    assert "file" in error_fields(problem(not_multipart, 422))


# --- offline reading, proposals and the confirm step --------------------------------


async def test_offline_reading_proposes_and_saves_nothing_until_confirmed(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """D15.2: the photo's values are proposed with a confidence (source `ocr`); no log
    exists until the user confirms (a corrected value wins), then one log of source
    `photo` exists and the photo is deleted; confirming again is 409."""
    data, truth = render(layout="list", font="sans", seed=3)
    response = await send(client, alice, data)
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["source"] == "ocr"
    assert made["fallback_reason"] is None
    assert made["fields"]["weight_kg"]["value"] == truth["weight_kg"]
    assert 0 < made["fields"]["weight_kg"]["confidence"] <= 1
    matched = sum(
        1 for name, value in truth.items() if made["fields"].get(name, {}).get("value") == value
    )
    assert matched >= 0.8 * len(truth), (matched, len(truth))
    assert await count(db_session, HealthLog) == 0
    assert await count(db_session, HealthPhoto) == 1

    crop = await client.get(f"{EXTRACTIONS}/{made['id']}/crops/weight_kg", headers=alice.headers)
    assert crop.status_code == 200
    assert crop.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(crop.content)) as piece:
        assert piece.width < made["width"]
        assert piece.height < made["height"]

    corrected = {"weight_kg": 70.1, "body_fat_pct": truth["body_fat_pct"]}
    confirmed = await client.post(
        f"{EXTRACTIONS}/{made['id']}/confirm",
        json={"fields": corrected, "date": "2026-11-30", "time": "07:15"},
        headers=alice.headers,
    )
    assert confirmed.status_code == 201, confirmed.text
    log = confirmed.json()
    assert log["source"] == "photo"
    assert log["fields"] == corrected
    assert (log["date"], log["time"]) == ("2026-11-30", "07:15")
    assert await count(db_session, HealthLog) == 1
    assert await count(db_session, HealthPhoto) == 0  # deleted at confirmation

    again = await client.post(
        f"{EXTRACTIONS}/{made['id']}/confirm", json={"fields": corrected}, headers=alice.headers
    )
    assert again.status_code == 409
    state = (await client.get(f"{EXTRACTIONS}/{made['id']}", headers=alice.headers)).json()
    assert state["confirmed"] is True
    assert state["log_id"] == log["id"]
    gone = await client.get(f"{EXTRACTIONS}/{made['id']}/crops/weight_kg", headers=alice.headers)
    assert gone.status_code == 404


async def test_confirm_checks_every_value_and_writes_nothing_on_a_422(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """D15.1 on the confirm step: each value out of range is named; an unknown field is
    named; nothing is half-written and the proposal stays confirmable."""
    data, _ = render(layout="tiles", font="serif", seed=5)
    made = (await send(client, alice, data)).json()
    bad = await client.post(
        f"{EXTRACTIONS}/{made['id']}/confirm",
        json={"fields": {"weight_kg": 900, "body_fat_pct": -3, "shoe_size": 42}},
        headers=alice.headers,
    )
    assert {"fields.weight_kg", "fields.body_fat_pct", "fields.shoe_size"} <= set(
        error_fields(problem(bad, 422))
    )
    empty = await client.post(
        f"{EXTRACTIONS}/{made['id']}/confirm", json={"fields": {}}, headers=alice.headers
    )
    assert empty.status_code == 422
    assert await count(db_session, HealthLog) == 0
    good = await client.post(
        f"{EXTRACTIONS}/{made['id']}/confirm",
        json={"fields": {"weight_kg": 80}},
        headers=alice.headers,
    )
    assert good.status_code == 201


async def test_charlie_cannot_see_or_confirm_alices_extraction(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona, db_session: AsyncSession
) -> None:
    """Health data is personal: another user's extraction is 404 for every verb."""
    data, _ = render(seed=8)
    made = (await send(client, alice, data)).json()
    where = f"{EXTRACTIONS}/{made['id']}"
    assert (await client.get(where, headers=charlie.headers)).status_code == 404
    assert (
        await client.get(f"{where}/crops/weight_kg", headers=charlie.headers)
    ).status_code == 404
    confirm = await client.post(
        f"{where}/confirm", json={"fields": {"weight_kg": 80}}, headers=charlie.headers
    )
    assert confirm.status_code == 404
    assert (await client.delete(where, headers=charlie.headers)).status_code == 404
    assert await count(db_session, HealthLog) == 0
    assert (await client.get(where, headers=alice.headers)).status_code == 200


async def test_discarding_deletes_the_photo(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    data, _ = render(seed=9)
    made = (await send(client, alice, data)).json()
    assert (
        await client.delete(f"{EXTRACTIONS}/{made['id']}", headers=alice.headers)
    ).status_code == 204
    assert await count(db_session, HealthExtraction) == 0
    assert await count(db_session, HealthPhoto) == 0


async def test_the_photo_is_encrypted_at_rest(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 19: stored encrypted; the stored bytes are not an image."""
    data, _ = render(seed=10)
    await send(client, alice, data)
    stored = await db_session.scalar(select(HealthPhoto.data_encrypted))
    assert stored is not None
    assert not stored.startswith(b"\xff\xd8")
    with pytest.raises(UnidentifiedImageError):
        Image.open(io.BytesIO(stored))


async def test_extractions_expire_after_24_hours(
    frozen_clock: time_machine.Coordinates,
    client: httpx.AsyncClient,
    alice: Persona,
    db_session: AsyncSession,
    app: FastAPI,
) -> None:
    """D15.2: the photo is deleted after 24 hours if never confirmed: unreadable at
    once, removed by the worker's job."""
    data, _ = render(seed=11)
    made = (await send(client, alice, data)).json()
    made_id = uuid.UUID(made["id"])
    frozen_clock.shift(timedelta(hours=23, minutes=59))
    async with app.state.sessionmaker() as session, session.begin():
        owner = await session.get(User, alice.id)
        assert owner is not None
        assert (await extraction.get(session, owner, made_id)).id == made_id
        assert await extraction.expire(session) == 0
    frozen_clock.shift(timedelta(minutes=2))
    async with app.state.sessionmaker() as session, session.begin():
        owner = await session.get(User, alice.id)
        assert owner is not None
        with pytest.raises(NotFound):
            await extraction.get(session, owner, made_id)
        assert await extraction.expire(session) == 1
    assert await count(db_session, HealthExtraction) == 0
    assert await count(db_session, HealthPhoto) == 0


async def test_too_many_photos_are_refused(make_client: AppFactory) -> None:
    """A per-user limit on photo reading (CPU or a paid model): 429 past it."""
    client = await make_client(health_extraction_rate="2/hour")
    app: FastAPI = client._transport.app
    dana = await create_persona(app, "dana@example.org")
    data, _ = render(seed=12)
    for _ in range(2):
        assert (await send(client, dana, data)).status_code == 201
    third = await send(client, dana, data)
    assert third.status_code == 429
    assert "Retry-After" in third.headers


# --- the vision model ---------------------------------------------------------------


def vision_answer(*values: dict[str, Any]) -> str:
    return json.dumps({"values": list(values)})


@pytest.fixture
async def with_vision(
    make_client: AppFactory, fake_llm: fake.FakeLlm
) -> tuple[httpx.AsyncClient, FastAPI, Persona]:
    client = await make_client(
        **fake.llm_overrides(
            fake_llm, llm_vision_model=fake.FAKE_VISION_MODEL, llm_timeout_seconds=10.0
        )
    )
    app: FastAPI = client._transport.app
    return client, app, await create_persona(app, "vera@example.org")


async def test_the_vision_model_gets_the_photo_as_openai_expects_and_answers(
    with_vision: tuple[httpx.AsyncClient, FastAPI, Persona],
    fake_llm: fake.FakeLlm,
    db_session: AsyncSession,
) -> None:
    """Issue 19: with a vision model configured, the cleaned photo goes as an image_url
    part (a base64 JPEG data URL), temperature 0, a JSON schema; the answer is used
    (source `vision`), converted to metric (lb -> kg), out-of-range values dropped with
    the reason."""
    client, _, vera = with_vision
    fake_llm.script(
        fake.text(
            vision_answer(
                {"field": "weight_kg", "value": 160.0, "unit": "lb", "confidence": 0.97},
                {"field": "body_fat_pct", "value": 21.4, "unit": "%"},
                {"field": "heart_rate_bpm", "value": 900, "unit": "bpm"},
            )
        )
    )
    response = await send(client, vera, jpeg_with_exif())
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["source"] == "vision"
    assert made["model"] == fake.FAKE_VISION_MODEL
    assert made["fields"]["weight_kg"] == {"value": 72.57, "confidence": 0.97, "box": None}
    assert made["fields"]["body_fat_pct"]["value"] == 21.4
    assert [d["field"] for d in made["dropped"]] == ["heart_rate_bpm"]
    assert "heart_rate_bpm" not in made["fields"]

    (request,) = fake_llm.chat_requests
    assert request.json["model"] == fake.FAKE_VISION_MODEL
    assert request.json["temperature"] == 0
    assert request.response_format["type"] == "json_schema"
    parts = request.messages[-1]["content"]
    image_part = next(part for part in parts if part["type"] == "image_url")
    prefix = "data:image/jpeg;base64,"
    assert image_part["image_url"]["url"].startswith(prefix)
    sent = base64.b64decode(image_part["image_url"]["url"][len(prefix) :])
    assert b"Secret Camera" not in sent  # the cleaned photo, not the upload
    with Image.open(io.BytesIO(sent)) as photo:
        assert dict(photo.getexif()) == {}
    assert await count(db_session, HealthLog) == 0
    calls = list(await db_session.scalars(select(ModelCall)))
    assert [(c.purpose, c.ok) for c in calls] == [("health.extract", True)]


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        pytest.param(fake.text("The weight is 72 kg, I think."), "malformed", id="not-json"),
        pytest.param(fake.text('{"numbers": [1, 2]}'), "malformed", id="wrong-shape"),
        pytest.param(fake.server_error(500), "server_error", id="500"),
    ],
)
async def test_a_failing_model_falls_back_to_offline_reading_and_says_so(
    with_vision: tuple[httpx.AsyncClient, FastAPI, Persona],
    fake_llm: fake.FakeLlm,
    reply: fake.Reply,
    reason: str,
) -> None:
    """Models degrade, never break: bad JSON or a failing server -> the offline reader
    answers (source `ocr`) and `fallback_reason` says why."""
    client, _, vera = with_vision
    fake_llm.script(reply, reply, reply, reply)
    data, truth = render(seed=14)
    response = await send(client, vera, data)
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["source"] == "ocr"
    assert made["fallback_reason"] == reason
    assert made["fields"]["weight_kg"]["value"] == truth["weight_kg"]


async def test_without_a_vision_model_no_photo_is_sent_anywhere(
    make_client: AppFactory, fake_llm: fake.FakeLlm
) -> None:
    """Issue 19: a text model alone is not asked to read photos (a vision model must be
    named by the admin): the fake server hears nothing."""
    client = await make_client(**fake.llm_overrides(fake_llm))
    app: FastAPI = client._transport.app
    ola = await create_persona(app, "ola@example.org")
    data, _ = render(seed=15)
    response = await send(client, ola, data)
    assert response.status_code == 201
    assert response.json()["source"] == "ocr"
    assert fake_llm.chat_requests == []


async def test_the_photo_store_round_trips_and_forgets(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona
) -> None:
    """The stored photo decrypts to the cleaned JPEG until it is forgotten."""
    data, _ = render(seed=16)
    made = uuid.UUID((await send(client, alice, data)).json()["id"])
    async with app.state.sessionmaker() as session, session.begin():
        found = await photo_store.read(session, app.state.settings, made)
        assert found is not None
        assert found.startswith(b"\xff\xd8")
        await photo_store.forget(session, made)
        assert await photo_store.read(session, app.state.settings, made) is None


async def test_deleting_the_account_deletes_extractions_and_photos(
    client: httpx.AsyncClient, alice: Persona, bob: Persona, db_session: AsyncSession
) -> None:
    """Health data is personal data: an account's extractions and photos go with it
    (a confirmed one's log too), another user's stay. Neither is exported: they live a
    day at most, and what was confirmed is exported as a log."""
    data, _ = render(seed=17)
    confirmed = (await send(client, alice, data)).json()
    await client.post(
        f"{EXTRACTIONS}/{confirmed['id']}/confirm",
        json={"fields": {"weight_kg": 81}},
        headers=alice.headers,
    )
    for persona in (alice, bob):
        assert (await send(client, persona, data)).status_code == 201
    export = (await client.get(f"{API}/me/export", headers=alice.headers)).json()
    assert [log["source"] for log in export["health"]["logs"]] == ["photo"]
    assert "extractions" not in export["health"]
    deleted = await client.request(
        "DELETE", f"{API}/me", json={"password": alice.password}, headers=alice.headers
    )
    assert deleted.status_code == 204, deleted.text
    for model in (HealthExtraction, HealthPhoto):
        assert await count(db_session, model, model.user_id == alice.id) == 0
        assert await count(db_session, model, model.user_id == bob.id) == 1
