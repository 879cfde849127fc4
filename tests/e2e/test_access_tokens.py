"""Settings → Access tokens in a real browser (issue 20): make a token, copy it (shown
once), use it from a script, revoke it; 360 px and 1280 px screenshots."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Account, check_page
from tests.e2e.shots import shots
from tests.fixtures.live import LiveServer


def test_a_token_is_made_copied_used_and_revoked(
    page: Page, signed_in: Account, e2e_server: LiveServer
) -> None:
    """Issue 20 tokens: the token shows once with a Copy button; a script reads with it;
    after Revoke it is refused."""
    page.goto("/settings")
    section = page.locator("#access-tokens")
    expect(section).to_be_visible()
    shots(page, "settings-access-tokens", "#access-tokens")
    section.get_by_role("link", name="Manage access tokens").click()
    page.wait_for_url(re.compile(r"/settings/tokens$"))
    check_page(page)
    shots(page, "access-tokens-empty")

    page.get_by_label("Name").fill("Home Assistant")
    page.get_by_label(re.compile("Read and write")).check()
    page.get_by_label("It stops working").select_option("365")
    page.get_by_role("button", name="Make a token").click()
    shown = page.locator("#new-token")
    expect(shown).to_be_visible()
    token = shown.input_value()
    assert token.startswith("hab_pat_")
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#token-status")).not_to_be_empty()
    check_page(page)
    shots(page, "access-tokens-created")

    me = httpx.get(f"{e2e_server.base_url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["email"] == signed_in.email

    page.goto("/settings/tokens")
    expect(page.locator("#new-token")).to_have_count(0)  # shown once
    row = page.locator(".token-row", has_text="Home Assistant")
    expect(row).to_contain_text("read and write")
    row.get_by_role("button", name="Revoke Home Assistant").click()
    expect(page.locator("#no-tokens")).to_be_visible()
    refused = httpx.get(
        f"{e2e_server.base_url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 401
