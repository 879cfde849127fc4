"""Issue 19 (D15.2): how well and how fast the offline path reads scale reports.

Generated reports (tests/fixtures/scale_reports.py, seeded: the values each prints are
known): four variants (plain; turned 3-8 degrees either way; low contrast; pounds and
inches) x two layouts (list, tiles) x four fonts (sans, serif, condensed, mono), the 32
combinations cycled over `--images`. Each is read by `health.ocr.read_text` and
`health.report_parser.parse_boxes`; a value counts when the proposal equals the printed
value at the stored precision. Printed: values exact / printed per variant, layout and
font; fields proposed that the report does not print; the time per image (OCR and
parsing, the engine loaded beforehand): median and p95. Then the low-contrast reports
again without the contrast stretch, to show what it is worth.

Target (issue 19): >= 90% exact overall. Exit status 1 when missed.

    .venv/bin/python -m bench.health_ocr_bench [--images 32] [--seed 1000] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import statistics
import sys
import time
from collections import defaultdict
from typing import Any

from PIL import Image

from bench import cli, machine
from habitus.health import ocr
from habitus.health.report_parser import parse_boxes
from tests.fixtures.scale_reports import render

LAYOUTS = ("list", "tiles")
FONTS = ("sans", "serif", "condensed", "mono")
VARIANTS = ("plain", "turned", "low contrast", "imperial")
TARGET = 0.9


def cases(count: int, first_seed: int = 1000) -> list[dict[str, Any]]:
    """`count` reports cycling through every (variant, layout, font): 32 cover each once."""
    combinations = list(itertools.product(VARIANTS, LAYOUTS, FONTS))
    made = []
    for number in range(count):
        variant, layout, font = combinations[number % len(combinations)]
        angle = (3 + number % 6) * (1 if number % 2 else -1)
        made.append(
            {
                "variant": variant,
                "layout": layout,
                "font": font,
                "rotate": angle if variant == "turned" else 0,
                "contrast": "low" if variant == "low contrast" else "normal",
                "units": "imperial" if variant == "imperial" else "metric",
                "seed": first_seed + number,
            }
        )
    return made


def read(case: dict[str, Any]) -> dict[str, Any]:
    options = {key: value for key, value in case.items() if key != "variant"}
    png, truth = render(**options)
    image = Image.open(io.BytesIO(png))
    image.load()
    started = time.perf_counter()
    boxes = ocr.read_text(image)
    read_at = time.perf_counter()
    parsed = parse_boxes(boxes)
    seconds = time.perf_counter() - started
    proposed = {field: proposal.value for field, proposal in parsed.fields.items()}
    return {
        **case,
        "printed": len(truth),
        "exact": sum(1 for field, value in truth.items() if proposed.get(field) == value),
        "invented": len(set(proposed) - set(truth)),
        "seconds": seconds,
        "parse_ms": (started + seconds - read_at) * 1000,
    }


def table(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, float]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[str(row[key])].append(row)
    return {
        name: {
            "images": len(group),
            "exact": sum(row["exact"] for row in group),
            "printed": sum(row["printed"] for row in group),
            "invented": sum(row["invented"] for row in group),
        }
        for name, group in groups.items()
    }


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--images", type=int, default=32)
    parser.add_argument("--seed", type=int, default=1000, help="the first report's seed")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if reason := ocr.unavailable_reason():
        print(reason)
        return 1
    info = asyncio.run(machine.describe())
    print(f"health_ocr_bench: {args.images} images; {machine.one_line(info)}")
    started = time.perf_counter()
    ocr.read_text(Image.new("RGB", (200, 60), "white"))  # loads the engine
    print(f"engine loaded in {time.perf_counter() - started:.2f} s")
    rows = [read(case) for case in cases(args.images, args.seed)]
    results: dict[str, Any] = {"machine": info, "rows": rows}
    print(f"\n{'group':22} {'images':>6} {'exact':>9} {'share':>7} {'invented':>8}")
    for key in ("variant", "layout", "font"):
        results[key] = table(rows, key)
        for name, figures in results[key].items():
            share = figures["exact"] / figures["printed"]
            print(
                f"{key + ': ' + name:22} {figures['images']:6.0f} "
                f"{figures['exact']:4.0f}/{figures['printed']:<4.0f} {share:7.1%} "
                f"{figures['invented']:8.0f}"
            )
    exact = sum(row["exact"] for row in rows)
    printed = sum(row["printed"] for row in rows)
    times = [row["seconds"] for row in rows]
    print(f"{'all':22} {len(rows):6} {exact:4}/{printed:<4} {exact / printed:7.1%}")
    print(
        f"\ntime per image (OCR + parsing): median {statistics.median(times):.2f} s, "
        f"p95 {p95(times):.2f} s, max {max(times):.2f} s; of which parsing: median "
        f"{statistics.median(row['parse_ms'] for row in rows):.1f} ms"
    )
    # What the contrast stretch is worth: the dim reports again, never stretched.
    dim = [case for case in cases(args.images, args.seed) if case["variant"] == "low contrast"]
    kept, ocr.LOW_CONTRAST_SPREAD = ocr.LOW_CONTRAST_SPREAD, 0
    try:
        unstretched = [read(case) for case in dim]
    finally:
        ocr.LOW_CONTRAST_SPREAD = kept
    plain_exact = sum(row["exact"] for row in unstretched)
    plain_printed = sum(row["printed"] for row in unstretched)
    print(
        f"low contrast without the stretch: {plain_exact}/{plain_printed} "
        f"= {plain_exact / max(1, plain_printed):.1%}"
    )
    results["summary"] = {
        "exact": exact,
        "printed": printed,
        "share": exact / printed,
        "median_seconds": statistics.median(times),
        "p95_seconds": p95(times),
        "low_contrast_unstretched": [plain_exact, plain_printed],
    }
    cli.write_json(args.json, results)
    if exact / printed < TARGET:
        print(f"TARGET MISSED: {exact / printed:.1%} exact < {TARGET:.0%}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
