"""Structured logs: one JSON object per line, each with the request ID when there is one.

structlog renders our own events; the standard library's loggers (uvicorn, alembic,
SQLAlchemy) go through the same processors, so every line has one shape.
"""

from __future__ import annotations

import logging
import logging.config
import sys
from typing import Any

import structlog
from opentelemetry import trace


def add_trace_ids(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """Issue 22: a line written inside a span (a request, a worker job) names its trace and
    span, so the trace of a logged error is one search away. Outside a span, or with
    tracing off, nothing is added."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event.setdefault("trace_id", format(context.trace_id, "032x"))
        event.setdefault("span_id", format(context.span_id, "016x"))
    return event


_SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    add_trace_ids,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            *_SHARED_PROCESSORS,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = {
        "()": structlog.stdlib.ProcessorFormatter,
        "foreign_pre_chain": _SHARED_PROCESSORS,
        "processors": [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    }
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"structured": formatter},
            "handlers": {
                "default": {
                    "class": "logging.StreamHandler",
                    "formatter": "structured",
                    "stream": "ext://sys.stderr",
                }
            },
            "root": {"handlers": ["default"], "level": level.upper()},
            "loggers": {
                # Our middleware writes one access line per request, with the request ID.
                "uvicorn.access": {"handlers": [], "propagate": False},
                "uvicorn.error": {"handlers": ["default"], "propagate": False},
                "uvicorn": {"handlers": ["default"], "propagate": False},
                "sqlalchemy.engine": {"level": "WARNING"},
                "aiosqlite": {"level": "WARNING"},
                "alembic": {"level": "WARNING"},
            },
        }
    )
