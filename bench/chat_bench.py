"""Issue 16: chat fan-out on one `habitus serve` process. 500 connected sockets (500
users in 250 direct conversations), 50 messages a second sent over the sockets; the
delivery latency is the time from a client's `send` frame to the partner's socket
receiving the `message` frame (stored first, then published: the database write is
inside it). Target: p99 under 100 ms on loopback. Also the server's memory per idle
socket (its RSS with 500 idle sockets open, less its RSS before, divided by 500).

The server runs in its own process (as in production); the clients share the machine.
Seeding goes through the services (personas, friendships, `chat.service.open_direct`).

    .venv/bin/python -m bench.chat_bench [--sockets 500] [--rate 50] [--seconds 20]
        [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from asgi_lifespan import LifespanManager
from cryptography.fernet import Fernet
from websockets.asyncio.client import ClientConnection, connect

from bench import machine
from bench.seed import postgres_database, sqlite_database
from habitus import db
from habitus.chat import service
from habitus.config import Settings
from habitus.main import create_app
from habitus.migrations_runner import upgrade
from habitus.models import Friendship, User
from tests.fixtures.live import habitus_env, live_server
from tests.fixtures.personas import create_persona

TARGET_P99_MS = 100.0


async def seed(url: str, data_dir: Path, env: dict[str, str], users: int) -> list[Any]:
    """`users` personas in pairs, each pair friends with one direct conversation.
    Returns [(access token, conversation id)] per user."""
    await asyncio.to_thread(upgrade, url)
    settings = Settings(
        database_url=url,
        data_dir=data_dir,
        secret_key=env["HABITUS_SECRET_KEY"],
        chat_keys=env["HABITUS_CHAT_KEYS"],
        auto_migrate=False,
        run_worker=False,
        rate_limit_enabled=False,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
        log_level="WARNING",
    )
    app = create_app(settings)
    seats: list[Any] = []
    async with LifespanManager(app):
        for pair in range(users // 2):
            one = await create_persona(app, f"a{pair}@example.org")
            other = await create_persona(app, f"b{pair}@example.org")
            async with db.write_transaction(app.state.sessionmaker) as session:
                session.add_all(
                    [
                        Friendship(user_id=one.id, friend_id=other.id),
                        Friendship(user_id=other.id, friend_id=one.id),
                    ]
                )
            async with db.write_transaction(app.state.sessionmaker) as session:
                user = await session.get(User, one.id)
                assert user is not None
                found, _ = await service.open_direct(session, user, other.id)
            seats.append((one.access_token, found.id))
            seats.append((other.access_token, found.id))
    return seats


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def open_socket(base: str, token: str) -> tuple[ClientConnection, str]:
    """A signed-in socket and its user's id (from the `ready` frame)."""
    ws = await connect(f"{base}/api/v1/ws", open_timeout=30, max_queue=None)
    await ws.send(json.dumps({"type": "auth", "token": token}))
    ready = json.loads(await ws.recv())
    assert ready["type"] == "ready", ready
    return ws, ready["user_id"]


async def listen(ws: ClientConnection, me: str, latencies: list[float], errors: list[Any]) -> None:
    """Record the latency of each message from the partner (the sender's own socket
    gets its messages too; those are not deliveries to someone else)."""
    while True:
        try:
            frame = json.loads(await ws.recv())
        except Exception:  # the bench is over: the socket closed
            return
        if frame["type"] == "message" and frame["message"]["sender_id"] != me:
            sent_at = float(frame["message"]["body"])
            latencies.append(time.perf_counter() - sent_at)
        elif frame["type"] == "error":
            errors.append(frame)


