#!/usr/bin/env bash
# Every benchmark in one go (see bench/README.md). The figures go to the terminal and,
# as JSON, to bench/results/ (git-ignored). Exit status 1 when a target is missed or a
# check fails; the other benchmarks still run.
#
#   bench/run_all.sh            or   make bench
#   BENCH_QUICK=1 bench/run_all.sh   (shorter runs, for trying the harness)
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUT=${BENCH_OUT:-bench/results}
mkdir -p "$OUT"

if [[ -n "${BENCH_QUICK:-}" ]]; then
    CORE=(--reps 50) TODAY=(--reps 30 --cold-reps 3) LOAD=(--duration 3 --warmup 1)
    PAGE=(--reps 30) SUMMARIES=(--reps 10) REMINDERS=(--count 1000) METRICS=(--reps 10)
else
    CORE=() TODAY=() LOAD=() PAGE=() SUMMARIES=() REMINDERS=() METRICS=()
fi

status=0
echo "== core_bench: streak + score + rate, one habit, 10 years"
"$PY" -m bench.core_bench "${CORE[@]}" --json "$OUT/core.json" || status=1
echo
echo "== today_bench: /today server time, 50 habits x 10 years"
"$PY" -m bench.today_bench "${TODAY[@]}" --json "$OUT/today.json" || status=1
echo
echo "== today_page_bench: the Today page (HTML) server time, 30 habits x 10 years"
"$PY" -m bench.today_page_bench "${PAGE[@]}" --json "$OUT/today_page.json" || status=1
echo
echo "== summaries_bench: year heatmap and yearly report, summaries vs raw, 20 habits x 10 years"
"$PY" -m bench.summaries_bench "${SUMMARIES[@]}" --json "$OUT/summaries.json" || status=1
echo
echo "== reminders_bench: reminders due in the same minute to a webhook sink"
"$PY" -m bench.reminders_bench "${REMINDERS[@]}" --json "$OUT/reminders.json" || status=1
echo
echo "== checkin_load: check-ins under load vs the floor"
"$PY" -m bench.checkin_load "${LOAD[@]}" --json "$OUT/checkin.json" || status=1
echo
echo "== coach_bench: a coach plan, offline and through the model client"
"$PY" -m bench.coach_bench --json "$OUT/coach.json" || status=1
echo
echo "== insights_bench: predictions vs the baseline on synthetic users, training and prediction time"
"$PY" -m bench.insights_bench --json "$OUT/insights.json" || status=1
echo
echo "== health_ocr_bench: scale-report photos read offline, accuracy and time per image"
"$PY" -m bench.health_ocr_bench --json "$OUT/health_ocr.json" || status=1
echo
echo "== metrics_bench: GET /admin/metrics, 10,000 users x 1 year, from the daily rollup"
"$PY" -m bench.metrics_bench "${METRICS[@]}" --json "$OUT/metrics.json" || status=1
exit $status
