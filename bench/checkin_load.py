"""The check-in endpoint under load, side by side with a floor, on SQLite and PostgreSQL.

For each database, in one run:

1. seed a fresh database (50 habits x 10 years, kept states; `bench/seed.py`) and a
   fresh one for the floor;
2. start the floor app (`bench/floor_app.py`, a bare FastAPI app that INSERTs one row
   in one transaction) as a real uvicorn process on loopback, drive it with wrk from a
   second process (a warm-up, then the measured run), stop it;
3. start `habitus serve` (a real process: the production Argon2 cost, rate limits off,
   everything else at its defaults), sign in once for a token, drive
   `POST /api/v1/habits/{id}/checkins` with the same wrk script, concurrency and
   duration: a measurable habit, `{"value": 1}`, a unique `Idempotency-Key` per
   request, so every request writes; stop it;
4. check that today's value of the habit equals the number of 201 answers the server
   gave (counted from its request log: wrk does not see the answers to the requests in
   flight when it stops, up to one per connection per run), i.e. nothing lost, nothing
   counted twice; and that the floor table holds one row per 201 it answered.

Reports requests/s (201s only), p50/p99 latency (wrk's), the CPU the server process
and the PostgreSQL backends used per request, and the ratio habitus / floor, against
the target of at least 1/3.

    .venv/bin/python -m bench.checkin_load [--connections 16] [--duration 15] [--warmup 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text

from bench import cli, machine
from bench.seed import describe, postgres_database, seed, sqlite_database, utc_today
from habitus.db import create_engine
from habitus.models import Entry

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
LUA = HERE / "checkin.lua"
TARGET_RATIO = 1 / 3
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _stat(pid: int | str) -> list[str]:
    """/proc/<pid>/stat after the command name: [state, ppid, ...]."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as file:
        return file.read().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def _comm(pid: int | str) -> str:
    with open(f"/proc/{pid}/comm", encoding="ascii") as file:
        return file.read().strip()


def postgres_cpu_seconds() -> float:
    """CPU used so far by the PostgreSQL server: its live processes, plus what the
    postmaster reaped from backends that have exited (closed connections). Counts every
    client's work, so it means something on an otherwise idle server only."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if _comm(entry) != "postgres":
                continue
            fields = _stat(entry)
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            if _comm(fields[1]) != "postgres":  # the postmaster: add its reaped children
                total += (int(fields[13]) + int(fields[14])) / CLOCK_TICKS
        except OSError:
            continue
    return total


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent on anything but idle and I/O wait, since boot."""
    with open("/proc/stat", encoding="ascii") as file:
        values = [int(value) for value in file.readline().split()[1:]]
    return (sum(values) - values[3] - values[4]) / CLOCK_TICKS


@dataclass
class Server:
    name: str
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-3000:]


