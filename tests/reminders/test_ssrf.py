"""SSRF through notification channels (issue 11 items 1, 3 and 12), replayed against
real listeners on loopback: what the outside attack did, and that now nothing reaches
the listener and the delivery fails for good with a plain reason.

API.md "Reminders, channels and notifications": targets on private, loopback or
link-local addresses are refused unless the server runs with
HABITUS_ALLOW_PRIVATE_TARGETS=true. docs/NOTIFICATIONS.md lists the Apprise services a
channel may use.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.config import Settings
from habitus.models import Channel
from habitus.reminders import targets
from habitus.reminders.channel_types import CHANNEL_TYPES
from habitus.reminders.transports.apprise import AppriseTransport
from habitus.reminders.transports.base import Message, PermanentFailure, TemporaryFailure
from habitus.reminders.transports.webpush import WebPushTransport
from habitus.reminders.vapid import load_or_create_vapid
from tests.conftest import AppFactory
from tests.fixtures.personas import Persona
from tests.habits.helpers import API, problem
from tests.reminders.conftest import run_worker
from tests.reminders.loopback import closed_port, fake_dns, listening, silent_port
from tests.reminders.test_transport_webpush import Browser

# Transports take their type's config model: a kept config is parsed as the dispatcher does.
apprise_config = CHANNEL_TYPES["apprise"].stored
webpush_config = CHANNEL_TYPES["webpush"].stored

# A name that looks like any public host when the channel is made and resolves to
# loopback when the message is sent (DNS rebinding, played by `fake_dns`).
REBOUND = "hooks.rebind.test"
# Apprise services that let the URL pick the method, path and body of an HTTP request,
# relay to another Apprise server, or pick the mail server: refused (issue 11 item 1).
GENERIC_POSTERS = ("json", "jsons", "xml", "xmls", "form", "forms")
RELAYS = ("apprise", "apprises")
MAIL = ("mailto", "mailtos")


def hostile_apprise_urls(host: str, port: int) -> list[str]:
    """The attack of issue 11 item 1 through every scheme that allowed it: a PUT to an
    admin path with a body field chosen by the caller, an Apprise relay, and a mail
    server named in the query string."""
    urls = [
        f"{scheme}://{host}:{port}/admin/delete-everything?method=PUT&:cmd=rm"
        for scheme in GENERIC_POSTERS
    ]
    urls += [f"{scheme}://{host}:{port}/token" for scheme in RELAYS]
    urls += [
        f"{scheme}://user:secret@example.com?smtp={host}&port={port}&to=a@example.com"
        for scheme in MAIL
    ]
    return urls


def _settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": "sqlite+aiosqlite:///:memory:",
        "data_dir": data_dir,
        "secret_key": "x" * 48,
        "vapid_subject": "mailto:ops@habitus.example",
        "webhook_timeout_seconds": 5,
        "allow_private_targets": False,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def strict(tmp_path: Path) -> Iterator[Settings]:
    """A server on the internet: only public targets."""
    load_or_create_vapid.cache_clear()
    yield _settings(tmp_path)
    load_or_create_vapid.cache_clear()


@pytest.fixture
def private(tmp_path: Path) -> Iterator[Settings]:
    """A home server that may notify its own network (HABITUS_ALLOW_PRIVATE_TARGETS)."""
    load_or_create_vapid.cache_clear()
    yield _settings(tmp_path, allow_private_targets=True, webhook_timeout_seconds=1)
    load_or_create_vapid.cache_clear()


@pytest.fixture
async def guarded(make_client: AppFactory) -> httpx.AsyncClient:
    """The app as it runs on the internet (no private targets), retrying at once."""
    return await make_client(
        delivery_backoff_seconds=0, delivery_max_attempts=3, base_url="http://habitus.test"
    )


def _message() -> Message:
    from datetime import UTC, datetime

    return Message(
        delivery_id=uuid.uuid4(),
        event="test",
        user_id=uuid.uuid4(),
        title="Read 20 min",
        body="Time to read.",
        sent_at=datetime(2026, 11, 21, 18, 0, tzinfo=UTC),
    )


def _app_of(client: httpx.AsyncClient) -> FastAPI:
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    return transport.app  # type: ignore[return-value]


async def _make_channel(
    client: httpx.AsyncClient, persona: Persona, kind: str, config: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        f"{API}/channels", json={"type": kind, "config": config}, headers=persona.headers
    )


def _refusals(response: httpx.Response) -> list[tuple[str, str]]:
    """The (field, rule) pairs of a 422 problem (the answer is cut short in a failure
    message: some of these requests carry 100 KB)."""
    assert response.status_code == 422, response.text[:300]
    body = problem(response, 422)
    return [(error["field"], error["rule"]) for error in body["errors"]]


async def _the_channel(client: httpx.AsyncClient, persona: Persona) -> dict[str, Any]:
    items = (await client.get(f"{API}/channels", headers=persona.headers)).json()["items"]
    assert len(items) == 1, items
    found: dict[str, Any] = items[0]
    return found


# --- item 1: Apprise ---------------------------------------------------------------------


async def test_generic_posters_relays_and_mail_are_refused_when_the_channel_is_made(
    guarded: httpx.AsyncClient,
    client: httpx.AsyncClient,
    alice: Persona,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 11 item 1: json://, xml://, form:// (the caller picks method, path and body),
    apprise:// relays and mailto:// with a caller-chosen SMTP server are refused with a
    422 naming `config.url` and the rule, whatever the server allows; nothing is sent."""
    fake_dns(monkeypatch, {REBOUND: "127.0.0.1"})
    with listening() as listener:
        urls = hostile_apprise_urls(REBOUND, listener.port)
        urls += hostile_apprise_urls("127.0.0.1", listener.port)
        for app_client in (guarded, client):  # without and with private targets
            for url in urls:
                response = await _make_channel(app_client, alice, "apprise", {"url": url})
                assert _refusals(response) == [("config.url", "allowed_apprise_service")], url
                assert "not allowed" in response.json()["errors"][0]["message"]
    assert listener.accepted == 0, listener.summary()
    assert (await client.get(f"{API}/channels", headers=alice.headers)).json()["items"] == []


