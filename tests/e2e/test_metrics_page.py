"""Issue 21 in a real browser: the admin metrics page (reached from /admin, figures and
three Chart.js charts drawn from the daily rollup) and the NPS card on Today (an account
14 days old: answered with the score buttons; another dismissed with "Not now").
check_page (axe-core, no sideways scrolling) and screenshots at 360 and 1280 px, light
and dark, in $HABITUS_SHOTS or tests/e2e/screenshots/metrics/ (metrics-*.png)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.kit import clock
from habitus.metrics import rollup
from habitus.models import ActivityDay, User
from tests.e2e.conftest import ADMIN_EMAIL, PASSWORD, Account, check_page, sign_in
from tests.e2e.seeding import _with_session, add, user_id
from tests.e2e.shots import shots_dir
from tests.fixtures.live import LiveServer

pytestmark = pytest.mark.e2e

SIZES = ((360, 780), (1280, 900))


def look_everywhere(page: Page, name: str) -> None:
    folder = shots_dir("metrics")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(
                path=str(folder / f"metrics-{name}-{width}-{scheme}.png"), full_page=True
            )
            check_page(page)
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 900})


def backdate(server: LiveServer, email: str, days: int) -> None:
    """The account was made `days` ago (the NPS card waits 14 days)."""

    async def move(session: AsyncSession) -> None:
        await session.execute(
            update(User)
            .where(User.email == email)
            .values(created_at=clock.now() - timedelta(days=days))
        )

    _with_session(server, move)


def roll_up(server: LiveServer) -> None:
    async def run(session: AsyncSession) -> None:
        await rollup.run_pass(session)

    _with_session(server, run)


def test_the_admin_sees_metrics_with_charts(page: Page, e2e_server: LiveServer) -> None:
    """Issue 21: /admin links to /admin/metrics; the figures, the retention table and the
    charts are there, for an operator on a phone too."""
    admin = Account(email=ADMIN_EMAIL, password=PASSWORD, display_name="Admin")
    admin_id = user_id(e2e_server, ADMIN_EMAIL)
    today = clock.now().date()
    add(
        e2e_server,
        lambda: [
            # Days before any the suite's own runs can touch: a run that crosses midnight
            # has the admin active yesterday already (the row would be a duplicate).
            ActivityDay(user_id=admin_id, day=today - timedelta(days=n))
            for n in (3, 5, 9, 12)
        ],
    )
    roll_up(e2e_server)
    sign_in(page, admin)
    page.goto("/admin")
    page.get_by_role("link", name=re.compile("Product metrics")).click()
    expect(page).to_have_url(re.compile(r"/admin/metrics$"))
    expect(page.get_by_role("heading", name="Product metrics", level=1)).to_be_visible()
    assert int(page.locator("#metric-mau").inner_text()) >= 1
    page.wait_for_function("() => window.Chart && document.querySelectorAll('canvas').length >= 2")
    page.wait_for_function(
        "() => [...document.querySelectorAll('canvas[data-metrics-chart]')]"
        ".every((canvas) => window.Chart.getChart(canvas))"
    )
    look_everywhere(page, "admin")
    page.locator("#metrics-from").fill("2026-12-31")
    page.locator("#metrics-to").fill("2026-01-01")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#metrics-from-error")).to_contain_text("must not be after")
    check_page(page)


def test_the_nps_card_answers_and_dismisses(
    page: Page, e2e_server: LiveServer, new_account: Callable[..., Account]
) -> None:
    """Issue 21: after 14 days Today asks; a score sent thanks the user and the card is
    gone; "Not now" hides it too."""
    account = new_account("Noor")
    backdate(e2e_server, account.email, 15)
    sign_in(page, account)
    page.goto("/today")
    card = page.locator("#nps-card")
    expect(card).to_be_visible()
    look_everywhere(page, "nps-card")
    card.locator("label.nps-score", has_text=re.compile(r"^9$")).click()
    card.get_by_label(re.compile("Anything you'd like")).fill("The streaks keep me going")
    card.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Thank you!")).to_be_visible()
    expect(page.locator("#nps-card")).to_have_count(0)

    other = new_account("Ines")
    backdate(e2e_server, other.email, 20)
    page.context.clear_cookies()
    sign_in(page, other)
    page.goto("/today")
    page.locator("#nps-card").get_by_role("button", name="Not now").click()
    expect(page).to_have_url(re.compile(r"/today$"))
    expect(page.locator("#nps-card")).to_have_count(0)
