"""Prometheus metrics of the reminder engine (each process counts its own work)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

FIRED = Counter(
    "habitus_reminders_fired_total", "Reminder occurrences that produced a notification", ["kind"]
)
SUPPRESSED = Counter(
    "habitus_reminders_suppressed_total",
    "Reminder occurrences that sent nothing (D9.3, quiet hours, disabled user, archived habit)",
    ["reason"],
)
SENT = Counter("habitus_deliveries_sent_total", "Deliveries a channel accepted", ["channel"])
FAILED = Counter(
    "habitus_deliveries_failed_total", "Delivery attempts that failed", ["channel", "kind"]
)
DEAD = Counter("habitus_deliveries_dead_total", "Deliveries given up (dead letters)", ["channel"])
LATENESS = Histogram(
    "habitus_delivery_lateness_seconds",
    "Sent time minus due time",
    ["channel"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
)
