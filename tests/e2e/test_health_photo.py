"""Issue 19 in a real browser: logging from a photo of a scale report. On a phone (360
px) the values read come as a step-by-step wizard (a few fields a step, each with the
crop of the photo around it, Back / Next, "Step 2 of 4"), Save only on the last step; on a
desktop (1280 px) the photo and every field sit side by side. A value corrected in the
wizard is what is saved, and the health page then shows it. Every state goes through
check_page (axe-core, no sideways scrolling), light and dark, with screenshots in
tests/e2e/screenshots/health-photo/."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Account, check_page, sign_in
from tests.e2e.shots import shots_dir
from tests.fixtures.scale_reports import render

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


def look(page: Page, name: str, size: dict[str, int]) -> None:
    folder = shots_dir("health-photo")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.wait_for_timeout(100)
        page.screenshot(path=str(folder / f"{name}-{size['width']}-{scheme}.png"), full_page=True)
        check_page(page)
    page.emulate_media(color_scheme="light")


def press(page: Page, name: str) -> None:
    """A button used from the keyboard (focus, Enter): unlike a click at coordinates it
    cannot land beside the button while a loaded machine is still laying out the page
    after a full-page screenshot (CI lost such clicks twice)."""
    page.get_by_role("button", name=name).press("Enter")


def send_photo(page: Page, photo: Path) -> None:
    page.goto("/health")
    page.locator("#photo-file").set_input_files(str(photo))
    # The click waits for the navigation it starts: the photo is read on the server (OCR),
    # which on a loaded CI machine took longer than a click's usual 10 s.
    page.get_by_role("button", name="Read the photo").click(timeout=60_000)
    expect(page).to_have_url(re.compile(r"/health/photo/[0-9a-f-]{36}$"), timeout=30_000)
    expect(page.get_by_role("heading", name="Check the values from your photo")).to_be_visible()


def test_photo_wizard_on_a_phone_and_side_by_side_on_a_desktop(
    page: Page, new_account: Callable[..., Account], tmp_path: Path
) -> None:
    account = new_account("Petra")
    sign_in(page, account)
    data, truth = render(layout="list", font="sans", seed=31)
    photo = tmp_path / "scale.png"
    photo.write_bytes(data)

    # Phone: the wizard.
    page.set_viewport_size(PHONE)
    send_photo(page, photo)
    count = page.locator("[data-step-count]")
    expect(count).to_have_text(re.compile(r"^Step 1 of \d+$"))
    steps = int(count.inner_text().rsplit(" ", 1)[1])
    assert steps >= 3  # 10+ values, 4 a step, and the last step
    expect(page.get_by_role("button", name="Save these values")).to_be_hidden()
    expect(page.get_by_role("button", name="Back")).to_be_hidden()
    weight = page.locator("#photo-weight_kg")
    expect(weight).to_be_visible()
    expect(weight).to_have_value(f"{truth['weight_kg']:g}")
    expect(page.locator(".hl-step:not([hidden]) img.hl-crop").first).to_be_visible()
    look(page, "wizard-step-1", PHONE)
    weight.fill("70.3")  # the user corrects the weight on the first step

    press(page, "Next")
    expect(count).to_have_text(f"Step 2 of {steps}")
    expect(weight).to_be_hidden()
    look(page, "wizard-step-2", PHONE)
    for step in range(3, steps + 1):
        press(page, "Next")
        expect(count).to_have_text(f"Step {step} of {steps}")  # one step a press
    expect(count).to_have_text(f"Step {steps} of {steps}")
    expect(page.get_by_role("button", name="Next")).to_be_hidden()
    expect(page.get_by_role("button", name="Save these values")).to_be_visible()
    look(page, "wizard-last-step", PHONE)

    # Desktop, same page: the photo beside every step, no stepping.
    page.set_viewport_size(DESKTOP)
    expect(count).to_be_hidden()
    expect(weight).to_be_visible()
    expect(page.locator(".hl-photo-figure img")).to_be_visible()
    figure = page.locator(".hl-photo-figure").bounding_box()
    form = page.locator("#photo-form").bounding_box()
    assert figure is not None
    assert form is not None
    assert figure["x"] + figure["width"] <= form["x"]  # side by side
    assert abs(figure["y"] - form["y"]) < 40
    look(page, "side-by-side", DESKTOP)

    page.get_by_role("button", name="Save these values").click()
    expect(page).to_have_url(re.compile(r"/health$"))
    expect(page.get_by_role("status").first).to_contain_text("from your photo")
    expect(page.locator("#summary-weight_kg")).to_contain_text("70.3")
