"""A tiny round-robin TCP proxy on loopback, the load balancer of the deployment test
(issue 22). Each new client connection goes to the next backend that is up. A backend
whose connection is refused is marked down and that client's connection is closed
without an answer: the client sees a connection error, as behind a real balancer
between a process dying and its health check noticing. A watcher marks a backend up
again as soon as it accepts connections (uvicorn listens only once its start-up is done).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

CHUNK = 65536
WATCH_SECONDS = 0.1


@dataclass
class Backend:
    port: int
    up: bool = True


@dataclass
class RoundRobinProxy:
    backends: list[Backend]
    port: int = 0
    # The backend port of every connection passed on, in order.
    routed: list[int] = field(default_factory=list)
    # Connections closed unanswered because their backend refused them.
    refused: int = 0
    _turn: int = 0
    _server: asyncio.Server | None = None
    _watcher: asyncio.Task[None] | None = None
    _pipes: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=512)
        self.port = self._server.sockets[0].getsockname()[1]
        self._watcher = asyncio.create_task(self._watch())

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        if self._server is not None:
            self._server.close()
        for task in list(self._pipes):
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    def _next(self) -> Backend | None:
        for _ in range(len(self.backends)):
            backend = self.backends[self._turn % len(self.backends)]
            self._turn += 1
            if backend.up:
                return backend
        return None

    async def _handle(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        backend = self._next()
        if backend is None:
            self.refused += 1
            client.close()
            return
        try:
            upstream_reader, upstream = await asyncio.open_connection("127.0.0.1", backend.port)
        except OSError:
            backend.up = False
            self.refused += 1
            client.close()
            return
        self.routed.append(backend.port)
        pipes = [
            asyncio.create_task(_pipe(client_reader, upstream)),
            asyncio.create_task(_pipe(upstream_reader, client)),
        ]
        self._pipes.update(pipes)
        # Either side ending ends the other (a killed backend: the client sees the
        # connection close without an answer).
        await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        for writer in (client, upstream):
            writer.close()
        await asyncio.gather(*pipes, return_exceptions=True)
        self._pipes.difference_update(pipes)

    async def _watch(self) -> None:
        while True:
            for backend in self.backends:
                if backend.up:
                    continue
                with contextlib.suppress(OSError):
                    _, writer = await asyncio.open_connection("127.0.0.1", backend.port)
                    writer.close()
                    backend.up = True
            await asyncio.sleep(WATCH_SECONDS)


async def _pipe(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await source.read(CHUNK):
            target.write(data)
            await target.drain()
