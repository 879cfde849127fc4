"""Peak memory of parsing an import, per MB of input (issue 11, item 6).

Each case runs in a fresh subprocess, which reads the file, notes its peak RSS
(`resource.getrusage(RUSAGE_SELF).ru_maxrss`), parses the file with the importer's parser
for its format (no database) and notes the peak again: the difference is what parsing
cost. Cases:

- `loop_csv_real`: a Loop CSV export of 20 habits x 10 years (one row per habit and day,
  as Loop writes it: mostly NO, a check on 60% of days), the size of a real export.
- `loop_csv_bomb`: a zip of ~150 KB whose Checkmarks.csv unpacks to 60 MB (one row
  repeated), the file of the issue.
- `loop_csv_bomb_cap`: the same, unpacking to 199 MB (just under the old 200 MB cap).
- `loop_csv_repeats_15m`: one row repeated to 15 MiB (just under the new 16 MiB cap).
- `loop_csv_distinct_15m`: 15 MiB of checks on distinct days (20 habits x ~94 years):
  the most entries a CSV export can still bring, all of them kept.
- `loop_db_real`: a Loop backup of 20 habits x 10 years.

    .venv/bin/python -m bench.import_memory [--only CASE] [--json FILE]

No target: the figures are recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.cli import write_json
from bench.machine import describe, one_line

HABITS, YEARS = 20, 10
LAST_DAY = date(2026, 11, 20)
HABITS_CSV = (
    "Position,Name,Type,Question,Description,FrequencyNumerator,FrequencyDenominator,"
    "Color,Unit,Target Type,Target Value,Archived?\n"
)


def _days() -> list[date]:
    return [LAST_DAY - timedelta(days=n) for n in range(YEARS * 365)]


def _habits_csv(count: int) -> str:
    rows = [f"{n + 1:03d},Habit {n + 1},YES_NO,,,1,1,#FF8F00,,,,false\n" for n in range(count)]
    return HABITS_CSV + "".join(rows)


def loop_csv_real() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Loop Habits CSV/Habits.csv", _habits_csv(HABITS))
        for n in range(HABITS):
            lines = ["Date,Value,Notes\n"]
            for index, day in enumerate(_days()):
                value = "YES_MANUAL" if (index * 7 + n) % 10 < 6 else "NO"
                lines.append(f"{day.isoformat()},{value},\n")
            archive.writestr(
                f"Loop Habits CSV/{n + 1:03d} Habit {n + 1}/Checkmarks.csv", "".join(lines)
            )
    return buffer.getvalue()


def loop_csv_bomb(unpacked_bytes: int) -> bytes:
    row = b"2015-01-25,YES_MANUAL,\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("Loop Habits CSV/Habits.csv", _habits_csv(1))
        with archive.open("Loop Habits CSV/001 Habit 1/Checkmarks.csv", "w") as member:
            member.write(b"Date,Value,Notes\n")
            block = row * (1024 * 1024 // len(row))
            written = 0
            while written + len(block) <= unpacked_bytes:
                member.write(block)
                written += len(block)
    return buffer.getvalue()


def loop_csv_distinct(unpacked_bytes: int) -> bytes:
    habits = 20
    per_habit = unpacked_bytes // habits // len("2026-11-20,YES_MANUAL,\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Loop Habits CSV/Habits.csv", _habits_csv(habits))
        for n in range(habits):
            lines = ["Date,Value,Notes\n"]
            lines.extend(
                f"{(LAST_DAY - timedelta(days=day)).isoformat()},YES_MANUAL,\n"
                for day in range(per_habit)
            )
            archive.writestr(
                f"Loop Habits CSV/{n + 1:03d} Habit {n + 1}/Checkmarks.csv", "".join(lines)
            )
    return buffer.getvalue()


def loop_db_real() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "loop.db"
        connection = sqlite3.connect(path)
        connection.execute(
            "CREATE TABLE Habits (id integer primary key autoincrement, archived integer, "
            "color integer, description text, freq_den integer, freq_num integer, "
            "highlight integer, name text, position integer, reminder_hour integer, "
            "reminder_min integer, reminder_days integer not null default 127, type integer "
            "not null default 0, target_type integer not null default 0, target_value real "
            'not null default 0, unit text not null default "", question text, uuid text)'
        )
        connection.execute(
            "CREATE TABLE Repetitions (id integer primary key autoincrement, habit integer "
            "not null references habits(id), timestamp integer not null, value integer not "
            "null, notes text)"
        )
        for n in range(HABITS):
            connection.execute(
                "INSERT INTO Habits (archived, color, freq_den, freq_num, name, position) "
                "VALUES (0, 8, 1, 1, ?, ?)",
                (f"Habit {n + 1}", n),
            )
            connection.executemany(
                "INSERT INTO Repetitions (habit, timestamp, value) VALUES (?, ?, 2)",
                (
                    (n + 1, int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() * 1000))
                    for index, d in enumerate(_days())
                    if (index * 7 + n) % 10 < 6
                ),
            )
        connection.execute("PRAGMA user_version = 25")
        connection.commit()
        connection.close()
        return path.read_bytes()


CASES = {
    "loop_csv_real": ("loop_csv", loop_csv_real),
    "loop_csv_bomb": ("loop_csv", lambda: loop_csv_bomb(60 * 1024 * 1024)),
    "loop_csv_bomb_cap": ("loop_csv", lambda: loop_csv_bomb(199 * 1024 * 1024)),
    "loop_csv_repeats_15m": ("loop_csv", lambda: loop_csv_bomb(15 * 1024 * 1024)),
    "loop_csv_distinct_15m": ("loop_csv", lambda: loop_csv_distinct(15 * 1024 * 1024)),
    "loop_db_real": ("loop_db", loop_db_real),
}


def _unpacked(data: bytes) -> int:
    if not data.startswith(b"PK"):
        return len(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(info.file_size for info in archive.infolist())


def child(fmt: str, path: str) -> None:
    """Parse one file; print the peak RSS before and after (KiB) as JSON."""
    from habitus.imports import service

    data = Path(path).read_bytes()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    outcome = "parsed"
    try:
        parsed = service.FORMATS[fmt](data)
        entries = sum(len(habit.entries) for habit in parsed.habits)
        outcome = f"parsed: {len(parsed.habits)} habits, {entries} entries"
    except Exception as error:  # the refusal is the figure we want for a bomb
        outcome = f"refused: {str(error)[:90]}"
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {"before_kib": before, "after_kib": after, "seconds": seconds, "outcome": outcome}
        )
    )


def measure(name: str) -> dict[str, object]:
    fmt, make = CASES[name]
    data = make()
    with tempfile.NamedTemporaryFile(suffix=".bin") as handle:
        handle.write(data)
        handle.flush()
        done = subprocess.run(
            [sys.executable, "-m", "bench.import_memory", "--child", fmt, handle.name],
            capture_output=True,
            text=True,
            check=True,
        )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    cost_mib = (figures["after_kib"] - figures["before_kib"]) / 1024
    input_mib = len(data) / 2**20
    return {
        "case": name,
        "input_mib": round(input_mib, 3),
        "unpacked_mib": round(_unpacked(data) / 2**20, 1),
        "peak_rss_added_mib": round(cost_mib, 1),
        "per_input_mib": round(cost_mib / input_mib, 1),
        "per_unpacked_mib": round(cost_mib / (_unpacked(data) / 2**20), 2),
        "seconds": round(figures["seconds"], 2),
        "outcome": figures["outcome"],
    }


def main() -> int:
    made = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    made.add_argument("--only", choices=sorted(CASES))
    made.add_argument("--json", help="also write the figures to this file")
    made.add_argument("--child", nargs=2, metavar=("FORMAT", "PATH"), help=argparse.SUPPRESS)
    args = made.parse_args()
    if args.child:
        child(*args.child)
        return 0
    print(one_line(asyncio.run(describe())))
    results = []
    for name in [args.only] if args.only else list(CASES):
        row = measure(name)
        results.append(row)
        print(
            f"{row['case']:<22} input {row['input_mib']:>7} MiB"
            f"  unpacked {row['unpacked_mib']:>6} MiB"
            f"  peak RSS +{row['peak_rss_added_mib']:>7} MiB"
            f" ({row['per_input_mib']:>7} per input MiB,"
            f" {row['per_unpacked_mib']:>5} per unpacked MiB)"
            f"  {row['seconds']:>6} s  {row['outcome']}",
            flush=True,
        )
    write_json(args.json, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
