"""Plans in a real browser (issue 21): with HABITUS_PLANS=on (2 active habits on the free
plan here, so the test makes few) the new-habit form, the challenge form and Settings
show the plan and an upgrade note with its "Upgrade to Pro" button (Stripe billing on,
pointed at a local fake of Stripe's API; Stripe's page itself is answered by the test),
and the admin page sets a plan. Screenshots at 360 px and 1280 px, light and dark. The
suite's shared server has plans off, so this module runs a server of its own."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.e2e.conftest import ADMIN_EMAIL, DESKTOP, PASSWORD, Account, check_page, sign_in
from tests.e2e.shots import shots
from tests.fixtures.live import LiveServer, free_port, habitus_env, live_server, run_cli
from tests.plans.fake_stripe import FakeStripe


@pytest.fixture(scope="module")
def fake_stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def plans_server(
    fake_stripe: FakeStripe, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    workdir: Path = tmp_path_factory.mktemp("e2e-plans")
    port = free_port()
    env = habitus_env(
        f"sqlite+aiosqlite:///{workdir / 'plans.db'}",
        workdir,
        HABITUS_RATE_LIMIT_ENABLED="false",
        HABITUS_BASE_URL=f"http://127.0.0.1:{port}",
        HABITUS_PLANS="on",
        HABITUS_PLAN_FREE_ACTIVE_HABITS="2",
        HABITUS_STRIPE_SECRET_KEY="sk_test_fake",
        HABITUS_STRIPE_PRICE_ID="price_pro_monthly",
        HABITUS_STRIPE_WEBHOOK_SECRET="whsec_e2e",
        HABITUS_STRIPE_API_BASE=fake_stripe.url,
    )
    created = run_cli("create-admin", ADMIN_EMAIL, "--password", PASSWORD, env=env, cwd=workdir)
    assert created.returncode == 0, created.stdout + created.stderr
    with live_server(env, workdir, port=port) as server:
        yield server


@pytest.fixture
def plans_page(browser: Browser, plans_server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(base_url=plans_server.base_url, viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("pageerror", lambda error: pytest.fail(f"uncaught page error: {error}"))
    yield page
    context.close()


def free_account(server: LiveServer, habits: int) -> Account:
    """A new free account with `habits` active habits (made through the API)."""
    email = f"robin-{uuid.uuid4().hex[:8]}@example.org"
    with httpx.Client(base_url=f"{server.base_url}/api/v1") as client:
        made = client.post("/auth/register", json={"email": email, "password": PASSWORD})
        assert made.status_code == 201, made.text
        token = client.post("/auth/login", json={"email": email, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        for number in range(habits):
            body = {"name": f"Habit {number + 1}", "schedule": {"type": "daily"}}
            assert client.post("/habits", json=body, headers=headers).status_code == 201
    return Account(email=email, password=PASSWORD, display_name="Robin")


def test_the_free_plan_shows_upgrade_notes(
    plans_page: Page, plans_server: LiveServer, fake_stripe: FakeStripe
) -> None:
    """Issue 21: at the free plan's limit the new-habit form opens with the note (and
    keeps it, and what was typed, when sent anyway), the challenge form is replaced by
    it, Settings names the plan; Upgrade goes to Stripe's Checkout page."""
    page = plans_page
    sign_in(page, free_account(plans_server, habits=2))

    page.goto("/habits/new")
    note = page.locator("#upgrade-note")
    expect(note).to_contain_text("You have 2 active habits, as many as the free plan keeps")
    expect(note.get_by_role("link", name="Upgrade to Pro")).to_be_visible()
    check_page(page)
    shots(page, "plans-habit-form", part="#upgrade-note")
    page.get_by_label("Name").fill("Stretch")
    page.get_by_role("button", name=re.compile(r"^Create")).click()
    page.wait_for_load_state()
    expect(note).to_contain_text("The free plan keeps up to 2 active habits")
    expect(page.get_by_label("Name")).to_have_value("Stretch")
    expect(page.locator("#form-errors")).to_have_count(0)

    page.goto("/challenges")
    expect(page.locator("#upgrade-note")).to_contain_text("Creating challenges is part of Pro")
    expect(page.locator(".challenge-form")).to_have_count(0)
    check_page(page)
    shots(page, "plans-challenges", part="#upgrade-note")

    page.goto("/settings")
    expect(page.locator("#plan-name")).to_contain_text("free plan: up to 2 active habits")
    check_page(page)
    shots(page, "plans-settings", part="#plan")

    # Stripe's page is not ours: the test answers it, so nothing leaves the machine.
    def stripe_page(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body="<title>Stripe</title>")

    page.route("https://checkout.stripe.com/**", stripe_page)
    page.locator("#plan").get_by_role("link", name="Upgrade to Pro").click()
    page.wait_for_url(re.compile(r"^https://checkout\.stripe\.com/c/pay/cs_test_"))
    assert fake_stripe.requests[-1].form["line_items[0][price]"] == "price_pro_monthly"


def test_an_admin_sets_a_plan(plans_page: Page, plans_server: LiveServer) -> None:
    """Issue 21: the admin page's Plan column moves an account to Pro; its owner's
    Settings then say Pro and the new-habit form shows no note."""
    page = plans_page
    account = free_account(plans_server, habits=2)
    sign_in(page, Account(email=ADMIN_EMAIL, password=PASSWORD, display_name="Admin"))
    page.goto(f"/admin?q={account.email}")
    select = page.get_by_label(f"Plan of {account.email}")
    expect(select).to_have_value("free")
    check_page(page)
    shots(page, "plans-admin")
    select.select_option("pro")
    page.locator(".plan-form").get_by_role("button", name="Save").first.click()
    page.wait_for_url(re.compile(r"/admin$"))
    expect(page.locator("body")).to_contain_text(f"{account.email} is on the pro plan.")

    page.context.clear_cookies()
    sign_in(page, account)
    page.goto("/settings")
    expect(page.locator("#plan-name")).to_contain_text("Pro")
    page.goto("/habits/new")
    expect(page.locator("#upgrade-note")).to_have_count(0)
