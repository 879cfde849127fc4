"""Issue 22, availability: ops/prometheus/alerts.yml (5xx ratio, p99 latency, reminder
lateness, dead letters, targets down). Every rule is complete, every metric it reads is
one the app really exports (read from its /metrics after some traffic), and, where
promtool is installed, Prometheus itself checks the rules and runs their unit tests
(ops/prometheus/alerts_test.yml).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.ops.prometheus_text import exposed_series

ROOT = Path(__file__).resolve().parents[2]
RULES_DIR = ROOT / "ops" / "prometheus"
ALERTS = RULES_DIR / "alerts.yml"
OPERATIONS = ROOT / "docs" / "OPERATIONS.md"
SEVERITIES = {"page", "ticket"}
# Series Prometheus makes itself, not the app.
PROMETHEUS_SERIES = {"up"}
PROMQL_WORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "bool", "offset", "inf", "nan",
}  # fmt: skip
ALERTS_WANTED = {
    "HabitusErrorBudgetFastBurn",
    "HabitusErrorBudgetSlowBurn",
    "HabitusSlowRequests",
    "HabitusRemindersLate",
    "HabitusDeadLetters",
    "HabitusTargetDown",
    "HabitusNoWorker",
}


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def series_names(expr: str) -> set[str]:
    """The metric names an expression reads: identifiers that are not functions,
    keywords, label names or numbers."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        following = text[match.end() :].lstrip()
        if following.startswith("("):
            continue  # a function
        if match.group().lower() in PROMQL_WORDS:
            continue
        names.add(match.group())
    return names


def test_every_alert_is_complete() -> None:
    """Issue 22: alert, expr, for, a severity and what to do, for each of the SLO's alerts."""
    alerts = [rule for rule in rules() if "alert" in rule]
    assert {rule["alert"] for rule in alerts} == ALERTS_WANTED
    operations = OPERATIONS.read_text(encoding="utf-8")
    for rule in alerts:
        assert rule["expr"].strip(), rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        annotations = rule["annotations"]
        assert annotations["summary"], rule["alert"]
        assert annotations["description"], rule["alert"]
        assert annotations["runbook"] == "docs/OPERATIONS.md#service-levels-and-alerts"
        # The runbook names each alert, so whoever is paged finds what to do.
        assert f"`{rule['alert']}`" in operations, f"{rule['alert']} is not in OPERATIONS.md"
    assert "## Service levels and alerts" in operations


async def test_every_metric_an_alert_reads_is_exported(client: httpx.AsyncClient) -> None:
    """Issue 22: an alert on a metric the app does not export would never fire. The names
    come from the app's own /metrics, after a request (the HTTP series) - the reminder
    series are registered by the worker's modules, which the app loads too."""
    assert (await client.get("/healthz")).status_code == 200
    response = await client.get("/metrics")
    assert response.status_code == 200
    exposed = exposed_series(response.text)
    recorded = {rule["record"] for rule in rules() if "record" in rule}
    read: set[str] = set()
    for rule in rules():
        read |= series_names(rule["expr"])
    assert {"habitus_http_requests_total", "habitus_deliveries_dead_total"} <= read
    unknown = read - exposed - recorded - PROMETHEUS_SERIES
    assert not unknown, f"alerts.yml reads series the app does not export: {sorted(unknown)}"


def test_series_names_finds_metrics_and_nothing_else() -> None:
    """The parser the test above relies on."""
    expr = (
        'histogram_quantile(0.99, sum by (le) (rate(x_bucket{route!~"/a|b(c)"}[5m]))) > 0.5 '
        "and absent(up{job='w'} == 1) unless on(instance) y:ratio:rate5m"
    )
    assert series_names(expr) == {"x_bucket", "up", "y:ratio:rate5m"}


PROMTOOL = shutil.which("promtool")


@pytest.mark.skipif(PROMTOOL is None, reason="promtool is not installed (Debian: prometheus)")
def test_promtool_checks_and_unit_tests_the_rules(tmp_path: Path) -> None:
    """`promtool check rules`, the rules' unit tests (each alert fires on the series that
    should fire it, stays quiet on healthy ones), and the example scrape configuration."""
    assert PROMTOOL is not None
    for command in (["check", "rules", "alerts.yml"], ["test", "rules", "alerts_test.yml"]):
        result = subprocess.run(
            [PROMTOOL, *command],
            cwd=RULES_DIR,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    # The example configuration names a token file a real deployment mounts.
    token = tmp_path / "token"
    token.write_text("t\n", encoding="utf-8")
    config = (RULES_DIR / "prometheus.yml").read_text(encoding="utf-8")
    config = config.replace("/etc/prometheus/habitus-metrics-token", str(token))
    (tmp_path / "prometheus.yml").write_text(config, encoding="utf-8")
    shutil.copy(ALERTS, tmp_path / "alerts.yml")
    result = subprocess.run(
        [PROMTOOL, "check", "config", "prometheus.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
