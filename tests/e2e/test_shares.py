"""Share links in a real browser (D12.2): Alice makes a link on her habit page, copies
it, a stranger opens it (name, streaks, year; no note, no other habit), Alice revokes it
and the stranger's next visit is a 404. Screenshots in tests/e2e/screenshots/shares/."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Account, api, check_page, sign_in
from tests.e2e.shots import shots, shots_dir
from tests.fixtures.live import LiveServer

SECRET_NOTE = "Dentist at noon, do not tell"
HIDDEN = "Hidden habit"


def _today() -> date:
    return datetime.now(ZoneInfo("Europe/London")).date()


def _seed(server: LiveServer, account: Account) -> str:
    """A private "Read" done yesterday and today (today with a note), and another
    private habit. Returns Read's id."""
    today = _today()
    with api(server, account) as client:
        made = client.post(
            "/habits",
            json={
                "name": "Read",
                "schedule": {"type": "daily"},
                "start_date": (today - timedelta(days=20)).isoformat(),
            },
        )
        assert made.status_code == 201, made.text
        habit_id: str = made.json()["id"]
        for day, note in ((today - timedelta(days=1), None), (today, SECRET_NOTE)):
            body = {"date": day.isoformat(), **({"note": note} if note else {})}
            done = client.post(
                f"/habits/{habit_id}/checkins",
                json=body,
                headers={"Idempotency-Key": f"seed-{day}"},
            )
            assert done.status_code == 201, done.text
        other = client.post("/habits", json={"name": HIDDEN, "schedule": {"type": "daily"}})
        assert other.status_code == 201, other.text
    return habit_id


def test_a_link_is_made_copied_opened_and_revoked(
    page: Page,
    browser: Browser,
    e2e_server: LiveServer,
    new_account: Callable[..., Account],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """D12.2: create, copy, open as a stranger (nothing private shows), revoke, 404."""
    monkeypatch.setenv("HABITUS_SHOTS", str(shots_dir("shares")))
    alice = new_account("Alice")
    habit_id = _seed(e2e_server, alice)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, alice)
    page.goto(f"/habits/{habit_id}")
    section = page.locator("#share")
    section.scroll_into_view_if_needed()
    create = section.get_by_role("button", name="Create a share link")
    expect(create).to_be_visible()
    expect(section).to_contain_text("even though the habit itself is visible to only you")
    check_page(page)
    create.click()
    link = section.get_by_label(re.compile("Your new link"))
    expect(link).to_be_focused()
    url = link.input_value()
    assert re.fullmatch(re.escape(e2e_server.base_url) + r"/s/[A-Za-z0-9_-]{43}", url), url
    expect(page.locator("#share-status")).to_have_text(re.compile("Link created"))
    section.get_by_role("button", name="Copy link").click()
    expect(page.locator("#share-status")).to_have_text("Link copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == url
    check_page(page)
    shots(page, "share-panel", part="#share")

    stranger = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    try:
        public = stranger.new_page()
        answer = public.goto(url)
        assert answer is not None
        assert answer.status == 200
        assert (answer.headers.get("x-robots-tag") or "").startswith("noindex")
        expect(public.get_by_role("heading", level=1)).to_have_text("Read")
        expect(public.locator("#share-current")).to_contain_text("2 days")
        expect(public.locator("#share-longest")).to_contain_text("2 days")
        og = public.locator('meta[property="og:title"]')
        expect(og).to_have_attribute("content", "Read")
        html = public.content()
        for secret in (SECRET_NOTE, HIDDEN, alice.email, "Alice"):
            assert secret not in html
        check_page(public)
        shots(public, "share-public")

        page.get_by_role("button", name=re.compile("^Revoke")).click()
        expect(section).to_contain_text("No live links.")
        expect(page.locator("#share-status")).to_have_text(re.compile("Link revoked"))
        gone = public.goto(url)
        assert gone is not None
        assert gone.status == 404
        expect(public.get_by_role("heading", level=1)).to_have_text("Not found")
        page.goto(f"/habits/{habit_id}/shares")
        expect(page.get_by_role("heading", level=1)).to_have_text("Share \u2018Read\u2019")
        check_page(page)
        shots(page, "share-manage")
    finally:
        stranger.close()


def test_the_habit_form_sets_who_can_see_it(
    page: Page, signed_in: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """D12.2: the form's "Who can see it" select, private by default, is saved."""
    monkeypatch.setenv("HABITUS_SHOTS", str(shots_dir("shares")))
    page.goto("/habits/new")
    select = page.get_by_label("Who can see it")
    expect(select).to_have_value("private")
    page.get_by_label("Name", exact=True).fill("Stretch")
    select.select_option("friends")
    page.get_by_role("button", name=re.compile("^(Create|Save)")).first.click()
    page.wait_for_load_state()
    page.goto("/habits")
    page.get_by_role("link", name=re.compile("Stretch")).first.click()
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Who can see it")).to_have_value("friends")
    check_page(page)
    shots(page, "habit-form", part="section:has(#visibility)")
