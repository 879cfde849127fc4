"""Issue 22: the metrics the alerts read (ops/prometheus/alerts.yml) are right when the
app runs as containers do: `habitus serve --workers N` (N processes behind one port, a
scrape reaches any one of them) and `habitus worker` (no web server of its own).

Real processes, real requests: without kit/prometheus.py a scrape shows one process's
count, not the total, and the worker's counts are nowhere to be scraped.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.fixtures.database import backend
from tests.fixtures.live import BIN, free_port, habitus_env
from tests.ops.prometheus_text import exposed_series

pytestmark = pytest.mark.slow
START_SECONDS = 180  # a loaded CI machine; a quiet one starts in seconds


@contextmanager
def running(args: list[str], env: dict[str, str], workdir: Path, ready_url: str) -> Iterator[None]:
    log_path = workdir / f"{args[0]}-{time.monotonic_ns()}.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [str(BIN / "habitus"), *args],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"habitus {args[0]} exited:\n{log_path.read_text()}")
            try:
                if httpx.get(ready_url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"habitus {args[0]} did not start:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def counted(exposition: str, route: str) -> float:
    pattern = rf'^habitus_http_requests_total\{{[^}}]*route="{re.escape(route)}"[^}}]*\}} (\S+)$'
    return sum(float(value) for value in re.findall(pattern, exposition, re.MULTILINE))


@pytest.mark.skipif(
    backend() != "sqlite",
    reason="the processes' metrics do not depend on the database: once is enough for CI",
)
def test_serve_with_several_workers_reports_every_process(database_url: str, tmp_path: Path):
    """Issue 22 (alerts on 5xx ratio and latency): with `serve --workers 2`, every scrape
    reports the requests both processes answered, not those of whichever one took it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = habitus_env(
        database_url,
        tmp_path,
        # Where `serve` makes the processes' shared metrics directory (tempfile).
        TMPDIR=str(tmp_path),
        HABITUS_AUTO_MIGRATE="false",
        HABITUS_RUN_WORKER="false",
        HABITUS_RATE_LIMIT_ENABLED="false",
        HABITUS_LOG_LEVEL="WARNING",
    )
    args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    with running(args, env, tmp_path, f"{base}/healthz"):
        (shared,) = tmp_path.glob("habitus-metrics-*")

        def answering_processes() -> set[str]:
            return {path.stem.rsplit("_", 1)[1] for path in shared.glob("counter_*.db")}

        # Batches of simultaneous requests on new connections, until both processes
        # have answered some (a busy process leaves the next connection to the other).
        sent = 0
        deadline = time.monotonic() + 60
        with ThreadPoolExecutor(max_workers=8) as pool:
            while len(answering_processes()) < 2 or sent < 20:
                assert time.monotonic() < deadline, "one process took every connection"
                codes = list(pool.map(lambda _: httpx.get(f"{base}/readyz").status_code, range(8)))
                assert codes == [200] * 8
                sent += 8
        for _ in range(4):
            assert counted(httpx.get(f"{base}/metrics").text, "/readyz") == sent
    # Stopped: the shared directory goes with the processes.
    assert not shared.exists()


def test_worker_serves_its_metrics_on_its_own_port(database_url: str, tmp_path: Path):
    """Issue 22 (alerts on dead letters and lateness): `habitus worker` with
    HABITUS_WORKER_METRICS_PORT serves the delivery series for Prometheus."""
    port = free_port()
    env = habitus_env(
        database_url,
        tmp_path,
        HABITUS_AUTO_MIGRATE="false",
        HABITUS_WORKER_METRICS_PORT=str(port),
        HABITUS_LOG_LEVEL="WARNING",
    )
    url = f"http://127.0.0.1:{port}/metrics"
    with running(["worker"], env, tmp_path, url):
        exposed = exposed_series(httpx.get(url).text)
    assert {
        "habitus_deliveries_sent_total",
        "habitus_deliveries_dead_total",
        "habitus_delivery_lateness_seconds_bucket",
    } <= exposed
