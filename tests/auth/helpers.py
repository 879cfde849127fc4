"""Small assertions shared by the auth tests."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

PROBLEM_JSON = "application/problem+json"
API = "/api/v1"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The RFC 9457 body of an error answer with this status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["detail"]
    return body


def fields(body: dict[str, Any]) -> set[str]:
    """The fields a 422 names."""
    return {error["field"] for error in body.get("errors", [])}


def message_for(body: dict[str, Any], field: str) -> str:
    messages = [error["message"] for error in body.get("errors", []) if error["field"] == field]
    assert messages, f"no error on {field!r}: {body}"
    return messages[0]


async def count(db_session: AsyncSession, model: type[Any], *where: Any) -> int:
    """Rows of `model` the app has committed (the read transaction ends right after)."""
    value = await db_session.scalar(select(func.count()).select_from(model).where(*where))
    await db_session.commit()
    return int(value or 0)


async def try_login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(f"{API}/auth/login", json={"email": email, "password": password})


async def try_refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post(f"{API}/auth/refresh", json={"refresh_token": refresh_token})
