"""Screenshots for looking at a page by eye: phone (360x740) and desktop (1280x800), in
light and dark, under $HABITUS_SHOTS or tests/e2e/screenshots/ (git-ignored, kept by CI as
artifacts). Not assertions."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

SCREENSHOTS = Path(__file__).parent / "screenshots"


def shots_dir(name: str) -> Path:
    """Where a test's screenshots go: $HABITUS_SHOTS, else tests/e2e/screenshots/<name>."""
    folder = (
        Path(os.environ["HABITUS_SHOTS"]) if os.environ.get("HABITUS_SHOTS") else SCREENSHOTS / name
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


SIZES = {"360": {"width": 360, "height": 740}, "1280": {"width": 1280, "height": 800}}


def shots(page: Page, name: str, part: str | None = None) -> None:
    """`part`: also the element this selector finds, alone (a long page's section)."""
    folder = shots_dir("account")
    original = page.viewport_size
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        for label, size in SIZES.items():
            page.set_viewport_size(size)
            page.screenshot(path=str(folder / f"{name}-{label}-{scheme}.png"), full_page=True)
            if part is not None:
                page.locator(part).screenshot(
                    path=str(folder / f"{name}-{label}-{scheme}-part.png")
                )
    page.emulate_media(color_scheme="light")
    if original:
        page.set_viewport_size(original)