@contextmanager
def serve(name: str, command: list[str], env: dict[str, str], workdir: Path) -> Iterator[Server]:
    port = free_port()
    log_path = workdir / f"{name}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(name, f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited early:\n{server.log_tail()}")
            try:
                if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n{server.log_tail()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Load:
    connections: int
    threads: int
    duration: int
    warmup: int
    habits: int  # measurable habits the check-ins go to, in turn
    worker: bool = True  # the in-process worker (event consumers) runs, as by default


@dataclass
class Run:
    requests_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    created: int  # 201s in the measured run
    other: dict[str, int]
    errors: dict[str, int]
    server_cpu_ms_per_request: float
    postgres_cpu_ms_per_request: float
    wrk_cpu_ms_per_request: float
    machine_busy_cores: float  # all processes, of os.cpu_count()
    created_total: int = 0  # 201s wrk saw in the warm-up and measured run together
    raw: dict[str, Any] = field(default_factory=dict)


def wrk(url: str, paths: list[str], token: str, seconds: int, load: Load) -> dict[str, Any]:
    env = {
        **os.environ,
        "BENCH_PATHS": " ".join(paths),
        "BENCH_TOKEN": token,
        "BENCH_RUN": secrets.token_hex(6),
    }
    done = subprocess.run(
        [
            "wrk",
            f"-t{load.threads}",
            f"-c{load.connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA),
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            figures: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
            return figures
    raise RuntimeError(f"wrk printed no figures:\n{done.stdout}\n{done.stderr}")


def drive(server: Server, paths: list[str], token: str, load: Load, postgres: bool) -> Run:
    """A warm-up, then the measured run; CPU of the server and PostgreSQL meanwhile."""
    warm = wrk(server.base_url, paths, token, load.warmup, load)
    cpu_before = cpu_seconds(server.process.pid)
    pg_before = postgres_cpu_seconds() if postgres else 0.0
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_before = machine_busy_seconds()
    figures = wrk(server.base_url, paths, token, load.duration, load)
    busy = machine_busy_seconds() - busy_before
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu_seconds(server.process.pid) - cpu_before
    pg = postgres_cpu_seconds() - pg_before if postgres else 0.0
    wrk_cpu = (children.ru_utime + children.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    statuses = {str(code): count for code, count in figures["statuses"].items()}
    created = statuses.pop("201", 0)
    seconds = figures["duration_us"] / 1e6
    return Run(
        requests_per_s=created / seconds,
        p50_ms=figures["p50_us"] / 1000,
        p90_ms=figures["p90_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        max_ms=figures["max_us"] / 1000,
        created=created,
        other=statuses,
        errors={name: count for name, count in figures["errors"].items() if count},
        server_cpu_ms_per_request=cpu * 1000 / max(1, figures["requests"]),
        postgres_cpu_ms_per_request=pg * 1000 / max(1, figures["requests"]),
        wrk_cpu_ms_per_request=wrk_cpu * 1000 / max(1, figures["requests"]),
        machine_busy_cores=busy / seconds,
        created_total=created + warm["statuses"].get("201", 0),
        raw={"warmup": warm, "measured": figures},
    )


def server_env(database_url: str, data_dir: Path, *, worker: bool = True) -> dict[str, str]:
    """`habitus serve` at its defaults but for the database, no rate limits, and an
    access token that outlives the run; `worker=False`: without the in-process worker
    (issue 22: how much of a check-in's CPU is the event consumers' work after it)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HABITUS_")}
    env.update(
        {
            "HABITUS_DATABASE_URL": database_url,
            "HABITUS_DATA_DIR": str(data_dir),
            "HABITUS_SECRET_KEY": secrets.token_urlsafe(48),
            "HABITUS_RATE_LIMIT_ENABLED": "false",
            "HABITUS_ACCESS_TOKEN_MINUTES": "120",
            "HABITUS_RUN_WORKER": "true" if worker else "false",
        }
    )
    return env


def logged_201s(server: Server, suffix: str) -> tuple[int, int]:
    """(201 answers to POSTs whose path ends with `suffix`, error lines) in the server's
    JSON log."""
    created = errors = 0
    for line in server.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("level") in ("error", "critical"):
            errors += 1
        if (
            record.get("event") == "request"
            and record.get("status") == 201
            and str(record.get("path", "")).endswith(suffix)
        ):
            created += 1
    return created, errors


async def day_value(url: str, habit_ids: list[uuid.UUID]) -> float:
    """Today's value, summed over the habits checked in."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            value = await connection.scalar(
                select(func.sum(Entry.value)).where(
                    Entry.habit_id.in_(habit_ids), Entry.local_date == utc_today()
                )
            )
            return float(value or 0)
    finally:
        await engine.dispose()


async def floor_count(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(select(func.count()).select_from(text("floor_rows")))
            return int(count or 0)
    finally:
        await engine.dispose()


def bench_database(
    label: str, habitus_url: str, floor_url: str, workdir: Path, load: Load
) -> dict[str, Any]:
    postgres = label == "postgresql"
    seeded = asyncio.run(seed(habitus_url))  # the production Argon2 cost
    print(f"  [{label}] seeded: {describe(seeded)}", flush=True)
    day = utc_today()

    pythonpath = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    floor_env = {**os.environ, "FLOOR_DATABASE_URL": floor_url, "PYTHONPATH": pythonpath}
    with serve("floor", [sys.executable, "-m", "bench.floor_app"], floor_env, workdir) as server:
        floor = drive(server, ["/floor"], "", load, postgres)
        time.sleep(0.5)  # let the requests wrk left in flight finish
        floor_created = httpx.get(f"{server.base_url}/stats").json()["created"]
    rows = asyncio.run(floor_count(floor_url))
    print(f"  [{label}] floor:   {floor.requests_per_s:8.1f} req/s", flush=True)

    data_dir = workdir / f"data-{label}"
    data_dir.mkdir()
    env = server_env(habitus_url, data_dir, worker=load.worker)
    with serve("habitus", [str(BIN / "habitus"), "serve"], env, workdir) as server:
        login = httpx.post(
            f"{server.base_url}/api/v1/auth/login",
            json={"email": seeded.email, "password": seeded.password},
            timeout=30,
        )
        login.raise_for_status()
        token = login.json()["access_token"]
        habit_ids = seeded.measurable_ids[: load.habits]
        paths = [f"/api/v1/habits/{habit_id}/checkins" for habit_id in habit_ids]
        app = drive(server, paths, token, load, postgres)
        time.sleep(0.5)  # let the requests wrk left in flight finish
    created, errors_in_log = logged_201s(server, "/checkins")
    value = asyncio.run(day_value(habitus_url, habit_ids))
    print(f"  [{label}] habitus: {app.requests_per_s:8.1f} req/s", flush=True)

    same_day = utc_today() == day
    return {
        "floor": floor.__dict__,
        "habitus": app.__dict__,
        "ratio": app.requests_per_s / floor.requests_per_s,
        "check": {
            "habitus_201s": created,
            "habitus_201s_seen_by_wrk": app.created_total,
            "day_value": value,
            "habitus_ok": same_day and value == created and errors_in_log == 0,
            "floor_201s": floor_created,
            "floor_201s_seen_by_wrk": floor.created_total,
            "floor_rows": rows,
            "floor_ok": rows == floor_created,
            "midnight_crossed": not same_day,
            "error_log_lines": errors_in_log,
        },
    }


def report(name: str, found: dict[str, Any]) -> None:
    print(f"  {name}:")
    for part in ("floor", "habitus"):
        run = found[part]
        extra = ""
        if run["other"] or run["errors"]:
            extra = f"  other statuses {run['other']} errors {run['errors']}"
        pg = (
            f", PostgreSQL {run['postgres_cpu_ms_per_request']:.2f}" if name == "postgresql" else ""
        )
        print(
            f"    {part:<8} {run['requests_per_s']:8.1f} req/s  p50 {run['p50_ms']:7.2f} ms  "
            f"p99 {run['p99_ms']:7.2f} ms  CPU ms/request: server "
            f"{run['server_cpu_ms_per_request']:.2f}{pg}, wrk "
            f"{run['wrk_cpu_ms_per_request']:.2f}; machine busy "
            f"{run['machine_busy_cores']:.2f} cores{extra}"
        )
    check = found["check"]
    print(
        f"    ratio habitus/floor {found['ratio']:.3f} (target >= {TARGET_RATIO:.3f})\n"
        f"    check: day value {check['day_value']:.0f} vs {check['habitus_201s']} 201s "
        f"answered ({check['habitus_201s_seen_by_wrk']} seen by wrk), "
        f"{check['error_log_lines']} error lines -> "
        f"{'ok' if check['habitus_ok'] else 'MISMATCH'}; floor rows {check['floor_rows']} vs "
        f"{check['floor_201s']} 201s answered -> {'ok' if check['floor_ok'] else 'MISMATCH'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--duration", type=int, default=15, help="measured seconds")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds")
    parser.add_argument(
        "--habits",
        type=int,
        default=1,
        choices=range(1, 8),
        help="spread the check-ins over this many habits (default 1: all on one habit)",
    )
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument(
        "--no-worker", action="store_true", help="serve with HABITUS_RUN_WORKER=false"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    load = Load(
        args.connections, args.threads, args.duration, args.warmup, args.habits, not args.no_worker
    )
    info = asyncio.run(machine.describe())
    print(
        f"checkin_load: wrk -t{load.threads} -c{load.connections}, {load.warmup} s warm-up + "
        f"{load.duration} s measured, each server alone, check-ins on {load.habits} "
        f"habit(s){'' if load.worker else ', worker off'}; {machine.one_line(info)}; "
        f"{info['wrk']}",
        flush=True,
    )
    results: dict[str, Any] = {
        "machine": info,
        "load": load.__dict__,
        "started": datetime.now(UTC).isoformat(),
    }
    with tempfile.TemporaryDirectory(prefix="habitus-load-") as tmp:
        workdir = Path(tmp)
        if args.only in (None, "sqlite"):
            with (
                sqlite_database(workdir, "checkin") as habitus_url,
                sqlite_database(workdir, "floor") as floor_url,
            ):
                results["sqlite"] = bench_database("sqlite", habitus_url, floor_url, workdir, load)
        if args.only in (None, "postgresql"):

            async def make() -> None:
                async with (
                    postgres_database("checkin") as habitus_url,
                    postgres_database("floor") as floor_url,
                ):
                    results["postgresql"] = await asyncio.to_thread(
                        bench_database, "postgresql", habitus_url, floor_url, workdir, load
                    )

            asyncio.run(make())
    ok = True
    for name in ("sqlite", "postgresql"):
        if name in results:
            report(name, results[name])
            check = results[name]["check"]
            ok = ok and check["habitus_ok"] and check["floor_ok"]
    met = all(
        results[name]["ratio"] >= TARGET_RATIO
        for name in ("sqlite", "postgresql")
        if name in results
    )
    verdict = "MET" if met else "MISSED"
    print(f"\ntarget: check-ins at >= 1/3 of the floor's requests/s -> {verdict}")
    cli.write_json(args.json, results)
    return 0 if ok and met else 1


if __name__ == "__main__":
    sys.exit(main())
