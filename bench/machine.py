"""What the figures were measured on: CPU, versions of Python, the drivers and servers."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from datetime import UTC, datetime
from importlib import metadata

import asyncpg

from bench.seed import POSTGRES_ADMIN_DSN

PACKAGES = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "aiosqlite", "asyncpg", "uvloop")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def wrk_version() -> str | None:
    try:
        done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return None
    text = (done.stdout + done.stderr).strip().splitlines()
    return text[0] if text else None


async def postgres_version() -> str | None:
    try:
        connection = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return None
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


async def describe() -> dict[str, object]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": await postgres_version(),
        "wrk": wrk_version(),
        "loadavg_at_start": [round(value, 2) for value in os.getloadavg()],
        "packages": versions,
    }


def one_line(info: dict[str, object]) -> str:
    packages = info["packages"]
    assert isinstance(packages, dict)
    libs = ", ".join(f"{name} {version}" for name, version in packages.items() if version)
    return (
        f"{info['date']}; {info['cores']} cores, {info['cpu']}; {info['os']}; "
        f"Python {info['python']}, SQLite {info['sqlite']}, PostgreSQL {info['postgresql']}; "
        f"{libs}; load average at start {info['loadavg_at_start']}"
    )
