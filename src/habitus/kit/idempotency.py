"""`Idempotency-Key` for POST requests (API.md "Idempotency").

Flow, per (user, key):
1. Before the handler runs, a row is committed in its own short transaction with the
   request's hash and a lease (`in_flight`). A unique key makes a second row impossible.
2. The handler's writes and the row's switch to `completed` (with the stored answer)
   commit in the same transaction, so either both happen or neither does.
3. The same key again: same body -> the stored answer, byte for byte, with
   `Idempotent-Replayed: true`; another body -> 422; still in flight -> wait a
   little for the answer, then 409. A lease left by a crashed process runs out and
   the next request takes it over (nothing was written: step 2 never committed).
A handler that raises, or answers 5xx, releases the key so the client can retry.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.responses import Response

from habitus import db
from habitus.errors import AppError, Conflict, FieldError, ValidationFailed
from habitus.kit import clock
from habitus.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
LEASE_SECONDS = 60
POLL_SECONDS = 0.05
_STORED_HEADERS = ("content-type", "location", "etag")
_STATE_ATTR = "idempotency_reservation"


class Replay(Exception):
    """Raised by the guard to answer with a stored response instead of running."""

    def __init__(self, response: Response) -> None:
        super().__init__("idempotent replay")
        self.response = response


@dataclass(slots=True)
class Reservation:
    row_id: uuid.UUID
    lease_token: str


def validate_key(key: str) -> str:
    if not 1 <= len(key) <= 255 or not all(32 < ord(char) < 127 for char in key):
        raise ValidationFailed(
            [
                FieldError(
                    field=HEADER,
                    message="must be 1 to 255 printable ASCII characters without spaces",
                    rule="idempotency_key_format",
                    location="header",
                )
            ]
        )
    return key


def request_fingerprint(request: Request, body: bytes) -> str:
    """SHA-256 of method, path and body; JSON bodies compare by content, not spacing."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), canonical):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


async def guard(request: Request, user_id: uuid.UUID, key: str | None, *, required: bool) -> None:
    """Reserve `key` for this request, or raise `Replay` / 409 / 422."""
    if key is None:
        if required:
            raise AppError(
                f"The {HEADER} header is required on this request.",
                status_code=400,
                code="idempotency-key-required",
                errors=[FieldError(HEADER, "is required", rule="missing", location="header")],
            )
        return
    key = validate_key(key)
    fingerprint = request_fingerprint(request, await request.body())
    settings = request.app.state.settings
    maker = _bookkeeping_sessions(request)
    deadline = clock.monotonic() + settings.idempotency_wait_seconds
    while True:
        reservation = await _try_reserve(maker, user_id, key, fingerprint, settings)
        if isinstance(reservation, Reservation):
            setattr(request.state, _STATE_ATTR, reservation)
            return
        if reservation is not None:  # a stored answer
            raise Replay(reservation)
        if clock.monotonic() >= deadline:
            raise Conflict(
                "A request with this Idempotency-Key is still being processed; retry in a moment.",
                code="idempotency-key-in-flight",
            )
        await asyncio.sleep(POLL_SECONDS)


def _bookkeeping_sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    """Sessions for the key's own short transactions, on unpooled connections.

    The request already holds a connection of the app's pool (it looked up the caller)
    while it reserves or waits here; taking a second one from the same pool deadlocks
    once every pooled connection belongs to a request waiting for another (20 concurrent
    retries against a pool of 15). See `main.create_app`'s lifespan.
    """
    maker: async_sessionmaker[AsyncSession] = request.app.state.bookkeeping_sessionmaker
    return maker


async def _try_reserve(
    maker: async_sessionmaker[AsyncSession],
    user_id: uuid.UUID,
    key: str,
    fingerprint: str,
    settings: object,
) -> Reservation | Response | None:
    """A Reservation when ours, a Response to replay, None while someone else runs it."""
    now = clock.now()
    lease = secrets.token_hex(16)
    try:
        async with db.independent_transaction(maker) as session:
            row = IdempotencyKey(
                user_id=user_id,
                key=key,
                request_hash=fingerprint,
                state="in_flight",
                lease_token=lease,
                lease_expires_at=now + timedelta(seconds=LEASE_SECONDS),
                expires_at=now + timedelta(hours=getattr(settings, "idempotency_ttl_hours", 24)),
            )
            session.add(row)
            await session.flush()
            return Reservation(row_id=row.id, lease_token=lease)
    except IntegrityError:
        pass
    async with db.independent_transaction(maker) as session:
        existing = await session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
            )
        )
        if existing is None:  # released in between: try again
            return None
        if existing.request_hash != fingerprint:
            raise ValidationFailed(
                [
                    FieldError(
                        field=HEADER,
                        message="was already used with a different request body",
                        rule="idempotency_key_reused",
                        location="header",
                    )
                ],
                message="This Idempotency-Key was already used for a different request.",
            )
        if existing.state == "completed":
            return _stored_response(existing)
        if existing.lease_expires_at is not None and existing.lease_expires_at <= now:
            taken = await session.execute(
                update(IdempotencyKey)
                .where(
                    IdempotencyKey.id == existing.id,
                    IdempotencyKey.state == "in_flight",
                    IdempotencyKey.lease_token == existing.lease_token,
                )
                .values(lease_token=lease, lease_expires_at=now + timedelta(seconds=LEASE_SECONDS))
            )
            if db.rowcount(taken) == 1:
                return Reservation(row_id=existing.id, lease_token=lease)
        return None


def _stored_response(row: IdempotencyKey) -> Response:
    headers = dict(row.response_headers or {})
    headers[REPLAYED_HEADER] = "true"
    return Response(
        content=row.response_body or b"",
        status_code=row.response_status or 200,
        headers=headers,
    )


async def complete(request: Request, response: Response) -> None:
    """Store the answer with the request's own writes (same transaction)."""
    reservation: Reservation | None = getattr(request.state, _STATE_ATTR, None)
    if reservation is None:
        return
    body = getattr(response, "body", None)
    headers = {name: value for name, value in response.headers.items() if name in _STORED_HEADERS}
    session = db.request_session(request)
    result = await session.execute(
        update(IdempotencyKey)
        .where(
            IdempotencyKey.id == reservation.row_id,
            IdempotencyKey.lease_token == reservation.lease_token,
        )
        .values(
            state="completed",
            lease_token=None,
            lease_expires_at=None,
            response_status=response.status_code,
            response_headers=headers,
            response_body=bytes(body) if body is not None else b"",
        )
    )
    if db.rowcount(result) != 1:
        # Our lease ran out and another request took the key over: let it win.
        raise Conflict(
            "This request took too long and was superseded by a retry with the same "
            "Idempotency-Key.",
            code="idempotency-key-superseded",
        )
    setattr(request.state, _STATE_ATTR, None)


async def release(request: Request) -> None:
    """Forget a reservation whose request failed, so a retry runs it afresh."""
    reservation: Reservation | None = getattr(request.state, _STATE_ATTR, None)
    if reservation is None:
        return
    setattr(request.state, _STATE_ATTR, None)
    async with db.independent_transaction(_bookkeeping_sessions(request)) as session:
        await session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.id == reservation.row_id,
                IdempotencyKey.lease_token == reservation.lease_token,
            )
        )


async def purge_expired(session: AsyncSession) -> int:
    result = await session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.expires_at < clock.now())
    )
    return db.rowcount(result)
