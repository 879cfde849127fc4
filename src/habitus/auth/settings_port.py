"""What the Settings page shows of other features, as a port (`habitus.registry`): the
imports feature provides its upload form's words in `habitus.wiring`, so auth never
imports imports (which reads auth's pages: no cycles between packages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from habitus.registry import Port

# The import form's context for a size limit in bytes ("Your data" -> Import).
IMPORT_FORM: Port[Callable[[int], dict[str, Any]]] = Port("auth.settings.import_form")
