"""`habitus rotate-chat-keys` run as an operator runs it (issue 16): a real process on
the database the app is using, while the app keeps answering."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from habitus.models import Message
from tests.chat.chat_factories import API, direct, messages
from tests.conftest import AppFactory
from tests.fixtures.live import habitus_env, run_cli
from tests.fixtures.personas import Persona

pytestmark = pytest.mark.slow


async def test_rotate_chat_keys_re_encrypts_while_the_app_runs(
    make_client: AppFactory,
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Persona,
    bob: Persona,
    database_url: str,
    tmp_path: Path,
    db_session: AsyncSession,
) -> None:
    """Issue 16: messages under the old key; the command, with the new key first, moves
    them all to it in batches; the running app (new key first) reads them throughout."""
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    conversation = await direct(client, app, alice, bob)
    running = await make_client(chat_keys=f"{new},{old}")
    before = await make_client(chat_keys=old)
    url = f"{API}/conversations/{conversation}/messages"
    for n in range(3):
        sent = await before.post(url, json={"body": f"note {n}"}, headers=alice.headers)
        assert sent.status_code == 201, sent.text
    env = habitus_env(database_url, tmp_path, HABITUS_CHAT_KEYS=f"{new},{old}")
    result = run_cli("rotate-chat-keys", "--batch", "2", env=env)
    assert result.returncode == 0, result.stderr
    assert "Re-encrypted 3 messages" in result.stdout
    tokens = list(await db_session.scalars(select(Message.body_encrypted).order_by(Message.id)))
    await db_session.commit()
    assert [Fernet(new.encode()).decrypt(token) for token in tokens] == [
        f"note {n}".encode() for n in range(3)
    ]
    listed = (await messages(running, bob, conversation)).json()["items"]
    assert [item["body"] for item in listed] == ["note 2", "note 1", "note 0"]
