"""Issue 12 item 4: one registry of channel types (`reminders/channel_types.py`): each
type names its pydantic config model, its transport (imported on first use), its name
and form field on Settings → Notifications; the service checks configs with the models,
the dispatcher parses kept configs with them, and a kept config that no longer parses
fails for good with a plain reason."""

from __future__ import annotations

import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.config import Settings
from habitus.models import Channel, Delivery
from habitus.models.channel import CHANNEL_TYPES as STORED_TYPES
from habitus.reminders.channel_types import CHANNEL_TYPES, ChannelConfig
from habitus.reminders.schemas import ChannelType
from habitus.reminders.transports.base import PermanentFailure
from tests.fixtures.personas import Persona
from tests.habits.helpers import API
from tests.reminders.conftest import run_worker

# A config each type's model refuses when it is kept: the field it needs is missing.
BROKEN: dict[str, dict[str, Any]] = {
    "email": {},
    "webpush": {"subscription": {"endpoint": "https://push.example.com/x"}},
    "apprise": {},
    "webhook": {"secret": "s" * 32},
}
HOOK = "https://hooks.example.com/"
PUSH = {"subscription": {"endpoint": "https://push.example.com/x"}}  # and no keys
# Words of pydantic's own that a person should never read as a reason.
RAW = ("Field required", "Input should", "validation error", "[type=", "Value error")


def test_every_type_has_a_model_a_transport_and_a_form_entry() -> None:
    """Issue 12 item 4: the registry knows exactly the types the API and the table take,
    and names for each a config model, a transport that takes that model, a default name
    and a form entry (the config key it is typed into, or none for web push)."""
    assert set(CHANNEL_TYPES) == set(typing.get_args(ChannelType)) == set(STORED_TYPES)
    for name, kind in CHANNEL_TYPES.items():
        assert kind.name == name
        assert issubclass(kind.config, ChannelConfig)
        transport = kind.transport()
        assert transport.kind == name
        hints = typing.get_type_hints(type(transport).send)
        assert hints["config"] is kind.config, name
        assert kind.default_name
        assert kind.form.label
        if kind.form.key is not None:
            assert kind.form.key in kind.config.model_fields, name
    typed = [name for name, kind in CHANNEL_TYPES.items() if kind.form.key is not None]
    assert typed == ["webhook", "apprise", "email"]  # the page's order; push has its button


