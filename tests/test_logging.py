"""Structured logs of a real `habitus serve`: one JSON object a line, request IDs included."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
HABITUS = Path(sys.executable).parent / "habitus"
# cli.py prints this banner to stderr with Rich before logging is set up.
BANNER_PREFIX = "Habitus "


@dataclass
class ServerRun:
    lines: list[str]
    responses: list[httpx.Response]
    concurrent: list[httpx.Response]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"habitus serve exited with {process.returncode}")
        try:
            if httpx.get(base_url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("habitus serve did not answer /healthz within 60 s")


@pytest.fixture(scope="module")
def server_run(tmp_path_factory: pytest.TempPathFactory) -> ServerRun:
    """Start `habitus serve` on a temp SQLite file, make requests, stop it, keep stderr."""
    workdir = tmp_path_factory.mktemp("serve")
    port = _free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("HABITUS_")}
    env.update(
        HABITUS_DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'habitus.db'}",
        HABITUS_DATA_DIR=str(workdir / "data"),
        HABITUS_LOG_LEVEL="INFO",
        HABITUS_ARGON2_TIME_COST="1",
        HABITUS_ARGON2_MEMORY_KIB="1024",
        HABITUS_ARGON2_PARALLELISM="1",
    )
    stderr_path = workdir / "stderr.log"
    base_url = f"http://127.0.0.1:{port}"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [str(HABITUS), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            _wait_until_up(base_url, process)
            with httpx.Client(base_url=base_url, timeout=10) as client:
                responses = [
                    client.get("/healthz"),
                    client.get("/api/v1/me", headers={"X-Request-ID": "log-probe-1"}),
                    client.post(
                        "/api/v1/auth/register",
                        json={"email": "logs@example.org", "password": "a long and quiet meadow"},
                    ),
                    client.get("/api/v1/no-such-thing"),
                    client.get("/api/v1/me", headers={"X-Request-ID": "bad id with spaces"}),
                    client.post("/api/v1/auth/login", content=b"not json"),
                ]

                def one(index: int) -> httpx.Response:
                    return client.get("/api/v1/me", headers={"X-Request-ID": f"parallel-{index}"})

                with ThreadPoolExecutor(max_workers=8) as pool:
                    concurrent = list(pool.map(one, range(16)))
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    lines = stderr_path.read_text(encoding="utf-8").splitlines()
    return ServerRun(lines=lines, responses=responses, concurrent=concurrent)


def _records(run: ServerRun) -> list[dict[str, Any]]:
    records = []
    for line in run.lines:
        if line.startswith(BANNER_PREFIX) and " on http://" in line:
            continue
        records.append(json.loads(line))
    return records


def test_every_log_line_is_one_json_object(server_run: ServerRun):
    """DESIGN.md logging: every log line is one JSON object with event, level, logger, time."""
    records = _records(server_run)
    assert len(records) >= len(server_run.responses) + len(server_run.concurrent)
    for record in records:
        assert isinstance(record, dict)
        assert isinstance(record["event"], str)
        assert record["level"] in {"debug", "info", "warning", "error", "critical"}
        assert record["logger"]
        assert record["timestamp"].endswith("Z")
    loggers = {record["logger"] for record in records}
    assert "uvicorn.error" in loggers  # the server's own lines share the shape
    assert "habitus.http" in loggers


def test_nothing_but_json_on_stderr(server_run: ServerRun):
    """DESIGN.md logging: a log collector reading stderr sees JSON on every line."""
    for line in server_run.lines:
        json.loads(line)


def test_request_lines_carry_the_request_id(server_run: ServerRun):
    """middleware.py: a line written while handling a request has its ID, as in the header."""
    records = _records(server_run)
    for response in server_run.responses + server_run.concurrent:
        request_id = response.headers["x-request-id"]
        mine = [record for record in records if record.get("request_id") == request_id]
        assert len(mine) >= 1, request_id
        access = [record for record in mine if record["event"] == "request"]
        assert len(access) == 1, request_id
        assert access[0]["status"] == response.status_code
        assert access[0]["path"] == response.request.url.path
        assert access[0]["method"] == response.request.method
        assert access[0]["duration_ms"] >= 0


def test_a_sane_request_id_is_logged_as_sent(server_run: ServerRun):
    """middleware.py: the client's request ID is the one in the log, so traces line up."""
    assert server_run.responses[1].headers["x-request-id"] == "log-probe-1"
    records = _records(server_run)
    assert any(record.get("request_id") == "log-probe-1" for record in records)
    # A malformed one is replaced, in the answer and in the log alike.
    replaced = server_run.responses[4].headers["x-request-id"]
    assert replaced != "bad id with spaces"
    assert not any(record.get("request_id") == "bad id with spaces" for record in records)
    assert any(record.get("request_id") == replaced for record in records)


def test_concurrent_requests_do_not_mix_ids(server_run: ServerRun):
    """middleware.py: each request's lines carry its own ID, even when requests overlap."""
    records = _records(server_run)
    for index, response in enumerate(server_run.concurrent):
        assert response.headers["x-request-id"] == f"parallel-{index}"
        access = [
            record
            for record in records
            if record["event"] == "request" and record.get("request_id") == f"parallel-{index}"
        ]
        assert len(access) == 1


def test_lines_outside_requests_have_no_request_id(server_run: ServerRun):
    """middleware.py: the request ID is unbound after the answer; start-up and shutdown lines
    carry none."""
    records = _records(server_run)
    outside = [record for record in records if record["event"] != "request"]
    assert any(record["event"] == "started" for record in outside)
    assert any("shutdown" in record["event"].lower() for record in outside)
    assert all("request_id" not in record for record in outside), outside


def test_no_secrets_in_the_log(server_run: ServerRun):
    """DESIGN.md: passwords and tokens never reach the log."""
    text = "\n".join(server_run.lines)
    assert "a long and quiet meadow" not in text
    assert "Authorization" not in text
