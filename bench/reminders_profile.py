"""Issue 22: where one delivery worker's time goes. Seeds `--count` reminders due a
moment ago (PostgreSQL or SQLite), fires them, then runs the dispatcher in this process
under cProfile until all are sent to a sink in another process (so the sink's CPU is not
counted). Prints wall time, this process's CPU time per delivery (the figure that holds
on a busy machine: CPU seconds are not stretched by other processes) and (with
`--show-profile`) the top functions by their own time.

    .venv/bin/python -m bench.reminders_profile [--count 2000] [--only postgresql|sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import multiprocessing
import os
import pstats
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.reminders_bench import Sink, seed_reminders, settings_for, settings_object
from bench.seed import postgres_database, sqlite_database
from habitus import wiring
from habitus.db import create_engine, create_sessionmaker
from habitus.migrations_runner import upgrade
from habitus.models import Delivery
from habitus.reminders import dispatcher, firing


def _serve_sink(port_out: Any, received: Any) -> None:
    sink = Sink(0.0)
    sink.start()
    port_out.put(sink.port)
    while True:
        time.sleep(0.05)
        received.value = len(sink.first_ok)


async def profile(url: str, args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    ports: Any = multiprocessing.Queue()
    received: Any = multiprocessing.Value("i", 0)
    sink = multiprocessing.Process(target=_serve_sink, args=(ports, received), daemon=True)
    sink.start()
    port = ports.get(timeout=10)
    await asyncio.to_thread(upgrade, url)
    # --ahead: due that many seconds from now, fired ahead and sent once due.
    due = datetime.now(UTC) + timedelta(seconds=args.ahead or -1)
    await seed_reminders(
        url, args.count, max(1, args.count // 100), due, f"http://127.0.0.1:{port}/hook"
    )
    values = settings_for(url, data_dir, 1.0)
    if args.concurrency:
        values["HABITUS_DELIVERY_CONCURRENCY"] = str(args.concurrency)
    settings = settings_object(values)
    engine = create_engine(url)
    maker = create_sessionmaker(engine)
    began = time.perf_counter()
    fired = await firing.fire_due(maker, settings, datetime.now(UTC))
    fire_s = time.perf_counter() - began
    await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
    # CPU time, not wall time: on a shared machine waiting is not work.
    profiler = cProfile.Profile(time.process_time)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if args.show_profile:
        profiler.enable()
    sent = 0
    while True:
        step = await dispatcher.deliver_due(maker, settings, "profile")
        sent += step
        if step == 0:
            break
    profiler.disable()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    async with maker() as session:
        states = dict(
            (
                await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
            ).all()  # type: ignore[arg-type]
        )
    await engine.dispose()
    sink.terminate()
    out = io.StringIO()
    if args.show_profile:
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
    return {
        "fired": fired,
        "fire_s": fire_s,
        "handled": sent,
        "states": states,
        "send_wall_s": wall,
        "send_cpu_s": cpu,
        "per_s": sent / wall if wall else 0,
        "cpu_ms_per_delivery": cpu * 1000 / sent if sent else 0,
        "profile": out.getvalue(),
    }


async def main_async(args: argparse.Namespace) -> None:
    wiring.register_all()
    print(f"reminders_profile: {args.count}; load average {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="habitus-profile-") as tmp:
        if args.only == "sqlite":
            with sqlite_database(Path(tmp), "profile") as url:
                found = await profile(url, args, Path(tmp))
        else:
            async with postgres_database("profile") as url:
                found = await profile(url, args, Path(tmp))
    if args.show_profile:
        print(found["profile"])
    print(
        f"  fired {found['fired']} in {found['fire_s']:.2f} s; sent {found['handled']} in "
        f"{found['send_wall_s']:.2f} s ({found['per_s']:.0f}/s wall), CPU "
        f"{found['send_cpu_s']:.2f} s = {found['cpu_ms_per_delivery']:.2f} ms per delivery "
        f"({'under cProfile' if args.show_profile else 'no profiler'}); "
        f"states {found['states']}; load average {os.getloadavg()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--only", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--concurrency", type=int, default=0)
    parser.add_argument("--ahead", type=float, default=0.0, help="fire this many s ahead")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--show-profile", action="store_true")
    parser.add_argument("--sort", default="tottime", help="pstats order: tottime, cumulative")
    asyncio.run(main_async(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
