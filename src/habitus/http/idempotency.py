"""`Idempotency-Key` for POST requests (API.md "Idempotency").

The key is claimed in the request's own transaction, as its first write:
`INSERT ... ON CONFLICT (user_id, key) DO NOTHING RETURNING id`.
- The insert succeeds: the request runs; its answer is stored in the same row before
  the transaction commits, so the writes and the stored answer exist together or not
  at all. A request that fails rolls back and leaves no trace: the client may retry.
- Someone committed the key already: same body -> that answer, byte for byte, with
  `Idempotent-Replayed: true`; another body -> 422.
- The key's first request is still running: the database makes the insert wait for
  it (a row lock on PostgreSQL, the single writer on SQLite), then replays its answer;
  past `HABITUS_LOCK_TIMEOUT_SECONDS` the answer is 409. A crashed first request
  simply rolled back: nothing to clean up, no lease to expire.

A request that prepares before writing (`db.prepares_before_writing`: an import parses
its file first) must not write before its slow part, so its guard only looks the key up
(a committed key is answered exactly as above) and the handler claims it at the end, in
the request's transaction, with `claim_late`; its own writes in between are its business
(the import's record stops a second import of the same file).

A route on the hot path may claim its key **with its answer**, at the end (issue 22:
one statement instead of two; `guard(..., at_end=True)`, only for handlers whose effects
are all in the transaction: a check-in). Its handler runs first; then one
`INSERT ... (key, request hash, answer) ON CONFLICT DO NOTHING RETURNING id` stores the
key and the answer together. A conflict means the key was committed by another request
(PostgreSQL makes the insert wait for a first request still running; SQLite's writers
take turns): this request rolls back everything it wrote and answers as above (the
stored answer, or 422 for another body). A request that fails looks the key up after
its rollback, so a retry whose first attempt succeeded still gets that first answer.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any, cast

from fastapi import Request
from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from habitus import db
from habitus.errors import AppError, Conflict, FieldError, ValidationFailed
from habitus.kit import clock
from habitus.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_STORED_HEADERS = ("content-type", "location", "etag")
_STATE_ATTR = "idempotency_reservation"
_PENDING_ATTR = "idempotency_pending"
_AT_END_ATTR = "idempotency_at_end"
_ATTEMPTS = 3


class Replay(Exception):
    """Raised by the guard to answer with a stored response instead of running."""

    def __init__(self, response: Response) -> None:
        super().__init__("idempotent replay")
        self.response = response


@dataclass(slots=True)
class Reservation:
    row_id: uuid.UUID


@dataclass(slots=True)
class Pending:
    """A key only looked up so far, to be claimed by `claim_late`."""

    user_id: uuid.UUID
    key: str
    fingerprint: str


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


async def guard(
    request: Request, user_id: uuid.UUID, key: str | None, *, required: bool, at_end: bool = False
) -> None:
    """Claim `key` for this request, or raise `Replay` / 409 / 422. `at_end`: claim it
    with the answer instead (`complete`), see the module's notes."""
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
    session = db.request_session(request)
    # What the write's subscribers may read (issue 21: habit_logged records it).
    session.info["idempotency_key"] = key
    if db.writes_deferred(session):
        await _look_up(request, session, Pending(user_id, key, fingerprint))
        return
    if at_end:
        setattr(request.state, _AT_END_ATTR, Pending(user_id, key, fingerprint))
        return
    ttl = timedelta(hours=request.app.state.settings.idempotency_ttl_hours)
    for _ in range(_ATTEMPTS):
        row_id = await _claim(session, user_id, key, fingerprint, ttl)
        if row_id is not None:
            setattr(request.state, _STATE_ATTR, Reservation(row_id))
            return
        existing = await session.scalar(
            select(IdempotencyKey)
            .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
            .execution_options(populate_existing=True)
        )
        if existing is None:
            continue  # its first request rolled back in between: claim it again
        raise _answer_to(existing, fingerprint)
    raise _in_flight()


def _in_flight() -> Conflict:
    return Conflict(
        "A request with this Idempotency-Key is still being processed; retry in a moment.",
        code="idempotency-key-in-flight",
    )