async def bench_one(url: str, label: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        env = habitus_env(
            url,
            data_dir,
            HABITUS_SECRET_KEY=secrets.token_urlsafe(48),
            HABITUS_CHAT_KEYS=Fernet.generate_key().decode(),
            HABITUS_AUTO_MIGRATE="false",
            HABITUS_RUN_WORKER="false",
            HABITUS_RATE_LIMIT_ENABLED="false",
            HABITUS_LOG_LEVEL="WARNING",
        )
        started = time.perf_counter()
        seats = await seed(url, data_dir, env, args.sockets)
        print(f"  [{label}] seeded {len(seats)} users in {time.perf_counter() - started:.1f} s")
        with live_server(env, data_dir) as server:
            base = server.base_url.replace("http://", "ws://")
            pid = server.process.pid
            await asyncio.sleep(1)
            before = rss_kib(pid)
            async with AsyncExitStack() as stack:
                sockets: list[ClientConnection] = []
                owners: list[str] = []
                for token, _ in seats:
                    ws, user_id = await open_socket(base, token)
                    stack.push_async_callback(ws.close)
                    sockets.append(ws)
                    owners.append(user_id)
                await asyncio.sleep(2)
                after = rss_kib(pid)
                per_socket_kib = (after - before) / len(sockets)
                print(
                    f"  [{label}] {len(sockets)} idle sockets: server RSS {before} -> {after} KiB,"
                    f" {per_socket_kib:.1f} KiB per socket"
                )
                latencies: list[float] = []
                errors: list[Any] = []
                listeners = [
                    asyncio.create_task(listen(ws, me, latencies, errors))
                    for ws, me in zip(sockets, owners, strict=True)
                ]
                total = int(args.rate * args.seconds)
                interval = 1.0 / args.rate
                start = time.perf_counter()
                for number in range(total):
                    # The first of each pair writes; its partner's socket measures.
                    index = (number % (len(sockets) // 2)) * 2
                    _, conversation_id = seats[index]
                    frame = {
                        "type": "send",
                        "conversation_id": str(conversation_id),
                        "body": f"{time.perf_counter()}",
                        "client_id": uuid.uuid4().hex,
                    }
                    await sockets[index].send(json.dumps(frame))
                    delay = start + (number + 1) * interval - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                await asyncio.sleep(2)
                for task in listeners:
                    task.cancel()
        result = summarize(label, total, latencies, errors)
        result["rss_per_idle_socket_kib"] = round(per_socket_kib, 1)
        return result


def summarize(label: str, sent: int, latencies: list[float], errors: list[Any]) -> dict[str, Any]:
    millis = sorted(value * 1000 for value in latencies)
    if not millis:
        print(f"  [{label}] nothing delivered; errors: {errors[:3]}")
        return {"delivered": 0}
    p50 = statistics.median(millis)
    p95 = millis[min(len(millis) - 1, int(len(millis) * 0.95))]
    p99 = millis[min(len(millis) - 1, int(len(millis) * 0.99))]
    verdict = "OK" if p99 < TARGET_P99_MS else "OVER"
    print(
        f"  [{label}] sent {sent}, delivered {len(millis)} to the partner, "
        f"errors {len(errors)}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, "
        f"max {millis[-1]:.1f} ms "
        f"(target p99 < {TARGET_P99_MS:.0f} ms: {verdict})"
    )
    return {"sent": sent, "delivered": len(millis), "p50_ms": p50, "p95_ms": p95, "p99_ms": p99}


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    info = await machine.describe()
    print(
        f"chat_bench: {args.sockets} sockets, {args.rate:g} messages/s, {args.seconds:g} s; "
        f"{machine.one_line(info)}"
    )
    results: dict[str, Any] = {}
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp, sqlite_database(Path(tmp), "chat") as url:
            results["sqlite"] = await bench_one(url, "sqlite", args)
    if args.only in (None, "postgresql"):
        async with postgres_database("chat") as url:
            results["postgresql"] = await bench_one(url, "postgresql", args)
    print(f"  load average at the end: {[round(value, 2) for value in os.getloadavg()]}")
    met = all(found.get("p99_ms", float("inf")) < TARGET_P99_MS for found in results.values())
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
