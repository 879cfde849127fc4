"""The SSRF guard for webhook and Apprise targets.

API.md "Reminders, channels and notifications": "Webhook and Apprise targets on private,
loopback or link-local addresses are refused (SSRF) unless the server runs with
HABITUS_ALLOW_PRIVATE_TARGETS=true".
"""

from __future__ import annotations

import ipaddress
import socket

import pytest

from habitus.reminders.targets import (
    UnsafeTarget,
    check_public_host,
    check_public_url,
    resolve_and_check,
)

REFUSED = [
    ("http://10.0.0.1/hook", "private"),
    ("http://192.168.1.1/hook", "private"),
    ("http://172.16.5.4/hook", "private"),
    ("http://127.0.0.1:8000/hook", "loopback"),
    ("http://[::1]/hook", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),  # cloud metadata
    ("http://[fe80::1%25eth0]/hook", "link-local"),
    ("http://[::ffff:127.0.0.1]/hook", "loopback"),  # IPv4-mapped IPv6
    ("http://[2002:7f00:1::]/hook", "loopback"),  # 6to4 around 127.0.0.1
    ("http://[64:ff9b::a00:1]/hook", "private"),  # NAT64 around 10.0.0.1
    ("http://0.0.0.0/hook", "unspecified"),
    ("http://[::]/hook", "unspecified"),
    ("http://224.0.0.1/hook", "multicast"),
    ("http://240.0.0.1/hook", "reserved"),
    ("http://100.64.0.1/hook", "non-public"),  # carrier-grade NAT
    ("http://2130706433/hook", "loopback"),  # 127.0.0.1 as one number
    ("http://0x7f.1/hook", "loopback"),  # a legacy spelling resolvers accept
    ("http://localhost/hook", "this server"),
    ("http://api.localhost./hook", "this server"),
    ("ftp://example.com/file", "http"),
    ("file:///etc/passwd", "http"),
    ("javascript:alert(1)", "http"),
    ("http:///no-host", "no host"),
    ("http://example.com:99999/hook", "not a valid"),
]


@pytest.mark.parametrize(("url", "why"), REFUSED)
def test_non_public_or_non_http_targets_are_refused(url: str, why: str) -> None:
    """API.md SSRF rule: private, loopback, link-local (and other non-public) addresses,
    and schemes other than http(s), are refused at channel creation, in plain words."""
    with pytest.raises(UnsafeTarget) as raised:
        check_public_url(url, allow_private=False)

    assert why in str(raised.value)
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize(("url", "why"), [case for case in REFUSED if "://" in case[0]])
async def test_the_send_time_check_refuses_them_too(url: str, why: str) -> None:
    """The check run before every send refuses everything the creation check does."""
    with pytest.raises(UnsafeTarget):
        await resolve_and_check(url, allow_private=False)


@pytest.mark.parametrize(
    "url",
    [
        "https://93.184.215.14/hook",
        "http://[2606:4700:4700::1111]/hook",
        "https://hooks.example.com/habitus",  # a name: judged when resolved, at send time
    ],
)
def test_public_targets_pass_the_creation_check(url: str) -> None:
    """API.md: public targets are allowed; the creation check does no DNS lookup."""
    check_public_url(url, allow_private=False)


async def test_a_public_literal_passes_the_send_time_check_without_dns() -> None:
    """A literal address is vetted as it is; it is what the sender will connect to."""
    addresses = await resolve_and_check("https://93.184.215.14/hook", allow_private=False)

    assert addresses == [ipaddress.ip_address("93.184.215.14")]


async def test_localhost_resolves_to_loopback_and_is_refused() -> None:
    """API.md SSRF rule, at send time: the name is resolved and its address refused."""
    with pytest.raises(UnsafeTarget) as raised:
        await resolve_and_check("http://localhost:8080/hook", allow_private=False)

    assert "localhost" in str(raised.value)


async def test_a_name_is_judged_by_what_it_resolves_to() -> None:
    """A name that passes the creation check (no DNS then) is refused at send time when
    it resolves to a non-public address: here this machine's own host name."""
    host = socket.gethostname()
    resolved = {
        ipaddress.ip_address(info[4][0].split("%")[0])
        for info in socket.getaddrinfo(host, 80, type=socket.SOCK_STREAM)
    }
    if all(address.is_global for address in resolved):
        pytest.skip(f"{host} resolves to a public address on this machine")
    url = f"http://{host}/hook"
    check_public_url(url, allow_private=False)

    with pytest.raises(UnsafeTarget) as raised:
        await resolve_and_check(url, allow_private=False)

    assert host in str(raised.value)


async def test_allow_private_accepts_loopback_but_not_other_schemes() -> None:
    """API.md: HABITUS_ALLOW_PRIVATE_TARGETS=true lets a home server notify its own LAN;
    it does not open other schemes."""
    check_public_url("http://127.0.0.1:8000/hook", allow_private=True)
    addresses = await resolve_and_check("http://localhost:8000/hook", allow_private=True)
    assert ipaddress.ip_address("127.0.0.1") in addresses

    with pytest.raises(UnsafeTarget):
        check_public_url("file:///etc/passwd", allow_private=True)


def test_the_host_check_serves_targets_that_are_not_http() -> None:
    """Apprise URLs (e.g. gotify://host/token) carry a host too; the same rule applies."""
    with pytest.raises(UnsafeTarget):
        check_public_host("192.168.0.10", allow_private=False)
    check_public_host("192.168.0.10", allow_private=True)
    check_public_host("gotify.example.com", allow_private=False)
