"""Reading and posting the account pages like a browser: errors next to fields, flashes."""

from __future__ import annotations

import html
import re

import httpx

from tests.fixtures.web import form_csrf_token

_FIELD_ERROR = re.compile(r'<p class="field-error" id="(?P<field>[^"]+)-error">(?P<text>[^<]*)</p>')


async def post_form(
    client: httpx.AsyncClient, page: str, action: str, data: dict[str, str]
) -> httpx.Response:
    """Open `page`, then post `data` to `action` with the page's CSRF token."""
    opened = await client.get(page)
    assert opened.status_code == 200, opened.text
    return await client.post(action, data={**data, "csrf_token": form_csrf_token(opened.text)})


def field_errors(page: str) -> dict[str, str]:
    """Each `<p class="field-error" id="<field>-error">` of a page, by field."""
    return {m["field"]: html.unescape(m["text"]) for m in _FIELD_ERROR.finditer(page)}


def error_sits_by_its_field(page: str, field_id: str) -> None:
    """The error is described by the field (aria-describedby) and follows it, with no
    other label in between."""
    input_at = page.index(f'id="{field_id}"')
    error_at = page.index(f'id="{field_id}-error"')
    assert input_at < error_at
    assert "<label" not in page[input_at:error_at]
    tag = page[page.rindex("<", 0, input_at) : page.index(">", input_at)]
    assert 'aria-invalid="true"' in tag, tag
    assert f"{field_id}-error" in tag, tag


async def follow(client: httpx.AsyncClient, response: httpx.Response) -> httpx.Response:
    assert response.status_code == 303, response.text
    return await client.get(response.headers["location"])
