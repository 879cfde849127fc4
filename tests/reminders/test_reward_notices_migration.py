"""The channels' opt-in to achievement notices added to a database that has channels
(D10.3): each existing channel gets its type's default, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from habitus.db import create_engine
from habitus.migrations_runner import upgrade
from habitus.models import Base

BEFORE = "9a4d2f6c8e13"  # the rewards migration, the last one without the column
AFTER = "3e8b5d1a7c42"


def _filler(column: sa.ColumnElement[Any]) -> Any:
    """A value for a required column that has no default in the database."""
    kind = column.type
    if isinstance(kind, sa.TypeDecorator):  # the app's UTC datetime, say
        kind = kind.impl_instance
    if isinstance(kind, sa.Uuid):
        return uuid.uuid4()
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return 0
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 12, 1, tzinfo=UTC)
    if isinstance(kind, sa.JSON):
        return {}
    return "x"


def _insert(reflected: sa.Table, **given: Any) -> Any:
    """An INSERT of the columns the table had then, typed as the models type them (a UUID
    is bound as each database keeps it), required ones filled."""
    model = Base.metadata.tables[reflected.name]
    required = [
        column.name
        for column in reflected.columns
        if not column.nullable and column.server_default is None
    ]
    names = sorted(set(required) | set(given))
    typed = sa.table(reflected.name, *(sa.column(name, model.c[name].type) for name in names))
    values = {name: _filler(model.c[name]) for name in required} | given
    return typed.insert().values(values)


async def test_existing_channels_get_their_types_default(fresh_database_url: str) -> None:
    """On for web push and Apprise, off for email and webhooks."""
    await asyncio.to_thread(upgrade, fresh_database_url, BEFORE)
    engine = create_engine(fresh_database_url)
    try:
        async with engine.begin() as connection:
            tables = await connection.run_sync(
                lambda sync: {
                    name: sa.Table(name, sa.MetaData(), autoload_with=sync)
                    for name in ("users", "channels")
                }
            )
            user_id = uuid.uuid4()
            await connection.execute(_insert(tables["users"], id=user_id))
            for kind in ("email", "webpush", "apprise", "webhook"):
                await connection.execute(
                    _insert(tables["channels"], user_id=user_id, type=kind, name=kind)
                )
        await asyncio.to_thread(upgrade, fresh_database_url, AFTER)
        async with engine.connect() as connection:
            found = dict(
                (await connection.execute(sa.text("SELECT type, achievements FROM channels"))).all()
            )
    finally:
        await engine.dispose()
    assert {kind: bool(on) for kind, on in found.items()} == {
        "email": False,
        "webpush": True,
        "apprise": True,
        "webhook": False,
    }
