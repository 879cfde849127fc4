"""Issue 17: how long a coach plan takes to make. (1) The offline coach alone, for 21
and 66 days; (2) the model path end to end through `kit/llm.py` against a local server
speaking the Chat Completions protocol that answers at once (tests/fixtures/fake_llm.py):
what our side costs (the request, parsing, the D13.4 checks); (3) the same with one bad
answer and its repair; (4) a model that times out, then the offline coach (the
worst case a user waits for, bounded by HABITUS_LLM_TIMEOUT_SECONDS, here 1 s).
Medians over `--reps` runs, in one process, so the ratios compare.

    .venv/bin/python -m bench.coach_bench [--reps 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

from bench import cli, machine
from habitus.coach import offline, planner
from habitus.coach.plan_rules import Answer
from habitus.kit.llm import LlmClient
from tests.fixtures import fake_llm as fake

GOAL = "I want to stop scrolling on my phone at night"
ANSWERS = (
    Answer("What gets in the way?", "boredom after dinner"),
    Answer("Why does this matter to you now?", "I sleep badly"),
)


def plan_json(days: int, *, per_day: int = 3) -> str:
    return json.dumps(
        {
            "habit_name": "Phone-free evenings",
            "days": [
                {
                    "day": day,
                    "tasks": [
                        f"Step {day}.{n}: leave the phone in the hall" for n in range(per_day)
                    ],
                }
                for day in range(1, days + 1)
            ],
        }
    )


async def median_ms(step: Callable[[], Awaitable[object]], reps: int, warmup: int) -> float:
    for _ in range(warmup):
        await step()
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        await step()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def main_async(args: argparse.Namespace) -> int:
    info = await machine.describe()
    print(f"coach_bench: {args.reps} runs each; {machine.one_line(info)}")
    results: dict[str, float] = {}

    async def offline_21() -> object:
        return offline.plan(GOAL, "quit", ANSWERS, 21)

    async def offline_66() -> object:
        return offline.plan(GOAL, "quit", ANSWERS, 66)

    results["offline, 21 days"] = await median_ms(offline_21, args.reps, args.warmup)
    results["offline, 66 days"] = await median_ms(offline_66, args.reps, args.warmup)
    with fake.FakeLlm.start() as server:
        client = LlmClient(fake.llm_settings(server, llm_timeout_seconds=1.0))
        try:
            server.responder = lambda _request: plan_json(21)

            async def model_21() -> object:
                made = await planner.plan(client, GOAL, "quit", ANSWERS, 21)
                assert made.source == "llm"
                return made

            results["model (instant server), 21 days"] = await median_ms(
                model_21, args.reps, args.warmup
            )

            async def repaired_21() -> object:
                server.script(fake.text(plan_json(21, per_day=2)), fake.text(plan_json(21)))
                made = await planner.plan(client, GOAL, "quit", ANSWERS, 21)
                assert made.source == "llm"
                return made

            results["model with one repair, 21 days"] = await median_ms(
                repaired_21, args.reps, args.warmup
            )

            async def timed_out_21() -> object:
                server.script(fake.slow(2.0))
                made = await planner.plan(client, GOAL, "quit", ANSWERS, 21)
                assert made.source == "offline"
                return made

            results["model times out (1 s), then offline, 21 days"] = await median_ms(
                timed_out_21, max(3, args.reps // 50), 0
            )
        finally:
            await client.aclose()
    base = results["offline, 21 days"]
    for name, value in results.items():
        print(f"{name:48} {value:9.2f} ms   x{value / base:8.1f}")
    args.results = results
    return 0


def main() -> int:
    args = cli.parser(__doc__, reps=200, warmup=10).parse_args()
    return cli.run(main_async, args)


if __name__ == "__main__":
    sys.exit(main())
