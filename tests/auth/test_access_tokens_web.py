"""Settings → Access tokens (/settings/tokens, issue 20): make a token (shown once),
list, revoke, with CSRF; the Settings page links to it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from tests.auth.helpers import API, bearer
from tests.fixtures.personas import Persona
from tests.fixtures.web import SignedIn, signed_in_at

PAGE = "/settings/tokens"
SHOWN_TOKEN = re.compile(r'id="new-token"[^>]*value="(hab_pat_[A-Za-z0-9_-]+)"')


@asynccontextmanager
async def on_tokens_page(client: httpx.AsyncClient, persona: Persona) -> AsyncIterator[SignedIn]:
    async for signed_in in signed_in_at(client, persona, PAGE):
        yield signed_in


async def test_settings_links_to_the_tokens_page(client: httpx.AsyncClient, alice: Persona) -> None:
    """Issue 20 tokens: Settings has an "Access tokens" section leading to the page."""
    async with on_tokens_page(client, alice) as browser:
        settings = await browser.page("/settings")
        assert 'id="access-tokens"' in settings
        assert 'href="/settings/tokens"' in settings
        page = await browser.page()
        assert "No tokens yet." in page


async def test_a_token_made_on_the_page_is_shown_once_and_works(
    client: httpx.AsyncClient, alice: Persona
) -> None:
    """Issue 20 tokens: the form makes a token, shows it this once with a copy button;
    the list then has it (never the token again); revoking it stops it."""
    async with on_tokens_page(client, alice) as browser:
        made = await browser.post(
            PAGE, {"name": "Home Assistant", "scopes": "read write", "expires": "30"}
        )
        assert made.status_code == 200, made.text
        found = SHOWN_TOKEN.search(made.text)
        assert found is not None, made.text
        token = found[1]
        assert "data-copy-token" in made.text
        me = await client.get(f"{API}/me", headers=bearer(token))
        assert me.json()["id"] == str(alice.id)
        again = await browser.page()
        assert "Home Assistant" in again
        assert "read and write" in again
        assert token not in again
        revoke = re.search(r'action="(/settings/tokens/[0-9a-f-]+/revoke)"', again)
        assert revoke is not None
        revoked = await browser.post(revoke[1])
        assert "stopped working" in await browser.flash(revoked)
        assert (await client.get(f"{API}/me", headers=bearer(token))).status_code == 401


async def test_bad_form_input_says_what_is_wrong(client: httpx.AsyncClient, alice: Persona) -> None:
    """Issue 20 tokens: an empty name, an unknown scope or expiry re-show the form (422)
    with each field's problem; nothing is made."""
    async with on_tokens_page(client, alice) as browser:
        refused = await browser.post(PAGE, {"name": "", "scopes": "admin", "expires": "7"})
        assert refused.status_code == 422, refused.text
        assert 'id="name-error"' in refused.text
        assert 'id="scopes-error"' in refused.text
        assert 'id="expires-error"' in refused.text
        assert "No tokens yet." in refused.text


async def test_the_form_needs_its_csrf_token(client: httpx.AsyncClient, alice: Persona) -> None:
    """Issue 20 tokens: a post without the CSRF token makes nothing (403)."""
    async with on_tokens_page(client, alice) as browser:
        forged = await browser.client.post(
            PAGE, data={"name": "x", "scopes": "read", "expires": "30"}
        )
        assert forged.status_code == 403
        assert "No tokens yet." in await browser.page()


async def test_charlie_cannot_revoke_alices_token_from_the_page(
    client: httpx.AsyncClient, alice: Persona, charlie: Persona
) -> None:
    """Issue 20 tokens: revoking another user's token is a 404 and changes nothing."""
    made = await client.post(
        f"{API}/me/tokens", json={"name": "Mine", "scopes": ["read"]}, headers=alice.headers
    )
    token_id, token = made.json()["id"], made.json()["token"]
    async with on_tokens_page(client, charlie) as browser:
        assert "Mine" not in await browser.page()
        refused = await browser.post(f"{PAGE}/{token_id}/revoke")
        assert refused.status_code == 404
    assert (await client.get(f"{API}/me", headers=bearer(token))).status_code == 200
