"""The connect-time SSRF guard: while this server sends to a target a user supplied,
every connection it opens must go to a public address.

Why at connect time (issue 11 item 1): a check of the URL when the channel is made
misses a name that resolves elsewhere later (DNS rebinding), a redirect, and a host a
library reads from another part of the URL (Apprise's `?smtp=`, `?to=` ...). The last
moment before a packet leaves is `socket.connect`, which Python announces to audit hooks
(PEP 578) with the exact address about to be used, after any DNS lookup. One hook,
installed on first use, judges that address with `targets.why_not_public` and raises
when it is not public, unless the server allows private targets.

It judges only code running under a `Guard`: a context variable marks "this is a send to
a user's target", so the database, Redis and the operator's own SMTP server (often on
loopback too) are never affected, even when they connect at the same moment.

What it sees: blocking sockets in the thread that runs under the guard and in every
thread started with a copy of its context (`Guard.run_in_thread`; Apprise 2.2 hands each
service to its own executor with a copy of the context, on purpose, and a test checks
that the guard follows); and asyncio's default event loop, which also connects through
`socket.connect`. What it cannot see: connections made in C without Python's socket
module, such as uvloop's (the loop `habitus serve` runs on), and threads started bare
(`threading.Thread` begins with an empty context). That is why the webhook transport,
on asyncio's streams, still connects only to addresses it resolved and vetted itself, and why
Apprise is limited to services that send from the calling thread or Apprise's executors.
"""

from __future__ import annotations

import asyncio
import contextvars
import errno
import ipaddress
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog

from habitus.reminders import targets

log = structlog.get_logger(__name__)

T = TypeVar("T")

# The audit events that carry a destination, each with the arguments (socket, address).
WATCHED_EVENTS = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg"})
INTERNET_FAMILIES = frozenset({socket.AF_INET, socket.AF_INET6})

# Threads for blocking sends (Apprise, pywebpush). Their own pool, not the event loop's
# default one: a send may block until its timeout, and the loop's DNS lookups and other
# short jobs must not queue behind a slow push service.
SENDER_THREADS = 32

_current: ContextVar[Guard | None] = ContextVar("habitus_outbound_guard", default=None)
_install_lock = threading.Lock()
_installed = False
_senders = ThreadPoolExecutor(SENDER_THREADS, thread_name_prefix="habitus-outbound")


class RefusedConnection(PermissionError):
    """What the library that tried to connect gets. An OSError (EACCES, as a firewall
    would answer), so HTTP and mail clients treat it as a failed connection: try the
    next address of the name, then give up."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """One connection the guard refused: the address as the library gave it, why (a
    noun phrase: "a loopback address"), and the thread that tried (for the log)."""

    address: str
    why: str
    thread: str


@dataclass
class Guard:
    """One send to a user's target. Every connection made under it is checked; what was
    refused is collected in `refusals`, from every thread that works for this send."""

    allow_private: bool
    refusals: list[Refusal] = field(default_factory=list)
    _logged: int = field(default=0, init=False, repr=False)

    @contextmanager
    def armed(self) -> Iterator[Guard]:
        """Check the connections made in this context until the block ends: for code on
        the event loop (uvloop's connections are not seen; see the module docstring)."""
        _install()
        token = _current.set(self)
        try:
            yield self
        finally:
            _current.reset(token)
            self._log_refusals()

    async def run_in_thread(self, function: Callable[[], T]) -> T:
        """Run blocking `function` in a worker thread with the guard armed there, and in
        the threads it hands work to with a copy of its context."""
        _install()
        # A copy of the caller's context, as asyncio.to_thread makes (the request id of
        # the logs goes along); the guard is set inside that copy.
        context = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(_senders, context.run, self._run_armed, function)
        finally:
            self._log_refusals()

    def reason(self, target: str) -> str:
        """The plain words for the user (a permanent failure's reason): `target` led to
        a non-public address. The address itself stays in the server log."""
        return f"{target} led to {self.refusals[0].why}; only public addresses are allowed"

    def _run_armed(self, function: Callable[[], T]) -> T:
        # Set inside the worker thread's own copy of the context: the event loop's task
        # never carries the armed guard, so nothing else it does is judged.
        token = _current.set(self)
        try:
            return function()
        finally:
            _current.reset(token)

    def _log_refusals(self) -> None:
        # Logged here, after the guarded code, never inside the hook: a log handler that
        # writes to a socket would come back through the hook.
        for refusal in self.refusals[self._logged :]:
            log.warning(
                "outbound_connection_refused",
                address=refusal.address,
                why=refusal.why,
                thread=refusal.thread,
            )
        self._logged = len(self.refusals)


def _install() -> None:
    """Add the audit hook once per process (hooks cannot be removed; it does nothing
    outside a guard)."""
    global _installed
    with _install_lock:
        if not _installed:
            sys.addaudithook(_audit)
            _installed = True


def _audit(event: str, args: tuple[Any, ...]) -> None:
    # Called for every audited event in the process, in any thread: leave fast.
    if event not in WATCHED_EVENTS:
        return
    guard = _current.get()
    if guard is None or guard.allow_private:
        return
    sock, address = args
    if address is None:  # sendmsg() on a connected socket: judged when it connected
        return
    why = _why_refused(sock, address)
    if why is None:
        return
    guard.refusals.append(Refusal(repr(address)[:200], why, threading.current_thread().name))
    raise RefusedConnection(errno.EACCES, f"connection to {why} refused (SSRF guard)")


def _why_refused(sock: Any, address: Any) -> str | None:
    """None when `address` is a public IP address; otherwise why it is refused."""
    if getattr(sock, "family", None) not in INTERNET_FAMILIES:
        return "a local socket"  # a Unix socket and the like: never a user's target
    host = address[0] if isinstance(address, tuple) and address else None
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return "an address that could not be read"
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])  # an IPv6 zone does not matter
    except ValueError:
        # connect() given a name resolves it in C and shows the hook only the name, not
        # the address it is about to use: no name passes. (Client libraries resolve
        # first and connect to the address.)
        return "an unresolved host name"
    problem = targets.why_not_public(ip)
    return None if problem is None else f"{problem} address"
