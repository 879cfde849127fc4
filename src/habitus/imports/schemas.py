from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ImportFormat = Literal["loop_db", "loop_csv", "habitus_json", "habitbull_csv"]


class ImportOut(BaseModel):
    """What an import did. A file imported before creates nothing (`already_imported`)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "format": "loop_db",
                    "habits_created": 9,
                    "entries_created": 164,
                    "entries_skipped": 0,
                    "already_imported": False,
                    "report": ["'Gym' 5 times in 10 days became 4 times a week"],
                    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                }
            ]
        }
    )

    format: ImportFormat
    habits_created: int = Field(description="New habits (a habit with the same name is reused).")
    entries_created: int = Field(description="New days with an entry.")
    entries_skipped: int = Field(
        description="Days of the file not imported: already there, in the future, or "
        "outside their habit's dates (the report says which)."
    )
    already_imported: bool = Field(description="This very file (by SHA-256) was imported before.")
    report: list[str] = Field(
        description="Notes for the user: schedules that are not exactly the source's, "
        "days left out, what could not be brought over."
    )
    sha256: str = Field(description="SHA-256 of the file, hex.")
