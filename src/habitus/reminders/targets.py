"""Which addresses a webhook, Apprise or Web Push target may point at (SSRF guard).

A user-supplied URL makes this server send requests on the user's behalf; left alone it
could reach the cloud metadata service, the database or an admin page on the local
network. API.md: targets on private, loopback or link-local addresses are refused unless
the server runs with `allow_private_targets` (a home server notifying its own LAN).
`why_not_public` is the one definition of "public" every check below shares.

Three checks. `check_public_url` / `check_public_host` run when a channel is made and
look only at the URL (no DNS: a name that resolves today may not tomorrow, and creation
must not hang on a slow resolver). `resolve_and_check` runs when a webhook is sent,
resolves the name and vets every address; the webhook then connects to a vetted address,
so a name that changes its answer between the check and the connection (DNS rebinding)
gains nothing. And `reminders.outbound` checks every connection Apprise and Web Push
open, at the moment they open it (redirects, rebinding, hosts named in query strings).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import time
import weakref
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})
# RFC 6761: "localhost" and every name under it are the machine itself.
LOCAL_NAMES = ("localhost",)
# RFC 6052 NAT64: a gateway translates these to the IPv4 address in the last 32 bits.
NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")
# The longest channel URL kept (webhook and Apprise URLs, push endpoints; issue 11 item
# 12). Real ones are far shorter (push services' endpoints run to a few hundred
# characters); 2,048 is the limit browsers and most services have long used, and it
# bounds what is stored, parsed and echoed back for every channel.
MAX_URL_LENGTH = 2048


class UnsafeTarget(ValueError):
    """The target is refused; the message says why in plain words (shown to the user)."""


def check_public_url(url: str, *, allow_private: bool) -> None:
    """Refuse a URL that is not http(s), has no host, or names a non-public address by
    its literal IP or a local name. No DNS is done here (see `resolve_and_check`)."""
    host, _port = _host_and_port(url)
    check_public_host(host, allow_private=allow_private)


def check_public_host(host: str, *, allow_private: bool) -> None:
    """The literal part of the check, for targets whose URL is not http(s) (Apprise)."""
    if allow_private:
        return
    name = host.lower().rstrip(".")
    if any(name == local or name.endswith("." + local) for local in LOCAL_NAMES):
        raise UnsafeTarget(f"{host} is this server itself; such targets are not allowed")
    address = _literal_address(name)
    if address is not None:
        check_public_address(address, shown_as=host)


def check_public_address(address: IPAddress, *, shown_as: str | None = None) -> None:
    """Refuse an address that is not on the public internet."""
    problem = why_not_public(address)
    if problem is None:
        return
    where = str(address) if shown_as in (None, str(address)) else f"{shown_as} ({address})"
    raise UnsafeTarget(f"{where} is {problem} address; only public addresses are allowed")


async def resolve_and_check(url: str, *, allow_private: bool) -> list[IPAddress]:
    """Check `url`, resolve its host (in a thread: getaddrinfo blocks) and refuse it if
    any address it resolves to is not public. Returns the addresses, in the resolver's
    order, for the caller to connect to. Raises `UnsafeTarget`, or `OSError` when the
    name cannot be resolved (worth trying again later, not the user's fault)."""
    check_public_url(url, allow_private=allow_private)
    host, port = _host_and_port(url)
    return await resolve_host(host, port, allow_private=allow_private)


# Issue 22: a burst sends many deliveries to the same few hosts; each name is looked up
# once per this many seconds (per event loop), not once per delivery. The answer is
# vetted every time it is used, cached or not, so the SSRF guard is unchanged; a short
# TTL bounds how long a changed DNS answer goes unseen.
LOOKUP_TTL_SECONDS = 10.0
LOOKUP_CACHE_SIZE = 1024
_lookups: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, int], tuple[float, list[IPAddress]]]
] = weakref.WeakKeyDictionary()


async def resolve_host(host: str, port: int, *, allow_private: bool) -> list[IPAddress]:
    """Resolve `host` and vet every address (any bad one refuses the whole name: a
    connection could pick it)."""
    literal = _literal_address(host.lower().rstrip("."))
    if literal is not None:
        addresses = [literal]
    else:
        addresses = await _looked_up(host, port)
    if not allow_private:
        for address in addresses:
            check_public_address(address, shown_as=host)
    return addresses


async def _looked_up(host: str, port: int) -> list[IPAddress]:
    """The addresses `host` resolves to, from a lookup at most LOOKUP_TTL_SECONDS old
    (in this event loop: tests that fake DNS start from nothing). Failures are not
    kept: the next send looks again."""
    cache = _lookups.setdefault(asyncio.get_running_loop(), {})
    key = (host.lower(), port)
    kept = cache.get(key)
    if kept is not None and kept[0] > time.monotonic():
        return list(kept[1])
    infos = await asyncio.to_thread(
        socket.getaddrinfo, host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canonical, sockaddr in infos:
        # Drop an IPv6 zone ("fe80::1%eth0"): the address itself decides.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if len(cache) >= LOOKUP_CACHE_SIZE:
        cache.clear()  # rare (a thousand hosts within seconds): start again
    cache[key] = (time.monotonic() + LOOKUP_TTL_SECONDS, list(addresses))
    return addresses


# Issue 22: a burst checks the same few URLs thousands of times; these two are pure
# functions of their text, so their answers are kept (a refusal raises, and is not).
@functools.lru_cache(maxsize=4096)
def _host_and_port(url: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # reading it validates the port
    except ValueError as error:
        raise UnsafeTarget(f"{url!r} is not a valid address") from error
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise UnsafeTarget("only http:// and https:// addresses are allowed")
    if not parts.hostname:
        raise UnsafeTarget(f"{url!r} has no host name")
    return parts.hostname, port or (443 if parts.scheme.lower() == "https" else 80)


@functools.lru_cache(maxsize=4096)
def _literal_address(name: str) -> IPAddress | None:
    """The address a name denotes without DNS: an IP literal, or one of the legacy IPv4
    spellings resolvers still accept ("127.1", "0x7f.0.0.1", "2130706433")."""
    try:
        return ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        pass
    if not name or not all(c.isalnum() or c == "." for c in name):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(name))
    except OSError:
        return None


def why_not_public(address: IPAddress) -> str | None:
    """None for an address on the public internet; otherwise what it is, as words that
    read before "address" ("a loopback", "a link-local", "a private", ...)."""
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv6 spelling of an IPv4 address reaches that IPv4 address: judge that one.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64_PREFIX:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is not None:
            return why_not_public(embedded)
    if address.is_loopback:
        return "a loopback"
    if address.is_link_local:
        return "a link-local"
    if address.is_multicast:
        return "a multicast"
    if address.is_unspecified:
        return "an unspecified"
    if address.is_reserved:  # before "private": Python counts 240.0.0.0/4 as both
        return "a reserved"
    if address.is_private:
        return "a private"
    if not address.is_global:
        return "a non-public"
    return None