def _answer_to(existing: IdempotencyKey, fingerprint: str) -> Exception:
    """What a request meets when its key was committed by another: the stored answer
    (same body) or a 422 (another body)."""
    if existing.request_hash != fingerprint:
        return ValidationFailed(
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
    return Replay(_stored_response(existing))


async def _committed(session: AsyncSession, user_id: uuid.UUID, key: str) -> IdempotencyKey | None:
    found: IdempotencyKey | None = await session.scalar(
        select(IdempotencyKey)
        .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
        .execution_options(populate_existing=True)
    )
    return found


async def _look_up(request: Request, session: AsyncSession, pending: Pending) -> None:
    """The guard of a request that prepares before writing: read only. A committed key
    is answered now; otherwise the key waits for `claim_late`."""
    existing = await _committed(session, pending.user_id, pending.key)
    if existing is not None:
        raise _answer_to(existing, pending.fingerprint)
    setattr(request.state, _PENDING_ATTR, pending)


async def claim_late(request: Request) -> None:
    """Claim the key a request that prepares before writing only looked up, at the end
    of its handler: takes the request's writer turn (`db.start_writing`) and inserts the
    key in the request's transaction, so the answer is stored with it by `complete`. A
    key committed meanwhile by another request is answered as `guard` would (the stored
    answer, or 422). No key sent: nothing to do."""
    pending: Pending | None = getattr(request.state, _PENDING_ATTR, None)
    if pending is None:
        return
    setattr(request.state, _PENDING_ATTR, None)
    session = db.request_session(request)
    await db.start_writing(session)
    ttl = timedelta(hours=request.app.state.settings.idempotency_ttl_hours)
    for _ in range(_ATTEMPTS):
        row_id = await _claim(session, pending.user_id, pending.key, pending.fingerprint, ttl)
        if row_id is not None:
            setattr(request.state, _STATE_ATTR, Reservation(row_id))
            return
        existing = await _committed(session, pending.user_id, pending.key)
        if existing is not None:
            raise _answer_to(existing, pending.fingerprint)
    raise _in_flight()


@lru_cache(maxsize=4)
def _claim_statement(dialect: str) -> Any:
    insert: Any = db.insert_for(dialect)
    table = cast(Table, IdempotencyKey.__table__)
    columns = ("id", "user_id", "key", "request_hash", "created_at", "expires_at")
    return (
        insert(table)
        .values({name: bindparam(name) for name in columns})
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(table.c.id)
    )


async def _claim(
    session: AsyncSession, user_id: uuid.UUID, key: str, fingerprint: str, ttl: timedelta
) -> uuid.UUID | None:
    """Insert the key's row; None when it exists (committed by another request)."""
    now = clock.now()
    try:
        result = await session.execute(
            _claim_statement(session.get_bind().dialect.name),
            {
                "id": uuid.uuid4(),
                "user_id": user_id,
                "key": key,
                "request_hash": fingerprint,
                "created_at": now,
                "expires_at": now + ttl,
            },
        )
    except DBAPIError as error:
        if db.is_lock_timeout(error):
            # The key's first request held it past the lock timeout.
            raise _in_flight() from error
        raise
    row_id: uuid.UUID | None = result.scalar_one_or_none()
    return row_id


def _stored_response(row: IdempotencyKey) -> Response:
    headers = dict(row.response_headers or {})
    headers[REPLAYED_HEADER] = "true"
    return Response(
        content=row.response_body or b"",
        status_code=row.response_status or 200,
        headers=headers,
    )


def _answer_columns(response: Response) -> dict[str, Any]:
    body = getattr(response, "body", None)
    headers = {name: value for name, value in response.headers.items() if name in _STORED_HEADERS}
    return {
        "response_status": response.status_code,
        "response_headers": headers,
        "response_body": bytes(body) if body is not None else b"",
    }


async def complete(request: Request, response: Response) -> None:
    """Store the answer in the key's row, in the request's transaction. A key claimed
    at the end is inserted here with it; raises `Replay` / 422 / 409 when another
    request committed the key first (the caller rolls back)."""
    at_end: Pending | None = getattr(request.state, _AT_END_ATTR, None)
    if at_end is not None:
        setattr(request.state, _AT_END_ATTR, None)
        await _claim_with_answer(request, at_end, _answer_columns(response))
        return
    reservation: Reservation | None = getattr(request.state, _STATE_ATTR, None)
    if reservation is None:
        return
    setattr(request.state, _STATE_ATTR, None)
    await db.request_session(request).execute(
        _COMPLETE, {"row": reservation.row_id, **_answer_columns(response)}
    )


@lru_cache(maxsize=4)
def _claim_with_answer_statement(dialect: str) -> Any:
    insert: Any = db.insert_for(dialect)
    table = cast(Table, IdempotencyKey.__table__)
    columns = ("id", "user_id", "key", "request_hash", "created_at", "expires_at")
    answer = ("response_status", "response_headers", "response_body")
    return (
        insert(table)
        .values({name: bindparam(name) for name in columns + answer})
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(table.c.id)
    )


async def _claim_with_answer(request: Request, pending: Pending, answer: dict[str, Any]) -> None:
    session = db.request_session(request)
    ttl = timedelta(hours=request.app.state.settings.idempotency_ttl_hours)
    statement = _claim_with_answer_statement(db.dialect_of(session))
    for _ in range(_ATTEMPTS):
        now = clock.now()
        values = {
            "id": uuid.uuid4(),
            "user_id": pending.user_id,
            "key": pending.key,
            "request_hash": pending.fingerprint,
            "created_at": now,
            "expires_at": now + ttl,
            **answer,
        }
        try:
            result = await session.execute(statement, values)
        except DBAPIError as error:
            if db.is_lock_timeout(error):
                raise _in_flight() from error
            raise
        if result.scalar_one_or_none() is not None:
            return
        existing = await _committed(session, pending.user_id, pending.key)
        if existing is not None:
            raise _answer_to(existing, pending.fingerprint)
    raise _in_flight()


async def answer_after_failure(request: Request) -> Response | None:
    """After a failed request with a key claimed at the end has rolled back: the answer
    of the request that committed that key, if one did (as the guard of an up-front
    claim would have answered before running the handler); raises 422 for another body."""
    pending: Pending | None = getattr(request.state, _AT_END_ATTR, None)
    if pending is None:
        return None
    setattr(request.state, _AT_END_ATTR, None)
    existing = await _committed(db.request_session(request), pending.user_id, pending.key)
    if existing is None:
        return None
    answer = _answer_to(existing, pending.fingerprint)
    if isinstance(answer, Replay):
        return answer.response
    raise answer


_TABLE = cast(Table, IdempotencyKey.__table__)
_COMPLETE = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("row"))
    .values(
        response_status=bindparam("response_status"),
        response_headers=bindparam("response_headers"),
        response_body=bindparam("response_body"),
    )
)


def forget(request: Request) -> None:
    """The request failed and rolls back: its claim goes with it."""
    setattr(request.state, _STATE_ATTR, None)


async def purge_expired(session: AsyncSession) -> int:
    result = await session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.expires_at < clock.now())
    )
    return db.rowcount(result)