async def test_a_channel_made_before_the_rule_fails_for_good_and_sends_nothing(
    private: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11 item 1, the reported attack: `json://<name of 127.0.0.1>:PORT/admin/
    delete-everything?method=PUT&:cmd=rm` made the server send that PUT. A channel kept
    from before the allow-list fails permanently (the dispatcher then turns it off) and
    the listener sees nothing, even on a server that allows private targets."""
    fake_dns(monkeypatch, {REBOUND: "127.0.0.1"})
    with listening() as listener:
        for url in hostile_apprise_urls(REBOUND, listener.port):
            with pytest.raises(PermanentFailure) as refused:
                await AppriseTransport().send(_message(), apprise_config({"url": url}), private)
            assert "not allowed" in refused.value.reason, url
    assert listener.accepted == 0, listener.summary()


@pytest.mark.parametrize("scheme", ["ntfy", "gotify"])
async def test_an_allowed_service_whose_name_leads_to_loopback_is_refused_when_connecting(
    scheme: str, strict: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11 item 1: the host is checked when the connection is made, not only when the
    channel is made: a name that resolves to loopback at send time (DNS rebinding) is
    refused and nothing reaches the listener."""
    fake_dns(monkeypatch, {REBOUND: "127.0.0.1"})
    with listening() as listener:
        url = f"{scheme}://{REBOUND}:{listener.port}/AbCdEfGhIjKlMnO"
        targets.check_public_host(REBOUND, allow_private=False)  # passed at creation

        with pytest.raises(PermanentFailure) as refused:
            await AppriseTransport().send(_message(), apprise_config({"url": url}), strict)

    assert listener.accepted == 0, listener.summary()
    assert refused.value.reason.startswith("the Apprise URL led to a loopback address")


async def test_a_redirect_from_a_public_target_to_loopback_is_not_followed(
    strict: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11 item 1: a public ntfy server that answers 307 to an address on this
    machine does not get our request forwarded there: every new connection is checked.
    (127.0.0.2 plays the public server: the test counts it as public.)"""
    really_why = targets.why_not_public if hasattr(targets, "why_not_public") else None

    def public_stand_in(address: targets.IPAddress) -> str | None:
        if address == ipaddress.ip_address("127.0.0.2"):
            return None
        assert really_why is not None
        return really_why(address)

    monkeypatch.setattr(targets, "why_not_public", public_stand_in, raising=False)
    fake_dns(monkeypatch, {"ntfy.public.test": "127.0.0.2"})
    with listening("127.0.0.1") as inside:
        target = f"http://127.0.0.1:{inside.port}/admin/delete-everything"
        with listening("127.0.0.2", redirect_to=target) as public:
            url = f"ntfy://ntfy.public.test:{public.port}/reminders"
            with pytest.raises(PermanentFailure) as refused:
                await AppriseTransport().send(_message(), apprise_config({"url": url}), strict)

    assert public.accepted == 1, public.summary()
    assert inside.accepted == 0, inside.summary()
    assert "loopback" in refused.value.reason


async def test_dns_rebinding_after_creation_turns_the_channel_off_and_sends_nothing(
    guarded: httpx.AsyncClient, alice: Persona, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11 item 1 through the whole engine: the name is public when the channel is
    made (201), loopback when the test message goes out; the listener sees nothing, the
    delivery is dead, the channel is turned off with a plain reason and the user is
    told in the inbox."""
    with listening() as listener:
        made = await _make_channel(
            guarded, alice, "apprise", {"url": f"ntfy://{REBOUND}:{listener.port}/reminders"}
        )
        assert made.status_code == 201, made.text
        fake_dns(monkeypatch, {REBOUND: "127.0.0.1"})
        sent = await guarded.post(f"{API}/channels/{made.json()['id']}/test", headers=alice.headers)
        assert sent.status_code == 202, sent.text
        await run_worker(_app_of(guarded))

    assert listener.accepted == 0, listener.summary()
    channel = await _the_channel(guarded, alice)
    assert channel["enabled"] is False
    assert channel["disabled_reason"].startswith("the Apprise URL led to a loopback address")
    inbox = (await guarded.get(f"{API}/notifications", headers=alice.headers)).json()["items"]
    assert "channel_disabled" in [item["kind"] for item in inbox]


async def test_an_old_json_channel_is_turned_off_by_the_dispatcher(
    client: httpx.AsyncClient, alice: Persona, db_session: AsyncSession
) -> None:
    """Issue 11 item 1: a json:// channel saved before the allow-list (written straight
    to the table here) is turned off at its next delivery with the reason; the
    listener, on an address the server may reach, sees nothing."""
    with listening() as listener:
        url = f"json://127.0.0.1:{listener.port}/admin/delete-everything?method=PUT&:cmd=rm"
        old = Channel(user_id=alice.id, type="apprise", name="Old", config={"url": url})
        db_session.add(old)
        await db_session.commit()
        sent = await client.post(f"{API}/channels/{old.id}/test", headers=alice.headers)
        assert sent.status_code == 202, sent.text
        await run_worker(_app_of(client))

    assert listener.accepted == 0, listener.summary()
    channel = await _the_channel(client, alice)
    assert channel["enabled"] is False
    assert "not allowed" in channel["disabled_reason"]


# --- item 3: Web Push ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://127.0.0.1:8443/push",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:127.0.0.1]:8443/push",
        "https://10.0.0.5/push",
        "https://2130706433/push",  # 127.0.0.1 as one number
        "https://localhost:8443/push",
        "http://push.example.com/push",  # plain http, on a server with public targets only
    ],
)
async def test_push_endpoints_that_are_not_public_https_are_refused_when_saved(
    endpoint: str, guarded: httpx.AsyncClient, alice: Persona, browser: Browser
) -> None:
    """Issue 11 item 3: a push subscription is refused (422 naming the endpoint field)
    when its endpoint names a non-public address or is not https; before, only the
    scheme was looked at and these were accepted and contacted."""
    response = await _make_channel(guarded, alice, "webpush", browser.subscription(endpoint))

    assert _refusals(response) == [("config.subscription.endpoint", "public_target")]


