"""The answer of POST /health/analysis (API.md "Health metrics", issue 19)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FindingKind = Literal["trend", "warning", "goal", "habit_link", "note"]


class FindingOut(BaseModel):
    """One finding. The offline analyser adds what its text was made of (a trend's
    `slope_per_week` and `change`, a warning's `rule` and `dates`, a link's `habit_id`,
    `r` and `weeks` ...); a model's findings carry `kind`, `text` and maybe `field`."""

    model_config = ConfigDict(extra="allow")

    kind: FindingKind
    text: str
    field: str | None = Field(default=None, description="The health field it is about.")
    habit_id: str | None = Field(default=None, description="The habit of a `habit_link`.")


class AnalysisOut(BaseModel):
    summary: str = Field(description="One to three plain sentences.")
    findings: list[FindingOut]
    source: Literal["model", "offline"] = Field(
        description="Who wrote it: the configured model, or the offline analyser."
    )
    reason: str | None = Field(
        default=None,
        description="Why offline: not_configured, timeout, rate_limited, server_error, "
        "bad_request, network, empty, malformed or invalid_answer.",
    )
    model: str | None = Field(default=None, description="The model that answered.")
    days: int
    from_date: date = Field(serialization_alias="from")
    to_date: date = Field(serialization_alias="to")
