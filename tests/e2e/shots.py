"""Screenshots for looking at a page by eye: phone (360x740) and desktop (1280x800), in
light and dark, under $HABITUS_SHOTS (default /tmp/shots/C2). Not assertions."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

SIZES = {"360": {"width": 360, "height": 740}, "1280": {"width": 1280, "height": 800}}


def shots(page: Page, name: str, part: str | None = None) -> None:
    """`part`: also the element this selector finds, alone (a long page's section)."""
    folder = Path(os.environ.get("HABITUS_SHOTS", "/tmp/shots/C2"))
    folder.mkdir(parents=True, exist_ok=True)
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
