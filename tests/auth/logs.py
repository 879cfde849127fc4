"""What the app wrote to its log, read from the process's output (one JSON object a line).

Read there rather than with structlog's `capture_logs`: loggers cache their processors on
first use (`cache_logger_on_first_use`), so a logger first used by an earlier test's app
never reaches a later test's capture; the output sees every line of every logger.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

# Lines of the test's own loopback SMTP server (aiosmtpd logs as "mail.log"), not the app's.
_NOT_THE_APP = '"logger": "mail.log"'


class AppLog:
    """Everything the app wrote to stdout and stderr since the test began."""

    def __init__(self, capfd: pytest.CaptureFixture[str]) -> None:
        self._capfd = capfd
        self._text = ""

    @property
    def text(self) -> str:
        out, err = self._capfd.readouterr()
        lines = (out + err).splitlines(keepends=True)
        self._text += "".join(line for line in lines if _NOT_THE_APP not in line)
        return self._text

    def events(self, name: str) -> list[dict[str, Any]]:
        """The log entries of event `name`."""
        found = []
        for line in self.text.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and entry.get("event") == name:
                found.append(entry)
        return found

    def mentions(self, *secrets: str) -> list[str]:
        """The lines that contain any of `secrets`."""
        return [line for line in self.text.splitlines() if any(s in line for s in secrets)]
