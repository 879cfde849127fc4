"""What reacts to what, in one table: filled by `habitus.wiring.register_all()` and nowhere
else, read by the code that publishes events, runs the worker and draws pages.

- **Subscriptions** run in the same transaction as the write that published the event
  (`events.service.publish`), in the order they were registered; they may return further
  events, which are published in turn.
- **Consumers** read the event log after a cursor of their own, in the background worker,
  with retries (`events.consumers`).
- **Jobs** are the worker's other steps (firing reminders, delivering, housekeeping).
- **Ports** are commands one feature offers another (a Protocol the user declares, an
  implementation the wiring provides), so no feature imports another's `service`.
- **Page extras** add to every signed-in page (the inbox badge's count).

Features never register themselves at import time: which reactions run must not depend
on which modules happen to be imported (a test compares the table across entry points).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

if TYPE_CHECKING:  # types only: the registry itself depends on no package
    from habitus.config import Settings
    from habitus.events.kinds import DomainEvent
    from habitus.events.service import StoredEvent
    from habitus.models import User

E = TypeVar("E", bound="DomainEvent")
P = TypeVar("P")

# An in-transaction subscriber: (session, user, event) -> further events, or None.
Handler = Callable[[AsyncSession, "User", Any], Awaitable["Sequence[DomainEvent] | None"]]
# A durable consumer: handles a batch of stored events in one transaction of its own.
ConsumerHandler = Callable[[AsyncSession, "list[StoredEvent]"], Awaitable[None]]
# What a signed-in page shows besides its content: (session, user) -> template values.
PageExtra = Callable[[AsyncSession, "User"], Awaitable[dict[str, Any]]]


class Port(Generic[P]):
    """The name of a command set one feature offers another: the feature that needs it
    declares the Protocol and a `Port` of it; the wiring provides the implementation."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Port({self.name!r})"


@dataclass(frozen=True, slots=True)
class JobContext:
    maker: async_sessionmaker[AsyncSession]
    settings: Settings
    worker: str  # this worker's name (host:pid:random), for leases and logs


# A worker step: does what is due and returns how much it found (0: wait a poll).
JobStep = Callable[[JobContext], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class Subscription:
    event_type: type[DomainEvent]
    handler: Handler
    name: str


@dataclass(frozen=True, slots=True)
class Consumer:
    name: str  # its cursor's key in `event_cursors`; never rename a live consumer
    kinds: tuple[type[DomainEvent], ...]  # what it handles; other events move its cursor
    handle: ConsumerHandler
    batch: int = 500


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    step: JobStep
    every_seconds: float | None = None  # None: the worker's poll interval
    # After a step that found work, wait this long before the next (0: at once). A job
    # whose every step costs the same few queries however little it finds (the event
    # consumers) takes more per step this way under load, and so less per item.
    pause_after_work: float = 0.0


@dataclass
class Registry:
    subscriptions: list[Subscription] = field(default_factory=list)
    consumers: dict[str, Consumer] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    ports: dict[str, Any] = field(default_factory=dict)
    page_extras: dict[str, PageExtra] = field(default_factory=dict)
    _by_type: dict[type[Any], list[Handler]] = field(default_factory=dict, repr=False)

    def on(
        self,
        event_type: type[E],
        handler: Callable[[AsyncSession, User, E], Awaitable[Sequence[DomainEvent] | None]],
    ) -> None:
        """Run `handler` in the transaction of every write that publishes an `event_type`
        (its subclasses included)."""
        name = f"{handler.__module__}.{handler.__qualname__}"
        self.subscriptions.append(Subscription(event_type, handler, name))
        self._by_type.clear()

    def handlers_for(self, event: DomainEvent) -> list[Handler]:
        cls = type(event)
        found = self._by_type.get(cls)
        if found is None:
            found = [
                item.handler for item in self.subscriptions if isinstance(event, item.event_type)
            ]
            self._by_type[cls] = found
        return found

    def consume(
        self,
        name: str,
        handle: ConsumerHandler,
        *,
        kinds: tuple[type[DomainEvent], ...],
        batch: int = 500,
    ) -> None:
        """Give `handle` every stored event of `kinds`, in log order, once, in the worker."""
        if name in self.consumers:
            raise ValueError(f"a consumer named {name!r} is registered already")
        self.consumers[name] = Consumer(name, kinds, handle, batch)

    def job(
        self,
        name: str,
        step: JobStep,
        *,
        every_seconds: float | None = None,
        pause_after_work: float = 0.0,
    ) -> None:
        if name in self.jobs:
            raise ValueError(f"a job named {name!r} is registered already")
        self.jobs[name] = Job(name, step, every_seconds, pause_after_work)

    def provide(self, port: Port[P], implementation: P) -> None:
        self.ports[port.name] = implementation

    def port(self, port: Port[P]) -> P:
        """The implementation of `port`; the wiring provides every one before use."""
        try:
            found: P = self.ports[port.name]
        except KeyError:
            raise RuntimeError(
                f"nothing provides {port.name}: was habitus.wiring.register_all() called?"
            ) from None
        return found

    def page_extra(self, name: str, provider: PageExtra) -> None:
        self.page_extras[name] = provider

    def describe(self) -> dict[str, list[str]]:
        """The whole table as text, for the test that it is the same from every entry
        point."""

        def named(item: object) -> str:
            module = getattr(item, "__module__", type(item).__module__)
            qualname = getattr(item, "__qualname__", getattr(item, "__name__", repr(item)))
            return f"{module}.{qualname}"

        return {
            "subscriptions": [f"{s.event_type.__name__} -> {s.name}" for s in self.subscriptions],
            "consumers": [
                f"{c.name}: {', '.join(k.__name__ for k in c.kinds)} -> {named(c.handle)}"
                for c in self.consumers.values()
            ],
            "jobs": [f"{j.name} -> {named(j.step)}" for j in self.jobs.values()],
            "ports": sorted(f"{name} = {named(i)}" for name, i in self.ports.items()),
            "page_extras": sorted(f"{n} -> {named(p)}" for n, p in self.page_extras.items()),
        }

    def clear(self) -> None:
        self.subscriptions.clear()
        self.consumers.clear()
        self.jobs.clear()
        self.ports.clear()
        self.page_extras.clear()
        self._by_type.clear()


registry = Registry()
