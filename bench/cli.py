"""The command line every in-process benchmark shares: its options, the run, the JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any


def parser(doc: str | None, *, reps: int, warmup: int) -> argparse.ArgumentParser:
    """`--reps`, `--warmup`, `--only sqlite|postgresql` and `--json FILE`; a benchmark
    adds its own options to it."""
    made = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    made.add_argument("--reps", type=int, default=reps)
    made.add_argument("--warmup", type=int, default=warmup)
    made.add_argument("--only", choices=("sqlite", "postgresql"))
    made.add_argument("--json", help="also write the figures to this file")
    return made


def write_json(path: str | None, results: Any) -> None:
    if path:
        Path(path).write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")


def run(
    main_async: Callable[[argparse.Namespace], Awaitable[int]], args: argparse.Namespace
) -> int:
    """Runs the benchmark; its figures (`args.results`) go to `--json`; its status
    (1: a target missed) is the exit status."""
    status = asyncio.run(main_async(args))
    write_json(args.json, getattr(args, "results", None))
    return status