async def test_push_to_a_non_public_address_is_refused_when_sending(
    strict: Settings, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11 item 3: a subscription saved before the check, or whose name now
    resolves to loopback, is refused at send time (literal check, then the connect-time
    guard); nothing reaches the listener and the failure is permanent."""
    fake_dns(monkeypatch, {REBOUND: "127.0.0.1"})
    fast = strict.model_copy(update={"webhook_timeout_seconds": 1})
    with listening() as listener:
        for endpoint in (
            f"https://127.0.0.1:{listener.port}/push",
            f"https://{REBOUND}:{listener.port}/push",
            "https://169.254.169.254/push",
        ):
            with pytest.raises(PermanentFailure) as refused:
                await WebPushTransport().send(
                    _message(), webpush_config(browser.subscription(endpoint)), fast
                )
            assert "address" in refused.value.reason, endpoint

    assert listener.accepted == 0, listener.summary()


async def test_push_failures_read_the_same_for_closed_silent_and_foreign_ports(
    private: Settings, browser: Browser
) -> None:
    """Issue 11 item 3: the error a user sees does not tell an open port from a closed or
    filtered one (the details go to the server log only)."""
    texts: dict[str, str] = {}
    with silent_port() as quiet, listening(banner=b"SSH-2.0-OpenSSH_9.6\r\n") as ssh:
        for name, port in (("closed", closed_port()), ("silent", quiet), ("ssh", ssh.port)):
            endpoint = f"http://127.0.0.1:{port}/push"
            with pytest.raises(TemporaryFailure) as failed:
                await WebPushTransport().send(
                    _message(), webpush_config(browser.subscription(endpoint)), private
                )
            texts[name] = str(failed.value)

    assert len(set(texts.values())) == 1, texts
    assert str(ssh.port) not in texts["ssh"]


# --- item 12: URL length ------------------------------------------------------------------


async def test_channel_urls_are_capped_at_2048_characters(
    guarded: httpx.AsyncClient, alice: Persona, browser: Browser
) -> None:
    """Issue 11 item 12: a 100 KB webhook URL was accepted. Webhook and Apprise URLs and
    push endpoints over 2,048 characters are refused with a 422 naming the field and the
    rule; 2,048 is still fine."""
    base = "https://hooks.example.com/"
    fits = base + "a" * (2048 - len(base))
    made = await _make_channel(guarded, alice, "webhook", {"url": fits})
    assert made.status_code == 201, made.text

    too_long: list[tuple[str, dict[str, Any], str]] = [
        ("webhook", {"url": base + "a" * 100_000}, "config.url"),
        ("webhook", {"url": fits + "a"}, "config.url"),
        ("apprise", {"url": "ntfys://ntfy.sh/" + "a" * 2040}, "config.url"),
        (
            "webpush",
            browser.subscription("https://push.example.com/" + "a" * 2030),
            "config.subscription.endpoint",
        ),
    ]
    for kind, config, field in too_long:
        response = await _make_channel(guarded, alice, kind, config)
        assert _refusals(response) == [(field, "string_too_long")], kind
        assert "2048" in response.json()["errors"][0]["message"]

    patched = await guarded.patch(
        f"{API}/channels/{made.json()['id']}",
        json={"config": {"url": base + "a" * 5000}},
        headers=alice.headers,
    )
    assert _refusals(patched) == [("config.url", "string_too_long")]
