"""The floor for the check-in benchmark: a bare FastAPI app whose `POST /floor` inserts
one row (shaped like an entry) in one transaction, and nothing else.

Same stack as Habitus: FastAPI + Pydantic body, SQLAlchemy's async engine built by
`habitus.db.create_engine` (aiosqlite with the app's PRAGMAs: WAL, synchronous=NORMAL,
foreign keys, busy_timeout; or asyncpg with the same pool), and served by uvicorn the
way `habitus serve` runs it (1 worker, uvloop + httptools picked by uvicorn[standard],
access log off, no server header, proxy headers).

    FLOOR_DATABASE_URL=sqlite+aiosqlite:///./floor.db \\
        .venv/bin/python -m bench.floor_app --port 8100
"""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime

import uvicorn
from fastapi import FastAPI, Request, status
from pydantic import BaseModel
from sqlalchemy import Column, Date, DateTime, Float, MetaData, String, Table, Uuid, insert

from habitus.db import create_engine

metadata = MetaData()
floor_rows = Table(
    "floor_rows",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("local_date", Date(), nullable=False),
    Column("status", String(8), nullable=False),
    Column("value", Float()),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


class FloorIn(BaseModel):
    value: float | None = None


class FloorOut(BaseModel):
    id: uuid.UUID
    date: date
    value: float | None


def create_app() -> FastAPI:
    url = os.environ["FLOOR_DATABASE_URL"]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        app.state.engine = engine
        app.state.created = 0
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/stats")
    async def stats(request: Request) -> dict[str, int]:
        """201s answered so far (to check against the rows in the table)."""
        return {"created": request.app.state.created}

    @app.post("/floor", status_code=status.HTTP_201_CREATED)
    async def floor(body: FloorIn, request: Request) -> FloorOut:
        now = datetime.now(UTC)
        row = {
            "id": uuid.uuid4(),
            "local_date": now.date(),
            "status": "done",
            "value": body.value,
            "created_at": now,
            "updated_at": now,
        }
        async with request.app.state.engine.begin() as connection:
            await connection.execute(insert(floor_rows), row)
        request.app.state.created += 1
        return FloorOut(id=row["id"], date=row["local_date"], value=row["value"])

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the floor app.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    # The same uvicorn.run call as `habitus serve` (src/habitus/cli.py).
    uvicorn.run(
        "bench.floor_app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=1,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        log_config=None,
        access_log=False,
        server_header=False,
    )


if __name__ == "__main__":
    main()