def test_the_registry_loads_no_push_or_apprise_library() -> None:
    """Issue 12 item 4 keeps transports lazy (ARCHITECTURE: Apprise and pywebpush are
    slow to import): importing the registry, the service and the dispatcher loads
    neither; only sending (or making an Apprise channel) does."""
    code = (
        "import sys\n"
        "import habitus.reminders.channel_types, habitus.reminders.service\n"
        "import habitus.reminders.dispatcher, habitus.reminders.schemas\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('apprise', 'pywebpush')))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert found.stdout.strip() == "[]", found.stdout


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_kept_config_that_no_longer_parses_fails_for_good_in_plain_words(kind: str) -> None:
    """Issue 12 item 4: configs stay JSON in the table and are parsed with the type's
    model when sent; one that no longer parses is a permanent failure whose reason a
    person can read (no pydantic text)."""
    with pytest.raises(PermanentFailure) as refused:
        CHANNEL_TYPES[kind].stored(BROKEN[kind])

    reason = refused.value.reason
    assert reason
    assert not any(words in reason for words in RAW), reason


def test_kept_configs_are_parsed_without_the_rules_for_new_ones() -> None:
    """Issue 12 item 4: sending parses a kept config's shape only; the rules that need the
    server's settings (SSRF, the URL cap, email syntax) are for new and changed channels,
    and the transports judge the target again when they connect."""
    long_url = "https://hooks.example.com/" + "a" * 3000
    kept = CHANNEL_TYPES["webhook"].stored({"url": long_url, "secret": "s" * 32})
    assert kept.url == long_url
    assert CHANNEL_TYPES["email"].stored({"address": "ada@example.test"}).kept() == {
        "address": "ada@example.test"
    }


def test_new_configs_keep_what_the_api_always_kept(tmp_path: Path) -> None:
    """Issue 12 item 4, without changing behaviour: unknown keys are dropped, an address
    is normalised, a webhook's secret is generated when absent (kept apart from the
    config) and its events flag kept."""
    settings = Settings(
        environment="test",
        database_url="sqlite+aiosqlite:///:memory:",
        data_dir=tmp_path,
        secret_key="x" * 48,
        smtp_host="smtp.example.org",
    )
    email = CHANNEL_TYPES["email"].checked({"address": "Bob@Example.ORG", "x": 1}, settings)
    assert (email.kept(), email.signing_secret(), email.wants_events()) == (
        {"address": "Bob@example.org"},
        None,
        False,
    )
    hook = CHANNEL_TYPES["webhook"].checked(
        {"url": "https://hooks.example.com/x", "events": True, "extra": [1]}, settings
    )
    assert hook.kept() == {"url": "https://hooks.example.com/x", "events": True}
    secret = hook.signing_secret()
    assert secret is not None
    assert len(secret) >= 32
    assert hook.wants_events()


async def test_a_kept_config_that_no_longer_parses_turns_the_channel_off(
    client: httpx.AsyncClient, app: FastAPI, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 12 item 4 through the engine: a webhook whose kept config lost its URL
    (written straight to the table) is not sent; the delivery is dead, the channel turned
    off with the plain reason, and the inbox says so."""
    old = Channel(
        user_id=alice.id, type="webhook", name="Old", config={"events": False}, secret="s" * 32
    )
    db_session.add(old)
    await db_session.commit()
    sent = await client.post(f"{API}/channels/{old.id}/test", headers=alice.headers)
    assert sent.status_code == 202, sent.text

    await run_worker(app)

    db_session.expire_all()
    delivery = (await db_session.scalars(select(Delivery))).one()
    assert (delivery.state, delivery.last_error) == ("dead", "a webhook URL is required")
    channels = (await client.get(f"{API}/channels", headers=alice.headers)).json()["items"]
    assert [(item["enabled"], item["disabled_reason"]) for item in channels] == [
        (False, "a webhook URL is required")
    ]
    inbox = (await client.get(f"{API}/notifications", headers=alice.headers)).json()["items"]
    assert "channel_disabled" in [item["kind"] for item in inbox]


@pytest.mark.parametrize(
    ("kind", "config", "field", "rule"),
    [
        ("webhook", {"url": 5}, "config", "channel_config"),
        ("webhook", {"url": HOOK + "a" * 2048}, "config.url", "string_too_long"),
        ("webhook", {"url": HOOK, "secret": "short"}, "config", "channel_config"),
        ("apprise", {"url": "json://hooks.example.com/x"}, "config.url", "allowed_apprise_service"),
        ("apprise", {}, "config", "channel_config"),
        ("webpush", PUSH, "config", "channel_config"),
        ("email", {"address": "a@example.org"}, "config", "channel_config"),  # no SMTP here
    ],
)  # fmt: skip
async def test_refused_configs_name_the_same_field_and_rule(
    client: httpx.AsyncClient,
    alice: Persona,
    kind: str,
    config: dict[str, Any],
    field: str,
    rule: str,
) -> None:
    """Issue 12 item 4: the models keep the API's 422s: the first error names the field
    and rule it always did, in plain words."""
    response = await client.post(
        f"{API}/channels", json={"type": kind, "config": config}, headers=alice.headers
    )
    assert response.status_code == 422, response.text
    first = response.json()["errors"][0]
    assert (first["field"], first["rule"]) == (field, rule)
    assert not any(words in first["message"] for words in RAW), first


async def test_the_openapi_document_shows_each_types_config(client: httpx.AsyncClient) -> None:
    """Issue 12 item 4: POST /channels is documented as a union on `type`, each variant's
    `config` the registry's model (requests are still checked by the service)."""
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    body = schemas["ChannelCreate"]
    assert body["discriminator"]["propertyName"] == "type"
    variants = {ref.rsplit("/", 1)[-1]: ref for ref in body["discriminator"]["mapping"].values()}
    found = {}
    for name in variants:
        variant = schemas[name]
        kind = variant["properties"]["type"]["const"]
        found[kind] = variant["properties"]["config"]["$ref"].rsplit("/", 1)[-1]
    assert found == {name: kind.config.__name__ for name, kind in CHANNEL_TYPES.items()}
    assert schemas["WebhookConfig"]["properties"]["url"]["maxLength"] == 2048
