"""Prometheus metrics when one address is served by several processes (issue 22).

`habitus serve --workers N` runs N processes behind one port, and a scrape of /metrics
reaches whichever one accepts it: each would report only its own counts, so every
scrape would jump between N different series and `rate()` would see false resets. With
`PROMETHEUS_MULTIPROC_DIR` set before the processes start, prometheus_client writes each
process's values to files there, and /metrics sums them all.

`habitus worker` has no web server: `serve_worker_metrics` gives it one of its own.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, generate_latest, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def shared_across_processes() -> Iterator[None]:
    """Around the start of several server processes: a fresh, empty directory for their
    values (prometheus_client reads the variable when a process imports it, so the
    processes started inside inherit it), removed when they have stopped. A directory
    the operator set already is used as it is."""
    if os.environ.get(MULTIPROCESS_DIR_VARIABLE):
        yield
        return
    directory = tempfile.mkdtemp(prefix="habitus-metrics-")
    os.environ[MULTIPROCESS_DIR_VARIABLE] = directory
    try:
        yield
    finally:
        os.environ.pop(MULTIPROCESS_DIR_VARIABLE, None)
        shutil.rmtree(directory, ignore_errors=True)


def exposition() -> bytes:
    """The text /metrics answers: every process's values when they share a directory,
    else this process's."""
    if os.environ.get(MULTIPROCESS_DIR_VARIABLE):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest()


def serve_worker_metrics(port: int, host: str) -> None:
    """Serve this process's metrics at http://host:port/metrics from a daemon thread."""
    start_http_server(port, addr=host)
